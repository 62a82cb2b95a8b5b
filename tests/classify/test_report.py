"""The HTML report of a model directory: what it shows, that it escapes every text, and that a real headless Chromium
renders it offline without errors."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import yaml
from toy import write_csv

import textcnn
from textcnn.classify.evaluate import evaluate_model_dir
from textcnn.classify.plots import PLOT_FILES
from textcnn.classify.report import build_report, worst_errors

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Clear sentiment words with the wrong label: the toy model gets them wrong with high confidence. The third one
# carries markup that must come out escaped.
FLIPPED = [
    ("the film was superb and lovely", "neg"),
    ("awful dull story", "pos"),
    ('<script>alert("x")</script> the acting was great', "neg"),
]
CORRECT = [("the music was fun", "pos"), ("a boring plot", "neg"), ("quite good", "pos"), ("very poor", "neg")]


class _Page(HTMLParser):
    """The parts of a page the tests read: tag attributes, section ids, the text of each section."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.sections: dict[str, str] = {}
        self._section: str | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "section":
            self._section = attrs["id"]
            self.sections[self._section] = ""

    def handle_data(self, data):
        if self._section is not None:
            self.sections[self._section] += data


@pytest.fixture(scope="module")
def errors_file(tmp_path_factory) -> Path:
    rows = FLIPPED + CORRECT
    return write_csv(tmp_path_factory.mktemp("report") / "errors.csv", [t for t, _ in rows], [y for _, y in rows])


@pytest.fixture(scope="module")
def page(tiny_model_dir, errors_file) -> str:
    return build_report(tiny_model_dir, data=str(errors_file), n_errors=5, top_k=2, n_ngrams=4)


def test_worst_errors_are_the_most_confident_wrong_predictions():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.05, 0.95], [0.7, 0.3]])
    gold = [1, 1, 0, 0, 1]  # wrong: 0 (p=0.9), 2 (0.6), 3 (0.95), 4 (0.7)
    assert worst_errors(gold, proba, 3) == [3, 0, 4]
    assert worst_errors(gold, proba, 10) == [3, 0, 4, 2]
    assert worst_errors([0, 1, 1, 1, 0], proba, 5) == []


def test_errors_are_the_flipped_examples_with_their_spans_marked(page, tiny_model_dir, errors_file):
    parsed = _Page(page)
    errors = parsed.sections["errors"]
    for text, _ in FLIPPED:
        assert text.split()[-1] in errors  # tokens of every flipped example are shown
    for text, _ in CORRECT:
        assert text not in errors
    rows = re.findall(r"<tr><td class=num>(\d+)</td><td>(\w+)</td><td>(\w+)</td><td class=num>([\d.]+)</td>", page)
    assert [int(r[0]) for r in rows] == [1, 2, 3]
    assert all(gold != predicted for _, gold, predicted, _ in rows)
    shown = [float(r[3]) for r in rows]
    assert shown == sorted(shown, reverse=True)
    # the probabilities shown are the model's
    clf = textcnn.load(tiny_model_dir)
    expected = sorted(clf.predict_proba([t for t, _ in FLIPPED]).max(axis=1), reverse=True)
    np.testing.assert_allclose(shown, expected, atol=6e-5)
    # the sentiment word is marked as pushing for the (wrong) prediction
    pushing = " ".join(re.findall(r'<mark class="for">([^<]*)</mark>', page))
    assert "superb" in pushing and "awful" in pushing


def test_every_text_is_escaped(page):
    assert "<script" not in page
    original = html.escape(FLIPPED[2][0])  # the original text, on hover
    assert f'title="{original}"' in page and "&lt;script&gt;alert(&quot;x&quot;)" in original
    assert "&lt;unk&gt;" in page  # unknown words keep the tokenizer's spelling


def test_page_is_self_contained(page):
    parsed = _Page(page)
    images = [attrs["src"] for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) == len(PLOT_FILES)
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG_SIGNATURE
    links = [attrs.get("href") or attrs.get("src") for _, attrs in parsed.tags if "href" in attrs or "src" in attrs]
    assert all(link.startswith(("#", "data:")) for link in links), links
    assert not any(tag in ("script", "link", "iframe") for tag, _ in parsed.tags)


def test_metrics_config_and_ngrams_of_the_scored_data(page, tiny_model_dir, errors_file):
    parsed = _Page(page)
    metrics = evaluate_model_dir(tiny_model_dir, file=str(errors_file))
    assert f"accuracy {metrics['accuracy']:.4f}" in parsed.sections["metrics"]
    for name, row in metrics["per_class"].items():
        assert f"<td>{name}</td><td class=num>{row['precision']:.4f}</td>" in page
    config = (tiny_model_dir / "config.yaml").read_text(encoding="utf-8")
    assert html.escape(config) in page
    ngrams = parsed.sections["ngrams"]
    assert "superb" in ngrams or "great" in ngrams or "fun" in ngrams


def test_without_data_the_config_test_file_is_used(tiny_model_dir, toy_files):
    parsed = _Page(build_report(tiny_model_dir, n_errors=1))
    metrics = evaluate_model_dir(tiny_model_dir, file=str(toy_files["test"]))
    assert f"{toy_files['test']} (200 examples): accuracy {metrics['accuracy']:.4f}" in parsed.sections["metrics"]


def test_missing_plots_are_drawn_again_without_writing_the_model_dir(tiny_model_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    for name in PLOT_FILES:
        (copy / name).unlink()
    before = sorted(p.name for p in copy.iterdir())
    page = build_report(copy, n_errors=0, n_ngrams=0)
    assert list(_Page(page).sections) == ["plots", "metrics", "config"]
    images = [a["src"] for t, a in _Page(page).tags if t == "img"]
    assert len(images) == len(PLOT_FILES)
    assert all(base64.b64decode(src.split(",", 1)[1])[:8] == PNG_SIGNATURE for src in images)
    assert sorted(p.name for p in copy.iterdir()) == before


def test_without_any_examples_the_recorded_metrics_are_shown(tiny_model_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    config = yaml.safe_load((copy / "config.yaml").read_text(encoding="utf-8"))
    config["data"]["test_file"] = None
    (copy / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    parsed = _Page(build_report(copy))
    assert list(parsed.sections) == ["plots", "metrics", "config"]
    recorded = json.loads((copy / "metrics.json").read_text(encoding="utf-8"))["test"]
    assert "No labelled examples" in parsed.sections["metrics"]
    assert f"the split recorded in metrics.json: accuracy {recorded['accuracy']:.4f}" in parsed.sections["metrics"]


def test_a_model_other_than_kim_is_reported_without_explanations(tiny_model_dir, tmp_path):
    from textcnn.classify.classifier import TextClassifier
    from textcnn.models import create_model

    clf = textcnn.load(tiny_model_dir)
    kwargs = {"vocab_size": clf.tokenizer.vocab_size, "num_classes": 2, "embedding_dim": 8, "num_filters": 8}
    kwargs["num_blocks"] = 1
    other = TextClassifier(create_model("dpcnn", **kwargs), clf.tokenizer, clf.labels, model_name="dpcnn")
    other.model_kwargs = kwargs
    other.save_pretrained(tmp_path / "dpcnn")
    markup = FLIPPED[2][0]
    both = write_csv(tmp_path / "both.csv", [markup, markup, "great"], ["pos", "neg", "pos"])  # one is an error
    page = build_report(tmp_path / "dpcnn", data=str(both))
    parsed = _Page(page)
    assert "Explanations need a kim_cnn alone; this model is a dpcnn." in parsed.sections["errors"]
    assert "n-gram tables need a kim_cnn" in parsed.sections["ngrams"]
    assert "<mark" not in page
    assert "<script" not in page
    assert html.escape(markup) in page and markup in parsed.sections["errors"]  # shown as text, never run


def test_bad_data_names_the_value(tiny_model_dir):
    with pytest.raises(ValueError, match=r"data 'no_such\.csv' is not a file, and unknown dataset"):
        build_report(tiny_model_dir, data="no_such.csv")
    with pytest.raises(ValueError, match="split must be one of test, dev"):
        build_report(tiny_model_dir, split="train")


@pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no chromium at {CHROMIUM} (apt-get install chromium)")
def test_chromium_renders_the_page_offline(page, tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1200, "height": 900})
            problems: list[str] = []
            tab.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
            tab.on("pageerror", lambda exc: problems.append(str(exc)))
            tab.on("request", lambda req: None if req.url.startswith(("file:", "data:")) else problems.append(req.url))
            tab.goto(path.as_uri(), wait_until="load")
            widths = tab.evaluate("[...document.images].map(img => img.complete ? img.naturalWidth : 0)")
            marks = tab.locator("mark.for").count()
            shot = tab.screenshot(path=str(tmp_path / "shot.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert len(widths) == len(PLOT_FILES) and all(w > 0 for w in widths), widths
    assert marks > 0
    assert shot[:8] == PNG_SIGNATURE and len(shot) > 10_000
    assert (tmp_path / "shot.png").read_bytes() == shot
