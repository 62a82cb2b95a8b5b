"""The Kim (2014) sentence-classification suite: MR, SST-1, SST-2, Subj, TREC, CR, MPQA (``<data_dir>/kim/``).

Files hold one ``<label> <sentence>`` example per line. Each file is decoded with the encoding declared in
``KIM_ENCODINGS`` (MR and Subj are Windows-1252); lines that still need replacement characters (TREC's stray 0xF0
byte at line 66) are counted in the report. Label-only lines (CR has 4, MPQA 3) are *kept as empty texts* because
Kim's counts include them; ``skip_empty=True`` drops them. Both rules are recorded in ``DatasetSplits.report``.
MR, Subj, CR and MPQA have no test split: fold ``fold`` of seeded stratified 10-fold CV is the test split and
``dev_fraction`` of the remaining data is held out as dev (stratified, seeded), as in Kim's protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from textcnn.data.encoding import read_lines
from textcnn.data.paths import require_file
from textcnn.data.registry import DatasetSpec, register_dataset
from textcnn.data.report import RowLog
from textcnn.data.splits import DatasetSplits, TextSplit, cv_splits, holdout_dev

KIM_DIR = "kim"
KIM_CITATION = "Kim, Y. (2014). Convolutional Neural Networks for Sentence Classification. EMNLP 2014."
# Declared encodings (see kim/PROVENANCE.md); files not listed are UTF-8 (or pure ASCII).
KIM_ENCODINGS: dict[str, str] = {"rt-polarity.all": "cp1252", "subj.all": "cp1252"}
EMPTY_RULE = "label-only lines are kept as empty texts (Kim's counts include them); skip_empty=True drops them"
MAX_LISTED = 5


@dataclass
class LabelledLines:
    """Examples parsed from ``<label><sep><text>`` lines, with the 1-based line number of each."""

    raw_labels: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    empty_lines: list[int] = field(default_factory=list)  # label-only lines, kept as empty texts
    blank_lines: list[int] = field(default_factory=list)  # whitespace-only lines, skipped
    unlabelled_lines: list[int] = field(default_factory=list)  # text with an empty label field, skipped


def split_label(line: str, *, sep: str | None = None) -> tuple[str, str]:
    """``(label, text)`` of a ``<label><sep><text>`` line, split at the first ``sep`` (``None``: the first run of
    whitespace), surrounding whitespace stripped; a line holding only a label gives ``(label, "")``."""
    parts = line.strip().split(None, 1) if sep is None else line.split(sep, 1)
    if not parts:
        return "", ""
    return parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""


def parse_label_lines(lines: list[str], *, sep: str | None = None) -> LabelledLines:
    """Split each line into a label and a text (see :func:`split_label`).

    A line holding only a label gives an empty text (listed in ``empty_lines``); a blank line is skipped (listed in
    ``blank_lines``), and so is a line whose label field is empty (listed in ``unlabelled_lines``): callers decide
    whether those are errors.
    """
    out = LabelledLines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            out.blank_lines.append(number)
            continue
        label, text = split_label(line, sep=sep)
        if not label:
            out.unlabelled_lines.append(number)
            continue
        if not text:
            out.empty_lines.append(number)
        out.raw_labels.append(label)
        out.texts.append(text)
        out.line_numbers.append(number)
    return out


def read_kim_file(
    path: Path, *, skip_empty: bool, label_map: Callable[[str], int] | None = None
) -> tuple[TextSplit, dict, list[str]]:
    """Read one Kim-format file of the suite.

    Args:
        path: The file (its name selects the declared encoding in ``KIM_ENCODINGS``).
        skip_empty: Drop label-only lines instead of keeping them as empty texts.
        label_map: Maps a raw label to an id; default ``int``. It raises ``KeyError``/``ValueError`` for a bad label
            (its message is included in the error).

    Returns:
        ``(split, file_report, raw_labels)``; ``raw_labels`` are aligned with the split's examples.

    Raises:
        ValueError: A label that is not valid (file and line are named) or a line without a label.
    """
    decoded = read_lines(require_file(path, what="Kim data file"), encoding=KIM_ENCODINGS.get(path.name, "utf-8"))
    parsed = parse_label_lines(decoded.lines)
    bad = sorted(parsed.blank_lines + parsed.unlabelled_lines)
    if bad:
        raise ValueError(f"{path}: line {bad[0]} has no label (expected '<label> <text>')")
    label_map = label_map or int
    texts, labels, raw = [], [], []
    log = RowLog(str(path), read=len(decoded.lines))
    for label, text, number in zip(parsed.raw_labels, parsed.texts, parsed.line_numbers, strict=True):
        if skip_empty and not text:
            log.skip(f"line {number}", "label-only line (skip_empty=True)", problem=False)
            continue
        try:
            labels.append(label_map(label))
        except (KeyError, ValueError) as err:
            raise ValueError(f"{path}: line {number} has an invalid label {label!r} ({err})") from None
        texts.append(text)
        raw.append(label)
    log.used = len(texts)
    report = {**decoded.report(), **log.as_dict()}
    report["empty_examples"] = len(parsed.empty_lines)
    if parsed.empty_lines:
        report["empty_example_line_numbers"] = parsed.empty_lines[:MAX_LISTED]
    return TextSplit(texts, labels), report, raw


def _empty_report(file_reports: dict[str, dict], skip_empty: bool) -> dict:
    found = sum(r["empty_examples"] for r in file_reports.values())
    return {"rule": EMPTY_RULE, "found": found, "action": "dropped" if skip_empty and found else "kept"}


def _base_report(file_reports: dict[str, dict], skip_empty: bool) -> dict:
    return {
        "files": file_reports,
        "empty_examples": _empty_report(file_reports, skip_empty),
        "text": "label and text split at the first space; surrounding whitespace stripped",
    }


def _cv_loader(name: str, filename: str, label_names: tuple[str, ...]) -> Callable[..., DatasetSplits]:
    def load(
        data_dir: Path, *, fold: int = 0, seed: int = 0, dev_fraction: float = 0.1, skip_empty: bool = False
    ) -> DatasetSplits:
        path = data_dir / KIM_DIR / filename
        data, file_report, _ = read_kim_file(path, skip_empty=skip_empty)
        train, dev, test, note = cv_splits(data, num_folds=10, fold=fold, seed=seed, dev_fraction=dev_fraction)
        report = _base_report({filename: file_report}, skip_empty)
        report["split"] = note
        return DatasetSplits(name, list(label_names), train, dev, test, report)

    load.__doc__ = f"Load {name} from ``kim/{filename}``: fold ``fold`` of 10-fold CV is the test split."
    return load


def _sst_loader(name: str, binary: bool, label_names: tuple[str, ...]) -> Callable[..., DatasetSplits]:
    stem = "stsa.binary" if binary else "stsa.fine"

    def load(
        data_dir: Path,
        *,
        fold: int = 0,
        seed: int = 0,
        dev_fraction: float = 0.1,
        skip_empty: bool = False,
        phrases: bool = False,
    ) -> DatasetSplits:
        reports, parts = {}, {}
        for split in ("train", "dev", "test"):
            if split == "train" and phrases:
                continue
            filename = f"{stem}.{split}"
            parts[split], reports[filename], _ = read_kim_file(data_dir / KIM_DIR / filename, skip_empty=skip_empty)
        report = _base_report(reports, skip_empty)
        report["split"] = {"protocol": "fixed train/dev/test (dev_fraction is not used)"}
        if phrases:
            from textcnn.data.sst_trees import load_sst_phrases

            parts["train"], report["phrases"] = load_sst_phrases(data_dir / "sst_trees" / "train.txt", binary=binary)
        return DatasetSplits(name, list(label_names), parts["train"], parts["dev"], parts["test"], report)

    load.__doc__ = (
        f"Load {name} from ``kim/{stem}.*``; ``phrases=True`` trains on every distinct labelled phrase of "
        "``sst_trees/train.txt`` (lower-cased like the stsa files) while dev/test stay sentence-level."
    )
    return load


TREC_COARSE = ("DESC", "ENTY", "ABBR", "HUM", "LOC", "NUM")


def load_trec(
    data_dir: Path,
    *,
    fold: int = 0,
    seed: int = 0,
    dev_fraction: float = 0.1,
    skip_empty: bool = False,
    fine: bool = False,
) -> DatasetSplits:
    """Load TREC: ``TREC.{train,test}.all`` (6 coarse classes), or with ``fine=True`` ``raw/TREC.{train,test}``
    (the 50 ``COARSE:fine`` labels of train, named in sorted order). ``dev_fraction`` of train is held out as dev
    (stratified, seeded; a fine class with a single training example stays in train).

    Decision for ``fine=True``: a test label never seen in training cannot be scored by a model trained on these
    classes, so it is an error (``ValueError`` naming file and line) rather than silently dropped. The staged
    data has none (test's 42 fine labels all occur in train).
    """
    reports: dict[str, dict] = {}
    kim = data_dir / KIM_DIR
    if fine:
        train_path, test_path = kim / "raw" / "TREC.train", kim / "raw" / "TREC.test"
        # First pass keeps the raw fine labels (the placeholder ids are replaced below).
        coarse, reports["raw/TREC.train"], raw_train = read_kim_file(
            train_path, skip_empty=skip_empty, label_map=lambda raw: 0
        )
        label_names = sorted(set(raw_train))
        index = {label: i for i, label in enumerate(label_names)}
        train = TextSplit(coarse.texts, [index[r] for r in raw_train])

        def test_label(raw: str) -> int:
            if raw not in index:
                raise ValueError("it does not occur in raw/TREC.train, so no model trained on it can predict it")
            return index[raw]

        test, reports["raw/TREC.test"], _ = read_kim_file(test_path, skip_empty=skip_empty, label_map=test_label)
    else:
        label_names = list(TREC_COARSE)
        train, reports["TREC.train.all"], _ = read_kim_file(kim / "TREC.train.all", skip_empty=skip_empty)
        test, reports["TREC.test.all"], _ = read_kim_file(kim / "TREC.test.all", skip_empty=skip_empty)
    train, dev, note = holdout_dev(train, fraction=dev_fraction, seed=seed)
    report = _base_report(reports, skip_empty)
    report["split"] = {"protocol": "fixed train/test; dev held out from train", "dev": note}
    if fine:
        report["labels"] = "fine (COARSE:fine), ids in sorted order of the training labels; unseen test labels raise"
    return DatasetSplits("trec", label_names, train, dev, test, report)


_SENTIMENT = ("negative", "positive")
_SST1 = ("very negative", "negative", "neutral", "positive", "very positive")
_CV_DATASETS = {
    # name: (file, label names, size, description, citation)
    "mr": ("rt-polarity.all", _SENTIMENT, 10662, "movie-review sentence polarity (Pang & Lee 2005)",
           "Pang, B. & Lee, L. (2005). Seeing stars. ACL 2005."),
    "subj": ("subj.all", ("subjective", "objective"), 10000, "subjectivity of movie-review sentences (Pang & Lee 2004)",
             "Pang, B. & Lee, L. (2004). A Sentimental Education. ACL 2004."),
    "cr": ("custrev.all", _SENTIMENT, 3775, "customer-review polarity (Hu & Liu 2004)",
           "Hu, M. & Liu, B. (2004). Mining and Summarizing Customer Reviews. KDD 2004."),
    "mpqa": ("mpqa.all", _SENTIMENT, 10606, "MPQA opinion polarity of short phrases (Wiebe et al. 2005)",
             "Wiebe, J., Wilson, T. & Cardie, C. (2005). Annotating Expressions of Opinions and Emotions in Language. "
             "Language Resources and Evaluation 39(2-3)."),
}  # fmt: skip
_SST_CITATION = (
    "Socher, R. et al. (2013). Recursive Deep Models for Semantic Compositionality Over a Sentiment Treebank. EMNLP."
)

for _name, (_file, _labels, _size, _desc, _cite) in _CV_DATASETS.items():
    register_dataset(
        DatasetSpec(
            name=_name,
            description=_desc,
            label_names=_labels,
            num_folds=10,
            splits=("all",),
            citation=f"{_cite} Used by {KIM_CITATION}",
            loader=_cv_loader(_name, _file, _labels),
            split_sizes={"all": _size},
            files=(f"{KIM_DIR}/{_file}",),
        )
    )

for _name, _binary, _labels, _sizes, _desc in (
    ("sst1", False, _SST1, {"train": 8544, "dev": 1101, "test": 2210}, "Stanford Sentiment Treebank, 5 classes"),
    ("sst2", True, _SENTIMENT, {"train": 6920, "dev": 872, "test": 1821}, "Stanford Sentiment Treebank, binary"),
):
    _stem = "stsa.binary" if _binary else "stsa.fine"
    register_dataset(
        DatasetSpec(
            name=_name,
            description=f"{_desc} (sentence level; phrases=True trains on labelled phrases)",
            label_names=_labels,
            num_folds=0,
            splits=("train", "dev", "test"),
            citation=f"{_SST_CITATION} Used by {KIM_CITATION}",
            loader=_sst_loader(_name, _binary, _labels),
            split_sizes=_sizes,
            files=tuple(f"{KIM_DIR}/{_stem}.{s}" for s in ("train", "dev", "test")) + ("sst_trees/train.txt",),
        )
    )

register_dataset(
    DatasetSpec(
        name="trec",
        description="TREC question types, 6 coarse classes (fine=True: 50 fine classes)",
        label_names=TREC_COARSE,
        num_folds=0,
        splits=("train", "test"),
        citation=f"Li, X. & Roth, D. (2002). Learning Question Classifiers. COLING 2002. Used by {KIM_CITATION}",
        loader=load_trec,
        split_sizes={"train": 5452, "test": 500},
        files=(f"{KIM_DIR}/TREC.train.all", f"{KIM_DIR}/TREC.test.all", f"{KIM_DIR}/raw/TREC.train"),
    )
)
