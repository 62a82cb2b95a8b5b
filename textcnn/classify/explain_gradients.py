"""Approximate explanations for any text model: integrated gradients on the embedding layer (Captum).

The exact n-gram decomposition of :mod:`textcnn.classify.explain` holds for Kim's CNN only: one max-pooling layer
before a linear head. DPCNN, VDCNN and the character CNN stack convolutions, poolings and non-linearities, so their
logits do not split into parts exactly. Integrated gradients (M. Sundararajan, A. Taly and Q. Yan, "Axiomatic
Attribution for Deep Networks", ICML 2017) attribute instead: along the straight path from a baseline input to the
text, the gradient of a class logit with respect to each position's embedding is integrated and multiplied by the
embedding's change. Its completeness axiom says the attributions add up to ``logit(text) - logit(baseline)``;
numerically they miss it by the integral's error, which Captum reports as the convergence delta (more steps make it
smaller).

The baseline is the text with every position's embedding at zero (the ``<pad>`` row), the same length and mask, so
``Explanation.bias`` holds the baseline's logits and ``logits ~ bias + sum of spans`` as for the exact explanation.
Attributions are computed for every class (one integral per class). Word and subword models get one span per token;
character models (``tokenizer.kind: char``) are attributed per character, and the characters are added up into
whitespace words: a word's span holds its characters and the whitespace after it (the whitespace before the first
word goes to the first word), so the spans still add up to the whole attribution.

>>> e = textcnn.load("runs/ag-dpcnn").explain("stocks fell sharply")   # DPCNN: integrated gradients
>>> e.exact, e.method, e.convergence_delta[e.predicted]
(False, 'integrated_gradients', 0.0012)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from textcnn.classify.explain import Explanation, Span, _padded, _top, highlight

if TYPE_CHECKING:
    from textcnn.classify.classifier import TextClassifier

__all__ = ["APPROXIMATE", "METHOD", "N_STEPS", "ApproximateExplanation", "explain_integrated_gradients"]

#: The method's name in the JSON output (``"method"``).
METHOD = "integrated_gradients"
#: How the terminal output labels these explanations.
APPROXIMATE = "approximate (integrated gradients)"
#: Steps of the path integral (Captum's Gauss-Legendre rule); more steps, a smaller convergence delta.
N_STEPS = 50
INSTALL_HINT = 'pip install "textcnn[explain]"'


@dataclass(frozen=True)
class ApproximateExplanation(Explanation):
    """An :class:`~textcnn.classify.explain.Explanation` by integrated gradients: ``logits[c] ~ bias[c] + sum(span
    contributions[c])``, to within ``convergence_delta[c]``.

    Here ``bias`` holds the baseline's logits (every embedding zero), not the output layer's bias, and a span's
    ``filters`` is 0 (no filter is involved).

    Attributes:
        convergence_delta: Per class, the sum of the attributions less ``logits - bias`` (Captum's delta: the
            integral's numerical error).
        n_steps: Steps of the integral.
        unit: What the model reads, ``token`` or ``character`` (characters are added up into words).
        unit_attributions: Per unit of the model's input (after truncation), the unit and its attribution to the
            predicted class.
        method: ``integrated_gradients``.
    """

    convergence_delta: tuple[float, ...]
    n_steps: int
    unit: str
    unit_attributions: tuple[tuple[str, float], ...]
    method: str = METHOD

    @property
    def exact(self) -> bool:
        """Always ``False``: the attributions approximate the logits (see ``convergence_delta``)."""
        return False

    def to_dict(self) -> dict:
        """A JSON-ready dict, labelled ``"method": "integrated_gradients"``, ``"exact": false``; the baseline's logits
        are ``baseline_logits`` (the exact explanation's ``bias``)."""
        out = super().to_dict()
        out["baseline_logits"] = out.pop("bias")
        for key in ("spans", "top_for", "top_against"):
            for span in out[key]:
                span.pop("filters")
        out.update(method=self.method, exact=False)  # in the exact explanation's places, first
        return {
            **out,
            "convergence_delta": list(self.convergence_delta),
            "n_steps": self.n_steps,
            "unit": self.unit,
            "unit_attributions": [list(pair) for pair in self.unit_attributions],
        }


def _require_captum():
    """Captum's ``LayerIntegratedGradients``, or ``ModuleNotFoundError`` naming the ``explain`` extra."""
    try:
        from captum.attr import LayerIntegratedGradients
    except ImportError:
        raise ModuleNotFoundError(
            f"explaining this model needs captum (integrated gradients): {INSTALL_HINT}", name="captum"
        ) from None
    return LayerIntegratedGradients


def embedding_layers(model: nn.Module) -> list[nn.Embedding]:
    """The model's embedding tables (one; two for Kim's multichannel), whose outputs are attributed.

    Raises:
        ValueError: The model has no ``nn.Embedding``.
    """
    layers = [m for m in model.modules() if isinstance(m, nn.Embedding)]
    if not layers:
        raise ValueError(
            f"explanations need a kim_cnn model (exact) or a model with an nn.Embedding input layer (integrated "
            f"gradients); this one is a {type(model).__name__}"
        )
    return layers


def integrated_gradients(
    model: nn.Module, ids: torch.Tensor, mask: torch.Tensor, pad_id: int, n_steps: int = N_STEPS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Integrated gradients of every class logit of one text, per position.

    Args:
        model: A text model in eval mode, taking ``(input_ids, mask)``.
        ids: The text's token ids ``(1, T)``.
        mask: ``(1, T)``, True at real tokens.
        pad_id: The id whose embedding is zero: the baseline at every position.
        n_steps: Steps of the integral.

    Returns:
        ``(attributions (C, T), delta (C,), logits (C,), baseline_logits (C,))`` as float64; padded positions get
        exactly 0 (the text and the baseline agree there).
    """
    layer_ig = _require_captum()
    layers = embedding_layers(model)
    with torch.no_grad():
        logits = model(ids, mask)[0]  # (C,)
        baseline_logits = model(torch.full_like(ids, pad_id), mask)[0]  # (C,)
    num_classes = logits.shape[0]
    rows = ids.expand(num_classes, -1)  # (C, T): one row per class, each attributing its own logit
    ig = layer_ig(lambda input_ids, row_mask: model(input_ids, row_mask), layers if len(layers) > 1 else layers[0])
    attributions, delta = ig.attribute(
        rows,
        baselines=torch.full_like(rows, pad_id),
        target=torch.arange(num_classes, device=ids.device),
        additional_forward_args=(mask.expand(num_classes, -1),),
        n_steps=n_steps,
        return_convergence_delta=True,
    )
    parts = attributions if isinstance(attributions, list | tuple) else [attributions]
    per_position = sum(part.detach().double().sum(dim=-1) for part in parts)  # (C, T, E) each -> (C, T)
    return tuple(t.detach().double().cpu().numpy() for t in (per_position, delta, logits, baseline_logits))


def word_groups(chars: list[str]) -> list[tuple[int, int, str]]:
    """Whitespace words of a character sequence: ``(start, end, word)`` where ``chars[start:end]`` is the word and
    the whitespace after it (the first group also takes any whitespace before the first word). Every character is
    in exactly one group; all-whitespace input is one group with an empty word, no input none."""
    starts = [i for i, ch in enumerate(chars) if not ch.isspace() and (i == 0 or chars[i - 1].isspace())]
    if not starts:
        return [(0, len(chars), "")] if chars else []
    bounds = [0, *starts[1:], len(chars)]
    return [(a, b, "".join(chars[a:b]).strip()) for a, b in zip(bounds, bounds[1:], strict=False)]


def _units(classifier: TextClassifier, text: str, ids: list[int]) -> list[str]:
    """The model's input units, as text: the tokenizer's own split (``!`` rather than ``<unk>``) when it lines up
    with the ids, else the vocabulary's tokens."""
    split = classifier.tokenizer.tokenize(text)
    if len(split) == len(ids):
        return split
    vocab = classifier.tokenizer.tokens()
    return [vocab[i] for i in ids]


def _spans(units: list[str], per_unit: np.ndarray, characters: bool) -> tuple[list[str], list[Span]]:
    """The explanation's tokens and spans: one per unit, or (``characters``) one per whitespace word."""
    if not characters:
        return units, [Span(i, i + 1, (u,), tuple(per_unit[:, i].tolist()), 0) for i, u in enumerate(units)]
    groups = word_groups(units)
    words = [word for _, _, word in groups]
    spans = [
        Span(k, k + 1, (word,), tuple(per_unit[:, a:b].sum(axis=1).tolist()), 0)
        for k, (a, b, word) in enumerate(groups)
    ]
    return words, spans


def explain_integrated_gradients(
    classifier: TextClassifier, text: str, top_k: int = 5, n_steps: int = N_STEPS
) -> ApproximateExplanation:
    """Attribute a text's class logits to its tokens (or words, for character models) by integrated gradients.

    The text is tokenized, truncated and padded as prediction does. Works for any text model with an embedding
    layer; for a Kim CNN :func:`~textcnn.classify.explain.explain_kim` is exact.

    Args:
        classifier: A text classifier.
        text: One text.
        top_k: How many spans to keep for and against the predicted class.
        n_steps: Steps of the integral (more: a smaller ``convergence_delta``, slower).

    Returns:
        The explanation, labelled approximate; ``bias`` holds the baseline's logits.

    Raises:
        TypeError: If ``text`` is not a ``str``.
        ValueError: If ``top_k < 0`` or ``n_steps < 1``.
        ModuleNotFoundError: If captum is not installed (``pip install "textcnn[explain]"``).
    """
    from textcnn.classify.export import refuse_feature_models
    from textcnn.training.device import torch_threads

    refuse_feature_models(classifier, "explained by integrated gradients")

    if not isinstance(text, str):
        raise TypeError(f"explain takes one text (a str), got a {type(text).__name__}; explain each text in turn")
    if top_k < 0:
        raise ValueError(f"top_k must be >= 0, got {top_k}")
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    _require_captum()
    model = classifier.model.eval()
    ids = classifier.encode([text])[0]
    batch, mask = _padded(classifier, [ids])  # (1, T) each
    with torch_threads(classifier.num_threads):
        per_position, delta, logits, baseline = integrated_gradients(
            model, batch, mask, classifier.tokenizer.pad_id, n_steps
        )
    real = mask[0].cpu().numpy()
    per_unit = per_position[:, real]  # (C, n): padded positions hold 0
    units = _units(classifier, text, batch[0, mask[0]].tolist())
    characters = classifier.tokenizer.config.kind == "char"
    tokens, spans = _spans(units, per_unit, characters)
    predicted = int(np.argmax(logits))
    top_for, top_against = _top(spans, predicted, top_k)
    return ApproximateExplanation(
        text=text,
        tokens=tuple(tokens),
        labels=tuple(classifier.labels),
        logits=tuple(logits.tolist()),
        probabilities=tuple(torch.softmax(torch.from_numpy(logits), dim=0).tolist()),
        bias=tuple(baseline.tolist()),
        spans=tuple(spans),
        top_for=top_for,
        top_against=top_against,
        truncated=classifier.max_len is not None and len(ids) > classifier.max_len,
        convergence_delta=tuple(delta.tolist()),
        n_steps=n_steps,
        unit="character" if characters else "token",
        unit_attributions=tuple(zip(units, per_unit[predicted].tolist(), strict=True)),
    )


def format_approximate(explanation: ApproximateExplanation, color: bool = False) -> str:
    """The lines of :func:`~textcnn.classify.explain.format_explanation`, labelled approximate, with the sum check
    ``logit ~ baseline + sum of spans`` and Captum's convergence delta."""
    c = explanation.predicted
    label = explanation.label
    cut = " (truncated)" if explanation.truncated else ""
    lines = [
        f"{label}  p={explanation.probability:.4f}  {highlight(explanation, color)}{cut}",
        f"  {APPROXIMATE}, per {'word' if explanation.unit == 'character' else 'token'}, {explanation.n_steps} steps",
    ]
    width = max([len(s.ngram) for s in (*explanation.top_for, *explanation.top_against)] + [len(f"against {label}")])
    width = min(width, 60)
    sections = ((f"for {label}", explanation.top_for, "attribution"), (f"against {label}", explanation.top_against, ""))
    for title, spans, heading in sections:
        lines.append(f"  {title:<{width + 2}}  {heading}".rstrip())
        lines += [f"    {span.ngram or '(padding)':<{width}}  {span.contributions[c]:+.4f}" for span in spans]
        lines += [] if spans else ["    (none)"]
    lines.append(
        f"  logit {explanation.logits[c]:.4f} ~ baseline {explanation.bias[c]:.4f} + sum of spans "
        f"{explanation.span_sum(c):.4f} (convergence delta {explanation.convergence_delta[c]:+.2e})"
    )
    return "\n".join(lines)
