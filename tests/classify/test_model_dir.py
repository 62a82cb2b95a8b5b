"""Model directories from untrusted or damaged sources: every defect is a clear error naming the file, loading runs no
pickled code and reads nothing outside the folder."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import textcnn
from textcnn.classify.model_dir import META_FILE, TOKENIZER_FILE, WEIGHTS_FILE, read_model_dir


class _MaliciousPayload:
    """Unpickling this creates ``marker`` (a stand-in for any code an attacker would run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path) -> Path:
    """A private copy of the trained toy model directory, free to damage."""
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


def _edit_meta(folder: Path, **changes) -> None:
    meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key.startswith("model_kwargs."):
            meta["model_kwargs"][key.split(".", 1)[1]] = value
        else:
            meta[key] = value
    (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")


def test_a_copied_folder_loads_and_predicts_like_the_original(tiny_model_dir, model_copy):
    texts = ["great fun", "a dull plot", ""]
    np.testing.assert_array_equal(
        textcnn.load(model_copy).predict_proba(texts), textcnn.load(tiny_model_dir).predict_proba(texts)
    )


@pytest.mark.parametrize("name", [META_FILE, WEIGHTS_FILE, TOKENIZER_FILE])
def test_a_missing_file_is_named(model_copy, name):
    (model_copy / name).unlink()
    with pytest.raises(FileNotFoundError, match=rf"{name} is missing"):
        textcnn.load(model_copy)


def test_a_folder_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"model directory not found: .*nowhere"):
        textcnn.load(tmp_path / "nowhere")


@pytest.mark.parametrize("version", [0, 2, "1"])
def test_another_format_version_is_refused(model_copy, version):
    _edit_meta(model_copy, format_version=version)
    with pytest.raises(ValueError, match=rf"textcnn.json: format version {version!r} is not supported"):
        textcnn.load(model_copy)


def test_another_format_is_refused(model_copy):
    _edit_meta(model_copy, format="something-else")
    with pytest.raises(ValueError, match=r"textcnn.json: format is 'something-else', expected 'textcnn-model'"):
        textcnn.load(model_copy)


@pytest.mark.parametrize(
    ("key", "value", "detail"),
    [
        ("model_kwargs.num_filters", 9, r"convs.0.conv.weight has shape \[8, 16, 3\] but .* give \[9, 16, 3\]"),
        ("model_kwargs.embedding_dim", 32, r"embedding.weight has shape \[\d+, 16\] but .* give \[\d+, 32\]"),
        ("model_kwargs.filter_widths", [3, 4, 5, 6], r"convs.3.conv.weight is missing"),
        ("model_kwargs.filter_widths", [3, 4], r"convs.2.conv.weight is not a parameter of the model"),
        # 4e12 floats: allocating it would fail (or exhaust memory); the check happens before any allocation
        ("model_kwargs.vocab_size", 10**12, r"embedding.weight has shape \[\d+, 16\] but .* \[1000000000000, 16\]"),
    ],
)
def test_weights_that_do_not_match_the_config_are_refused_before_allocating(model_copy, key, value, detail):
    _edit_meta(model_copy, **{key: value})
    with pytest.raises(ValueError, match=rf"weights in model.safetensors do not match .* textcnn.json: .*{detail}"):
        textcnn.load(model_copy)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model_kwargs.evil": 1}, r"cannot rebuild model 'kim_cnn' from its kwargs: .*has no argument 'evil'"),
        ({"model_name": "no_such_model"}, r"cannot rebuild model 'no_such_model' from its kwargs: unknown model"),
        ({"model_kwargs.mode": "telepathic"}, r"cannot rebuild model 'kim_cnn' from its kwargs: mode must be one of"),
        ({"labels": ["neg", "pos", "meh"]}, r"textcnn.json lists 3 labels but the model gives outputs of shape \(1, 2"),
        ({"labels": ["pos", "pos"]}, r"textcnn.json: labels must be distinct, but 'pos' repeats"),
        ({"labels": []}, r"textcnn.json: model_kwargs must be an object and labels a non-empty list"),
        ({"max_len": "64"}, r"textcnn.json: max_len must be a positive integer or null, got '64'"),
        ({"max_len": 0}, r"textcnn.json: max_len must be a positive integer or null, got 0"),
        ({"max_len": 2}, r"max_len 2 is shorter than the model's widest filter \(5\)"),
    ],
)
def test_inconsistent_metadata_is_refused(model_copy, changes, message):
    _edit_meta(model_copy, **changes)
    with pytest.raises(ValueError, match=message):
        textcnn.load(model_copy)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated: an interrupted copy or download
        lambda data: data[:20],
        lambda data: b"",
        lambda data: os.urandom(len(data)),
        lambda data: data[:8] + b"{not json" + data[17:],  # damaged header
    ],
    ids=["truncated-half", "truncated-header", "empty", "random-bytes", "bad-header"],
)
def test_a_corrupted_weights_file_is_refused(model_copy, damage):
    path = model_copy / WEIGHTS_FILE
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=r"model.safetensors: corrupted or not a safetensors file"):
        textcnn.load(model_copy)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text[: len(text) // 2], r"tokenizer.json: not a valid tokenizer \(.*invalid JSON"),
        (lambda text: "{}", r"tokenizer.json: not a valid tokenizer \(not a textcnn tokenizer"),
        (lambda text: text.replace('"WordLevel"', '"NoSuchModel"'), r"tokenizer.json: not a valid tokenizer"),
        (lambda text: "\udcff", r"tokenizer.json: not a UTF-8 text file"),
    ],
    ids=["truncated", "empty-object", "unknown-model", "not-utf8"],
)
def test_a_corrupted_tokenizer_is_refused(model_copy, damage, message):
    path = model_copy / TOKENIZER_FILE
    path.write_bytes(damage(path.read_text(encoding="utf-8")).encode("utf-8", "surrogateescape"))
    with pytest.raises(ValueError, match=message):
        textcnn.load(model_copy)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": "textcnn-model", ', r"textcnn.json: not valid JSON"),
        (b"\xff\xfe{}", r"textcnn.json: not a UTF-8 text file"),
        (b"[1, 2]", r"textcnn.json: expected a JSON object"),
        (b'{"format": "textcnn-model"}', r"textcnn.json: missing keys format_version, model_name, model_kwargs"),
    ],
    ids=["truncated", "not-utf8", "a-list", "missing-keys"],
)
def test_invalid_metadata_json_is_refused(model_copy, content, message):
    (model_copy / META_FILE).write_bytes(content)
    with pytest.raises(ValueError, match=message):
        textcnn.load(model_copy)


def test_invalid_config_and_metrics_are_named(model_copy):
    (model_copy / "config.yaml").write_text("train: [unclosed\n")
    with pytest.raises(ValueError, match=r"config.yaml: not valid YAML \(while parsing"):
        textcnn.load(model_copy)
    (model_copy / "config.yaml").write_text("data: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ValueError, match=r"config.yaml: not valid YAML .*python/object/apply"):
        textcnn.load(model_copy)
    (model_copy / "config.yaml").unlink()
    (model_copy / "metrics.json").write_text("{")
    with pytest.raises(ValueError, match=r"metrics.json: not valid JSON"):
        textcnn.load(model_copy)


def test_a_pickle_disguised_as_weights_runs_no_code(model_copy, tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_MaliciousPayload(marker))
    pickle.loads(payload)  # the payload is live: unpickling it does create the marker
    assert marker.exists()
    marker.unlink()
    for dump in (lambda p: p.write_bytes(payload), lambda p: torch.save({"w": _MaliciousPayload(marker)}, p)):
        dump(model_copy / WEIGHTS_FILE)
        with pytest.raises(ValueError, match=r"model.safetensors: corrupted or not a safetensors file"):
            textcnn.load(model_copy)
        assert not marker.exists()


class _OpenRecorder:
    """Records the paths Python opens while ``active`` (audit hooks cannot be removed, so one stays installed)."""

    def __init__(self) -> None:
        self.active = False
        self.paths: list[str] = []
        sys.addaudithook(self)

    def __call__(self, event: str, args: tuple) -> None:
        if self.active and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            self.paths.append(os.fsdecode(args[0]))


def test_metadata_cannot_point_outside_the_folder(tiny_model_dir, tmp_path):
    """Keys in textcnn.json never name files: ``../`` paths and extra keys are ignored, file names are constants."""
    inside = Path(shutil.copytree(tiny_model_dir, tmp_path / "shared" / "model"))
    outside = tmp_path / "outside"
    outside.mkdir()
    # bait: other weights, a broken tokenizer, a secret; reading any of them would change or break the load
    bait = {k: v.clone() * 0 for k, v in read_model_dir(inside).state_dict.items()}
    from safetensors.torch import save_file

    save_file(bait, str(outside / WEIGHTS_FILE))
    (outside / TOKENIZER_FILE).write_text("not a tokenizer")
    (outside / "secret.txt").write_text("secret")
    _edit_meta(
        inside,
        weights="../../outside/model.safetensors",
        weights_file=str(outside / WEIGHTS_FILE),
        tokenizer="../../outside/tokenizer.json",
        files={"config": "../../outside/secret.txt", "metrics": "/etc/passwd"},
        path="..",
    )
    textcnn.load(tiny_model_dir)  # warm up lazy imports, so only the load itself is recorded
    recorder = _OpenRecorder()
    recorder.active = True
    try:
        clf = textcnn.load(inside)
    finally:
        recorder.active = False
    texts = ["superb fun", "dull"]
    np.testing.assert_array_equal(clf.predict_proba(texts), textcnn.load(tiny_model_dir).predict_proba(texts))
    opened = {Path(p).resolve() for p in recorder.paths}
    assert inside.resolve() / TOKENIZER_FILE in opened  # the recorder sees the loader's reads
    assert not [p for p in opened if outside.resolve() in p.parents or p == Path("/etc/passwd")]
    # nor can model_kwargs or the model name smuggle in a path
    _edit_meta(inside, **{"model_kwargs.vectors": "../../outside/secret.txt"})
    with pytest.raises(ValueError, match="has no argument 'vectors'"):
        textcnn.load(inside)
    _edit_meta(inside, model_name="../../outside/secret")
    with pytest.raises(ValueError, match=r"unknown model '../../outside/secret'"):
        textcnn.load(inside)


def test_an_interrupted_save_is_not_a_model(tiny_model_dir, tmp_path, monkeypatch):
    """save_model_dir removes textcnn.json first and writes it last: a save killed half-way is refused, not read."""
    clf = textcnn.load(tiny_model_dir)
    target = tmp_path / "model"
    clf.save_pretrained(target)

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt  # stands for a kill while the weights are written

    with monkeypatch.context() as patch:
        patch.setattr("safetensors.torch.save_file", killed)
        with pytest.raises(KeyboardInterrupt):
            clf.save_pretrained(target)
    with pytest.raises(FileNotFoundError, match=r"textcnn.json is missing \(an unfinished or interrupted save"):
        textcnn.load(target)
    assert not list(target.glob(".*.tmp"))  # the failed write cleaned up after itself
    clf.save_pretrained(target)
    assert textcnn.load(target).labels == clf.labels


def test_integer_labels_are_read_back_as_integers(model_copy):
    _edit_meta(model_copy, labels=[0, 1])
    clf = textcnn.load(model_copy)
    assert clf.labels == [0, 1]
    assert clf.predict(["great fun", "a dull plot"]) == [1, 0]


@pytest.mark.parametrize(
    "labels",
    [[0, "pos"], [True, False], [0.0, 1.0], [None, "pos"], [["neg"], ["pos"]], [{"a": 1}, "pos"]],
    ids=["int-and-str", "bool", "float", "null", "list", "object"],
)
def test_labels_that_are_not_all_strings_or_all_integers_are_refused(model_copy, labels):
    _edit_meta(model_copy, labels=labels)
    with pytest.raises(ValueError, match=r"textcnn.json: labels must be all strings or all integers, got "):
        textcnn.load(model_copy)
