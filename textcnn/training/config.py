"""The training configuration (one dataclass; YAML in and out through textcnn.classify.config)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainConfig:
    """How to train, independent of the model and data.

    Attributes:
        epochs: Maximum number of passes over the training data (Kim: 25).
        batch_size: Examples per update (Kim: 50).
        optimizer: ``adadelta`` (Kim), ``adam``, ``adamw`` or ``sgd``.
        lr: Learning rate (Adadelta: 1.0).
        rho: Adadelta decay (Kim: 0.95).
        eps: Adadelta/Adam epsilon (Kim: 1e-6).
        momentum: SGD momentum.
        weight_decay: L2 penalty through the optimiser (Kim uses the max-norm constraint instead: 0).
        scheduler: ``none``, ``cosine`` (over all epochs) or ``step`` (x0.1 every ``step_size`` epochs).
        step_size: Epochs between decays of the ``step`` scheduler.
        grad_clip: Clip the global gradient norm to this value; ``None`` disables.
        early_stopping: Stop after this many epochs without a better dev metric (the best model is kept);
            ``None`` trains all epochs (the best epoch on dev is still kept when a dev split exists).
        metric: Dev metric that selects the best epoch: ``accuracy`` or ``macro_f1`` (for imbalanced data).
        class_weight: Weights of the classes in the loss: ``None`` (all 1), ``balanced`` (``n / (classes * n_c)``
            from the training split, as scikit-learn's) or ``{label: weight}`` (labels not named get 1).
        aux_weight: Weight of auxiliary classifier losses (GoogLeNet: 0.3).
        seed: Seed of every random choice (initialisation, shuffling, dropout).
        device: ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``.
        amp: Mixed precision (bf16 autocast) on CUDA; ignored on CPU.
        compile: Wrap the model in ``torch.compile`` (the unwrapped model is what gets saved).
        num_threads: CPU threads for torch while training (``None``: half the usable cores, 1 to 4; see
            :func:`textcnn.training.device.auto_num_threads`).
        progress: Show progress bars.
    """

    epochs: int = 25
    batch_size: int = 50
    optimizer: str = "adadelta"
    lr: float = 1.0
    rho: float = 0.95
    eps: float = 1e-6
    momentum: float = 0.9
    weight_decay: float = 0.0
    scheduler: str = "none"
    step_size: int = 10
    grad_clip: float | None = None
    early_stopping: int | None = None
    metric: str = "accuracy"
    class_weight: str | dict | None = None
    aux_weight: float = 0.3
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    compile: bool = False
    num_threads: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad field."""
        if self.epochs < 1:
            raise ValueError(f"train.epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"train.batch_size must be >= 1, got {self.batch_size}")
        if self.optimizer not in ("adadelta", "adam", "adamw", "sgd"):
            raise ValueError(f"train.optimizer must be adadelta, adam, adamw or sgd, got {self.optimizer!r}")
        if self.lr <= 0:
            raise ValueError(f"train.lr must be > 0, got {self.lr}")
        if self.scheduler not in ("none", "cosine", "step"):
            raise ValueError(f"train.scheduler must be none, cosine or step, got {self.scheduler!r}")
        if self.metric not in ("accuracy", "macro_f1"):
            raise ValueError(f"train.metric must be accuracy or macro_f1, got {self.metric!r}")
        if isinstance(self.class_weight, str) and self.class_weight != "balanced":
            raise ValueError(
                f"train.class_weight must be balanced, a mapping label -> weight or null, got {self.class_weight!r}"
            )
        if isinstance(self.class_weight, dict) and any(
            isinstance(w, bool) or not isinstance(w, int | float) or w <= 0 for w in self.class_weight.values()
        ):
            raise ValueError(f"train.class_weight weights must be positive numbers, got {self.class_weight}")
        if self.grad_clip is not None and self.grad_clip <= 0:
            raise ValueError(f"train.grad_clip must be > 0 or null, got {self.grad_clip}")
        if self.early_stopping is not None and self.early_stopping < 1:
            raise ValueError(f"train.early_stopping must be >= 1 or null, got {self.early_stopping}")
        if self.num_threads is not None and self.num_threads < 1:
            raise ValueError(f"train.num_threads must be >= 1 or null, got {self.num_threads}")
