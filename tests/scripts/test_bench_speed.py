"""scripts/bench_speed.py: the matrix-product ceiling, the precision sides and their accuracy on a real model."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch
from toy import toy_sentiment

import textcnn


def test_ceiling_measures_each_precision_and_divides_by_kims_flops(tiny_model_dir, load_script):
    script = load_script("bench_speed")
    rates = script.matmul_ceiling((64, 48, 32), repeats=1)
    assert {"float32", "bfloat16"} <= set(rates) and all(r > 0 for r in rates.values())
    clf = textcnn.TextClassifier.from_pretrained(tiny_model_dir)
    texts, _ = toy_sentiment(20, seed=1)
    results = {"inference": {"64": {"textcnn_texts_per_s": 1000.0}}}
    report = script.ceiling_report(SimpleNamespace(ceiling_shape="64,48,32"), results, clf.model, clf.tokenizer, texts)
    conv = clf.model.convs[0].conv
    tokens = np.mean([len(ids) for ids in clf.tokenizer.encode_batch(texts)])
    flops = 2 * conv.in_channels * conv.out_channels * sum(clf.model.filter_widths) * tokens
    assert report["mflop_per_text"] == flops / 1e6
    ceiling = report["ceiling_texts_per_s"]["float32"]
    assert ceiling == report["matmul_gflops"]["float32"] * 1e9 / flops
    assert report["fraction"] == {"textcnn": {"64": 1000.0 / ceiling}}


def test_precision_sides_predict_the_same_labels(tiny_model_dir, load_script):
    script = load_script("bench_speed")
    clf = textcnn.TextClassifier.from_pretrained(tiny_model_dir)
    texts, labels = toy_sentiment(40, seed=2)
    sides = script.prediction_sides(
        clf.model, clf.model_kwargs, clf.tokenizer, clf.labels, torch.device("cpu"), texts, threads=1
    )
    assert sides["textcnn_bf16"].model is not clf.model and sides["textcnn_bf16"].precision == "bfloat16"
    assert clf.model.inference_dtype == "float32"  # the float32 side is not switched by the bf16 one
    split = SimpleNamespace(texts=texts, labels=[clf.labels.index(y) for y in labels])
    accuracy = script.precision_accuracy({k: v for k, v in sides.items() if k != "textcnn_int8"}, split)
    assert accuracy["textcnn"]["accuracy"] > 90 and accuracy["textcnn_bf16"]["agree"] == 100.0
