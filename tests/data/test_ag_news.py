import pytest

from textcnn.data.ag_news import clean_ag_text, load_ag_news, read_ag_csv
from textcnn.data.registry import load_dataset


def test_clean_repairs_escapes_and_entities():
    raw = "Oil at \\$50 #39;record#39; &lt;b&gt;up&lt;/b&gt; a\\\\b #36;1 #151; \\band"
    assert clean_ag_text(raw) == "Oil at $50 'record' <b>up</b> a\\b $1 \u2014 \\band"


def test_subset_is_labelled_as_such(data_dir):
    splits = load_dataset("ag_news", data_dir, seed=1)
    assert "20,000" in splits.report["subset"] and "SUBSET" in splits.report["subset"]
    assert splits.label_names == ["World", "Sports", "Business", "Sci/Tech"]
    texts = splits.test.texts
    assert not any("#39;" in t or "\\$" in t or "&lt;" in t for t in texts)
    assert splits.report["files"]["test.csv"]["repairs"]["entities_missing_ampersand"] == 2931
    # row 1 of test.csv: "Fears for T N pension after talks" + description
    assert texts[0].startswith("Fears for T N pension after talks Unions representing")


def test_raw_text_option(data_dir):
    splits = load_dataset("ag_news", data_dir, clean=False)
    assert sum("#39;" in t for t in splits.test.texts) > 1000


def test_train_file_option(tmp_path, data_dir):
    path = tmp_path / "train.csv"
    rows = [f'"{c}","title {c}{i}","desc \\$ {i}"' for c in (1, 2, 3, 4) for i in range(3)]
    path.write_text("\n".join(rows) + "\n")
    splits = load_ag_news(data_dir, train_file=path, dev_fraction=0.34)
    assert len(splits.train) + len(splits.dev) == 12 and len(splits.test) == 7600
    assert "subset" not in splits.report and str(path) in splits.report["files"]
    assert splits.train.texts[0].endswith("$ " + splits.train.texts[0][-1])


def test_bad_row_is_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('"1","a","b"\n"9","c","d"\n')
    with pytest.raises(ValueError, match=r"bad.csv: line 2 has class index '9'"):
        read_ag_csv(path)
    path.write_text('"1","a","b"\n"2","c"\n')
    with pytest.raises(ValueError, match=r"line 2 has 2 fields"):
        read_ag_csv(path)
