"""ONNX and TorchScript export: the exported graphs give the PyTorch model's logits on padded batches of any shape."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from toy import toy_sentiment

import textcnn
from textcnn.classify.classifier import TextClassifier
from textcnn.classify.export import FORMATS, export_onnx, export_torchscript
from textcnn.cli.main import cli
from textcnn.data.batching import pad_batch
from textcnn.models import create_model

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")

ATOL = 1e-5
BATCH = 37  # input order, not sorted: every batch mixes lengths


def _texts() -> list[str]:
    """A few hundred toy texts plus the awkward ones: empty, one word (shorter than the widest filter), unknown
    words, and a long text that ``max_len`` truncates."""
    texts, _ = toy_sentiment(300, seed=7)
    return [*texts, "", "good", "zzz qqq", " ".join(["the film was great and"] * 12)]


def _variant(source: TextClassifier, tmp_path, name: str, **kwargs) -> TextClassifier:
    """An untrained model of another kind with ``source``'s tokenizer and labels, saved and reloaded (parity needs no
    training; reloading checks that what export reads is what was saved)."""
    model_kwargs = {"vocab_size": source.tokenizer.vocab_size, "num_classes": len(source.labels), **kwargs}
    torch.manual_seed(0)
    model = create_model(name, **model_kwargs)
    clf = TextClassifier(model, source.tokenizer, source.labels, model_name=name, model_kwargs=model_kwargs, max_len=12)
    return TextClassifier.from_pretrained(clf.save_pretrained(tmp_path / name))


@pytest.fixture(scope="module", params=["kim_rand", "kim_multichannel_max_len", "dpcnn_max_len"])
def classifier(request, tiny_model_dir, tmp_path_factory) -> TextClassifier:
    source = TextClassifier.from_pretrained(tiny_model_dir)
    if request.param == "kim_rand":
        return source
    tmp = tmp_path_factory.mktemp("variant")
    if request.param == "kim_multichannel_max_len":
        return _variant(source, tmp, "kim_cnn", embedding_dim=16, num_filters=8, mode="multichannel")
    return _variant(source, tmp, "dpcnn", embedding_dim=16, num_filters=8, num_blocks=3)


@pytest.fixture(scope="module")
def onnx_file(classifier, tmp_path_factory):
    return export_onnx(classifier, tmp_path_factory.mktemp("onnx") / "model.onnx")


@pytest.fixture(scope="module")
def torchscript_file(classifier, tmp_path_factory):
    return export_torchscript(classifier, tmp_path_factory.mktemp("ts") / "model.pt")


def _padded_batches(clf: TextClassifier):
    """``(input_ids, mask)`` batches as prediction pads them, with the mask always given."""
    ids = clf.encode(_texts())
    for start in range(0, len(ids), BATCH):
        batch_ids, mask, _ = pad_batch(
            ids[start : start + BATCH], pad_id=clf.tokenizer.pad_id, min_len=clf.min_len, max_len=clf.max_len
        )
        yield batch_ids, mask
    yield pad_batch([ids[-3]], pad_id=clf.tokenizer.pad_id, min_len=clf.min_len, max_len=clf.max_len)[:2]  # 1 row


@torch.inference_mode()
def _reference(clf: TextClassifier, ids: torch.Tensor, mask: torch.Tensor) -> np.ndarray:
    return clf.model(ids, mask).numpy()


def test_batches_cover_short_long_and_mixed_lengths(classifier):
    batches = list(_padded_batches(classifier))
    assert len({ids.shape[1] for ids, _ in batches}) > 1  # several padded lengths
    assert any(not bool(mask.all()) for _, mask in batches)  # padding inside batches
    if classifier.max_len is not None:
        assert max(ids.shape[1] for ids, _ in batches) == classifier.max_len  # the long text was truncated


def test_onnx_runtime_gives_the_pytorch_logits(classifier, onnx_file):
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input_ids", "mask"]
    assert [o.name for o in session.get_outputs()] == ["logits"]
    for graph_input in session.get_inputs():  # batch and length are named (dynamic) axes, not numbers
        assert all(isinstance(dim, str) for dim in graph_input.shape), graph_input.shape
    for ids, mask in _padded_batches(classifier):
        (logits,) = session.run(["logits"], {"input_ids": ids.numpy(), "mask": mask.numpy()})
        assert logits.shape == (ids.shape[0], len(classifier.labels))
        np.testing.assert_allclose(logits, _reference(classifier, ids, mask), atol=ATOL, rtol=0)


def test_torchscript_gives_the_pytorch_logits(classifier, torchscript_file):
    scripted = torch.jit.load(str(torchscript_file))
    for ids, mask in _padded_batches(classifier):
        with torch.inference_mode():
            logits = scripted(ids, mask).numpy()
        np.testing.assert_allclose(logits, _reference(classifier, ids, mask), atol=ATOL, rtol=0)


def test_onnx_backend_predicts_as_pytorch(tiny_model_dir):
    texts = _texts()
    reference = textcnn.load(tiny_model_dir)
    onnx_clf = textcnn.load(tiny_model_dir, backend="onnx")
    np.testing.assert_allclose(
        onnx_clf.predict_proba(texts, batch_size=32), reference.predict_proba(texts, batch_size=32), atol=ATOL, rtol=0
    )
    assert onnx_clf.predict(texts) == reference.predict(texts)
    np.testing.assert_allclose(  # one text per batch: nothing padded, the classifier gives no mask
        onnx_clf.predict_proba(texts[-4:], batch_size=1), reference.predict_proba(texts[-4:], batch_size=1), atol=ATOL
    )
    with pytest.raises(ValueError, match="cannot be saved"):
        onnx_clf.save_pretrained(tiny_model_dir.parent / "copy")


def test_onnx_backend_without_onnxruntime_says_how_to_install(tiny_model_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` raises ModuleNotFoundError
    with pytest.raises(ModuleNotFoundError, match=r"onnxruntime is not installed.*textcnn\[export\]"):
        textcnn.load(tiny_model_dir, backend="onnx")


def test_unknown_backend_is_refused(tiny_model_dir):
    with pytest.raises(ValueError, match="backend must be one of torch, onnx, onnx-int8, got .tflite."):
        textcnn.load(tiny_model_dir, backend="tflite")


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_cli_writes_a_model_file_that_runs(tiny_model_dir, tmp_path, fmt):
    out = tmp_path / f"model.{fmt}"
    result = CliRunner().invoke(cli, ["export", str(tiny_model_dir), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"-> {out}" in result.output
    clf = TextClassifier.from_pretrained(tiny_model_dir)
    ids, mask = next(_padded_batches(clf))
    if fmt == "onnx":
        session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        (logits,) = session.run(None, {"input_ids": ids.numpy(), "mask": mask.numpy()})
    else:
        logits = torch.jit.load(str(out))(ids, mask).detach().numpy()
    np.testing.assert_allclose(logits, _reference(clf, ids, mask), atol=ATOL, rtol=0)


def test_cli_offers_the_library_formats():
    from textcnn.cli.export import export

    (option,) = [p for p in export.params if p.name == "fmt"]
    assert tuple(option.type.choices) == FORMATS


def test_cli_help_says_the_tokenizer_goes_with_the_file():
    result = CliRunner().invoke(cli, ["export", "--help"])
    assert result.exit_code == 0 and "tokenizer.json" in result.output


def test_cli_refuses_a_folder_without_a_model(tmp_path):
    result = CliRunner().invoke(cli, ["export", str(tmp_path), "-o", str(tmp_path / "m.onnx")])
    assert result.exit_code == 1 and result.output.startswith("Error:")
    assert not (tmp_path / "m.onnx").exists()
