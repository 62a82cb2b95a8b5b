"""A one-page HTML report of a trained text model: its config, its plots, per-class scores, the most confident
errors on a labelled split (explained, for a Kim CNN) and the n-grams that push each class.

The page is self-contained: the plots are PNG data URIs, the style sheet is inline, and there are no scripts, fonts
or links to load (a ``Content-Security-Policy`` meta tag forbids any), so it opens offline and can be mailed as one
file. Every text on it (config values, labels, the texts of the examples) is escaped with :func:`html.escape`.

>>> html = build_report("runs/mr", data="mr")  # the model's fold of MR, test split
>>> Path("report.html").write_text(html)
"""

from __future__ import annotations

import base64
import html
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from textcnn.classify.classifier import TextClassifier
    from textcnn.classify.explain import Explanation, NgramReport

#: Splits errors can be read from (of a dataset, or the files named in the model's config).
SPLITS = ("test", "dev")
DEFAULT_SPLIT = "test"
#: Most confident wrong predictions shown.
DEFAULT_ERRORS = 10
#: Spans for and against the prediction shown per error.
DEFAULT_TOP_K = 5
#: n-grams shown per class.
DEFAULT_NGRAMS = 10

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0;
       background: #f6f8fa; }
main { max-width: 1160px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 2px 0; color: #57606a; }
nav { margin: 14px 0 0; font-size: 14px; }
nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 16px 20px; margin: 18px 0; }
h2 { margin: 0 0 12px; font-size: 20px; }
h3 { margin: 14px 0 6px; font-size: 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card b { display: block; font-size: 22px; }
.card span { color: #57606a; font-size: 13px; }
.plots { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.plots figure { margin: 0; flex: 1 1 420px; }
.plots img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: 13px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 14px; }
th, td { border-bottom: 1px solid #eaeef2; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.row { display: flex; flex-wrap: wrap; gap: 8px 48px; align-items: flex-start; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 8px 24px; }
pre { background: #f6f8fa; padding: 10px 12px; border-radius: 6px; overflow: auto; font-size: 13px;
      max-height: 420px; }
mark.for { background: #c7f0d2; color: #0b5d1e; font-weight: 600; padding: 0 2px; border-radius: 3px; }
mark.against { background: #ffd7d5; color: #82071e; padding: 0 2px; border-radius: 3px; }
.text { max-width: 520px; }
.note { color: #57606a; }
.spans { font-size: 13px; white-space: nowrap; }
.for-c { color: #0b5d1e; }
.against-c { color: #82071e; }
"""

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="$csp">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$style</style>
</head>
<body>
<main>
<header>
<h1>$title</h1>
$subtitle
<div class="cards">$cards</div>
<nav>$nav</nav>
</header>
$sections
</main>
</body>
</html>
""")


class _Html(str):
    """Markup that is already escaped (a table cell holding tags, say); every other ``str`` is escaped."""


def _esc(value: object) -> str:
    """``value`` as HTML: escaped, unless it is :class:`_Html`."""
    return value if isinstance(value, _Html) else html.escape(str(value))


@dataclass(frozen=True)
class Examples:
    """Labelled examples the model was scored on.

    Attributes:
        texts: The texts.
        gold: Their gold label ids (in the order of the model's labels).
        scored: What they are: ``{"dataset", "split", "fold", "n"}`` or ``{"file", "n"}`` (as ``textcnn evaluate``
            reports it).
    """

    texts: list[str]
    gold: list[int]
    scored: dict


def read_examples(
    classifier: TextClassifier,
    data: str | None = None,
    *,
    data_dir: str | None = None,
    split: str = DEFAULT_SPLIT,
    fold: int | None = None,
    split_seed: int | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
) -> Examples | None:
    """The labelled examples to report errors on, found as ``textcnn evaluate`` finds them.

    Args:
        classifier: The model (its saved config supplies what is not given).
        data: A labelled file, or a registered dataset's name; ``None`` takes ``data.dataset`` of the model's config
            (for ``file``, its ``data.test_file`` or ``data.dev_file``, after ``split``).
        data_dir: Benchmark data root; ``None`` takes the config's ``data.data_dir``, else ``$TEXTCNN_DATA``.
        split: ``test`` or ``dev`` split of a dataset.
        fold: Test fold of a cross-validation dataset; ``None`` takes the model's (``data.fold``).
        split_seed: Seed of the folds and dev hold-out; ``None`` takes the model's (``data.split_seed``).
        text_column: Text column of a file; ``None`` takes the model's.
        label_column: Label column of a file; ``None`` takes the model's.

    Returns:
        The examples, or ``None`` when neither ``data`` nor the config names any (a model trained on a file without
        a ``split`` file).

    Raises:
        ValueError: Unknown split or dataset, labels that differ from the model's.
    """
    from textcnn.classify.evaluate import _dataset_examples, _file_examples

    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    saved = classifier.config.get("data") if isinstance(classifier.config.get("data"), dict) else {}
    if data is None:
        data = saved.get("dataset")
        if data == "file":
            data = saved.get(f"{split}_file")
        if data is None:
            return None
    if Path(data).is_file():
        columns = (text_column or saved.get("text_column", "text"), label_column or saved.get("label_column", "label"))
        texts, gold, scored = _file_examples(classifier, str(data), *columns)
        return Examples(texts, gold, scored)
    _check_dataset_name(data)
    fold = saved.get("fold", 0) if fold is None else fold
    split_seed = saved.get("split_seed", 0) if split_seed is None else split_seed
    texts, gold, scored = _dataset_examples(
        classifier, data, data_dir or saved.get("data_dir"), int(fold), split, int(split_seed)
    )
    return Examples(texts, gold, scored)


def _check_dataset_name(data: str) -> None:
    """Refuse a name that is neither an existing file nor a registered dataset, saying both."""
    from textcnn.data.registry import get_dataset_spec

    try:
        get_dataset_spec(data)
    except ValueError as exc:
        raise ValueError(f"data {data!r} is not a file, and {exc}") from None


def worst_errors(gold: list[int], proba: np.ndarray, n: int) -> list[int]:
    """Indices of the ``n`` wrong predictions made with the highest probability, most confident first.

    Args:
        gold: Gold label ids ``(N,)``.
        proba: Predicted probabilities ``(N, C)``.
        n: How many to return.
    """
    import numpy as np

    predicted = proba.argmax(axis=1)  # (N,)
    wrong = np.flatnonzero(predicted != np.asarray(gold, dtype=np.int64))
    confidence = proba[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:n].tolist()


def build_report(
    model_dir: str | Path,
    *,
    data: str | None = None,
    data_dir: str | None = None,
    split: str = DEFAULT_SPLIT,
    fold: int | None = None,
    split_seed: int | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    n_errors: int = DEFAULT_ERRORS,
    top_k: int = DEFAULT_TOP_K,
    n_ngrams: int = DEFAULT_NGRAMS,
    batch_size: int = 256,
) -> str:
    """The HTML page reporting on a trained text model (see the module docstring).

    Args:
        model_dir: A model directory written by ``textcnn train``.
        data, data_dir, split, fold, split_seed, text_column, label_column: Where the errors and n-grams come from
            (see :func:`read_examples`).
        n_errors: Most confident wrong predictions to show (0: no errors section).
        top_k: Spans for and against the prediction to show per error (Kim CNN models).
        n_ngrams: n-grams per class to show (Kim CNN models; 0: no n-grams section).
        batch_size: Texts per forward pass.

    Returns:
        The page, one self-contained HTML document.

    Raises:
        ValueError: A bad model directory or data, an image or multi-label model, or a negative count.
    """
    from textcnn.classify.classifier import load
    from textcnn.classify.model_dir import CONFIG_FILE, read_metrics

    for name, value in (("n_errors", n_errors), ("top_k", top_k), ("n_ngrams", n_ngrams)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    model_dir = Path(model_dir)
    classifier = load(model_dir, backend="torch")  # explanations read the PyTorch model, even of an int8 directory
    if getattr(classifier, "task", "text") != "text":
        raise ValueError(f"{model_dir} holds an image model; the report covers text models")
    if getattr(classifier, "multi_label", False):
        raise ValueError(f"{model_dir} holds a multi-label model; the report covers single-label text models")
    metrics = read_metrics(model_dir)
    examples = read_examples(
        classifier,
        data,
        data_dir=data_dir,
        split=split,
        fold=fold,
        split_seed=split_seed,
        text_column=text_column,
        label_column=label_column,
    )
    config_path = model_dir / CONFIG_FILE
    config_text = config_path.read_text(encoding="utf-8") if config_path.is_file() else ""
    sections = [("plots", "Plots", _plots_section(model_dir, metrics))]
    if examples is None:
        note = "No labelled examples: pass data (a file or a dataset) to see errors and n-grams."
        sections.append(("metrics", "Per-class metrics", _metrics_section(_recorded_split(metrics), None, note)))
    else:
        proba = classifier.predict_proba(examples.texts, batch_size=batch_size)  # (N, C)
        scored = _scored_metrics(examples, proba, classifier.labels)
        sections.append(("metrics", "Per-class metrics", _metrics_section(scored, examples.scored, "")))
        if n_errors:
            picked = worst_errors(examples.gold, proba, n_errors)
            errors = _errors_section(classifier, examples, proba, picked, top_k)
            sections.append(("errors", "Most confident errors", errors))
        if n_ngrams:
            ngrams = _ngrams_section(classifier, examples, n_ngrams, batch_size)
            sections.append(("ngrams", "Top n-grams per class", ngrams))
    sections.append(("config", "Config", f"<pre>{_esc(config_text or '(no config.yaml)')}</pre>"))
    return _page(model_dir, classifier, metrics, examples, sections)


# ---------------------------------------------------------------------------------------------------- the page
def _page(model_dir: Path, classifier, metrics: dict, examples: Examples | None, sections: list) -> str:
    """The whole document: header, summary cards, navigation and the sections."""
    from textcnn import __version__

    labels = ", ".join(map(str, classifier.labels))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    source = _describe(examples.scored) if examples is not None else "no labelled examples"
    subtitle = (
        f"<p>{_esc(classifier.model_name)} &middot; {len(classifier.labels)} classes ({_esc(labels)})</p>"
        f"<p>errors and n-grams from: {_esc(source)} &middot; textcnn {_esc(__version__)} &middot; {_esc(stamp)}</p>"
    )
    return _PAGE.substitute(
        csp=_CSP,
        title=_esc(f"textcnn report: {model_dir.resolve().name}"),
        style=_STYLE,
        subtitle=subtitle,
        cards="".join(_card(value, label) for value, label in _summary(metrics)),
        nav="".join(f'<a href="#{key}">{_esc(title)}</a>' for key, title, _ in sections),
        sections="\n".join(
            f'<section id="{key}"><h2>{_esc(title)}</h2>\n{body}</section>' for key, title, body in sections
        ),
    )


def _summary(metrics: dict) -> list[tuple[str, str]]:
    """``(value, label)`` of the headline numbers ``metrics.json`` records."""
    cards = []
    for split in ("test", "dev"):
        m = metrics.get(split)
        if isinstance(m, dict) and isinstance(m.get("accuracy"), float):
            cards += [(f"{m['accuracy']:.4f}", f"{split} accuracy (n={m.get('n')})")]
            cards += [(f"{m['macro_f1']:.4f}", f"{split} macro-F1")] if isinstance(m.get("macro_f1"), float) else []
    if metrics.get("best_epoch"):
        cards.append((f"{metrics['best_epoch']} / {metrics.get('epochs_run', '?')}", "kept epoch / epochs run"))
    return cards


def _card(value: str, label: str) -> str:
    return f'<div class="card"><b>{_esc(value)}</b><span>{_esc(label)}</span></div>'


def _describe(scored: dict) -> str:
    """``mr, test split, fold 0 (1066 examples)`` or ``FILE (200 examples)``."""
    if "file" in scored:
        return f"{scored['file']} ({scored['n']} examples)"
    fold = f", fold {scored['fold']}" if "fold" in scored else ""
    return f"{scored['dataset']}, {scored['split']} split{fold} ({scored['n']} examples)"


def _table(headers: list[str], rows: list[list], numeric: tuple[int, ...] = ()) -> str:
    """An HTML table; every cell escaped (but :class:`_Html`), columns in ``numeric`` right-aligned."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i in numeric else ''}>{_esc(c)}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ---------------------------------------------------------------------------------------------------- plots
def _plots_section(model_dir: Path, metrics: dict) -> str:
    """The run's PNG plots as data URIs; plots the folder lacks are drawn again from its metrics and history."""
    pngs = _plot_pngs(model_dir, metrics)
    if not pngs:
        return '<p class="note">No plots: the folder has neither a training log nor a confusion matrix.</p>'
    figures = [
        f'<figure><img alt="{_esc(name)}" src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'
        f"<figcaption>{_esc(name)}</figcaption></figure>"
        for name, data in pngs
    ]
    return f'<div class="plots">{"".join(figures)}</div>'


def _plot_pngs(model_dir: Path, metrics: dict) -> list[tuple[str, bytes]]:
    """``(file name, PNG bytes)`` of each plot of :data:`~textcnn.classify.plots.PLOT_FILES` the run has or can
    have; missing ones are written by :func:`~textcnn.classify.plots.write_run_plots` into a scratch folder (the
    model directory is never written to)."""
    from textcnn.classify.model_dir import CONFIG_FILE
    from textcnn.classify.plots import PLOT_FILES, write_run_plots
    from textcnn.training.callbacks import LOG_NAME

    found = {name: (model_dir / name).read_bytes() for name in PLOT_FILES if (model_dir / name).is_file()}
    if len(found) < len(PLOT_FILES):
        with tempfile.TemporaryDirectory(prefix="textcnn-report-") as scratch:
            for name in (LOG_NAME, CONFIG_FILE):
                if (model_dir / name).is_file():
                    shutil.copyfile(model_dir / name, Path(scratch) / name)
            for path in write_run_plots(scratch, metrics):
                found.setdefault(path.name, path.read_bytes())
    return [(name, found[name]) for name in PLOT_FILES if name in found]


# ---------------------------------------------------------------------------------------------------- metrics
def _scored_metrics(examples: Examples, proba: np.ndarray, labels: list) -> dict:
    from textcnn.training.metrics import classification_metrics

    return classification_metrics(examples.gold, proba.argmax(axis=1).tolist(), [str(x) for x in labels])


def _recorded_split(metrics: dict) -> dict | None:
    """The test (else dev) metrics ``metrics.json`` holds, if any."""
    return next((metrics[s] for s in ("test", "dev") if isinstance(metrics.get(s), dict) and metrics[s].get("n")), None)


def _metrics_section(m: dict | None, scored: dict | None, note: str) -> str:
    """Accuracy, macro-F1, precision/recall/F1 per class and the confusion matrix of one split."""
    if not m or not m.get("per_class"):
        return f'<p class="note">{_esc(note or "No per-class metrics recorded.")}</p>'
    where = _describe(scored) if scored else "the split recorded in metrics.json"
    rows = [
        [name, f"{r['precision']:.4f}", f"{r['recall']:.4f}", f"{r['f1']:.4f}", r["support"]]
        for name, r in m["per_class"].items()
    ]
    matrix = [[name, *row] for name, row in zip(m["labels"], m["confusion_matrix"], strict=True)]
    return (
        (f'<p class="note">{_esc(note)}</p>' if note else "")
        + f"<p>On {_esc(where)}: accuracy <b>{m['accuracy']:.4f}</b>, macro-F1 <b>{m['macro_f1']:.4f}</b>.</p>"
        + '<div class="row"><div><h3>Per class</h3>'
        + _table(["class", "precision", "recall", "F1", "support"], rows, numeric=(1, 2, 3, 4))
        + "</div><div><h3>Confusion matrix (rows gold, columns predicted)</h3>"
        + _table(["", *map(str, m["labels"])], matrix, numeric=tuple(range(1, len(m["labels"]) + 1)))
        + "</div></div>"
    )


# ---------------------------------------------------------------------------------------------------- errors
def _explainable(classifier) -> bool:
    from textcnn.classify.explain import check_explainable
    from textcnn.classify.hybrid import refuse_hybrid

    try:
        refuse_hybrid(classifier)
        check_explainable(classifier.model)
    except ValueError:
        return False
    return True


def _kind(classifier) -> str:
    """``kim_cnn``, or ``dpcnn + nbsvm hybrid``."""
    linear = getattr(classifier, "linear", None)
    return f"{classifier.model_name} + {linear.kind} hybrid" if linear is not None else classifier.model_name


def _errors_section(classifier, examples: Examples, proba: np.ndarray, picked: list[int], top_k: int) -> str:
    """A table of the picked errors; for a Kim CNN the text with the spans for and against the prediction marked."""
    if not picked:
        return f'<p class="note">No errors on {_esc(_describe(examples.scored))}.</p>'
    explain = _explainable(classifier)
    labels = classifier.labels
    rows = []
    for rank, i in enumerate(picked, start=1):
        predicted = int(proba[i].argmax())
        base = [rank, labels[examples.gold[i]], labels[predicted], f"{proba[i, predicted]:.4f}"]
        if explain:
            explanation = classifier.explain(examples.texts[i], top_k=top_k)
            rows.append([*base, _Html(_highlight(explanation)), _Html(_span_list(explanation))])
        else:
            rows.append([*base, examples.texts[i]])
    headers = ["#", "gold", "predicted", "p"]
    if not explain:
        note = f"Explanations need a kim_cnn alone; this model is a {_kind(classifier)}."
        return f'<p class="note">{_esc(note)}</p>' + _table([*headers, "text"], rows, numeric=(0, 3))
    legend = (
        '<p class="note">The wrong predictions made with the highest probability. In each text the n-grams adding '
        'most to the predicted class\'s logit are <mark class="for">marked green</mark>, those taking most from it '
        '<mark class="against">red</mark> (exact contributions of a Kim CNN; see <code>textcnn explain</code>).</p>'
    )
    return legend + _table([*headers, "text (tokens)", "spans: contribution to the predicted logit"], rows, (0, 3))


def _highlight(explanation: Explanation) -> str:
    """The explanation's tokens as HTML, runs of tokens in a top span for / against the prediction in ``<mark>``
    (the original text in the ``title``, shown on hover)."""
    from textcnn.classify.explain import marked_runs

    runs = marked_runs(explanation)
    pieces = [
        f'<mark class="{mark}">{_esc(" ".join(words))}</mark>' if mark else _esc(" ".join(words))
        for mark, words in runs
    ]
    cut = ' <span class="note">(truncated)</span>' if explanation.truncated else ""
    original = _esc(explanation.text)
    return f'<div class="text" title="{original}">{" ".join(pieces) or "(no tokens)"}{cut}</div>'


def _span_list(explanation: Explanation) -> str:
    """The top spans for and against the prediction with their contributions to its logit."""
    c = explanation.predicted
    lines = [
        f'<span class="{css}">{_esc(span.ngram or "(padding)")} {span.contributions[c]:+.3f}</span>'
        for css, spans in (("for-c", explanation.top_for), ("against-c", explanation.top_against))
        for span in spans
    ]
    return f'<div class="spans">{"<br>".join(lines)}</div>'


# ---------------------------------------------------------------------------------------------------- n-grams
def _ngrams_section(classifier, examples: Examples, n_ngrams: int, batch_size: int) -> str:
    """Per class, the n-grams adding most to its logit over the examples (:func:`corpus_ngrams`)."""
    from textcnn.classify.explain import corpus_ngrams

    if not _explainable(classifier):
        return f'<p class="note">n-gram tables need a kim_cnn alone; this model is a {_esc(_kind(classifier))}.</p>'
    report = corpus_ngrams(classifier, examples.texts, batch_size=batch_size)
    return (
        f'<p class="note">Contribution to each class logit summed over the {report.n_texts} texts of '
        f"{_esc(_describe(examples.scored))}, and per text where the n-gram won a filter (as "
        "<code>textcnn explain --top-ngrams</code> reports them).</p>"
        f'<div class="grid">{"".join(_class_ngrams(report, c, n_ngrams) for c in range(len(report.labels)))}</div>'
    )


def _class_ngrams(report: NgramReport, class_index: int, k: int) -> str:
    rows = [
        [ngram or "(padding)", f"{total:+.3f}", texts, f"{total / texts:+.3f}"]
        for ngram, total, texts in report.top_ngrams(class_index, k)
    ]
    title = f"<h3>{_esc(report.labels[class_index])}</h3>"
    return f"<div>{title}{_table(['n-gram', 'total', 'texts', 'per text'], rows, numeric=(1, 2, 3))}</div>"
