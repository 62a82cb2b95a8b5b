"""Model families, one file each, all registered by name."""

from textcnn.models._registry import ModelEntry, create_model, get_model_entry, list_models, register_model

# Each family file registers its builders on import. Keep this list explicit.
from textcnn.models import alexnet, char_cnn, densenet, dpcnn, googlenet, kim_cnn, lenet, resnet, vdcnn, vgg, xo_net  # noqa: E402,F401  isort: skip
from textcnn.models import contextual_cnn  # noqa: E402,F401  isort: skip

__all__ = ["ModelEntry", "create_model", "get_model_entry", "list_models", "register_model"]
