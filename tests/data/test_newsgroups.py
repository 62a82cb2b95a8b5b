import pytest
from sklearn.datasets._twenty_newsgroups import strip_newsgroup_footer, strip_newsgroup_header, strip_newsgroup_quoting

from textcnn.data import newsgroups
from textcnn.data.registry import load_dataset


@pytest.fixture(scope="module")
def raw(data_dir):
    return load_dataset("20ng", data_dir, remove=())


def test_default_strips_like_sklearn(raw, data_dir):
    clean = load_dataset("20ng", data_dir)
    assert clean.report["removed"] == ["headers", "footers", "quotes"]
    assert clean.report["remove_functions"] == "sklearn.datasets._twenty_newsgroups"
    for i in range(0, len(raw.test), 500):
        expected = strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(raw.test.texts[i])))
        assert clean.test.texts[i] == expected
    assert clean.train.labels == raw.train.labels  # same seeded dev hold-out
    assert sum(t.startswith("From:") for t in clean.test.texts) < 50  # forwarded messages may quote headers


def test_raw_keeps_headers(raw):
    assert all("From:" in t or "Subject:" in t for t in raw.test.texts[:200])
    assert raw.report["removed"] == []
    assert raw.label_names[0] == "alt.atheism" and raw.label_names[-1] == "talk.religion.misc"


def test_copied_strip_functions_match_sklearn(raw):
    for text in raw.train.texts[:300]:
        assert newsgroups._copy_strip_header(text) == strip_newsgroup_header(text)
        assert newsgroups._copy_strip_footer(text) == strip_newsgroup_footer(text)
        assert newsgroups._copy_strip_quoting(text) == strip_newsgroup_quoting(text)


def test_remove_option_parsing():
    assert newsgroups.check_remove("quotes, headers") == ("headers", "quotes")
    assert newsgroups.check_remove(None) == () and newsgroups.check_remove([]) == ()
    with pytest.raises(ValueError, match="'signature'"):
        newsgroups.check_remove(["signature"])
