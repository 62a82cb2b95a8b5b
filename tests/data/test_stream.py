"""``data.arrow``: a training file read through a memory-mapped Arrow file gives the split, labels, report,
vocabulary, encoded ids and trained model of the in-memory read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from safetensors.torch import load_file
from toy import toy_sentiment, write_csv

from textcnn.data.files import FileOptions, read_labelled_file
from textcnn.data.stream import ARROW_CHUNK, ArrowSplit, read_arrow_file

ROWS = [  # HTML, a fastText prefix, an integer label, null and empty texts, a blank line, non-ASCII, a CR
    {"text": "A <b>fine</b> film &amp; more", "label": "__label__pos"},
    {"text": "dull, dull <br> dull", "label": "neg"},
    None,
    {"text": None, "label": "neg"},
    {"text": "caf\u00e9 au lait", "label": "pos"},
    {"text": "<p></p>", "label": "mixed"},
    {"text": "two\rlines", "label": "neg"},
]


def _jsonl(path):
    path.write_text("".join(("" if r is None else json.dumps(r)) + "\n" for r in ROWS), encoding="utf-8")
    return path


def _csv(path):
    path.write_text('text,label\n"a ""quoted""\nfield",pos\n\nplain,neg\n,neg\n"<i>x</i>",pos\n', encoding="utf-8")
    return path


def _tab(path):
    path.write_bytes(b"label\ttext\npos\tgood one\n\nneg\tcaf\xe9 bad\nneg\t\n")  # a header, a cp1252 line
    return path


def _kim(path):
    path.write_text("__label__1 fine film\n__label__0 bad film\n\n__label__10 ok\n", encoding="utf-8")
    return path


def _parquet(path):
    pq.write_table(pa.table({"text": ["a b", None, "c"], "label": [2, 10, 2]}), path)
    return path


FILES = {"t.jsonl": _jsonl, "t.csv": _csv, "t.tsv": _tab, "t.txt": _kim, "t.parquet": _parquet}
OPTIONS = [FileOptions(), FileOptions(skip_empty=True), FileOptions(strip_html=True, skip_empty=True),
           FileOptions(strip_html=False)]  # fmt: skip


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("options", OPTIONS, ids=["default", "skip_empty", "html+skip", "no_html"])
def test_the_arrow_read_gives_the_split_labels_and_report_of_the_in_memory_read(tmp_path, name, options):
    path = FILES[name](tmp_path / name)
    split, names, report = read_labelled_file(path, options)
    arrow, arrow_names, arrow_report = read_arrow_file(path, options)
    assert isinstance(arrow, ArrowSplit) and arrow_names == names
    assert list(arrow.texts) == split.texts and arrow.labels.tolist() == split.labels
    assert arrow_report.pop("arrow").startswith("memory-mapped")
    assert arrow_report == report  # rows read, used, skipped (why, where), changes, decoding, HTML rule


def test_html_is_decided_on_the_whole_file_and_removed_in_a_second_arrow_file(tmp_path):
    path = _jsonl(tmp_path / "t.jsonl")
    arrow, _, report = read_arrow_file(path)
    assert report["strip_html"]["applied"] and report["changed"]["HTML removed"] == 3
    assert arrow.texts[0] == "A fine film & more" and arrow.texts[4] == "  "  # "<p></p>": two separators
    folder = Path(arrow.texts.dataset.cache_files[0]["filename"]).parent
    assert sorted(p.name for p in folder.iterdir()) == ["final.arrow", "rows.arrow"]
    del arrow
    assert not folder.exists()  # the temporary folder goes with the split


def test_malformed_rows_are_the_same_errors_naming_file_and_line(tmp_path):
    cases = {
        "bad.jsonl": '{"text": "a", "label": "x"}\n{"text": "b", "label": [1]}\n',
        "bad.csv": "text,label\na,x\nb,y,z\n",
        "quote.csv": 'text,label\na,x\n"b,y\nc,z\n',
        "empty.tsv": "x\ta\n\tb\n",
        "float.jsonl": '{"text": "a", "label": "x"}\n{"text": "b", "label": 1.5}\n',
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ValueError) as memory:
            read_labelled_file(path)
        with pytest.raises(ValueError) as arrow:
            read_arrow_file(path)
        assert str(arrow.value) == str(memory.value) and str(path) in str(arrow.value) and "line " in str(arrow.value)
    blank = tmp_path / "blank.csv"
    blank.write_text("text,label\na,x\n\nb,y\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"blank\.csv: line 3: blank line \(refused: strict\)"):
        read_arrow_file(blank, FileOptions(strict=True))
    with pytest.raises(ValueError, match="single-label"):
        read_arrow_file(blank, FileOptions(multi_label=True))


def test_texts_are_read_by_chunks_and_slices(tmp_path):
    texts, labels = toy_sentiment(ARROW_CHUNK + 50, seed=4)
    arrow, _, _ = read_arrow_file(write_csv(tmp_path / "big.csv", texts, labels))
    assert len(arrow.texts) == len(texts) and list(arrow.texts) == texts
    assert arrow.texts[ARROW_CHUNK - 2 : ARROW_CHUNK + 3] == texts[ARROW_CHUNK - 2 : ARROW_CHUNK + 3]
    assert arrow.texts[-1] == texts[-1] and arrow.texts[5:2] == [] and arrow.texts[1:7:3] == texts[1:7:3]
    with pytest.raises(IndexError):
        arrow.texts[len(texts)]
    held = arrow.subset([7, 3, 4100])
    assert list(held.texts) == [texts[7], texts[3], texts[4100]] and held.labels.tolist() == [
        arrow.labels[i] for i in (7, 3, 4100)
    ]
    assert held.class_counts(2) == np.bincount(held.labels.tolist(), minlength=2).tolist()


def _config(tmp_path, train, *extra):
    from textcnn.classify.config import load_config

    sets = ["data.dataset=file", f"data.train_file={train}", "model.embedding_dim=16", "model.num_filters=4",
            "train.epochs=2", "train.batch_size=16", "train.progress=false", "train.device=cpu", "train.num_threads=1",
            "train.optimizer=adam", "train.lr=0.01", "tokenizer.kind=whitespace", *extra]  # fmt: skip
    return load_config(None, sets)


def test_vocabulary_and_encoded_ids_equal_those_of_the_in_memory_split(tmp_path):
    from textcnn.classify.build import fit_tokenizer, text_loader

    texts, labels = toy_sentiment(300, seed=2)
    path = write_csv(tmp_path / "train.csv", texts, labels)
    config = _config(tmp_path, path)
    split, _, _ = read_labelled_file(path)
    arrow, _, _ = read_arrow_file(path)
    memory_tok, arrow_tok = fit_tokenizer(config, split.texts), fit_tokenizer(config, arrow.texts)
    assert arrow_tok.tokens() == memory_tok.tokens()
    (memory_loader, _), (arrow_loader, _) = (text_loader(t, s, config, 3, shuffle=True)
                                            for t, s in ((memory_tok, split), (arrow_tok, arrow)))  # fmt: skip
    assert np.array_equal(arrow_loader.dataset.ids.flat, memory_loader.dataset.ids.flat)
    assert np.array_equal(arrow_loader.dataset.ids.offsets, memory_loader.dataset.ids.offsets)
    for (a_inputs, a_labels), (m_inputs, m_labels) in zip(arrow_loader, memory_loader, strict=True):
        assert a_labels.tolist() == m_labels.tolist() and a_inputs["input_ids"].equal(m_inputs["input_ids"])


def test_training_with_data_arrow_gives_the_in_memory_model_and_a_model_dir_that_predicts(tmp_path):
    from textcnn.classify.classifier import TextClassifier
    from textcnn.classify.train import train_text_classifier

    texts, labels = toy_sentiment(240, seed=0)
    path = write_csv(tmp_path / "train.csv", texts, labels)  # no dev file: 10% of it is held out (stratified)
    memory = train_text_classifier(_config(tmp_path, path), tmp_path / "memory", echo=None)
    arrow = train_text_classifier(_config(tmp_path, path, "data.arrow=true"), tmp_path / "arrow", echo=None)
    assert arrow.metrics["splits"] == memory.metrics["splits"] == {"train": 216, "dev": 24, "test": 0}
    assert arrow.metrics["data_report"]["files"]["train"]["arrow"].startswith("memory-mapped")
    weights, expected = (
        load_file(tmp_path / "arrow" / "model.safetensors"),
        load_file(tmp_path / "memory" / "model.safetensors"),
    )
    assert all(weights[k].equal(expected[k]) for k in expected)
    assert arrow.metrics["dev"] == memory.metrics["dev"]
    clf = TextClassifier.from_pretrained(tmp_path / "arrow")
    assert clf.predict(["a good great film", "an awful boring plot"]) == memory.classifier.predict(
        ["a good great film", "an awful boring plot"])  # fmt: skip
    assert arrow.classifier.predict(["superb superb fun"]) == ["pos"]


def test_data_arrow_needs_your_own_single_label_file():
    from textcnn.classify.config import load_config

    with pytest.raises(ValueError, match="data.arrow reads your own single-label training file"):
        load_config(None, ["data.dataset=mr", "data.arrow=true"])
    with pytest.raises(ValueError, match="data.arrow"):
        load_config(None, ["data.dataset=file", "data.train_file=x.csv", "data.arrow=true", "data.multi_label=true"])
