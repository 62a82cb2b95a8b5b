"""textcnn: convolutional text classification (Kim 2014 and friends) in PyTorch."""

__version__ = "0.1.0"

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
