"""20 Newsgroups, bydate split (``<data_dir>/20newsgroups/``, gzip JSONL of raw latin-1-decoded messages).

Like scikit-learn's ``fetch_20newsgroups``, ``remove`` strips ``"headers"``, ``"footers"`` and ``"quotes"`` (in
that order) with scikit-learn's own functions; the default removes all three because headers give the newsgroup
away. ``remove=()`` keeps the raw messages. Dev is ``dev_fraction`` of train (stratified, seeded).

``20ng_hierarchy`` is derived from it for multi-label classification: the same texts and splits (dev included), each
labelled with every prefix of its newsgroup's name (``comp.sys.mac.hardware`` -> ``comp``, ``comp.sys``,
``comp.sys.mac``, ``comp.sys.mac.hardware``).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from textcnn.data.paths import require_file
from textcnn.data.registry import DatasetSpec, register_dataset
from textcnn.data.splits import DatasetSplits, TextSplit, holdout_dev

NEWSGROUPS_DIR = "20newsgroups"
REMOVABLE = ("headers", "footers", "quotes")
#: The 20 newsgroups in label order (alphabetical).
NEWSGROUPS = (
    "alt.atheism",
    "comp.graphics",
    "comp.os.ms-windows.misc",
    "comp.sys.ibm.pc.hardware",
    "comp.sys.mac.hardware",
    "comp.windows.x",
    "misc.forsale",
    "rec.autos",
    "rec.motorcycles",
    "rec.sport.baseball",
    "rec.sport.hockey",
    "sci.crypt",
    "sci.electronics",
    "sci.med",
    "sci.space",
    "soc.religion.christian",
    "talk.politics.guns",
    "talk.politics.mideast",
    "talk.politics.misc",
    "talk.religion.misc",
)  # fmt: skip


# Copy of scikit-learn's (BSD-3) newsgroup strip rules, used only if its private functions are not importable.
_QUOTE_RE = re.compile(r"(writes in|writes:|wrote:|says:|said:|^In article|^Quoted from|^\||^>)")


def _copy_strip_header(text: str) -> str:
    return text.partition("\n\n")[2]


def _copy_strip_footer(text: str) -> str:
    lines = text.strip().split("\n")
    line_num = 0
    for line_num in range(len(lines) - 1, -1, -1):
        if lines[line_num].strip().strip("-") == "":
            break
    return "\n".join(lines[:line_num]) if line_num > 0 else text


def _copy_strip_quoting(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not _QUOTE_RE.search(line))


def _strippers() -> tuple[dict[str, Callable[[str], str]], str]:
    """scikit-learn's (private) strip functions, or the copies above if they are not importable (reported)."""
    try:
        from sklearn.datasets._twenty_newsgroups import (
            strip_newsgroup_footer,
            strip_newsgroup_header,
            strip_newsgroup_quoting,
        )
    except ImportError:  # pragma: no cover - depends on the installed scikit-learn
        funcs = {"headers": _copy_strip_header, "footers": _copy_strip_footer, "quotes": _copy_strip_quoting}
        return funcs, "textcnn's copy of scikit-learn's strip functions (sklearn's private ones are not importable)"
    funcs = {"headers": strip_newsgroup_header, "footers": strip_newsgroup_footer, "quotes": strip_newsgroup_quoting}
    return funcs, "sklearn.datasets._twenty_newsgroups"


def check_remove(remove: str | Sequence[str] | None) -> tuple[str, ...]:
    """Normalise ``remove`` (a sequence, a comma-separated string, or ``None``/empty for nothing).

    Raises:
        ValueError: Naming an entry that is not one of ``headers``, ``footers``, ``quotes``.
    """
    if remove is None:
        return ()
    items = [s.strip() for s in remove.split(",")] if isinstance(remove, str) else list(remove)
    items = [s for s in items if s]
    for item in items:
        if item not in REMOVABLE:
            raise ValueError(f"remove: unknown part {item!r}; choose from {', '.join(REMOVABLE)}")
    return tuple(p for p in REMOVABLE if p in items)


def read_newsgroups_jsonl(path: Path) -> tuple[list[str], list[int], dict[int, str]]:
    """Texts, labels and ``{label: newsgroup}`` of one gzip JSONL file.

    Raises:
        ValueError: A line that is not JSON or lacks ``text``/``label`` (file and line named).
    """
    texts, labels, names = [], [], {}
    with gzip.open(require_file(path, what="20 Newsgroups file"), "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            try:
                record = json.loads(line)
                texts.append(record["text"])
                labels.append(int(record["label"]))
                names.setdefault(labels[-1], record.get("label_name", str(labels[-1])))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
                raise ValueError(f"{path}: line {number} is not a valid record ({err})") from None
    return texts, labels, names


def load_20ng(
    data_dir: Path,
    *,
    fold: int = 0,
    seed: int = 0,
    dev_fraction: float = 0.1,
    remove: str | Sequence[str] | None = REMOVABLE,
) -> DatasetSplits:
    """Load 20 Newsgroups (bydate): train 11,314 / test 7,532 messages, 20 classes (alphabetical order).

    Args:
        data_dir: Benchmark data root.
        fold: Must be 0 (fixed splits).
        seed: Seed of the dev hold-out.
        dev_fraction: Share of train held out as dev.
        remove: Parts to strip, any of ``("headers", "footers", "quotes")`` (default all three; ``()`` = raw).
    """
    parts = check_remove(remove)
    funcs, source = _strippers()
    root = data_dir / NEWSGROUPS_DIR
    splits: dict[str, TextSplit] = {}
    label_names: dict[int, str] = {}
    for split in ("train", "test"):
        texts, labels, names = read_newsgroups_jsonl(root / f"20news-bydate-{split}.jsonl.gz")
        label_names.update(names)
        for part in parts:
            strip = funcs[part]
            texts = [strip(t) for t in texts]
        splits[split] = TextSplit(texts, labels)
    if sorted(label_names) != list(range(len(label_names))):
        raise ValueError(f"{root}: labels are not 0..{len(label_names) - 1}: {sorted(label_names)}")
    train, dev, note = holdout_dev(splits["train"], fraction=dev_fraction, seed=seed)
    report = {
        "files": {f"20news-bydate-{s}.jsonl.gz": {"encoding": "latin-1 text inside UTF-8 JSON"} for s in splits},
        "removed": list(parts),
        "remove_functions": source if parts else None,
        "empty_after_removal": {s: sum(not t.strip() for t in d.texts) for s, d in splits.items()},
        "split": {"protocol": "fixed bydate train/test; dev held out from train", "dev": note},
    }
    names = [label_names[i] for i in range(len(label_names))]
    return DatasetSplits("20ng", names, train, dev, splits["test"], report)


register_dataset(
    DatasetSpec(
        name="20ng",
        description="20 Newsgroups bydate, 20 topics (headers, footers, quotes removed by default)",
        label_names=NEWSGROUPS,
        num_folds=0,
        splits=("train", "test"),
        citation="Lang, K. (1995). NewsWeeder: Learning to Filter Netnews. ICML 1995.",
        loader=load_20ng,
        split_sizes={"train": 11314, "test": 7532},
        files=(f"{NEWSGROUPS_DIR}/20news-bydate-train.jsonl.gz", f"{NEWSGROUPS_DIR}/20news-bydate-test.jsonl.gz"),
    )
)


def hierarchy_labels(newsgroup: str) -> list[str]:
    """Every prefix of a newsgroup's dotted name, shortest first (``rec.autos`` -> ``["rec", "rec.autos"]``)."""
    parts = newsgroup.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


#: Labels of ``20ng_hierarchy``: every prefix of every newsgroup name, sorted.
HIERARCHY_LABELS = tuple(sorted({label for group in NEWSGROUPS for label in hierarchy_labels(group)}))


def load_20ng_hierarchy(
    data_dir: Path,
    *,
    fold: int = 0,
    seed: int = 0,
    dev_fraction: float = 0.1,
    remove: str | Sequence[str] | None = REMOVABLE,
) -> DatasetSplits:
    """20 Newsgroups as a multi-label dataset: :func:`load_20ng`'s texts and splits, each message labelled with the
    prefixes of its newsgroup (:func:`hierarchy_labels`; label ids in the order of :data:`HIERARCHY_LABELS`).

    Args: as :func:`load_20ng`.
    """
    from textcnn.classify.multilabel import MultiLabelDatasetSplits, MultiLabelSplit

    flat = load_20ng(data_dir, fold=fold, seed=seed, dev_fraction=dev_fraction, remove=remove)
    index = {label: i for i, label in enumerate(HIERARCHY_LABELS)}
    sets = [[index[label] for label in hierarchy_labels(group)] for group in flat.label_names]
    parts = {
        name: MultiLabelSplit.from_sets(split.texts, [sets[y] for y in split.labels], len(HIERARCHY_LABELS))
        for name, split in flat.items()
    }
    report = {**flat.report, "derived": "from 20ng: labels are the prefixes of each message's newsgroup name"}
    labels = list(HIERARCHY_LABELS)
    return MultiLabelDatasetSplits("20ng_hierarchy", labels, parts["train"], parts.get("dev"), parts["test"], report)


register_dataset(
    DatasetSpec(
        name="20ng_hierarchy",
        description="multi-label, derived from 20ng: each message labelled with its newsgroup's name prefixes "
        "(comp, comp.sys, comp.sys.mac, comp.sys.mac.hardware)",
        label_names=HIERARCHY_LABELS,
        num_folds=0,
        splits=("train", "test"),
        citation="Lang, K. (1995). NewsWeeder: Learning to Filter Netnews. ICML 1995.",
        loader=load_20ng_hierarchy,
        split_sizes={"train": 11314, "test": 7532},
        files=(f"{NEWSGROUPS_DIR}/20news-bydate-train.jsonl.gz", f"{NEWSGROUPS_DIR}/20news-bydate-test.jsonl.gz"),
        multi_label=True,
    )
)
