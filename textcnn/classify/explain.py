"""Why this label? Exact per-n-gram contributions to the class logits of a Kim CNN.

In :class:`~textcnn.models.kim_cnn.KimCNN` each pooled feature is one filter's response to one n-gram: the window
that won its max-over-time pooling. The head is one linear layer (its dropout is the identity in eval mode), so each
class logit is exactly ``bias[c] + sum_f pooled[f] * weight[c, f]``. Grouping the filters by the n-gram whose window
won them gives every n-gram's contribution to every class logit; the contributions plus the bias are the logits.

>>> clf = textcnn.load("runs/mr")
>>> e = clf.explain("a gripping , funny film")
>>> e.label, [(span.ngram, span.contributions[e.predicted]) for span in e.top_for]

Softmax reads only differences between logits: a span that adds as much to every logit moves no probability, so
compare a span's contributions across classes (``jsonl`` output and :attr:`Span.contributions` hold them all).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

import numpy as np
import torch

if TYPE_CHECKING:
    from textcnn.classify.classifier import TextClassifier
    from textcnn.models.kim_cnn import KimCNN

#: How far the contributions plus the bias may differ from the model's own logits before explaining is refused.
SUM_TOLERANCE = 1e-4

FORMATS = ("text", "jsonl")

#: How :func:`explain_text` explains: ``auto`` (exact for a Kim CNN with a linear head, else integrated gradients),
#: ``exact`` (:func:`explain_kim`), ``integrated_gradients`` (approximate, any text model; see
#: :mod:`textcnn.classify.explain_gradients`).
METHODS = ("auto", "exact", "integrated_gradients")


@dataclass(frozen=True)
class Span:
    """One n-gram of a text and what the filters it won add to each class logit.

    Attributes:
        start: Position of its first token.
        end: Position after its last token (its tokens are the text's ``tokens[start:end]``).
        tokens: Its tokens, as the tokenizer's vocabulary spells them (``<unk>`` for unknown words).
        contributions: What it adds to each class logit, in the order of the classifier's labels.
        filters: Number of filters whose max-over-time it won.
    """

    start: int
    end: int
    tokens: tuple[str, ...]
    contributions: tuple[float, ...]
    filters: int

    @property
    def ngram(self) -> str:
        """The tokens joined by spaces (``""`` for the padding a text without any token is scored on)."""
        return " ".join(self.tokens)

    def to_dict(self) -> dict:
        """A JSON-ready dict (``contributions`` in label order)."""
        return {
            "start": self.start,
            "end": self.end,
            "ngram": self.ngram,
            "contributions": list(self.contributions),
            "filters": self.filters,
        }


@dataclass(frozen=True)
class Explanation:
    """A text's prediction split exactly into n-gram contributions: ``logits[c] = bias[c] + sum(span
    contributions[c])`` (to float rounding).

    Attributes:
        text: The text explained.
        tokens: Its tokens (after ``max_len`` truncation), from the tokenizer's vocabulary.
        labels: The classifier's labels, in id order.
        logits: The model's class logits.
        probabilities: Their softmax.
        bias: The output layer's bias.
        spans: Every n-gram that won at least one filter, in text order.
        top_for: The spans adding most to the predicted class's logit (positive contributions only), largest first.
        top_against: The spans taking most from it (negative contributions only), most negative first.
        truncated: Whether the text was cut to the model's ``max_len``.
    """

    text: str
    tokens: tuple[str, ...]
    labels: tuple
    logits: tuple[float, ...]
    probabilities: tuple[float, ...]
    bias: tuple[float, ...]
    spans: tuple[Span, ...]
    top_for: tuple[Span, ...]
    top_against: tuple[Span, ...]
    truncated: bool

    @property
    def predicted(self) -> int:
        """Index of the predicted class (the largest logit)."""
        return int(np.argmax(self.logits))

    @property
    def label(self):
        """The predicted label."""
        return self.labels[self.predicted]

    @property
    def probability(self) -> float:
        """The predicted label's probability."""
        return self.probabilities[self.predicted]

    def span_sum(self, class_index: int) -> float:
        """The sum of every span's contribution to one class logit (the logit less the bias)."""
        return float(sum(span.contributions[class_index] for span in self.spans))

    def to_dict(self) -> dict:
        """A JSON-ready dict: the prediction, every span and the top spans for and against it."""
        return {
            "method": "exact",
            "exact": True,
            "text": self.text,
            "label": self.label,
            "probability": self.probability,
            "tokens": list(self.tokens),
            "truncated": self.truncated,
            "labels": list(self.labels),
            "logits": list(self.logits),
            "probabilities": list(self.probabilities),
            "bias": list(self.bias),
            "spans": [span.to_dict() for span in self.spans],
            "top_for": [span.to_dict() for span in self.top_for],
            "top_against": [span.to_dict() for span in self.top_against],
        }


@dataclass(frozen=True)
class Winners:
    """Which window won each filter's max-over-time, for a batch of texts.

    Attributes:
        pooled: The pooled features ``(B, F)``, the head's input (filters of each width in turn, as the model
            concatenates them).
        first: Position of the first real token of the winning window ``(B, F)``; -1 where no window took part.
        last: Position of its last real token ``(B, F)`` (windows are clipped to the text; -1 for a text without
            any token).
    """

    pooled: torch.Tensor
    first: torch.Tensor
    last: torch.Tensor


def check_explainable(model: torch.nn.Module) -> KimCNN:
    """The model, if its logits split exactly into n-gram contributions.

    Raises:
        ValueError: If it is not a :class:`~textcnn.models.kim_cnn.KimCNN` with a single linear output layer.
    """
    from textcnn.models.kim_cnn import KimCNN

    if not isinstance(model, KimCNN):
        raise ValueError(
            f"explanations need a kim_cnn model (its logits are exact sums of n-gram contributions); this one is a "
            f"{type(model).__name__}"
        )
    if len(model.head.hidden) > 0:
        raise ValueError("explanations need a kim_cnn whose head is a single linear layer; this one has hidden layers")
    return model


@torch.inference_mode()
def kim_winners(model: KimCNN, ids: torch.Tensor, mask: torch.Tensor) -> Winners:
    """Each filter's winning window, from the convolutions ``model.forward`` pools (:meth:`KimCNN.window_features`).

    The convolutions are wide (``width - 1`` zero positions on both sides), so window ``j`` of a width-``w`` filter
    covers tokens ``j - w + 1 .. j``; as in the model, only windows that start before the text's end take part in
    the max. For a text with tokens those are the windows that overlap one; a text without any token is scored, as
    the model scores it, on the windows of its left padding (an empty span, ``first = 0 > last = -1``), and its
    width-1 filters pool to 0.

    Args:
        model: A Kim CNN in eval mode.
        ids: Token ids ``(B, T)``.
        mask: ``(B, T)``, True at real tokens (a prefix of each row, as :func:`~textcnn.data.batching.pad_batch` makes).

    Returns:
        The pooled features and the token range of each winning window.
    """
    lengths = mask.sum(dim=1, keepdim=True)  # (B, 1)
    pooled, first, last = [], [], []
    for width, (feats, valid) in zip(model.filter_widths, model.window_features(ids, mask), strict=True):
        # feats (B, maps, T + width - 1); valid (B, T + width - 1): the window overlaps a real token
        filled = feats.masked_fill(~valid.unsqueeze(1), torch.finfo(feats.dtype).min)  # (B, maps, T + width - 1)
        best, window = filled.max(dim=2)  # (B, maps): the first window reaching the max
        any_window = valid.any(dim=1, keepdim=True)  # (B, 1)
        pooled.append(torch.where(any_window, best, torch.zeros_like(best)))
        first.append(torch.where(any_window, (window - (width - 1)).clamp_min(0), -1))
        last.append(torch.where(any_window, torch.minimum(window, lengths - 1), -1))
    return Winners(torch.cat(pooled, dim=1), torch.cat(first, dim=1), torch.cat(last, dim=1))  # (B, F) each


def _head_weights(model: KimCNN) -> tuple[np.ndarray, np.ndarray]:
    """The output layer's weight ``(C, F)`` and bias ``(C,)`` as float64."""
    fc = model.head.fc
    weight = fc.weight.detach().cpu().double().numpy()
    bias = fc.bias.detach().cpu().double().numpy() if fc.bias is not None else np.zeros(weight.shape[0])
    return weight, bias


def group_spans(
    pooled: np.ndarray, first: np.ndarray, last: np.ndarray, weight: np.ndarray, tokens: list[str]
) -> list[Span]:
    """One text's filters grouped by the span whose window won them, with their summed contributions.

    Args:
        pooled: The text's pooled features ``(F,)``.
        first: First token of each filter's winning window ``(F,)`` (-1: none).
        last: Last token of each filter's winning window ``(F,)``.
        weight: Output layer weight ``(C, F)``.
        tokens: The text's tokens.

    Returns:
        The spans in text order. Filters that pooled exactly 0 (a ReLU that never fired) add nothing and are left
        out.
    """
    keep = (first >= 0) & (pooled != 0)  # (F,)
    contributions = weight[:, keep] * pooled[keep].astype(np.float64)  # (C, F')
    keys = np.stack([first[keep], last[keep]], axis=1)  # (F', 2)
    spans_at, which = np.unique(keys, axis=0, return_inverse=True)
    sums = np.zeros((weight.shape[0], len(spans_at)))  # (C, S)
    np.add.at(sums.T, which.reshape(-1), contributions.T)
    counts = np.bincount(which.reshape(-1), minlength=len(spans_at))
    return [
        Span(int(s), int(e) + 1, tuple(tokens[s : e + 1]), tuple(float(v) for v in sums[:, i]), int(counts[i]))
        for i, (s, e) in enumerate(spans_at)
    ]


def _top(spans: list[Span], class_index: int, top_k: int) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The ``top_k`` spans adding most to one class logit and the ``top_k`` taking most from it."""
    ranked = sorted(spans, key=lambda span: span.contributions[class_index], reverse=True)
    pushing = [span for span in ranked if span.contributions[class_index] > 0]
    pulling = [span for span in reversed(ranked) if span.contributions[class_index] < 0]
    return tuple(pushing[:top_k]), tuple(pulling[:top_k])


def _padded(classifier: TextClassifier, ids: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and mask as prediction pads them (``max_len`` truncation as the model's ``truncate`` says, at least
    ``min_len`` wide). A text longer than ``max_len`` is explained on what truncation keeps, also where prediction
    pools windows over all of it (the explanation says ``truncated``)."""
    from textcnn.data.batching import pad_batch

    batch, mask, _ = pad_batch(
        ids,
        pad_id=classifier.tokenizer.pad_id,
        min_len=classifier.min_len,
        max_len=classifier.max_len,
        truncate=classifier.truncate,
    )
    return batch.to(classifier.device), mask.to(classifier.device)


def explain_kim(classifier: TextClassifier, text: str, top_k: int = 5) -> Explanation:
    """Split a Kim CNN's logits for one text exactly into the contributions of its n-grams.

    The text is tokenized, truncated and padded as prediction does; each filter's pooled value times its output
    weight is credited to the n-gram whose window won the filter's max; the credits of each n-gram are summed. This
    is exact for :class:`~textcnn.models.kim_cnn.KimCNN` only; approximate attributions for other models (gradients,
    integrated gradients, Captum) are out of its scope.

    Args:
        classifier: A classifier holding a ``kim_cnn`` model.
        text: One text.
        top_k: How many spans to keep for and against the predicted class.

    Returns:
        The explanation; its spans' contributions plus its bias equal its logits.

    Raises:
        TypeError: If ``text`` is not a ``str`` (a list of texts, say).
        ValueError: If the model is not a Kim CNN, or ``top_k < 0``.
    """
    from textcnn.data.batching import text_inputs
    from textcnn.training.device import torch_threads

    if not isinstance(text, str):
        raise TypeError(f"explain takes one text (a str), got a {type(text).__name__}; explain each text in turn")
    if top_k < 0:
        raise ValueError(f"top_k must be >= 0, got {top_k}")
    model = check_explainable(classifier.model).eval()
    ids = classifier.encode([text])[0]
    batch, mask = _padded(classifier, [ids])
    with torch_threads(classifier.num_threads), torch.inference_mode():
        winners = kim_winners(model, batch, mask)
        inputs = text_inputs(batch, mask)
        logits = model(inputs["input_ids"], inputs.get("mask"))[0].double().cpu()  # (C,)
    vocab = classifier.tokenizer.tokens()
    tokens = [vocab[i] for i in batch[0, mask[0]].tolist()]
    weight, bias = _head_weights(model)
    spans = group_spans(*(t[0].cpu().numpy() for t in (winners.pooled, winners.first, winners.last)), weight, tokens)
    _check_sum(spans, bias, logits.numpy())
    predicted = int(logits.argmax())
    top_for, top_against = _top(spans, predicted, top_k)
    return Explanation(
        text=text,
        tokens=tuple(tokens),
        labels=tuple(classifier.labels),
        logits=tuple(logits.tolist()),
        probabilities=tuple(torch.softmax(logits, dim=0).tolist()),
        bias=tuple(bias.tolist()),
        spans=tuple(spans),
        top_for=top_for,
        top_against=top_against,
        truncated=classifier.max_len is not None and len(ids) > classifier.max_len,
    )


def _check_sum(spans: list[Span], bias: np.ndarray, logits: np.ndarray) -> None:
    """Refuse an explanation whose parts do not add up to the model's logits (a model whose forward no longer
    matches :func:`kim_winners`)."""
    total = bias + np.sum([span.contributions for span in spans], axis=0) if spans else bias
    gap = float(np.abs(total - logits).max())
    if gap > SUM_TOLERANCE * max(1.0, float(np.abs(logits).max())):
        raise RuntimeError(f"the n-gram contributions miss the model's logits by {gap:.3g}; cannot explain this model")


# ---------------------------------------------------------------------------------------------------- text output
def _marks(explanation: Explanation) -> list[str]:
    """Per token: ``"for"`` inside a top span for the label, ``"against"`` inside a top span against it, else ``""``."""
    marks = [""] * len(explanation.tokens)
    for kind, spans in (("against", explanation.top_against), ("for", explanation.top_for)):
        for span in spans:
            marks[span.start : span.end] = [kind] * (span.end - span.start)
    return marks


def marked_runs(explanation: Explanation) -> list[tuple[str, list[str]]]:
    """The text's tokens in runs of the same mark (``"for"``, ``"against"`` or ``""``; see :func:`_marks`), in order."""
    runs: list[tuple[str, list[str]]] = []
    for token, mark in zip(explanation.tokens, _marks(explanation), strict=True):
        if runs and runs[-1][0] == mark:
            runs[-1][1].append(token)
        else:
            runs.append((mark, [token]))
    return runs


def highlight(explanation: Explanation, color: bool = False) -> str:
    """The text's tokens with the top spans marked: for the label in bold green (``[[...]]`` without colour), against
    it in red (``{{...}}`` without colour)."""
    import click

    runs = marked_runs(explanation)
    plain = {"for": "[[{}]]", "against": "{{{{{}}}}}", "": "{}"}
    styles = {"for": {"fg": "green", "bold": True}, "against": {"fg": "red"}, "": {}}
    pieces = [
        click.style(" ".join(words), **styles[mark]) if color and mark else plain[mark].format(" ".join(words))
        for mark, words in runs
    ]
    return " ".join(pieces) if pieces else "(no tokens)"


def format_explanation(explanation: Explanation, color: bool = False) -> str:
    """A few lines for a reader: the label and its probability, the highlighted text, the top spans for and against
    the label with their contributions to its logit, and the sum check ``logit = bias + sum of spans``."""
    c = explanation.predicted
    label = explanation.label
    cut = " (truncated)" if explanation.truncated else ""
    lines = [f"{label}  p={explanation.probability:.4f}  {highlight(explanation, color)}{cut}"]
    width = max([len(s.ngram) for s in (*explanation.top_for, *explanation.top_against)] + [len(f"against {label}")])
    width = min(width, 60)
    for title, spans in ((f"for {label}", explanation.top_for), (f"against {label}", explanation.top_against)):
        lines.append(f"  {title:<{width + 2}}  {'contribution' if spans is explanation.top_for else ''}".rstrip())
        lines += [f"    {span.ngram or '(padding)':<{width}}  {span.contributions[c]:+.4f}" for span in spans]
        lines += [] if spans else ["    (none)"]
    n = len(explanation.spans)
    lines.append(
        f"  logit {explanation.logits[c]:.4f} = bias {explanation.bias[c]:.4f} + sum of spans "
        f"{explanation.span_sum(c):.4f} ({n} span{'' if n == 1 else 's'})"
    )
    return "\n".join(lines)


def is_exact(model: torch.nn.Module) -> bool:
    """Whether :func:`explain_kim` explains the model exactly (a Kim CNN with a single linear output layer)."""
    try:
        check_explainable(model)
    except ValueError:
        return False
    return True


def explain_text(
    classifier: TextClassifier, text: str, top_k: int = 5, method: str = "auto", n_steps: int | None = None
) -> Explanation:
    """Explain one text by ``method`` (see :data:`METHODS`): exactly for a Kim CNN, by integrated gradients
    (approximate, labelled so) for other models or when asked.

    Args:
        classifier: A text classifier.
        text: One text.
        top_k: How many spans to keep for and against the predicted class.
        method: One of :data:`METHODS`.
        n_steps: Steps of integrated gradients (``None``: its default,
            :data:`~textcnn.classify.explain_gradients.N_STEPS`).

    Raises:
        ValueError: An unknown method, or ``exact`` for a model that is not a Kim CNN.
        ModuleNotFoundError: Integrated gradients without captum (``pip install "textcnn[explain]"``).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "exact" or (method == "auto" and is_exact(classifier.model)):
        return explain_kim(classifier, text, top_k=top_k)
    from textcnn.classify.explain_gradients import N_STEPS, explain_integrated_gradients

    return explain_integrated_gradients(classifier, text, top_k=top_k, n_steps=n_steps or N_STEPS)


def write_explanations(
    classifier: TextClassifier,
    texts: Iterable[str],
    out: TextIO,
    *,
    top_k: int = 5,
    fmt: str = "text",
    color: bool = False,
    method: str = "auto",
    n_steps: int | None = None,
) -> int:
    """Explain each text (see :func:`explain_text`) and write it to ``out``: ``text`` blocks separated by blank
    lines, or one JSON object per line (``jsonl``). Returns the number of texts."""
    from textcnn.classify.explain_gradients import ApproximateExplanation, format_approximate

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    n = 0
    for text in texts:
        explanation = explain_text(classifier, text, top_k=top_k, method=method, n_steps=n_steps)
        if fmt == "jsonl":
            out.write(json.dumps(explanation.to_dict(), ensure_ascii=False) + "\n")
        else:
            formatter = format_approximate if isinstance(explanation, ApproximateExplanation) else format_explanation
            out.write(("\n" if n else "") + formatter(explanation, color) + "\n")
        n += 1
    return n


# ---------------------------------------------------------------------------------------------------- over a corpus
@dataclass
class NgramReport:
    """What the n-grams of a corpus add to each class logit, and the n-grams each filter responds to most.

    Attributes:
        labels: The classifier's labels.
        filter_widths: Width of each filter ``(F,)``, in the order of the head's input.
        weight: The output layer's weight ``(C, F)``.
        n_texts: Texts read.
        totals: n-gram -> its contributions to each class logit ``(C,)``, summed over the corpus.
        texts: n-gram -> number of texts in which it won at least one filter.
        filter_best: Per filter, n-gram -> the largest value it pooled on that n-gram.
    """

    labels: tuple
    filter_widths: tuple[int, ...]
    weight: np.ndarray
    n_texts: int = 0
    totals: dict[str, np.ndarray] = field(default_factory=dict)
    texts: dict[str, int] = field(default_factory=dict)
    filter_best: list[dict[str, float]] = field(default_factory=list)

    def add(self, spans: list[Span], pooled: np.ndarray, first: np.ndarray, last: np.ndarray) -> None:
        """Count one text's spans (from :func:`group_spans`) and its filters' winning n-grams."""
        self.n_texts += 1
        for span in spans:
            self.totals[span.ngram] = self.totals.get(span.ngram, 0.0) + np.asarray(span.contributions)
        for ngram in {span.ngram for span in spans}:
            self.texts[ngram] = self.texts.get(ngram, 0) + 1
        ngrams = {(span.start, span.end - 1): span.ngram for span in spans}
        for f in np.flatnonzero((first >= 0) & (pooled != 0)):
            ngram, best = ngrams[(int(first[f]), int(last[f]))], self.filter_best[f]
            best[ngram] = max(best.get(ngram, -np.inf), float(pooled[f]))

    def top_ngrams(self, class_index: int, k: int) -> list[tuple[str, float, int]]:
        """The ``k`` n-grams adding most to one class logit over the corpus: ``(n-gram, total, texts)``, positive
        totals only."""
        ranked = sorted(self.totals.items(), key=lambda item: item[1][class_index], reverse=True)
        return [
            (ngram, float(total[class_index]), self.texts[ngram])
            for ngram, total in ranked[:k]
            if total[class_index] > 0
        ]

    def top_filter_ngrams(self, f: int, k: int) -> list[tuple[str, float]]:
        """The ``k`` n-grams on which filter ``f`` pooled its largest values: ``(n-gram, value)``."""
        return sorted(self.filter_best[f].items(), key=lambda item: item[1], reverse=True)[:k]


def _batches(classifier: TextClassifier, texts: Iterable[str], batch_size: int) -> Iterator[list[list[int]]]:
    """Token ids of the texts, ``batch_size`` texts at a time."""
    chunk: list[str] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) == batch_size:
            yield classifier.encode(chunk)
            chunk = []
    if chunk:
        yield classifier.encode(chunk)


def corpus_ngrams(classifier: TextClassifier, texts: Iterable[str], batch_size: int = 64) -> NgramReport:
    """Add up the n-gram contributions of every text of a corpus (see :func:`explain_kim`), in batches.

    Raises:
        ValueError: If the model is not a Kim CNN, or ``batch_size < 1``.
    """
    from textcnn.training.device import torch_threads

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    model = check_explainable(classifier.model).eval()
    weight, _ = _head_weights(model)
    maps = model.convs[0].conv.out_channels
    widths = tuple(w for w in model.filter_widths for _ in range(maps))
    report = NgramReport(tuple(classifier.labels), widths, weight, filter_best=[{} for _ in widths])
    vocab = classifier.tokenizer.tokens()
    with torch_threads(classifier.num_threads):
        for ids in _batches(classifier, texts, batch_size):
            batch, mask = _padded(classifier, ids)
            winners = kim_winners(model, batch, mask)
            rows = (t.cpu().numpy() for t in (winners.pooled, winners.first, winners.last, batch, mask))
            for pooled, first, last, row, real in zip(*rows, strict=True):
                spans = group_spans(pooled, first, last, weight, [vocab[i] for i in row[real]])
                report.add(spans, pooled, first, last)
    return report


def _cell(text: str) -> str:
    """A markdown table cell: ``|`` escaped, ``` `` ``` around it."""
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def ngram_markdown(report: NgramReport, top_k: int = 10, per_filter: bool = False) -> str:
    """The report as markdown: a table of the n-grams adding most to each class logit and, with ``per_filter``, a
    table of each filter's output weights and the n-grams it responds to most."""
    from textcnn.utils.tables import markdown_table

    rows = [
        [str(label), _cell(ngram), f"{total:+.3f}", str(texts), f"{total / texts:+.3f}"]
        for c, label in enumerate(report.labels)
        for ngram, total, texts in report.top_ngrams(c, top_k)
    ]
    parts = [
        f"## n-grams that push each class ({report.n_texts} texts)\n",
        "Contribution to the class logit, summed over the texts (and per text where the n-gram won a filter).\n",
        markdown_table(["class", "n-gram", "total", "texts", "per text"], rows),
    ]
    if per_filter:
        filter_rows = [
            [
                f"w{width}#{f}",
                ", ".join(f"{label} {report.weight[c, f]:+.2f}" for c, label in enumerate(report.labels)),
                ", ".join(f"{_cell(ngram)} {value:.2f}" for ngram, value in report.top_filter_ngrams(f, top_k)),
            ]
            for f, width in enumerate(report.filter_widths)
        ]
        parts += [
            "## n-grams each filter responds to most\n",
            markdown_table(["filter", "output weight", "top n-grams (pooled value)"], filter_rows),
        ]
    return "\n".join(parts)
