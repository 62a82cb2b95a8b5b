import io
import json
import socket
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from textcnn.data import files
from textcnn.data.files import load_text_file, read_texts
from textcnn.data.registry import load_dataset


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_string_labels_sorted_offline_and_quiet(tmp_path, no_network, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    content = 'id,text,label\n1,"good, really",pos\n2,NA,neg\n3,"multi\nline",pos\n4,,neg\n'
    path = _write(tmp_path / "train.csv", content)
    split, names = load_text_file(path)
    assert names == ["neg", "pos"] and split.labels == [1, 0, 1, 0]
    assert split.texts == ["good, really", "NA", "multi\nline", ""]  # "NA" is text, not a missing value
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.csv"]  # no cache written next to the data
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_jsonl_parquet_tsv_tab_and_kim_formats(tmp_path):
    rows = [{"sentence": "a b", "y": 2}, {"sentence": "c", "y": 10}, {"sentence": "d", "y": 2}]
    _write(tmp_path / "d.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    table = pa.table({"sentence": [r["sentence"] for r in rows], "y": [r["y"] for r in rows]})
    pq.write_table(table, tmp_path / "d.parquet")
    for name in ("d.jsonl", "d.parquet"):
        split, names = load_text_file(tmp_path / name, text_column="sentence", label_column="y")
        assert names == ["2", "10"] and split.labels == [0, 1, 0] and split.texts == ["a b", "c", "d"]  # numeric order
    _write(tmp_path / "h.tsv", "text\tlabel\na b\tx\nc\ty\n")
    assert load_text_file(tmp_path / "h.tsv")[0].texts == ["a b", "c"]
    _write(tmp_path / "t.tsv", "x\ta b\ny\tc d\n")
    assert load_text_file(tmp_path / "t.tsv") == (files.TextSplit(["a b", "c d"], [0, 1]), ["x", "y"])
    (tmp_path / "k.txt").write_bytes(b"pos caf\xe9 ok\nneg\n\nneg bad\n")  # cp1252, a label-only and a blank line
    with pytest.warns(UserWarning, match="blank line"):
        split, names = load_text_file(tmp_path / "k.txt")
    assert split.texts == ["caf\u00e9 ok", "", "bad"] and names == ["neg", "pos"]


def test_eval_file_with_unseen_label_names_file_and_row(tmp_path):
    path = _write(tmp_path / "dev.csv", "text,label\na,neg\nb,meh\n")
    with pytest.raises(ValueError, match=r"dev.csv: line 3 has label 'meh'"):
        load_text_file(path, label_names=["neg", "pos"])
    path = _write(tmp_path / "dev.txt", "neg a\nmeh b\n")
    with pytest.raises(ValueError, match=r"dev.txt: line 2 has label 'meh'"):
        load_text_file(path, label_names=["neg", "pos"])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("e.csv", "", "file is empty"),
        ("c.csv", "text,target\na,1\nb,2\n", "no column 'label'; columns: text, target"),
        ("l.csv", "text,label\na,x\nb,\n", "line 3 has an empty label"),
        ("j.jsonl", '{"text": "a", "label": 1}\n{"text": oops}\n', "line 2 is not valid JSON"),
        ("w.csv", "text,label\na,1\nb,2\nc,3,extra\n", "line 4 has 3 fields, expected 2"),
        ("u.txt", "pos a\n\tno label\n", "line 2 has an empty label"),
    ],
)
def test_bad_files_name_file_and_place(tmp_path, name, content, message):
    path = _write(tmp_path / name, content)
    with pytest.raises(ValueError, match=name.replace(".", r"\.")) as info:
        load_text_file(path, format="tab" if name == "u.txt" else None)
    assert message in str(info.value)


def test_csv_lines_are_decoded_like_every_text_file_and_reported(tmp_path):
    """CSV files follow the one line rule: UTF-8, else cp1252, else replacement characters (counted); ``strict``
    refuses a line that needs replacement characters, naming it."""
    path = tmp_path / "latin.csv"
    path.write_bytes(b"text,label\na,1\ncaf\xe9,2\n\xc3\xa9t\xc3\xa9,1\n")
    split, _, info = files.read_labelled_file(path)
    assert split.texts == ["a", "caf\u00e9", "\u00e9t\u00e9"]
    assert info["encoding"] == "utf-8+cp1252" and info["lines_by_encoding"] == {"cp1252": 1, "utf-8": 1}
    assert load_text_file(path, encoding="cp1252")[0].texts[1] == "caf\u00e9"
    path.write_bytes(b"text,label\na,1\nbad \x81 byte,2\n")
    split, _, info = files.read_labelled_file(path)
    assert split.texts[1] == "bad \ufffd byte" and info["replacement_char_line_numbers"] == [3]
    with pytest.raises(ValueError, match=r"latin.csv: line 3 is not valid utf-8 or cp1252 \(strict\)"):
        load_text_file(path, strict=True)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        load_text_file(tmp_path / "absent.csv")
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        load_text_file(_write(tmp_path / "a.txt", "x a\ny b\n"), format="xml")


def test_file_dataset(tmp_path):
    rows = "".join(f"t{i},{'ab'[i % 2]}\n" for i in range(20))
    train = _write(tmp_path / "train.csv", "text,label\n" + rows + ",a\n")
    test = _write(tmp_path / "test.csv", "text,label\nx,b\ny,a\n")
    splits = load_dataset("file", train=train, test=test, dev_fraction=0.2, seed=1)
    assert splits.name == "train" and splits.label_names == ["a", "b"]
    assert (len(splits.train), len(splits.dev), len(splits.test)) == (16, 5, 2) and splits.test.labels == [1, 0]
    one_class = _write(tmp_path / "one.csv", "text,label\na,1\nb,1\n")
    assert load_text_file(one_class)[1] == ["1"]  # fine for evaluation files
    with pytest.raises(ValueError, match=r"one.csv: every example has label '1'"):
        load_dataset("file", train=one_class)
    skipped = load_dataset("file", train=train, dev=test, skip_empty=True)
    assert len(skipped.train) == 20 and skipped.report["empty_examples"]["dropped"]["train"] == 1


def test_hub_unreachable_fails_fast_and_clearly(monkeypatch):
    monkeypatch.setattr(files, "_hub_endpoint", lambda: "https://hub.invalid")
    monkeypatch.setattr("datasets.config.HF_HUB_OFFLINE", False)
    with pytest.raises(ValueError, match="cannot reach the Hugging Face Hub"):
        load_dataset("hub", hub_name="rotten_tomatoes")


def test_hub_offline_failure_is_one_clear_error(monkeypatch):
    monkeypatch.setattr("datasets.config.HF_HUB_OFFLINE", True)
    with pytest.raises(ValueError, match="could not load Hub dataset 'no-such/dataset-xyz'") as info:
        load_dataset("hub", hub_name="no-such/dataset-xyz")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_splits_from_hf_class_labels_and_hidden_test_labels():
    import datasets

    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"])})
    dd = datasets.DatasetDict(
        train=datasets.Dataset.from_dict({"text": ["a", "b", "c", "d"], "label": [0, 1, 0, 1]}, features=features),
        validation=datasets.Dataset.from_dict({"text": ["e"], "label": [1]}, features=features),
        test=datasets.Dataset.from_dict({"text": ["f"], "label": [-1]}, features=features),
    )
    splits = files.splits_from_hf(dd, name="toy")
    assert splits.label_names == ["neg", "pos"] and splits.dev.texts == ["e"] and splits.test is None
    assert "hidden labels" in splits.report["test_left_out"]


def test_read_texts_one_item_per_line(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(b"first\r\n\ncaf\xe9 wait\x85 ok\n\xc3\xa9t\xc3\xa9\nlast")
    assert list(read_texts(path)) == ["first", "", "caf\u00e9 wait\u2026 ok", "\u00e9t\u00e9", "last"]


def test_read_texts_columns_and_streaming(tmp_path):
    _write(tmp_path / "a.csv", 'label,text\n1,"x, y"\n2,"two\nlines"\n3,\n')
    with pytest.warns(UserWarning, match=r"a.csv: records span several lines \(line 3: 2 lines\); each is one text"):
        assert list(read_texts(tmp_path / "a.csv")) == ["x, y", "two\nlines", ""]
    _write(tmp_path / "b.jsonl", '{"s": "a"}\n\n"plain"\n{"s": null}\nnot json\n')
    items = read_texts(tmp_path / "b.jsonl", column="s")
    assert [next(items) for _ in range(4)] == ["a", "", "plain", ""]  # streamed before the bad line is read
    with pytest.raises(ValueError, match=r"b.jsonl: line 5 is not valid JSON"):
        next(items)
    _write(tmp_path / "n.jsonl", '{"s": "a"}\n{"s": 1}\n')
    with pytest.raises(ValueError, match=r"n.jsonl: line 2: text 's' is an integer \(1\), expected a string"):
        list(read_texts(tmp_path / "n.jsonl", column="s"))
    pq.write_table(pa.table({"text": ["p", None, "q"]}), tmp_path / "c.parquet")
    assert list(read_texts(tmp_path / "c.parquet")) == ["p", "", "q"]
    with pytest.raises(ValueError, match="no column 'body'"):
        list(read_texts(tmp_path / "a.csv", column="body"))
    with pytest.raises(FileNotFoundError, match="gone.txt"):
        list(read_texts(tmp_path / "gone.txt"))


def test_read_texts_from_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"one\n\nthree\n")))
    assert list(read_texts("-")) == ["one", "", "three"]
