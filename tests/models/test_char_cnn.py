"""Character-level CNN (Zhang, Zhao & LeCun 2015): the paper's layer shapes, one-hot input, fixed length, learning."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from toy import fit_steps, pad_rows

import textcnn
from textcnn.models import create_model, list_models
from textcnn.models.char_cnn import CharCNN, frame_length

VOCAB = 20


def _small(**kwargs) -> CharCNN:
    return CharCNN(**{"vocab_size": VOCAB, "input_length": 150, "num_filters": 6, "fc_dim": 12, **kwargs})


def test_registered_as_text_models():
    assert {"char_cnn_small", "char_cnn_large"} <= set(list_models("text"))


@pytest.mark.parametrize(("name", "maps", "fc"), [("char_cnn_small", 256, 1024), ("char_cnn_large", 1024, 2048)])
def test_layer_shapes_follow_the_papers_tables(name, maps, fc):
    """Tables 1 and 2 with the 70-character alphabet (+ <pad>, <unk>): kernels 7, 7, 3, 3, 3, 3 with ``maps``
    feature maps, pooling 3 after layers 1, 2 and 6, then ``34 * maps -> fc -> fc -> classes``."""
    with torch.device("meta"):
        model = create_model(name, num_classes=4)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv1d)]
    assert [c.weight.shape for c in convs] == [(maps, 72, 7), (maps, maps, 7)] + [(maps, maps, 3)] * 4
    linears = [m for m in model.head.modules() if isinstance(m, nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(fc, 34 * maps), (fc, fc), (4, fc)]
    assert [m.p for m in model.head.modules() if isinstance(m, nn.Dropout)] == [0.5, 0.5]  # between the FC layers
    expected = (
        72 * 72 + sum(c.weight.numel() + maps for c in convs) + sum(m.weight.numel() + m.out_features for m in linears)
    )
    assert sum(p.numel() for p in model.parameters()) == expected
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == expected - 72 * 72  # the one-hot table


def test_frame_lengths_for_1014_characters():
    model = CharCNN(vocab_size=VOCAB, num_filters=4, fc_dim=8).eval()
    lengths = []
    for layer in model.features:
        layer.register_forward_hook(lambda _m, _args, out: lengths.append(out.shape[2]))
    assert model(torch.randint(2, VOCAB, (2, 1014))).shape == (2, 2)
    assert lengths == [1008, 336, 330, 110, 108, 106, 104, 102, 34]
    assert frame_length(1014) == 34 and model.head.hidden[0].in_features == 34 * 4
    assert model.min_len == 1014


def test_one_hot_input_with_zero_padding_and_unknown_rows():
    model = _small(pad_index=0, unk_index=1)
    table = model.one_hot.weight
    assert not table.requires_grad
    expected = torch.eye(VOCAB)
    expected[:2] = 0
    assert torch.equal(table, expected)


def test_reads_exactly_input_length_characters():
    torch.manual_seed(0)
    model = _small().eval()
    texts = [torch.randint(2, VOCAB, (n,)) for n in (1, 40, 149, 150)]
    alone = torch.cat([model(t.unsqueeze(0), torch.ones(1, len(t), dtype=torch.bool)) for t in texts])
    for width in (150, 151, 400):
        ids = pad_rows(texts, width)
        torch.testing.assert_close(model(ids, ids != 0), alone, atol=1e-5, rtol=1e-5)
    long = torch.randint(2, VOCAB, (1, 300))
    changed_tail = long.clone()
    changed_tail[0, 150:] = 3
    torch.testing.assert_close(model(long), model(changed_tail))  # characters past input_length are ignored


def test_validates_arguments():
    with pytest.raises(ValueError, match="input_length must be >= 123"):
        _small(input_length=122)
    assert _small(input_length=123)(torch.randint(2, VOCAB, (1, 5))).shape == (1, 2)
    with pytest.raises(ValueError, match="init_std"):
        _small(init_std=0.0)


def test_learns_a_character_task():
    """The class is the id (2 or 3) found somewhere in the first 100 random characters."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(4, VOCAB, (128, 100), generator=g)
    labels = torch.randint(0, 2, (128,), generator=g)
    ids[torch.arange(128), torch.randint(0, 100, (128,), generator=g)] = 2 + labels
    model = _small(input_length=123, num_filters=16, fc_dim=32, dropout=0.0, init_std=0.2)  # 0.05 suits 256 maps
    assert fit_steps(model, ids, labels, steps=60, lr=0.003) > 0.9


def test_trains_and_predicts_through_the_workflow(toy_files, tmp_path):
    """The ``char`` tokenizer, ``min_len`` = ``input_length`` = ``data.max_len``: every batch is 150 wide."""
    from textcnn.classify.config import load_config
    from textcnn.classify.train import train_text_classifier

    config = load_config(
        None,
        [
            "data.dataset=file",
            f"data.train_file={toy_files['train']}",
            f"data.dev_file={toy_files['dev']}",
            "data.max_len=150",
            "tokenizer.kind=char",
            "model.name=char_cnn_small",
            "model.input_length=150",
            "model.num_filters=8",
            "model.fc_dim=16",
            "train.epochs=1",
            "train.batch_size=50",
            "train.progress=false",
            "train.device=cpu",
            "train.optimizer=adam",
            "train.lr=0.001",
        ],
    )
    train_text_classifier(config, tmp_path / "char", echo=None)
    clf = textcnn.load(tmp_path / "char")
    assert isinstance(clf.model, CharCNN) and clf.model.one_hot.num_embeddings == clf.tokenizer.vocab_size
    assert clf.min_len == 150
    assert set(clf.predict(["a great film", "", "x" * 500])) <= {"pos", "neg"}
