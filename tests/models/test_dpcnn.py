"""DPCNN (Johnson & Zhang 2017): the pyramid, padding masks, embedding modes, learning, the training workflow."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from toy import TINY_OVERRIDES, fit_steps, pad_rows

import textcnn
from textcnn.models import create_model, list_models
from textcnn.models.dpcnn import DPCNN

VOCAB, DIM = 30, 8


def _small(**kwargs) -> DPCNN:
    return DPCNN(**{"vocab_size": VOCAB, "embedding_dim": DIM, "num_filters": 6, "num_blocks": 4, **kwargs})


def _token_task(n: int, seed: int, vocab: int = VOCAB) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Texts of filler ids 4.. of length 2-20 (padded with 0) with one id, 2 or 3, that decides the class."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, 21, (n,), generator=g)
    ids = torch.randint(4, vocab, (n, 20), generator=g)
    labels = torch.randint(0, 2, (n,), generator=g)
    where = (torch.rand(n, generator=g) * lengths).long()
    ids[torch.arange(n), where] = 2 + labels
    mask = torch.arange(20).unsqueeze(0) < lengths.unsqueeze(1)
    return ids.masked_fill(~mask, 0), mask, labels


def test_registered_as_a_text_model():
    assert "dpcnn" in list_models("text")
    model = create_model("dpcnn", vocab_size=40, num_classes=5, embedding_dim=6, num_filters=3)
    assert model(torch.randint(2, 40, (2, 9))).shape == (2, 5)


def test_parameter_count_at_the_paper_size():
    """15 weight layers of 250 maps: the region embedding and 7 blocks of two width-3 convolutions."""
    with torch.device("meta"):
        model = DPCNN(vocab_size=30000, num_classes=4)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    assert len(convs) == 15 and all(c.kernel_size == (3,) and c.out_channels == 250 for c in convs)
    region, block = 3 * 300 * 250 + 250, 3 * 250 * 250 + 250
    expected = 30000 * 300 + region + 14 * block + 250 * 4 + 4
    assert sum(p.numel() for p in model.parameters()) == expected == 11_854_754


def test_each_block_after_the_first_halves_the_text():
    model = _small(num_blocks=7).eval()
    lengths = []
    for block in model.blocks:
        block.register_forward_hook(lambda _m, _args, out: lengths.append(out.shape[2]))
    out = model(torch.randint(2, VOCAB, (2, 50)))
    assert lengths == [50, 25, 13, 7, 4, 2, 1]  # ceil(L / 2); pooling a length-1 text keeps it
    assert out.shape == (2, 2)


@pytest.mark.parametrize("length", [1, 2, 3, 7, 64, 200])
def test_any_length_works(length):
    model = _small().eval()
    out = model(torch.randint(2, VOCAB, (3, length)))
    assert out.shape == (3, 2) and torch.isfinite(out).all()


def test_prediction_does_not_depend_on_batch_padding():
    torch.manual_seed(0)
    model = _small(num_blocks=5).eval()
    texts = [torch.randint(2, VOCAB, (n,)) for n in (1, 2, 5, 9, 16, 33)]
    alone = torch.cat([model(t.unsqueeze(0), torch.ones(1, len(t), dtype=torch.bool)) for t in texts])
    for width in (33, 40, 97):
        ids = pad_rows(texts, width)
        torch.testing.assert_close(model(ids, ids != 0), alone, atol=1e-5, rtol=1e-5)


def test_padded_positions_never_win_a_max():
    """Real positions score below zero, padded ones exactly zero: only the mask keeps padding out of every max."""
    model = _small(num_blocks=3).eval()
    with torch.no_grad():
        for block in model.blocks:  # identity blocks: x + 0
            for p in block.parameters():
                p.zero_()
        model.embedding.weight.abs_().add_(0.1)
        model.embedding.weight[0] = 0  # <pad>
        model.region_embedding.conv.weight.copy_(-model.region_embedding.conv.weight.abs() - 0.01)
        model.region_embedding.conv.bias.zero_()
    captured = {}
    model.head.register_forward_hook(lambda _m, args, _out: captured.update(features=args[0]))
    ids = torch.tensor([[5, 6, 7] + [0] * 13])
    model(ids, ids != 0)
    assert torch.all(captured["features"] < 0)
    model(ids, None)  # without the mask the padding wins
    assert torch.all(captured["features"] == 0)


def test_modes_and_pretrained_vectors():
    vectors = torch.randn(VOCAB, DIM)
    static = _small(mode="static")
    assert static.needs_pretrained and not static.embedding.weight.requires_grad
    static.load_pretrained(vectors)
    assert torch.equal(static.embedding.weight[2:], vectors[2:])
    assert torch.count_nonzero(static.embedding.weight[:2]) == 0  # <pad> and <unk>
    non_static = _small(mode="non-static")
    assert non_static.needs_pretrained and non_static.embedding.weight.requires_grad
    rand = _small()
    assert not rand.needs_pretrained and rand.embedding.weight[2:].abs().max() <= 0.25
    with pytest.raises(ValueError, match=r"\(30, 8\)"):
        rand.load_pretrained(torch.zeros(VOCAB, DIM + 1))
    with pytest.raises(ValueError, match="mode"):
        _small(mode="multichannel")
    with pytest.raises(ValueError, match="num_blocks"):
        _small(num_blocks=0)


def test_learns_a_token_task():
    torch.manual_seed(0)
    ids, mask, labels = _token_task(256, seed=0)
    model = _small(embedding_dim=16, num_filters=16, num_blocks=3, dropout=0.0)
    assert fit_steps(model, ids, labels, steps=40, lr=0.01, mask=mask) > 0.9


def test_trains_and_predicts_through_the_workflow(toy_files, tmp_path):
    from textcnn.classify.config import load_config
    from textcnn.classify.train import train_text_classifier

    config = load_config(
        None,
        [
            "model.name=dpcnn",
            "model.num_blocks=3",
            "data.dataset=file",
            f"data.train_file={toy_files['train']}",
            f"data.dev_file={toy_files['dev']}",
            f"data.test_file={toy_files['test']}",
            *TINY_OVERRIDES,
        ],
    )
    outcome = train_text_classifier(config, tmp_path / "dpcnn", echo=None)
    assert outcome.metrics["test"]["accuracy"] > 0.8
    clf = textcnn.load(tmp_path / "dpcnn")
    assert clf.model_name == "dpcnn" and isinstance(clf.model, DPCNN) and len(clf.model.blocks) == 3
    assert clf.predict(["a great film", "an awful plot and boring acting", ""])[:2] == ["pos", "neg"]


def test_config_refuses_a_pretrained_mode_without_vectors():
    from textcnn.classify.config import load_config

    with pytest.raises(ValueError, match="model.mode 'static' needs pretrained vectors"):
        load_config(None, ["data.dataset=mr", "model.name=dpcnn", "model.mode=static"])
