"""Stanford Sentiment Treebank PTB trees (``<data_dir>/sst_trees/``): every labelled node is a phrase.

Kim (2014) trained SST models on all labelled phrases of the training trees and evaluated on sentences. Here the
phrases are the distinct token strings of every node (sentences included) of ``train.txt``, deduplicated on the
original string (159,274 in train), then lower-cased to match the ``kim/stsa.*`` sentence files (which keep
``-lrb-``/``-rrb-`` and ``\\/`` as the trees do).
"""

from __future__ import annotations

import re
from pathlib import Path

from textcnn.data.encoding import read_lines
from textcnn.data.paths import require_file
from textcnn.data.splits import TextSplit

# A leaf "(label word)", an inner node's "(label", its ")", or anything else (an error).
_NODE = re.compile(r"\((\d+) ([^ ()]+)\)|\((\d+)|(\))|[^ ]")
# SST-2: drop neutral (2); 0/1 -> negative (0), 3/4 -> positive (1).
BINARY_MAP: dict[int, int] = {0: 0, 1: 0, 3: 1, 4: 1}


def parse_tree_phrases(line: str, *, where: str = "tree") -> list[tuple[str, int]]:
    """All ``(phrase, label)`` pairs of one PTB tree line, in post-order (the sentence is last).

    Raises:
        ValueError: If the brackets do not balance or a node has no integer label (``where`` names the line).
    """
    words: list[str] = []
    stack: list[tuple[int, int]] = []  # (label, index of the node's first word)
    out: list[tuple[str, int]] = []
    try:
        for leaf_label, word, open_label, close in _NODE.findall(line):
            if word:  # a leaf "(label word)"
                words.append(word)
                out.append((word, int(leaf_label)))
            elif open_label:
                stack.append((int(open_label), len(words)))
            elif close:
                label, start = stack.pop()
                out.append((" ".join(words[start:]), label))
            else:
                raise ValueError
    except (IndexError, ValueError):
        raise ValueError(f"{where}: malformed tree (unlabelled node or unbalanced brackets)") from None
    if stack or not out:
        raise ValueError(f"{where}: unbalanced brackets")
    return out


def load_sst_phrases(path: str | Path, *, binary: bool) -> tuple[TextSplit, dict]:
    """Distinct labelled phrases of a tree file, lower-cased.

    Args:
        path: ``sst_trees/train.txt`` (or dev/test).
        binary: SST-2 labels: neutral phrases are dropped, 0/1 -> 0 and 3/4 -> 1.

    Returns:
        ``(split, report)``: the split keeps first-occurrence order; the report counts trees, labelled nodes,
        distinct phrases and dropped neutral ones.
    """
    path = require_file(Path(path), what="SST tree file")
    decoded = read_lines(path, encoding="utf-8")
    seen: dict[str, int] = {}
    nodes = 0
    for number, line in enumerate(decoded.lines, start=1):
        for phrase, label in parse_tree_phrases(line, where=f"{path}: line {number}"):
            nodes += 1
            seen.setdefault(phrase, label)
    labels = list(seen.values())
    texts = [p.lower() for p in seen]
    dropped = 0
    if binary:
        keep = [i for i, label in enumerate(labels) if label in BINARY_MAP]
        dropped = len(labels) - len(keep)
        texts, labels = [texts[i] for i in keep], [BINARY_MAP[labels[i]] for i in keep]
    report = {
        "file": str(path),
        **decoded.report(),
        "trees": len(decoded.lines),
        "labelled_nodes": nodes,
        "distinct_phrases": len(seen),
        "rule": "every labelled node, deduplicated on the original phrase string, then lower-cased",
    }
    if binary:
        report["neutral_dropped"] = dropped
    return TextSplit(texts, labels), report
