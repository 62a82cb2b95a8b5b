"""The ``distill`` section of an experiment config: train the model on a teacher's logits (a CNN student).

Tang et al. 2019, "Distilling Task-Specific Knowledge from BERT into Simple Neural Networks": the student learns
the teacher's logits (MSE) on the training texts and on an augmented transfer set (masking, word replacement and
n-gram sampling, see :mod:`textcnn.distill.augment`). Dev selection and test metrics stay on the hard labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Distillation losses (``distill.loss``): ``mse`` between student and teacher logits (Tang et al. 2019), ``kl``
#: between their temperature-softened distributions times ``temperature ** 2`` (Hinton et al. 2015). The first is the
#: default.
LOSSES: tuple[str, ...] = ("mse", "kl")


@dataclass
class DistillConfig:
    """Knowledge distillation from a fine-tuned transformer teacher (``textcnn train --teacher DIR``).

    Attributes:
        teacher: Teacher folder (written by the teacher side of :mod:`textcnn.distill`); ``None``: no distillation.
        loss: ``mse`` on logits (Tang et al.) or ``kl`` on softened distributions (Hinton); see :data:`LOSSES`.
        alpha: Weight of the hard-label cross-entropy (training texts only; augmented ones have no label); the
            teacher loss gets ``1 - alpha``. Default 0: Tang et al. train on the teacher's logits alone, which
            already encode the labels the teacher learnt, and most transfer texts have no label anyway.
        temperature: Softening temperature of the ``kl`` loss (ignored by ``mse``).
        augment: Augmented transfer texts generated per training text (at most: duplicates are dropped). Tang et
            al. used 20; 4 keeps the teacher pass affordable on a CPU. 0: the training texts alone.
        p_mask: Per-word probability of masking a word: the student reads the mask as its unknown word
            (``<unk>``), the teacher as its tokenizer's mask token (``[MASK]`` for BERT-style encoders).
        p_replace: Per-word probability of replacing a word by another word of the training texts, drawn by its
            frequency (a cheap stand-in for Tang's same-part-of-speech replacement, which needs a tagger).
        p_ngram: Probability that an augmented text is then cut down to one of its n-grams.
        ngram_range: ``[min, max]`` n of the sampled n-grams (Tang: 1 to 5), n drawn uniformly.
        batch_size: Texts per teacher call when computing the logits.

    The augmentation seed is ``train.seed``. Teacher logits are cached on disk (see :mod:`textcnn.distill.targets`).
    """

    teacher: str | None = None
    loss: str = LOSSES[0]
    alpha: float = 0.0
    temperature: float = 2.0
    augment: int = 4
    p_mask: float = 0.1
    p_replace: float = 0.1
    p_ngram: float = 0.25
    ngram_range: list[int] = field(default_factory=lambda: [1, 5])
    batch_size: int = 64

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad key."""
        if self.loss not in LOSSES:
            raise ValueError(f"distill.loss must be {' or '.join(LOSSES)}, got {self.loss!r}")
        for key in ("alpha", "p_mask", "p_replace", "p_ngram"):
            value = getattr(self, key)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"distill.{key} must be in [0, 1], got {value}")
        if self.p_mask + self.p_replace > 1.0:
            raise ValueError(f"distill.p_mask + distill.p_replace must be <= 1, got {self.p_mask + self.p_replace}")
        if self.temperature <= 0:
            raise ValueError(f"distill.temperature must be > 0, got {self.temperature}")
        if self.augment < 0:
            raise ValueError(f"distill.augment must be >= 0, got {self.augment}")
        if len(self.ngram_range) != 2 or not 1 <= self.ngram_range[0] <= self.ngram_range[1]:
            raise ValueError(f"distill.ngram_range must be [min, max] with 1 <= min <= max, got {self.ngram_range}")
        if self.batch_size < 1:
            raise ValueError(f"distill.batch_size must be >= 1, got {self.batch_size}")
        if self.teacher is not None and not self.teacher:
            raise ValueError("distill.teacher must be a folder or null, got an empty string")
