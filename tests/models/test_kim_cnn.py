"""Kim (2014) CNN: embedding modes, max-norm, padding masks, short inputs."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from textcnn.layers import apply_constraints
from textcnn.models import create_model
from textcnn.models.kim_cnn import KimCNN

VOCAB, DIM = 30, 8


def _pretrained() -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.randn(VOCAB, DIM, generator=g)


def _batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, VOCAB, (16, 12), generator=g)
    ids[:4, 6:] = 0  # some padded rows
    labels = (ids[:, 0] % 2).long()
    return ids, ids != 0, labels


def _train_steps(model: KimCNN, steps: int = 5, lr: float = 0.5) -> None:
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    for step in range(steps):
        ids, mask, labels = _batch(step)
        loss = F.cross_entropy(model(ids, mask), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        apply_constraints(model)


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    ("mode", "changes", "frozen"),
    [
        ("rand", {"embedding.weight"}, set()),
        ("static", set(), {"embedding.weight"}),
        ("non-static", {"embedding.weight"}, set()),
        ("multichannel", {"embedding.weight"}, {"embedding_static.weight"}),
    ],
)
def test_mode_decides_which_embeddings_train(mode, changes, frozen):
    torch.manual_seed(0)
    model = KimCNN(VOCAB, 2, DIM, mode, num_filters=4)
    if mode != "rand":
        model.load_pretrained(_pretrained())
        expected = _pretrained()
        expected[:2] = 0  # <pad> and <unk>
        assert torch.equal(model.embedding.weight, expected)
    before = _snapshot(model)
    _train_steps(model)
    after = model.state_dict()
    for name in changes:
        assert not torch.equal(before[name], after[name]), f"{name} should train in {mode}"
    for name in frozen:
        assert torch.equal(before[name], after[name]), f"{name} must stay frozen in {mode}"
    # the convolutions and the output layer always train
    for name in ("convs.0.conv.weight", "head.fc.weight"):
        assert not torch.equal(before[name], after[name])
    # the padding row stays exactly zero in every embedding table
    for key in ("embedding.weight", "embedding_static.weight"):
        if key in after:
            assert torch.count_nonzero(after[key][0]) == 0


def test_multichannel_has_two_tables_and_static_has_no_trainable_embedding():
    multi = KimCNN(VOCAB, 2, DIM, "multichannel", num_filters=4)
    assert multi.convs[0].conv.in_channels == 2 * DIM
    static = KimCNN(VOCAB, 2, DIM, "static", num_filters=4)
    trainable = {n for n, p in static.named_parameters() if p.requires_grad}
    assert "embedding.weight" not in trainable and "head.fc.weight" in trainable


def test_max_norm_constraint_holds_after_updates():
    torch.manual_seed(0)
    model = KimCNN(VOCAB, 3, DIM, "rand", num_filters=4, max_norm=0.5)
    _train_steps(model, steps=10, lr=5.0)
    norms = model.head.fc.weight.norm(dim=1)
    assert torch.all(norms <= 0.5 + 1e-5)
    assert torch.any(norms > 0.45)  # the constraint was active, not trivially satisfied


def test_prediction_does_not_depend_on_batch_padding():
    torch.manual_seed(0)
    model = KimCNN(VOCAB, 2, DIM, "rand", num_filters=4).eval()
    ids = torch.tensor([[5, 6, 7, 8]])
    short = model(ids, ids != 0)
    padded = torch.cat([ids, torch.zeros(1, 20, dtype=torch.long)], dim=1)
    long = model(padded, padded != 0)
    assert torch.allclose(short, long, atol=1e-6)


def test_padded_positions_never_win_the_max():
    model = KimCNN(VOCAB, 2, DIM, "rand", num_filters=4).eval()
    with torch.no_grad():
        model.embedding.weight.abs_()  # real tokens: positive vectors; the pad row stays zero
        for block in model.convs:
            block.conv.weight.copy_(-block.conv.weight.abs() - 0.01)  # every real window scores below the bias
            block.conv.bias.fill_(1.0)  # a window made only of padding scores exactly relu(1) = 1
    captured = {}
    model.head.register_forward_hook(lambda _m, args, _out: captured.update(features=args[0]))
    ids = torch.tensor([[5, 6, 7] + [0] * 17])
    model(ids, ids != 0)
    assert torch.all(captured["features"] < 1.0)
    model(ids, None)  # without a mask the padding windows would win
    assert torch.all(captured["features"] == 1.0)


@pytest.mark.parametrize("length", [0, 1, 2])
def test_texts_shorter_than_the_widest_filter(length):
    model = KimCNN(VOCAB, 2, DIM, "rand", num_filters=4).eval()
    ids = torch.zeros(2, model.min_len, dtype=torch.long)
    ids[0, :length] = 3
    out = model(ids, ids != 0)
    assert out.shape == (2, 2) and torch.isfinite(out).all()


def test_registered_and_validates_arguments():
    model = create_model("kim_cnn", vocab_size=40, num_classes=5, embedding_dim=6, num_filters=3)
    assert model(torch.randint(0, 40, (2, 9))).shape == (2, 5)
    with pytest.raises(ValueError, match="mode"):
        KimCNN(VOCAB, 2, DIM, "dynamic")
    with pytest.raises(ValueError, match="filter_widths"):
        KimCNN(VOCAB, 2, DIM, "rand", filter_widths=[])
    with pytest.raises(ValueError, match=r"\(30, 8\)"):
        KimCNN(VOCAB, 2, DIM, "static").load_pretrained(torch.zeros(VOCAB, DIM + 1))


@pytest.mark.parametrize("mode", ["rand", "static", "non-static", "multichannel"])
def test_unknown_and_padding_rows_start_at_zero(mode):
    model = KimCNN(VOCAB, 2, DIM, mode, num_filters=4, pad_index=0, unk_index=1)
    if mode != "rand":
        model.load_pretrained(_pretrained())
    for table in (model.embedding, getattr(model, "embedding_static", None)):
        if table is not None:
            assert torch.count_nonzero(table.weight[:2]) == 0
            assert torch.count_nonzero(table.weight[2:]) > 0


def test_random_vectors_follow_kim():
    model = KimCNN(500, 2, 300, "rand", num_filters=4)
    weight = model.embedding.weight[2:]
    assert weight.abs().max() <= 0.25 and weight.std() > 0.1  # U[-0.25, 0.25], as Kim's code


def _bf16_batch(rows: int = 10):
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(2, VOCAB, (rows, 9), generator=g)
    lengths = torch.tensor([9, 5, 1, 0, 9, 3, 7, 2, 9, 6][:rows])
    mask = torch.arange(9).unsqueeze(0) < lengths.unsqueeze(1)  # (B, T)
    return ids.masked_fill(~mask, 0), mask


@pytest.mark.parametrize(("mode", "act"), [("rand", "relu"), ("multichannel", "gelu")])
def test_bfloat16_prediction_is_close_to_float32_and_ignores_padding(mode, act):
    torch.manual_seed(0)
    model = KimCNN(VOCAB, 3, DIM, mode, filter_widths=(1, 3, 5), num_filters=6, act_layer=act).eval()
    ids, mask = _bf16_batch()
    with torch.inference_mode():
        fp32 = model(ids, mask)
        model.set_inference_dtype("bfloat16")
        bf16 = model(ids, mask)
        wider = model(torch.nn.functional.pad(ids, (0, 6)), torch.nn.functional.pad(mask, (0, 6)))
    assert not torch.equal(fp32, bf16)  # the bf16 path ran
    torch.testing.assert_close(bf16, fp32, rtol=0, atol=2e-2)
    torch.testing.assert_close(wider, bf16, rtol=0, atol=1e-6)  # more padding changes nothing


def test_bfloat16_is_for_prediction_only_and_saves_nothing():
    torch.manual_seed(0)
    model = KimCNN(VOCAB, 2, DIM, num_filters=4)
    keys = {k: v.shape for k, v in model.state_dict().items()}
    model.set_inference_dtype("bfloat16")
    ids, mask = _bf16_batch()
    small = (ids[:2], mask[:2])
    with torch.inference_mode():
        bf16_small = model.eval()(*small)
        model.set_inference_dtype("float32")
        assert torch.equal(bf16_small, model(*small))  # fewer than MIN_ROWS texts stay float32
        model.set_inference_dtype("bfloat16")
    model.train()
    logits = model(ids, mask)  # training runs the float32 convolutions, with gradients
    logits.sum().backward()
    assert model.convs[0].conv.weight.grad is not None
    assert {k: v.shape for k, v in model.state_dict().items()} == keys


def test_bfloat16_follows_weight_updates():
    # The bf16 weights are derived from the live ones: after training steps or a load_state_dict they change too.
    torch.manual_seed(0)
    model = KimCNN(VOCAB, 2, DIM, num_filters=4).set_inference_dtype("bfloat16")
    ids, mask = _bf16_batch()
    with torch.inference_mode():
        before = model.eval()(ids, mask)
    _train_steps(model, steps=3)
    with torch.inference_mode():
        after = model.eval()(ids, mask)
        model.set_inference_dtype("float32")
        expected = model(ids, mask)
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, expected, rtol=0, atol=2e-2)


def test_unknown_inference_dtype_is_refused():
    with pytest.raises(ValueError, match="float16"):
        KimCNN(VOCAB, 2, DIM, num_filters=4).set_inference_dtype("float16")
