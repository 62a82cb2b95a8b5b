"""textcnn: convolutional text classification (Kim 2014 and friends) in PyTorch."""

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # the names of __all__, for type checkers and linters; at run time __getattr__ imports them lazily
    from textcnn.classify.classifier import TextClassifier, load
    from textcnn.classify.sklearn import TextCNNClassifier
    from textcnn.models import create_model, list_models

__all__ = ["TextCNNClassifier", "TextClassifier", "create_model", "list_models", "load", "__version__"]


def __getattr__(name: str):
    """Import the public API lazily, so `import textcnn` (and the CLI's --help) stays fast."""
    if name == "TextCNNClassifier":
        from textcnn.classify.sklearn import TextCNNClassifier

        return TextCNNClassifier
    if name in ("TextClassifier", "load"):
        from textcnn.classify import classifier

        return getattr(classifier, name)
    if name in ("create_model", "list_models"):
        from textcnn import models

        return getattr(models, name)
    raise AttributeError(f"module 'textcnn' has no attribute {name!r}")
