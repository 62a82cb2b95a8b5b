"""textcnn.models.summary: per-layer rows from forward hooks, totals, rendering, and registered-model summaries."""

import pytest
import torch
from torch import nn

from textcnn.layers import ConvNormAct, count_parameters
from textcnn.models import create_model, get_model_entry, list_models
from textcnn.models.summary import (
    LayerRow,
    format_summary,
    parse_input_size,
    summarize,
    summarize_model,
    summary_totals,
)


class TinyText(nn.Module):
    """Embedding -> Conv1d -> max over time -> linear, like a one-width Kim CNN."""

    def __init__(self, vocab_size: int = 30) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 8, padding_idx=0)
        self.conv = ConvNormAct(8, 4, 3, padding=0, dims=1)
        self.fc = nn.Linear(4, 2)
        self.seen_ids: torch.Tensor | None = None

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        self.seen_ids = ids
        x = self.embedding(ids).transpose(1, 2)  # (B, 8, T)
        return self.fc(self.conv(x).amax(dim=2))  # (B, 4, T - 2) -> (B, 4) -> (B, 2)


def test_rows_follow_execution_order_with_blocks_before_their_layers():
    model = nn.Sequential(ConvNormAct(3, 10, 5, padding=2), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(10 * 16 * 16, 3))
    rows = summarize(model, (3, 32, 32))
    assert [(r.name, r.type, r.depth) for r in rows] == [
        ("input", "Input", 0),
        ("0", "ConvNormAct", 1),
        ("0.conv", "Conv2d", 2),
        ("0.act", "ReLU", 2),
        ("1", "MaxPool2d", 1),
        ("2", "Flatten", 1),
        ("3", "Linear", 1),
    ]
    by_name = {r.name: r for r in rows}
    assert by_name["0.conv"].output_shape == (10, 32, 32) and by_name["0.conv"].activations == 10_240
    assert by_name["0.conv"].params == 760
    assert by_name["3"].output_shape == (3,)
    assert not by_name["0"].is_leaf and by_name["0"].params == 0


def test_in_place_outputs_and_views_are_not_counted_as_new_memory():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(inplace=True), nn.ReLU(), nn.Flatten(), nn.Dropout())
    rows = {r.name: r for r in summarize(model, (1, 6, 6))}
    assert rows["1"].in_place and not rows["1"].counted  # in-place ReLU
    assert not rows["2"].in_place and rows["2"].counted  # a ReLU that allocates
    assert rows["3"].in_place  # flatten is a view
    assert rows["4"].in_place  # dropout in eval mode returns its input
    totals = summary_totals(list(rows.values()))
    assert totals.total_activations == 2 * 4 * 4 * 2  # the conv and the out-of-place ReLU
    assert totals.forward_mb == pytest.approx((36 + 64) * 4 / 1e6)


def test_meta_and_cpu_summaries_agree():
    torch.manual_seed(0)
    cpu = summarize(create_model("lenet5"), (1, 32, 32))
    with torch.device("meta"):
        meta_model = create_model("lenet5")
    meta = summarize(meta_model, (1, 32, 32))
    assert [(r.name, r.output_shape, r.params, r.counted) for r in cpu] == [
        (r.name, r.output_shape, r.params, r.counted) for r in meta
    ]


def test_params_column_adds_up_even_for_layers_that_do_not_run():
    with torch.device("meta"):
        model = create_model("googlenet")
    rows = summarize(model, (3, 224, 224))
    not_run = [r for r in rows if r.output_shape is None]
    assert not_run and all(r.name.startswith(("aux1.", "aux2.")) for r in not_run)
    assert sum(r.params for r in rows) == count_parameters(model)


def test_frozen_and_shared_parameters():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    model[0].bias.requires_grad_(False)
    rows = summarize(model, (4,))
    assert [r.params for r in rows if r.type == "Linear"] == [20, 0]  # counted once although it runs twice
    totals = summary_totals(rows)
    assert (totals.total_params, totals.trainable_params) == (20, 16)


def test_token_ids_for_text_models():
    model = TinyText(vocab_size=30)
    rows = {r.name: r for r in summarize(model, (12,), dtype=torch.long)}
    ids = model.seen_ids
    assert ids.shape == (1, 12) and ids.dtype == torch.long and ids.min() >= 2 and ids.max() < 30
    assert rows["embedding"].output_shape == (12, 8) and rows["conv.conv"].output_shape == (4, 10)
    summarize(model, (5,), dtype=torch.long, vocab_size=3)
    assert model.seen_ids.eq(2).all()


@pytest.mark.parametrize("use_words", [True, False])
def test_contextual_model_gets_features_beside_the_ids(use_words):
    """A model reading encoder features (``needs_features``) is summarised with them, with or without words."""
    model = create_model("kim_cnn_contextual", vocab_size=40, feature_dim=12, use_words=use_words,
                         embedding_dim=6, num_filters=4)  # fmt: skip
    rows = summarize(model, (20,), dtype=torch.long)
    by_name = {r.name: r for r in rows}
    assert by_name["features"].output_shape == (20, 12) and by_name["features"].depth == 0
    assert by_name["convs.0.conv"].output_shape == (4, 22)  # wide convolution over 20 positions, width 3
    assert summary_totals(rows).input_values == 20 + 20 * 12
    assert summary_totals(rows).total_params == count_parameters(model)


def test_summarize_restores_mode_and_removes_hooks():
    model = create_model("lenet5").train()
    model.features.c1.eval()  # a sub-module kept in eval mode must stay so
    summarize(model, (1, 32, 32))
    assert model.training and model.classifier.training and not model.features.c1.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_summarize_validation():
    with pytest.raises(ValueError, match=r"input_size must be positive.*\(3, 0, 4\)"):
        summarize(nn.Identity(), (3, 0, 4))
    with pytest.raises(ValueError, match="no nn.Embedding"):
        summarize(nn.Linear(3, 2), (3,), dtype=torch.long)
    with pytest.raises(ValueError, match=r"vocab_size must be > 2 .*got 2"):
        summarize(TinyText(), (3,), dtype=torch.long, vocab_size=2)


def test_format_summary_renders_table_and_totals():
    text = format_summary(summarize(create_model("lenet5"), (1, 32, 32)))
    lines = text.splitlines()
    assert lines[0].split() == ["Layer", "Type", "Output", "shape", "Activations", "Params"]
    assert any(line.split()[:3] == ["features.c1.conv", "Conv2d", "6x28x28"] and line.endswith("156") for line in lines)
    assert "Total params: 61,706" in text
    assert "Trainable params: 61,706" in text and "Non-trainable params: 0" in text
    assert "Input values: 1,024" in text
    assert "MB" in lines[-1]


def test_format_summary_marks_uncounted_and_not_run_rows():
    rows = [
        LayerRow("input", "Input", 0, (4,), 4, 0, 0, True),
        LayerRow("act", "ReLU", 1, (4,), 4, 0, 0, True, in_place=True),
        LayerRow("aux", "Linear", 1, None, 0, 1_234, 1_234, True),
    ]
    text = format_summary(rows)
    assert "(4)" in text
    assert any(line.split()[:4] == ["aux", "Linear", "-", "-"] and "1,234" in line for line in text.splitlines())


@pytest.mark.parametrize("name", ["lenet5", "googlenet", "densenet121", *list_models("text")])
def test_registered_models_can_be_summarised(name):
    """A sample of image models (every one runs on the meta device in tests/models/test_zoo.py) and all text models."""
    rows = summarize_model(name)
    assert rows[0].output_shape == get_model_entry(name).input_size
    ran = [r for r in rows[1:] if r.output_shape is not None]
    assert ran and all(r.activations > 0 for r in ran)
    assert summary_totals(rows).total_params == sum(r.params for r in rows) > 0


def test_summarize_model_options_and_errors():
    rows = summarize_model("resnet18", input_size=(3, 64, 64), num_classes=10)
    by_name = {r.name: r for r in rows}
    assert by_name["layer4.1"].output_shape == (512, 2, 2) and by_name["fc"].output_shape == (10,)
    with pytest.raises(ValueError, match="needs 3 axes"):
        summarize_model("resnet18", input_size=(64, 64))
    with pytest.raises(ValueError, match="does not fit model 'vgg16'"):
        summarize_model("vgg16", input_size=(3, 16, 16))
    with pytest.raises(ValueError, match="unknown model 'vgg17'"):
        summarize_model("vgg17")


def test_parse_input_size():
    assert parse_input_size("3,224,224") == (3, 224, 224)
    assert parse_input_size(" 1, 28 ,28") == (1, 28, 28)
    assert parse_input_size("3x32x32") == (3, 32, 32)
    assert parse_input_size("64") == (64,)
    for bad in ["3,a,4", "", "3,0,4", "3,-1,4", "3,,4"]:
        with pytest.raises(ValueError, match="comma-separated positive integers"):
            parse_input_size(bad)
