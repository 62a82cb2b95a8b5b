"""HTML in users' files (textcnn/data/markup.py): tags removed and entities decoded when asked, or when the training
file looks like HTML ("auto"); the decision and the count of changed texts are reported."""

from __future__ import annotations

import pytest

from textcnn.data.files import load_files, read_labelled_file
from textcnn.data.markup import AUTO_MIN_SHARE, decide_strip_html, has_html, strip_html
from textcnn.data.report import format_read_report


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a great film.<br /><br />The end", "a great film.  The end"),
        ("<b>bold</b> and <i>italic</i>, <a href='x'>a link</a>", "bold and italic, a link"),
        ("AT&amp;T &quot;quoted&quot; caf&eacute; &#39;s &lt;3", 'AT&T "quoted" caf\u00e9 \'s <3'),
        ("<p>one</p><P>two</P><!-- a comment -->", " one  two "),
        ("a < b and c > d, <3, <not a tag>", "a < b and c > d, <3, <not a tag>"),
        ("AT&T stays", "AT&T stays"),
    ],
)
def test_strip_html(text, expected):
    assert strip_html(text) == expected


def test_auto_strips_when_enough_training_texts_hold_tags():
    plain = ["a plain text"] * 95
    assert not decide_strip_html("auto", plain + ["one<br />two"] * 4)["applied"]
    decision = decide_strip_html("auto", plain + ["one<br />two"] * 5 + ["", " "])  # blank texts do not count
    assert decision["applied"] and decision["share_with_tags"] == AUTO_MIN_SHARE
    assert decision["rule"] == "auto: 5.0% of the training texts hold HTML tags; the threshold is 5%"
    assert decide_strip_html(False, ["<br />"] * 10)["applied"] is False
    assert has_html("x<BR/>y") and not has_html("x < y > z")
    with pytest.raises(ValueError, match="strip_html must be true, false or 'auto', got 'yes'"):
        decide_strip_html("yes", [])


def test_the_training_file_decides_and_dev_and_test_follow(tmp_path):
    train = tmp_path / "train.csv"
    train.write_text("text,label\n" + "".join(f'"good<br />film {i}",pos\nbad &amp; dull {i},neg\n' for i in range(5)))
    dev = tmp_path / "dev.csv"
    dev.write_text("text,label\nplain &amp; simple,pos\nno tags,neg\n")  # alone, "auto" would keep it as it is
    splits = load_files(train=train, dev=dev)
    assert splits.train.texts[:2] == ["good film 0", "bad & dull 0"] and splits.dev.texts[0] == "plain & simple"
    assert splits.report["strip_html"]["applied"] and splits.report["files"]["train"]["changed"]["HTML removed"] == 10
    lines = format_read_report(splits.report)
    assert lines[0].endswith("train.csv: 10 rows read, 10 used, HTML removed: 10")
    assert lines[-1] == "HTML: removed (auto: 50.0% of the training texts hold HTML tags; the threshold is 5%)"
    assert read_labelled_file(dev)[0].texts[0] == "plain &amp; simple"
    kept = load_files(train=train, dev=dev, strip_html=False)
    assert kept.train.texts[0] == "good<br />film 0" and "HTML removed" not in kept.report["files"]["train"]["changed"]


def test_strip_html_is_a_config_option_of_the_file_dataset(tmp_path):
    """``--set data.options.strip_html=...`` reaches the loader of ``dataset: file``."""
    from textcnn.classify.config import load_config
    from textcnn.classify.train import load_splits

    train = tmp_path / "train.csv"
    train.write_text("text,label\n" + "".join(f"film {i}<br />ok,{'ab'[i % 2]}\n" for i in range(10)))
    base = ["data.dataset=file", f"data.train_file={train}", "data.dev_fraction=0"]
    assert load_splits(load_config(None, base)).train.texts[0] == "film 0 ok"
    assert load_splits(load_config(None, [*base, "data.options.strip_html=false"])).train.texts[0] == "film 0<br />ok"


def test_the_kim_benchmark_files_are_never_changed(data_dir):
    from textcnn.data.registry import load_dataset

    assert "strip_html" not in load_dataset("mr", data_dir).report
