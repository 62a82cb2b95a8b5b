"""AG News (``<data_dir>/ag_news/``): 4 news topics; the staged train split is a 20,000-row balanced SUBSET.

The full 120,000-row train split is not in the shared data, so ``ag_news`` trains on ``train_subset_20k.csv.gz``
(5,000 per class, header row) and tests on the full original ``test.csv`` (7,600 rows, headerless); numbers are
therefore not comparable to published AG News results. ``train_file=PATH`` uses another train CSV, e.g. the
original 120k ``train.csv``. Text is ``title + " " + description`` with scraping debris repaired (``clean=True``):
``\\$`` -> ``$``, ``\\\\`` -> ``\\``, entities with a lost ``&`` (``#39;``, ``#36;``, ``#151;``) and proper ones
(``&lt;``, ``&gt;``, ...) unescaped with ``html.unescape``. Other backslash sequences are left as they are.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import re
from collections import Counter
from pathlib import Path

from textcnn.data.paths import require_file
from textcnn.data.registry import DatasetSpec, register_dataset
from textcnn.data.splits import DatasetSplits, TextSplit, holdout_dev

AG_DIR = "ag_news"
SUBSET_NOTE = (
    "train is a 20,000-row class-balanced SUBSET (5,000 per class) of AG News' 120,000-row train split; "
    "test is the full original test split; results are not comparable to published AG News numbers"
)
_BACKSLASH = re.compile(r"\\([$\\])")
_BARE_ENTITY = re.compile(r"(?<!&)#(\d+);")
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);")


def clean_ag_text(text: str, counts: Counter | None = None) -> str:
    """Repair AG News scraping debris (see the module docstring); ``counts`` tallies each kind of repair."""
    if counts is not None:
        counts["backslash_escapes"] += len(_BACKSLASH.findall(text))
        counts["entities_missing_ampersand"] += len(_BARE_ENTITY.findall(text))
    text = _BACKSLASH.sub(r"\1", text)
    text = _BARE_ENTITY.sub(r"&#\1;", text)
    if "&" in text:
        if counts is not None:
            counts["entities"] += len(_ENTITY.findall(text))
        text = html.unescape(text)
    return text


def read_ag_csv(path: Path, *, clean: bool = True) -> tuple[TextSplit, dict]:
    """Read an AG News CSV (``class index, title, description``; 1-based class index; header row optional;
    ``.gz`` allowed).

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: A row without 3 fields or with a class index outside 1..4 (file and line named).
    """
    data = require_file(Path(path), what="AG News CSV").read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    texts, labels, counts = [], [], Counter()
    header = False
    for row in reader:
        if reader.line_num == 1 and row and not row[0].strip().isdigit():
            header = True
            continue
        if len(row) != 3:
            raise ValueError(f"{path}: line {reader.line_num} has {len(row)} fields, expected 3")
        label, title, description = row
        if label.strip() not in ("1", "2", "3", "4"):
            raise ValueError(f"{path}: line {reader.line_num} has class index {label!r}, expected 1..4")
        text = f"{title} {description}"
        texts.append(clean_ag_text(text, counts) if clean else text)
        labels.append(int(label) - 1)
    if not texts:
        raise ValueError(f"{path}: no examples")
    report = {"encoding": "utf-8", "header_row": header, "rows": len(texts)}
    if clean:
        report["repairs"] = dict(counts)
    return TextSplit(texts, labels), report


def load_ag_news(
    data_dir: Path,
    *,
    fold: int = 0,
    seed: int = 0,
    dev_fraction: float = 0.1,
    train_file: str | Path | None = None,
    clean: bool = True,
) -> DatasetSplits:
    """Load AG News: the 20k balanced train subset (or ``train_file``), dev = ``dev_fraction`` of it, full test.

    Args:
        data_dir: Benchmark data root.
        fold: Must be 0 (fixed splits).
        seed: Seed of the dev hold-out.
        dev_fraction: Share of train held out as dev.
        train_file: Another train CSV (e.g. the original headerless 120k ``train.csv``) instead of the subset.
        clean: Repair escapes and HTML entities (see the module docstring).
    """
    root = data_dir / AG_DIR
    class_lines = require_file(root / "classes.txt").read_text(encoding="utf-8").splitlines()
    label_names = [n.strip() for n in class_lines if n.strip()]
    if len(label_names) != 4:
        raise ValueError(f"{root / 'classes.txt'}: expected 4 class names, got {len(label_names)}")
    train_path = Path(train_file).expanduser() if train_file else root / "train_subset_20k.csv.gz"
    train_all, train_report = read_ag_csv(train_path, clean=clean)
    test, test_report = read_ag_csv(root / "test.csv", clean=clean)
    train, dev, note = holdout_dev(train_all, fraction=dev_fraction, seed=seed)
    report = {
        "files": {str(train_path) if train_file else train_path.name: train_report, "test.csv": test_report},
        "text": "title + ' ' + description" + (" with escapes and HTML entities repaired" if clean else ", raw"),
        "split": {"protocol": "fixed train/test; dev held out from train", "dev": note},
    }
    if train_file is None:
        report["subset"] = SUBSET_NOTE
    return DatasetSplits("ag_news", label_names, train, dev, test, report)


register_dataset(
    DatasetSpec(
        name="ag_news",
        description="AG News, 4 topics; train = 20k balanced SUBSET of the 120k split (train_file= for the full one)",
        label_names=("World", "Sports", "Business", "Sci/Tech"),
        num_folds=0,
        splits=("train", "test"),
        citation="Zhang, X., Zhao, J. & LeCun, Y. (2015). Character-level Convolutional Networks for Text "
        "Classification. NIPS 2015.",
        loader=load_ag_news,
        split_sizes={"train": 20000, "test": 7600},
        files=(f"{AG_DIR}/train_subset_20k.csv.gz", f"{AG_DIR}/test.csv", f"{AG_DIR}/classes.txt"),
    )
)
