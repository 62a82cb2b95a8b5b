"""Registry-driven checks over every registered model (image models below; text models at the end).

Each model is built with a non-default number of classes. At its registered input size it runs in eval mode on the
``meta`` device (shapes only, no memory). A real forward and backward pass in training mode on the CPU checks the
shapes of all outputs (GoogLeNet's auxiliary logits too), finite logits and finite gradients. To keep the whole
registry fast, that pass uses the entry's ``test_kwargs`` (e.g. narrower FC layers for VGG/AlexNet) and caps the
spatial size at ``MAX_SIDE``, which every zoo architecture accepts through its adaptive/global pooling (AlexNet's
smallest input is 67x67); full-size shapes are checked per family in the other tests of this folder.
"""

import pytest
import torch
import torch.nn.functional as F

from textcnn.models import create_model, get_model_entry, list_models

IMAGE_MODELS = list_models("image")
NUM_CLASSES = 7
MAX_SIDE = 72

ZOO = {
    "lenet5", "alexnet", "googlenet",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "densenet121", "densenet169", "densenet201",
}  # fmt: skip


def _outputs(out: torch.Tensor | tuple) -> list[torch.Tensor]:
    """Main logits first, then any auxiliary logits (GoogLeNet in training mode)."""
    return list(out) if isinstance(out, tuple) else [out]


def test_the_zoo_is_registered_as_image_models():
    assert set(IMAGE_MODELS) >= ZOO
    for name in IMAGE_MODELS:
        entry = get_model_entry(name)
        assert entry.task == "image" and len(entry.input_size) == 3


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_eval_output_shape_at_registered_input_size(name):
    entry = get_model_entry(name)
    with torch.device("meta"):
        model = create_model(name, num_classes=NUM_CLASSES).eval()
        out = model(torch.empty(2, *entry.input_size))
    assert isinstance(out, torch.Tensor)  # auxiliary heads, if any, run in training mode only
    assert out.shape == (2, NUM_CLASSES)


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_forward_backward_finite(name):
    torch.manual_seed(0)
    entry = get_model_entry(name)
    model = create_model(name, num_classes=NUM_CLASSES, **entry.test_kwargs).train()
    channels, *spatial = entry.input_size
    x = torch.randn(2, channels, *(min(s, MAX_SIDE) for s in spatial))
    target = torch.tensor([1, 6])
    outputs = _outputs(model(x))
    for logits in outputs:
        assert logits.shape == (2, NUM_CLASSES)
        assert torch.isfinite(logits).all()
    loss = F.cross_entropy(outputs[0], target) + 0.3 * sum(F.cross_entropy(o, target) for o in outputs[1:])
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", list_models("text"))
def test_every_text_model_runs_forward_and_backward_with_masks(name):
    entry = get_model_entry(name)
    torch.manual_seed(0)
    model = create_model(name, **{**entry.test_kwargs, "num_classes": NUM_CLASSES}).train()
    vocab = entry.test_kwargs.get("vocab_size", 50)
    ids = torch.randint(2, vocab, (3, entry.input_size[0]))  # (B, T)
    mask = torch.ones_like(ids, dtype=torch.bool)
    mask[1, 5:] = False  # a padded row
    ids[1, 5:] = 0
    logits = model(ids, mask)
    assert logits.shape == (3, NUM_CLASSES) and torch.isfinite(logits).all()
    F.cross_entropy(logits, torch.arange(3) % NUM_CLASSES).backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
