"""The Kim CNN with a contextual channel: shapes, masking, a missing-feature error and a small training run."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from textcnn.models import create_model, get_model_entry, list_models
from textcnn.models.contextual_cnn import ContextualKimCNN

H = 12


def _model(**kwargs) -> ContextualKimCNN:
    torch.manual_seed(0)
    args = {"vocab_size": 30, "num_classes": 3, "embedding_dim": 8, "feature_dim": H, "num_filters": 6, **kwargs}
    return ContextualKimCNN(**args)


def test_registered_as_a_text_model():
    assert "kim_cnn_contextual" in list_models("text")
    model = create_model("kim_cnn_contextual", **get_model_entry("kim_cnn_contextual").test_kwargs)
    assert isinstance(model, ContextualKimCNN)


@pytest.mark.parametrize("use_words", [True, False])
def test_shapes_and_input_channels(use_words):
    model = _model(use_words=use_words)
    assert model.convs[0].conv.in_channels == H + (8 if use_words else 0)
    assert hasattr(model, "embedding") == use_words
    ids = torch.randint(2, 30, (4, 9))
    logits = model(ids, torch.ones(4, 9, dtype=torch.bool), torch.randn(4, 9, H))
    assert logits.shape == (4, 3) and torch.isfinite(logits).all()


@pytest.mark.parametrize("use_words", [True, False])
def test_forward_respects_masking(use_words):
    """Padding (any ids, any feature values at padded positions) never changes a prediction."""
    model = _model(use_words=use_words).eval()
    ids = torch.randint(2, 30, (1, 4))
    feats = torch.randn(1, 4, H)
    alone = model(ids, torch.ones(1, 4, dtype=torch.bool), feats)
    padded_ids = torch.cat([ids, torch.randint(0, 30, (1, 7))], dim=1)  # (1, 11)
    padded_feats = torch.cat([feats, torch.randn(1, 7, H) * 5], dim=1)  # garbage where padded
    mask = torch.arange(11).unsqueeze(0) < 4
    torch.testing.assert_close(model(padded_ids, mask, padded_feats), alone)
    # Without a mask the garbage does change the logits: the mask is what protects them.
    assert not torch.allclose(model(padded_ids, None, padded_feats), alone)


def test_features_required_without_word_channel_and_shape_checked():
    ids = torch.randint(2, 30, (2, 6))
    with pytest.raises(ValueError, match="features .* are required when use_words=False"):
        _model(use_words=False)(ids)
    with pytest.raises(ValueError, match=r"features have shape \(2, 6, 5\), expected"):
        _model()(ids, None, torch.zeros(2, 6, 5))
    with pytest.raises(ValueError, match="mode must be one of"):
        _model(mode="multichannel")
    with pytest.raises(ValueError, match="no word channel"):
        _model(use_words=False).load_pretrained(torch.zeros(30, 8))


def test_static_word_channel_is_frozen_and_loaded():
    model = _model(mode="static")
    table = torch.randn(30, 8)
    model.load_pretrained(table)
    assert not model.embedding.weight.requires_grad and model.needs_pretrained
    assert model.embedding.weight[0].eq(0).all() and model.embedding.weight[1].eq(0).all()
    torch.testing.assert_close(model.embedding.weight[2:], table[2:])


def test_learns_from_the_contextual_channel_alone():
    """Labels carried only by the features (a direction at one position): the model fits them in a few steps."""
    gen = torch.Generator().manual_seed(0)
    n, t = 64, 7
    labels = torch.randint(0, 2, (n,), generator=gen)
    feats = torch.randn(n, t, H, generator=gen) * 0.3
    where = torch.randint(0, t, (n,), generator=gen)
    feats[torch.arange(n), where, 0] += torch.where(labels == 1, 2.0, -2.0)
    ids = torch.ones(n, t, dtype=torch.long)  # every word <unk>: nothing to learn from the ids
    model = _model(use_words=False, num_classes=2, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)

    def accuracy() -> float:
        model.eval()
        with torch.no_grad():
            return (model(ids, None, feats).argmax(1) == labels).float().mean().item()

    before = accuracy()
    for _ in range(40):
        model.train()
        opt.zero_grad()
        F.cross_entropy(model(ids, None, feats), labels).backward()
        opt.step()
    assert before < 0.75 and accuracy() >= 0.95


def test_a_config_needs_the_encoder_folder():
    from textcnn.classify.config import load_config

    with pytest.raises(ValueError, match="set model.encoder"):
        load_config(None, ["data.dataset=mr", "model.name=kim_cnn_contextual"])
    config = load_config(None, ["data.dataset=mr", "model.name=kim_cnn_contextual", "model.encoder=/some/bert"])
    assert config.model.resolved()["layer"] == -1  # the builder's default
