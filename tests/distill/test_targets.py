"""Teacher logits on disk: computed once, read back without calling the teacher; labels matched by name."""

from __future__ import annotations

import json

import numpy as np
import pytest

from textcnn.distill.targets import CACHE_ENV_VAR, default_cache_dir, label_order, logits_key, teacher_logits

POSITIVE = {"good", "great", "fine", "superb", "lovely", "fun"}
NEGATIVE = {"bad", "awful", "dull", "poor", "boring", "weak"}


class FakeTeacher:
    """A teacher whose logits are a known function of the text (tests/toy.py's sentiment words), counting calls.

    ``logits = [scale * s, -scale * s]`` for labels ``[pos, neg]`` where ``s`` = positive minus negative words.
    """

    def __init__(self, labels=("pos", "neg"), scale: float = 2.0, fingerprint: str = "fake-teacher-1") -> None:
        self.labels, self.scale, self.fingerprint = list(labels), scale, fingerprint
        self.calls, self.texts_scored = 0, 0

    def score(self, text: str) -> float:
        words = text.split()
        return float(sum(w in POSITIVE for w in words) - sum(w in NEGATIVE for w in words))

    def logits(self, texts, *, batch_size: int = 64, echo=None) -> np.ndarray:
        self.calls += 1
        self.texts_scored += len(texts)
        by_name = {"pos": 1.0, "neg": -1.0}
        return np.array([[by_name[n] * self.scale * self.score(t) for n in self.labels] for t in texts], np.float32)


TEXTS = ["good film", "the plot was dull", "a great and fun story", "poor acting"]


def test_second_run_reads_the_cache_without_calling_the_teacher(tmp_path):
    teacher = FakeTeacher()
    first, cached = teacher_logits(teacher, TEXTS, ["pos", "neg"], cache_dir=tmp_path)
    assert not cached and teacher.calls == 1
    again, cached = teacher_logits(teacher, TEXTS, ["pos", "neg"], cache_dir=tmp_path)
    assert cached and teacher.calls == 1
    np.testing.assert_array_equal(first, again)
    key = logits_key(teacher.fingerprint, TEXTS)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{key}.json", f"{key}.npy"]  # no temporary files left
    meta = json.loads((tmp_path / f"{key}.json").read_text())
    assert meta == {"fingerprint": "fake-teacher-1", "labels": ["pos", "neg"], "texts": 4}
    assert np.load(tmp_path / f"{key}.npy", allow_pickle=False).dtype == np.float32


def test_other_texts_or_teacher_recompute(tmp_path):
    teacher = FakeTeacher()
    teacher_logits(teacher, TEXTS, ["pos", "neg"], cache_dir=tmp_path)
    teacher_logits(teacher, TEXTS[:3], ["pos", "neg"], cache_dir=tmp_path)
    teacher_logits(teacher, [*TEXTS[1:], TEXTS[0]], ["pos", "neg"], cache_dir=tmp_path)  # order is part of the key
    other = FakeTeacher(fingerprint="fake-teacher-2")
    teacher_logits(other, TEXTS, ["pos", "neg"], cache_dir=tmp_path)
    assert teacher.calls == 3 and other.calls == 1
    assert logits_key("t", ["ab", "c"]) != logits_key("t", ["a", "bc"])


def test_permuted_labels_are_mapped_by_name(tmp_path):
    teacher = FakeTeacher(labels=("pos", "neg"))
    logits, _ = teacher_logits(teacher, TEXTS, ["neg", "pos"], cache_dir=tmp_path)
    assert logits[0, 1] > 0 > logits[0, 0]  # "good film": the pos column is the dataset's column 1
    assert label_order(["b", "c", "a"], ["a", "b", "c"]) == [2, 0, 1]


def test_different_labels_name_both_lists(tmp_path):
    with pytest.raises(ValueError, match=r"teacher's labels \['pos', 'neg'\] are not the dataset's labels \['neg', "):
        teacher_logits(FakeTeacher(), TEXTS, ["neg", "neutral", "pos"], cache_dir=tmp_path)


def test_corrupt_cache_file_is_recomputed(tmp_path):
    teacher = FakeTeacher()
    teacher_logits(teacher, TEXTS, ["pos", "neg"], cache_dir=tmp_path)
    (tmp_path / f"{logits_key(teacher.fingerprint, TEXTS)}.npy").write_bytes(b"not an array")
    logits, cached = teacher_logits(teacher, TEXTS, ["pos", "neg"], cache_dir=tmp_path)
    assert not cached and teacher.calls == 2 and logits.shape == (4, 2)


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path))
    assert default_cache_dir() == tmp_path / "teacher-logits"
    monkeypatch.delenv(CACHE_ENV_VAR)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "textcnn" / "teacher-logits"
