"""20 Newsgroups, bydate split (``<data_dir>/20newsgroups/``, gzip JSONL of raw latin-1-decoded messages).

Like scikit-learn's ``fetch_20newsgroups``, ``remove`` strips ``"headers"``, ``"footers"`` and ``"quotes"`` (in
that order) with scikit-learn's own functions; the default removes all three because headers give the newsgroup
away. ``remove=()`` keeps the raw messages. Dev is ``dev_fraction`` of train (stratified, seeded).
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
        label_names=(
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
        ),  # fmt: skip
        num_folds=0,
        splits=("train", "test"),
        citation="Lang, K. (1995). NewsWeeder: Learning to Filter Netnews. ICML 1995.",
        loader=load_20ng,
        split_sizes={"train": 11314, "test": 7532},
        files=(f"{NEWSGROUPS_DIR}/20news-bydate-train.jsonl.gz", f"{NEWSGROUPS_DIR}/20news-bydate-test.jsonl.gz"),
    )
)
