"""Contextual word features from a frozen Hugging Face encoder, aligned to the CNN's tokens and cached on disk.

A text already split into the CNN's tokens (words) goes through the encoder with ``is_split_into_words=True``; each
word's vector is the mean of its subword vectors from one hidden layer, so every text gives a ``(num_words, hidden)``
float32 array whose rows line up with the CNN's positions. The arrays are cached one ``.npy`` file per text, keyed
by the encoder, the layer and the words, and read back memory-mapped, so training for many epochs costs one encoder
pass.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

INSTALL_HINT = 'pip install "textcnn[contextual]"'
CONFIG_FILE = "config.json"
#: Weight files whose size and modification time enter the cache key (the first one present).
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _import_transformers():
    try:
        import transformers
    except ImportError as err:
        raise ImportError(f"contextual features need the transformers library: {INSTALL_HINT}") from err
    return transformers


def _check_encoder_dir(encoder_dir: str | Path) -> Path:
    path = Path(encoder_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"encoder folder not found: {path}")
    if not (path / CONFIG_FILE).is_file():
        raise FileNotFoundError(f"{path} is not a Hugging Face model folder: it has no {CONFIG_FILE}")
    return path


def encoder_fingerprint(encoder_dir: str | Path) -> str:
    """A digest of the encoder folder: its ``config.json`` and its weight file's size and modification time."""
    path = _check_encoder_dir(encoder_dir)
    digest = hashlib.sha256((path / CONFIG_FILE).read_bytes())
    for name in WEIGHT_FILES:
        if (path / name).is_file():
            stat = (path / name).stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
            break
    return digest.hexdigest()


def cache_key(fingerprint: str, layer: int, words: list[str]) -> str:
    """The cache file stem of one text: sha256 of the encoder fingerprint, the layer and the word list."""
    payload = json.dumps([fingerprint, layer, words], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ContextualFeatures:
    """Per-word features from one hidden layer of a frozen local encoder (``transformers`` ``AutoModel``).

    Args:
        encoder_dir: Local folder with the encoder and its (fast) tokenizer, as written by ``save_pretrained``.
        layer: Hidden layer to read (``output_hidden_states`` index: 0 is the embedding output, -1 the last layer).
        cache_dir: Folder for the cached ``.npy`` files; ``None`` computes every time.
        batch_size: Texts per encoder call.
        device: Torch device of the encoder.

    Attributes:
        hidden_size: Width of each word vector.
        max_length: Most subword positions the encoder takes (special tokens included).
        truncated_words: Words so far that got zero vectors: beyond ``max_length`` (or, rarely, with no subword).

    Raises:
        FileNotFoundError: If the folder or its ``config.json`` is missing.
        ImportError: If ``transformers`` is not installed (the message names the extra to install).
        ValueError: If ``layer`` is outside the encoder's hidden states or ``batch_size`` < 1.
    """

    def __init__(
        self,
        encoder_dir: str | Path,
        layer: int = -1,
        cache_dir: str | Path | None = None,
        batch_size: int = 32,
        device: str = "cpu",
    ) -> None:
        import torch

        self.encoder_dir = _check_encoder_dir(encoder_dir)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        transformers = _import_transformers()
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.encoder_dir, local_files_only=True)
        if not self.tokenizer.is_fast:
            raise ValueError(f"{self.encoder_dir}: a fast tokenizer is needed to align subwords with words")
        self.model = transformers.AutoModel.from_pretrained(self.encoder_dir, local_files_only=True)
        self.model.eval().requires_grad_(False).to(device)
        num_states = self.model.config.num_hidden_layers + 1
        if not -num_states <= layer < num_states:
            raise ValueError(f"layer {layer} is outside the encoder's {num_states} hidden states (0 = embeddings)")
        self.layer = layer
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.hidden_size = int(self.model.config.hidden_size)
        positions = getattr(self.model.config, "max_position_embeddings", None) or self.tokenizer.model_max_length
        self.max_length = int(min(self.tokenizer.model_max_length, positions))
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.fingerprint = encoder_fingerprint(self.encoder_dir)
        self.truncated_words = 0

    def _cache_path(self, words: list[str]) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{cache_key(self.fingerprint, self.layer, words)}.npy"

    def features(self, words: list[list[str]]) -> list[np.ndarray]:
        """One ``(len(words[i]), hidden_size)`` float32 array per text; cached texts are read memory-mapped.

        Args:
            words: Texts already split into the CNN's tokens.
        """
        out: list[np.ndarray | None] = [None] * len(words)
        missing = []
        for i, text in enumerate(words):
            path = self._cache_path(text)
            if not text:
                out[i] = np.zeros((0, self.hidden_size), dtype=np.float32)
            elif path is not None and path.is_file():
                out[i] = np.load(path, mmap_mode="r", allow_pickle=False)
            else:
                missing.append(i)
        missing.sort(key=lambda i: len(words[i]))  # similar lengths together: less padding per encoder call
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            for i, array in zip(chunk, self._encode([words[i] for i in chunk]), strict=True):
                out[i] = self._store(words[i], array)
        return out  # type: ignore[return-value]

    def _store(self, words: list[str], array: np.ndarray) -> np.ndarray:
        path = self._cache_path(words)
        if path is None:
            return array
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, array, allow_pickle=False)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
        return np.load(path, mmap_mode="r", allow_pickle=False)

    def _encode(self, batch: list[list[str]]) -> list[np.ndarray]:
        """Run the encoder on one batch and average each word's subword vectors."""
        import torch

        enc = self.tokenizer(
            batch,
            is_split_into_words=True,
            truncation=True,
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
        )
        with torch.no_grad():
            inputs = {k: v.to(self.device) for k, v in enc.items()}
            states = self.model(**inputs, output_hidden_states=True).hidden_states[self.layer]  # (B, L, H)
        states = states.float().cpu()
        arrays = []
        for b, text in enumerate(batch):
            word_ids = enc.word_ids(b)  # subword position -> word index (None at special tokens and padding)
            positions = [p for p, w in enumerate(word_ids) if w is not None]
            index = torch.tensor([word_ids[p] for p in positions], dtype=torch.long)  # (S,)
            sums = torch.zeros(len(text), self.hidden_size).index_add_(0, index, states[b, positions])  # (N, H)
            counts = torch.zeros(len(text)).index_add_(0, index, torch.ones(len(positions)))  # (N,)
            self.truncated_words += int((counts == 0).sum())  # words cut off (or with no subword at all)
            arrays.append((sums / counts.clamp(min=1).unsqueeze(1)).numpy().astype(np.float32))
        return arrays


def pad_features(arrays: list[np.ndarray], length: int, hidden_size: int):
    """Stack per-text ``(num_words, hidden)`` arrays into a zero-padded ``(B, length, hidden)`` float32 tensor (texts
    longer than ``length`` keep their first ``length`` words, as the CNN's head truncation does)."""
    import torch

    out = torch.zeros(len(arrays), length, hidden_size)  # (B, T, H)
    for b, array in enumerate(arrays):
        n = min(len(array), length)
        if n:
            out[b, :n] = torch.from_numpy(np.array(array[:n], dtype=np.float32))
    return out
