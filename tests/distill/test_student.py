"""The student: the distillation loss, the trainer's accuracy on unlabelled texts, and whole training runs on a fake
teacher whose logits are a known function of the text (the student must learn to reproduce them)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from tests.distill.test_targets import FakeTeacher
from tests.toy import TINY_OVERRIDES
from textcnn.classify.config import load_config
from textcnn.classify.train import train_text_classifier
from textcnn.distill.student import distillation_loss
from textcnn.training import Trainer
from textcnn.training.config import TrainConfig


def test_mse_is_squared_logit_distance_summed_over_classes():
    s, t = torch.tensor([[1.0, 2.0], [0.0, 0.0]]), torch.tensor([[0.0, 0.0], [3.0, -1.0]])
    loss = distillation_loss(s, torch.tensor([0, -1]), t, loss="mse", alpha=0.0, temperature=1.0)
    assert loss.item() == pytest.approx((1 + 4 + 9 + 1) / 2)


def test_cross_entropy_leaves_out_unlabelled_texts():
    torch.manual_seed(0)
    s, t = torch.randn(6, 3), torch.randn(6, 3)
    labels = torch.tensor([2, -1, 0, -1, -1, 1])
    got = distillation_loss(s, labels, t, loss="mse", alpha=1.0, temperature=1.0)
    known = labels >= 0
    assert got.item() == pytest.approx(F.cross_entropy(s[known], labels[known]).item(), rel=1e-6)
    mixed = distillation_loss(s, labels, t, loss="mse", alpha=0.3, temperature=1.0)
    soft = distillation_loss(s, labels, t, loss="mse", alpha=0.0, temperature=1.0)
    assert mixed.item() == pytest.approx(0.3 * got.item() + 0.7 * soft.item(), rel=1e-6)
    none = distillation_loss(s, torch.full((6,), -1), t, loss="mse", alpha=1.0, temperature=1.0)
    assert none.item() == 0.0  # a batch of augmented texts only has no cross-entropy


def test_kl_is_zero_on_the_teacher_and_scaled_by_temperature_squared():
    torch.manual_seed(0)
    t = torch.randn(5, 4)
    no = torch.full((5,), -1)
    same = distillation_loss(t.clone(), no, t, loss="kl", alpha=0.0, temperature=3.0)
    assert same.item() == pytest.approx(0, abs=1e-6)
    s = torch.randn(5, 4)
    kl = F.kl_div(F.log_softmax(s / 2, 1), F.softmax(t / 2, 1), reduction="batchmean") * 4
    assert distillation_loss(s, no, t, loss="kl", alpha=0.0, temperature=2.0).item() == pytest.approx(kl.item(), 1e-5)


class _AlwaysFirst(nn.Module):
    """Predicts class 0 for everything (a bias the tiny learning rate cannot move)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(1, 2)
        with torch.no_grad():
            self.fc.weight.zero_()
            self.fc.bias.copy_(torch.tensor([10.0, -10.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)  # (B, 2)


def test_training_accuracy_counts_labelled_texts_only():
    batch = (torch.ones(4, 1), {"labels": torch.tensor([0, -1, -1, -1]), "teacher": torch.zeros(4, 2)})
    config = TrainConfig(epochs=1, optimizer="sgd", lr=1e-12, progress=False, device="cpu")
    loss_fn = lambda out, tg: distillation_loss(out, tg["labels"], tg["teacher"], loss="mse", alpha=0.0, temperature=1)  # noqa: E731
    record = Trainer(_AlwaysFirst(), config, loss_fn=loss_fn).train_epoch([batch, batch])
    assert record["train_accuracy"] == 1.0  # 2 of 2 labelled texts right, the 6 unlabelled left out
    assert record["train_loss"] == pytest.approx(200.0, rel=1e-4)  # (10^2 + 10^2) per text


def _config(toy_files, teacher_dir, *extra: str):
    return load_config(None, [
        "data.dataset=file", f"data.train_file={toy_files['train']}", f"data.dev_file={toy_files['dev']}",
        f"data.test_file={toy_files['test']}", *TINY_OVERRIDES, "train.epochs=8", f"distill.teacher={teacher_dir}",
        "distill.augment=2", *extra,
    ])  # fmt: skip


@pytest.fixture
def fake_teacher(monkeypatch, tmp_path):
    """``load_teacher`` replaced by one returning a :class:`FakeTeacher` (kept in ``made``); logits cached in tmp."""
    import textcnn.distill.teacher as teacher_module

    made: list[FakeTeacher] = []

    def load_teacher(path, device="auto") -> FakeTeacher:
        made.append(FakeTeacher())
        return made[-1]

    monkeypatch.setattr(teacher_module, "load_teacher", load_teacher)
    monkeypatch.setenv("TEXTCNN_CACHE", str(tmp_path / "cache"))
    return made


def _student_logits(model, texts, tokenizer) -> np.ndarray:
    from textcnn.data.batching import pad_batch

    ids, mask, _ = pad_batch(tokenizer.encode_batch(texts), min_len=5)
    with torch.no_grad():
        return model.eval()(input_ids=ids, mask=mask).numpy()  # (N, C)


def test_student_reproduces_the_teacher_logits_and_the_cache_serves_a_second_run(toy_files, fake_teacher, tmp_path):
    lines: list[str] = []
    outcome = train_text_classifier(_config(toy_files, tmp_path / "t"), tmp_path / "student", echo=lines.append)
    (line,) = [x for x in lines if x.startswith("distillation:")]
    assert "loss mse, alpha 0" in line and "400 training + " in line and "computed by the teacher" in line
    teacher, clf = fake_teacher[0], outcome.classifier
    scored = teacher.texts_scored
    assert teacher.calls == 1 and scored > 400 * 2  # training + augmented texts, scored once
    texts = [row.split(",")[0] for row in toy_files["test"].read_text().splitlines()[1:]]
    target = teacher.logits(texts)[:, [teacher.labels.index(n) for n in clf.labels]]  # the dataset's label order
    got = _student_logits(clf.model, texts, clf.tokenizer)
    start = float(np.mean((target - 0) ** 2))  # an untrained model's logits are ~0
    assert float(np.mean((got - target) ** 2)) < 0.1 * start
    assert float(np.mean(got.argmax(1) == target.argmax(1))) > 0.9
    log = [json.loads(x) for x in (tmp_path / "student" / "train_log.jsonl").read_text().splitlines()]
    assert log[-1]["train_loss"] < 0.2 * log[0]["train_loss"]
    metrics = json.loads((tmp_path / "student" / "metrics.json").read_text())
    assert metrics["distill"]["train_texts"] == 400 and metrics["distill"]["augmented_texts"] == scored - 400
    assert metrics["distill"]["loss"] == "mse" and metrics["distill"]["logits_from_cache"] is False
    assert metrics["test"]["accuracy"] > 0.9  # test metrics on the hard labels

    lines.clear()
    train_text_classifier(_config(toy_files, tmp_path / "t"), tmp_path / "again", echo=lines.append)
    assert fake_teacher[1].calls == 0 and any("read from the cache" in x for x in lines)


def test_kl_student_learns(toy_files, fake_teacher, tmp_path):
    outcome = train_text_classifier(
        _config(toy_files, tmp_path / "t", "distill.loss=kl", "distill.temperature=2", "distill.alpha=0.5"),
        tmp_path / "kl", echo=None,
    )  # fmt: skip
    assert outcome.metrics["distill"]["loss"] == "kl" and outcome.metrics["test"]["accuracy"] > 0.85


def test_student_directory_loads_and_predicts_without_transformers(toy_files, fake_teacher, tmp_path):
    train_text_classifier(_config(toy_files, tmp_path / "no-such-teacher", "train.epochs=2"), tmp_path / "s", echo=None)
    assert "distill:" in (tmp_path / "s" / "config.yaml").read_text()
    code = (
        "import sys; sys.modules['transformers'] = None\n"
        "from textcnn.classify.hybrid import load_text_classifier\n"
        f"clf = load_text_classifier({str(tmp_path / 's')!r})\n"
        "print(clf.predict(['a great film', 'a dull plot']))\n"
        "assert not any(m.startswith('textcnn.distill.teacher') for m in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['pos', 'neg']"


def test_distill_section_defaults_round_trip_and_old_configs_load(tmp_path):
    from textcnn.classify.config import from_dict
    from textcnn.distill.config import DistillConfig

    old = tmp_path / "old.yaml"
    old.write_text("data:\n  dataset: mr\ntrain:\n  epochs: 3\n")  # written before the distill section existed
    config = load_config(old)
    assert config.distill == DistillConfig() and config.distill.teacher is None
    tuned = load_config(old, ["distill.teacher=t", "distill.loss=kl", "distill.ngram_range=[2, 3]"])
    assert from_dict(tuned.to_dict()).distill == tuned.distill
    assert tuned.to_dict()["distill"]["ngram_range"] == [2, 3]


@pytest.mark.parametrize(
    ("override", "match"),
    [("distill.loss=l2", "distill.loss must be mse or kl"), ("distill.alpha=1.5", "distill.alpha must be in"),
     ("distill.p_ngram=-0.1", "distill.p_ngram"), ("distill.temperature=0", "distill.temperature must be > 0"),
     ("distill.ngram_range=[3, 1]", "distill.ngram_range"), ("distill.augment=-1", "distill.augment must be >= 0"),
     ("distill.tacher=x", "unknown config key 'distill.tacher'"), ("distill.augment=2.5", "'distill.augment'")],
)  # fmt: skip
def test_bad_distill_settings_name_the_dotted_key(override, match):
    with pytest.raises(ValueError, match=match):
        load_config(None, ["data.dataset=mr", override])


def test_multi_label_runs_are_refused(toy_files, fake_teacher, tmp_path):
    config = _config(toy_files, tmp_path / "t", "data.multi_label=true")
    with pytest.raises(ValueError, match="multi-label runs cannot be distilled"):
        train_text_classifier(config, tmp_path / "m", echo=None)


def test_a_masked_word_is_the_students_unknown_word_and_the_teachers_mask(tmp_path):
    from textcnn.distill.config import DistillConfig
    from textcnn.distill.student import build_transfer_set
    from textcnn.text.tokenizers import UNK_ID

    class MaskingTeacher(FakeTeacher):
        mask_token = "[MASK]"

        def logits(self, texts, **kwargs):
            self.seen = list(texts)
            return super().logits(texts, **kwargs)

    teacher = MaskingTeacher()
    texts = ["the plot was good and the acting was great", "a dull and boring film with poor music"]
    config = DistillConfig(teacher="t", augment=6, p_mask=0.5, p_replace=0.0, p_ngram=0.0)
    transfer = build_transfer_set(teacher, texts, [0, 1], ["pos", "neg"], config, seed=0, cache_dir=tmp_path)
    augmented, shown = transfer.texts[2:], teacher.seen[2:]
    assert augmented and all("<unk>" in t and "[MASK]" not in t for t in augmented)
    assert [t.replace("<unk>", "[MASK]") for t in augmented] == shown  # the same texts, each mask in its own words
    assert teacher.seen[:2] == texts  # the training texts go to the teacher unchanged
    from textcnn.classify.build import fit_tokenizer

    config = load_config(None, ["data.dataset=file", "data.train_file=x"])  # the default (Kim) tokenizer
    ids = fit_tokenizer(config, texts).encode_batch(augmented)
    assert all(ids[i].count(UNK_ID) == augmented[i].split().count("<unk>") for i in range(len(ids)))


def test_truncation_of_the_training_texts_is_counted_once_from_the_transfer_set(toy_files, fake_teacher, tmp_path):
    lines: list[str] = []
    outcome = train_text_classifier(_config(toy_files, tmp_path / "t", "data.max_len=5", "train.epochs=1"),
                                    tmp_path / "student", echo=lines.append)  # fmt: skip
    texts = [row.rsplit(",", 1)[0] for row in toy_files["train"].read_text().splitlines()[1:]]
    longer = sum(len(ids) > 5 for ids in outcome.classifier.tokenizer.encode_batch(texts))
    metrics = json.loads((tmp_path / "student" / "metrics.json").read_text())
    assert 0 < longer < len(texts) and metrics["truncated_train_examples"] == longer  # training texts only
    assert any(x.startswith(f"truncation: {longer} of {len(texts)} training texts") for x in lines)
