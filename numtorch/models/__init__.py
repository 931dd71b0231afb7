"""numtorch.models: ready-made classifiers for 28x28 and 32x32 images, and a registry by name.

Every model is a plain ``nn.Module`` built from ``numtorch.nn`` taking ``(N, C, H, W)`` images and
returning ``(N, num_classes)`` logits; ``build_model("cnn", in_shape=(1, 28, 28))`` makes one by name.
"""
from __future__ import annotations

import inspect
from typing import Any, Sequence

from ._common import ACTIVATIONS, count_parameters
from .cnn import LeNet5, SimpleCNN, SmallVGG
from .mlp import MLP, ResidualBlock, ResidualMLP, SoftmaxRegression
from .resnet import BasicBlock, SmallResNet

MODELS: dict[str, type] = {
    "softmax": SoftmaxRegression,
    "mlp": MLP,
    "resmlp": ResidualMLP,
    "lenet5": LeNet5,
    "cnn": SimpleCNN,
    "vgg": SmallVGG,
    "resnet": SmallResNet,
}
ALIASES = {"softmax-regression": "softmax", "logreg": "softmax", "lenet": "lenet5", "residual-mlp": "resmlp",
           "resnet8": "resnet"}


def model_names() -> list[str]:
    return list(MODELS)


def canonical_name(name: str) -> str:
    """The registry name for ``name`` (accepts aliases such as ``lenet``); raises ValueError if unknown."""
    key = name.lower().replace("_", "-")
    key = ALIASES.get(key, key)
    if key not in MODELS:
        raise ValueError(f"unknown model '{name}'; expected one of {', '.join(MODELS)}")
    return key


def model_options(name: str) -> list[str]:
    """The keyword options a model accepts besides ``in_shape`` and ``num_classes``."""
    params = inspect.signature(MODELS[canonical_name(name)].__init__).parameters
    return [p for p in params if p not in ("self", "in_shape", "num_classes")]


def build_model(name: str, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10, **options: Any):
    """Build a registered model; options it does not take (or that are None) are left out.

    Returns the model; ``used_options(name, options)`` tells which options were applied.
    """
    cls = MODELS[canonical_name(name)]
    return cls(in_shape=tuple(in_shape), num_classes=num_classes, **used_options(name, options))


def used_options(name: str, options: dict) -> dict:
    allowed = set(model_options(name))
    return {k: v for k, v in options.items() if k in allowed and v is not None}


__all__ = ["MODELS", "ACTIVATIONS", "build_model", "canonical_name", "count_parameters", "model_names",
           "model_options", "used_options", "SoftmaxRegression", "MLP", "ResidualMLP", "ResidualBlock", "LeNet5",
           "SimpleCNN", "SmallVGG", "SmallResNet", "BasicBlock"]
