"""Shared fixtures. Benchmark data is found through TEXTCNN_DATA (the README's test command sets it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The benchmark data root: ``$TEXTCNN_DATA``, else ``../shared/data`` beside the checkout."""
    root = Path(os.environ.get("TEXTCNN_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    if not (root / "README.md").exists():
        pytest.fail(f"benchmark data not found at {root}; set TEXTCNN_DATA to the shared data folder")
    return root


from toy import TINY_OVERRIDES, toy_sentiment, write_csv  # noqa: E402,F401


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Caches (teacher logits) go to a folder of the test session, never to the user's ``~/.cache``."""
    from textcnn.distill.targets import CACHE_ENV_VAR

    old = os.environ.get(CACHE_ENV_VAR)
    os.environ[CACHE_ENV_VAR] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop(CACHE_ENV_VAR, None)
    else:
        os.environ[CACHE_ENV_VAR] = old


@pytest.fixture(scope="session")
def toy_files(tmp_path_factory) -> dict[str, Path]:
    """train/dev/test CSV files of a learnable toy sentiment task."""
    root = tmp_path_factory.mktemp("toy")
    return {
        name: write_csv(root / f"{name}.csv", *toy_sentiment(n, seed))
        for name, n, seed in (("train", 400, 0), ("dev", 100, 1), ("test", 200, 2))
    }


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, toy_files) -> Path:
    """A small trained model directory (trained once per test session)."""
    from textcnn.classify.config import load_config
    from textcnn.classify.train import train_text_classifier

    config = load_config(
        None,
        [
            "data.dataset=file",
            f"data.train_file={toy_files['train']}",
            f"data.dev_file={toy_files['dev']}",
            f"data.test_file={toy_files['test']}",
            *TINY_OVERRIDES,
        ],
    )
    out = tmp_path_factory.mktemp("model") / "toy"
    train_text_classifier(config, out, echo=None)
    return out


@pytest.fixture(scope="session")
def bert_files(tmp_path_factory) -> dict[str, str]:
    """train/dev/test CSV files of a toy task in the tiny BERT's vocabulary (tests/tiny_bert.py)."""
    from tiny_bert import bert_sentiment

    root = tmp_path_factory.mktemp("bert-toy")
    return {name: str(write_csv(root / f"{name}.csv", *bert_sentiment(n, seed))) for name, n, seed in
            (("train", 240, 0), ("dev", 60, 1), ("test", 60, 2))}  # fmt: skip


@pytest.fixture(scope="session")
def tiny_teacher_dir(tmp_path_factory, bert_files) -> Path:
    """A teacher folder: the tiny random BERT fine-tuned on :func:`bert_files` (once per test session; needs
    ``transformers``)."""
    pytest.importorskip("transformers")
    from tiny_bert import make_tiny_bert

    from textcnn.classify.config import load_config
    from textcnn.distill.teacher import TeacherConfig
    from textcnn.distill.teacher_train import train_teacher

    encoder = make_tiny_bert(tmp_path_factory.mktemp("bert"))
    out = tmp_path_factory.mktemp("teacher") / "t"
    config = load_config(None, ["data.dataset=file", *(f"data.{k}_file={v}" for k, v in bert_files.items())])
    settings = TeacherConfig(encoder=str(encoder), epochs=4, batch_size=16, lr=3e-3, max_length=16, num_threads=1)
    train_teacher(config, settings, out, echo=None)
    return out


@pytest.fixture(scope="session", autouse=True)
def _torch_threads():
    """Every test runs with textcnn's own CPU thread policy (auto_num_threads: 1 on a 2-core machine), restored after
    the session: on a busy 2-core machine torch's default of 2 threads ran 10-20x slower."""
    from textcnn.training.device import torch_threads

    with torch_threads(None):
        yield
