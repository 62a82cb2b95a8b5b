"""Training: one generic trainer, its callbacks, metrics and optimisers."""

from textcnn.training.config import TrainConfig
from textcnn.training.metrics import classification_metrics, format_metrics
from textcnn.training.trainer import FitResult, Trainer, evaluate_model, predict_logits

__all__ = [
    "FitResult",
    "TrainConfig",
    "Trainer",
    "classification_metrics",
    "evaluate_model",
    "format_metrics",
    "predict_logits",
]
