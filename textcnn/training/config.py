"""The training configuration (one dataclass; YAML in and out through textcnn.classify.config)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
        metric: Dev metric that selects the best epoch: ``accuracy`` or ``macro_f1`` (for imbalanced data). A
            multi-label run selects on micro-F1 for ``accuracy`` (subset accuracy is too coarse), on macro-F1 for
            ``macro_f1``.
        threshold: Multi-label runs: ``per_label`` (each label's threshold maximises its F1 on dev), ``global`` (one
            threshold maximises micro-F1 on dev) or a fixed number in (0, 1); without dev every threshold is 0.5.
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
        log: Experiment trackers that record the run: ``tensorboard`` (``OUT/tensorboard``) and/or ``mlflow``
            (``$MLFLOW_TRACKING_URI``, else ``OUT/mlruns``); see :mod:`textcnn.training.trackers`.
        hybrid: Also fit a linear model on the training split and save a CNN + linear hybrid whose probabilities
            mix as ``w * p_cnn + (1 - w) * p_linear``, ``w`` chosen on dev: ``nbsvm``, ``tfidf_lr`` or ``None`` (the
            CNN alone); see :mod:`textcnn.classify.hybrid`.
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
    threshold: str | float = "per_label"
    aux_weight: float = 0.3
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    compile: bool = False
    num_threads: int | None = None
    progress: bool = True
    log: list[str] = field(default_factory=list)
    hybrid: str | None = None

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
        from textcnn.classify.multilabel import check_threshold_rule

        check_threshold_rule(self.threshold)
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
        from textcnn.training.trackers import TRACKERS

        for name in self.log:
            if name not in TRACKERS:
                raise ValueError(f"train.log: unknown tracker {name!r}; expected {' or '.join(TRACKERS)}")
        if self.hybrid is not None:
            from textcnn.classify.hybrid import LINEAR_KINDS

            if self.hybrid not in LINEAR_KINDS:
                raise ValueError(f"train.hybrid must be {', '.join(LINEAR_KINDS)} or null, got {self.hybrid!r}")
