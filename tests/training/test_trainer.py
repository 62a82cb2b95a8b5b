"""The generic trainer: learning, reproducibility, early stopping, exact resume, auxiliary outputs."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from textcnn.training import TrainConfig, Trainer, evaluate_model
from textcnn.training.trainer import CHECKPOINT_NAME, LOG_NAME, classification_loss


def _data(n: int = 256, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    return TensorDataset(x, y)


def _loaders(batch_size: int = 32):
    train = DataLoader(_data(256, 0), batch_size=batch_size, shuffle=True)
    dev = DataLoader(_data(128, 1), batch_size=64)
    return train, dev


def _model(seed: int = 0, dropout: float = 0.2) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 2))


def _config(**kw) -> TrainConfig:
    base = dict(epochs=4, batch_size=32, optimizer="adam", lr=0.01, progress=False, device="cpu", early_stopping=None)
    base.update(kw)
    return TrainConfig(**base)


def test_learns_a_separable_problem_and_logs(tmp_path):
    train, dev = _loaders()
    model = _model()
    result = Trainer(model, _config(), label_names=["a", "b"], out_dir=tmp_path).fit(train, dev)
    metrics = evaluate_model(model, dev, ["a", "b"])
    assert metrics["accuracy"] > 0.9
    assert result.epochs_run == 4 and 1 <= result.best_epoch <= 4
    log = [json.loads(line) for line in (tmp_path / LOG_NAME).read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2, 3, 4]
    assert {"train_loss", "dev_accuracy", "examples_per_s", "seconds"} <= set(log[0])


def test_same_seed_same_result():
    runs = []
    for _ in range(2):
        train, dev = _loaders()
        model = _model()
        history = Trainer(model, _config(seed=3), label_names=["a", "b"]).fit(train, dev).history
        runs.append(([h["train_loss"] for h in history], model.state_dict()))
    assert runs[0][0] == runs[1][0]
    for k, v in runs[0][1].items():
        assert torch.equal(v, runs[1][1][k])


def test_early_stopping_keeps_the_best_epoch():
    train, dev = _loaders()
    model = _model()
    # a learning rate of 0 never improves after the first epoch
    result = Trainer(model, _config(optimizer="sgd", lr=1e-12, epochs=10, early_stopping=2), ["a", "b"]).fit(train, dev)
    assert result.stopped_early and result.epochs_run == 3 and result.best_epoch == 1


class _Interrupt(Exception):
    pass


class _DyingLoader:
    """Wraps a loader and raises during epoch ``die_at`` (0-based), as a kill would."""

    def __init__(self, loader, die_at: int):
        self.loader, self.die_at, self.epoch = loader, die_at, -1

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        self.epoch += 1
        for i, batch in enumerate(self.loader):
            if self.epoch == self.die_at and i == 2:
                raise _Interrupt
            yield batch


def test_resume_gives_the_same_result_as_an_uninterrupted_run(tmp_path):
    config = _config(epochs=5, scheduler="cosine", optimizer="adadelta", lr=1.0)
    train, dev = _loaders()
    reference = _model()
    ref = Trainer(reference, config, ["a", "b"], out_dir=tmp_path / "ref").fit(train, dev)

    train, dev = _loaders()
    with pytest.raises(_Interrupt):
        Trainer(_model(), config, ["a", "b"], out_dir=tmp_path / "run").fit(_DyingLoader(train, 3), dev)
    saved = torch.load(tmp_path / "run" / CHECKPOINT_NAME, weights_only=True)
    assert saved["state"]["epoch"] == 3
    resumed = _model(seed=99)  # different init: everything must come from the checkpoint
    train, dev = _loaders()
    res = Trainer(resumed, config, ["a", "b"], out_dir=tmp_path / "run").fit(train, dev, resume=True)
    assert [h["train_loss"] for h in res.history] == [h["train_loss"] for h in ref.history]
    assert res.best_epoch == ref.best_epoch
    for k, v in reference.state_dict().items():
        assert torch.equal(v, resumed.state_dict()[k]), k
    log = (tmp_path / "run" / LOG_NAME).read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in log] == [1, 2, 3, 4, 5]


def test_unreadable_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / CHECKPOINT_NAME).write_bytes(b"not a checkpoint")
    train, dev = _loaders()
    with pytest.raises(ValueError, match="unreadable"):
        Trainer(_model(), _config(), ["a", "b"], out_dir=tmp_path).fit(train, dev, resume=True)


def test_auxiliary_outputs_add_weighted_losses():
    logits = torch.tensor([[2.0, 0.0]])
    aux = torch.tensor([[0.0, 2.0]])
    labels = torch.tensor([0])
    main = classification_loss(logits, labels)
    both = classification_loss((logits, aux), labels, aux_weight=0.3)
    assert torch.isclose(both, main + 0.3 * classification_loss(aux, labels))


@pytest.mark.parametrize(
    ("field", "value"), [("epochs", 0), ("batch_size", 0), ("optimizer", "lbfgs"), ("lr", -1.0), ("metric", "auc")]
)
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        _config(**{field: value})


def test_progress_bars_do_not_change_the_result(monkeypatch):
    import textcnn.training.callbacks as callbacks_module

    losses = []
    for shown in (False, True):
        monkeypatch.setattr(callbacks_module, "PROGRESS_DISABLE", not shown)
        train, dev = _loaders()
        history = Trainer(_model(), _config(progress=True), ["a", "b"]).fit(train, dev).history
        losses.append([h["train_loss"] for h in history])
    assert losses[0] == losses[1]


def _bag_of_words(seed: int = 0) -> tuple[DataLoader, nn.Module]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 60, (200, 7), generator=g)
    labels = (ids[:, 0] < 30).long()
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Embedding(60, 8, padding_idx=0), nn.Flatten(), nn.Linear(56, 2))
    return DataLoader(TensorDataset(ids, labels), batch_size=20, shuffle=True), model


def test_adadelta_trains_embeddings_sparsely_with_the_dense_result():
    sparse_grads = []
    results = []
    for grad_clip in (None, 1e9):  # gradient clipping needs dense gradients; 1e9 never clips
        loader, model = _bag_of_words()
        model[0].weight.register_hook(lambda grad: sparse_grads.append(grad.is_sparse))
        config = _config(optimizer="adadelta", lr=1.0, rho=0.95, eps=1e-6, grad_clip=grad_clip, epochs=3)
        Trainer(model, config, label_names=["a", "b"]).fit(loader)
        assert not model[0].sparse  # switched back after training
        results.append(model.state_dict())
    assert sparse_grads[0] and not sparse_grads[-1]
    assert not torch.equal(results[0]["0.weight"], _bag_of_words()[1].state_dict()["0.weight"])
    for key, value in results[0].items():
        torch.testing.assert_close(value, results[1][key], rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
@pytest.mark.parametrize("optimizer", ["adam", "adadelta"])
def test_cuda_training_matches_cpu_and_learns_with_bf16(optimizer):
    """fp32 on the GPU follows the CPU run (same seed, same batches; no dropout, whose CUDA random stream differs);
    bf16 autocast (the default there) still learns."""
    losses = {}
    for device, amp in (("cpu", False), ("cuda", False), ("cuda", True)):
        train, dev = _loaders()
        model = _model(dropout=0.0)
        config = _config(device=device, amp=amp, optimizer=optimizer, lr=0.01 if optimizer == "adam" else 1.0)
        result = Trainer(model, config, label_names=["a", "b"]).fit(train, dev)
        losses[device, amp] = [h["train_loss"] for h in result.history]
        assert next(model.parameters()).device.type == device
        # 4 epochs: adam reaches 0.97 on CPU, adadelta (lr 1) 0.87
        assert evaluate_model(model, dev, ["a", "b"], device=device, amp=amp)["accuracy"] > 0.8
    assert losses["cuda", False] == pytest.approx(losses["cpu", False], rel=1e-3)
    assert losses["cuda", True] == pytest.approx(losses["cpu", False], rel=0.05)
