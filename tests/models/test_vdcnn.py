"""VDCNN (Conneau et al. 2017): depths, down-sampling choices, shortcuts, padding masks, learning."""

from __future__ import annotations

import inspect

import pytest
import torch
from torch import nn
from toy import fit_steps, pad_rows

from textcnn.models import create_model, get_model_entry, list_models
from textcnn.models.vdcnn import DEPTHS, DOWNSAMPLING, VDCNN

VOCAB = 30
TINY = {"vocab_size": VOCAB, "embedding_dim": 4, "channels": (4, 4, 8, 8), "fc_dim": 16}
NAMES = {"vdcnn9": 9, "vdcnn17": 17, "vdcnn29": 29}


def _convs_per_stage(model: VDCNN) -> list[int]:
    return [
        sum(1 for m in stage.modules() if isinstance(m, nn.Conv1d) and m.kernel_size == (3,)) for stage in model.stages
    ]


def test_registered_as_text_models_with_one_signature():
    assert set(NAMES) <= set(list_models("text"))
    signatures = {name: inspect.signature(get_model_entry(name).builder) for name in NAMES}
    assert len({str(s) for s in signatures.values()}) == 1  # the three builders cannot drift apart
    assert get_model_entry("vdcnn9").defaults()["channels"] == (64, 128, 256, 512)


@pytest.mark.parametrize(("name", "depth"), NAMES.items())
def test_depth_counts_the_papers_convolutional_layers(name, depth):
    """Table 2: 2/4/10 convolutions per stage; the temporal convolution makes the depth 9, 17 or 29."""
    with torch.device("meta"):
        model = create_model(name, num_classes=4)
    assert model.depth == depth and _convs_per_stage(model) == list(DEPTHS[depth])
    widths = [m.out_channels for m in model.modules() if isinstance(m, nn.Conv1d) and m.kernel_size == (3,)]
    assert len(widths) == depth and widths[0] == 64 and sorted(set(widths)) == [64, 128, 256, 512]
    assert all(b.norm.__class__ is nn.BatchNorm1d for s in model.stages for blk in s for b in (blk.conv1, blk.conv2))
    assert model.embedding.embedding_dim == 16
    fc1, fc2 = (m for m in model.head.hidden if isinstance(m, nn.Linear))
    assert (fc1.in_features, fc1.out_features, fc2.out_features) == (512 * 8, 2048, 2048)
    assert model.head.fc.out_features == 4


def test_parameter_count_of_vdcnn9():
    with torch.device("meta"):
        model = create_model("vdcnn9", num_classes=4)
    conv = sum(3 * i * o + 2 * o for i, o in [(64, 64)] * 2 + [(64, 128), (128, 128), (128, 256), (256, 256)])
    conv += sum(3 * i * o + 2 * o for i, o in [(256, 512), (512, 512)])  # bias-free convolutions + batch norm
    expected = 69 * 16 + (3 * 16 * 64 + 64) + conv + (4096 * 2048 + 2048) + (2048 * 2048 + 2048) + (2048 * 4 + 4)
    assert sum(p.numel() for p in model.parameters()) == expected == 14_176_148


@pytest.mark.parametrize("downsampling", DOWNSAMPLING)
def test_each_stage_halves_the_text(downsampling):
    model = VDCNN(DEPTHS[9], downsampling=downsampling, **TINY).eval()
    lengths = []
    for stage in model.stages:
        stage[-1].register_forward_hook(lambda _m, _args, out: lengths.append(out[0].shape[2]))
    assert model(torch.randint(2, VOCAB, (2, 50))).shape == (2, 2)
    assert lengths == [50, 25, 13, 7]


def test_shortcuts_project_only_where_the_shape_changes():
    plain = VDCNN(DEPTHS[17], **TINY)
    assert all(block.downsample is None for stage in plain.stages for block in stage)
    pooled = VDCNN(DEPTHS[17], downsampling="max", shortcut=True, **TINY)  # 4 -> 4 -> 8 -> 8 maps
    assert [[b.downsample is not None for b in stage] for stage in pooled.stages] == [[0, 0], [0, 0], [1, 0], [0, 0]]
    strided = VDCNN(DEPTHS[17], downsampling="conv", shortcut=True, **TINY)  # stride 2 in each first block
    assert [[b.downsample is not None for b in stage] for stage in strided.stages] == [[0, 0], [1, 0], [1, 0], [1, 0]]
    assert [stage[0].conv1.conv.stride for stage in strided.stages] == [(1,), (2,), (2,), (2,)]
    assert len(VDCNN(DEPTHS[9], downsampling="conv", **TINY).pools) == 0


@pytest.mark.parametrize("downsampling", DOWNSAMPLING)
@pytest.mark.parametrize("shortcut", [False, True])
def test_prediction_does_not_depend_on_batch_padding(downsampling, shortcut):
    torch.manual_seed(0)
    model = VDCNN(DEPTHS[9], downsampling=downsampling, shortcut=shortcut, **TINY).eval()
    texts = [torch.randint(2, VOCAB, (n,)) for n in (1, 3, 8, 21, 40)]
    alone = torch.cat([model(t.unsqueeze(0)) for t in texts])
    for width in (40, 57, 128):
        ids = pad_rows(texts, width)
        torch.testing.assert_close(model(ids, ids != 0), alone, atol=1e-5, rtol=1e-5)


def test_validates_arguments():
    with pytest.raises(ValueError, match="downsampling"):
        VDCNN(DEPTHS[9], downsampling="avg", **TINY)
    with pytest.raises(ValueError, match="even"):
        VDCNN((2, 3, 2, 2), **TINY)
    with pytest.raises(ValueError, match="channels"):
        VDCNN(DEPTHS[9], **{**TINY, "channels": (4, 8)})


def test_learns_a_character_task():
    """The class is the id (2 or 3) found somewhere in a text of random characters."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(4, VOCAB, (128, 40), generator=g)
    labels = torch.randint(0, 2, (128,), generator=g)
    ids[torch.arange(128), torch.randint(0, 40, (128,), generator=g)] = 2 + labels
    model = VDCNN(DEPTHS[9], **{**TINY, "channels": (8, 8, 16, 16), "fc_dim": 32})
    assert fit_steps(model, ids, labels, steps=40, lr=0.003) > 0.9
