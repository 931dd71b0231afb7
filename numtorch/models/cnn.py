"""Convolutional models: LeNet-5, the default small CNN and a small VGG-style network.

All take images ``(N, C, H, W)`` (28x28 or 32x32) and return logits ``(N, num_classes)``.
"""
from __future__ import annotations

from typing import Sequence

from numtorch import nn

from ._common import activation


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al. 1998), with max pooling and a modern activation by default.

    ``conv5x5(6) -> act -> pool -> conv5x5(16) -> act -> pool -> 120 -> 84 -> classes``; 28x28 inputs
    are padded by 2 so that both 28x28 and 32x32 inputs reach the 16x5x5 feature map.
    Parameters for 1x28x28 or 1x32x32 inputs, 10 classes: 61,706 (62,006 for 3 channels).
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10,
                 activation: str = "relu") -> None:
        super().__init__()
        c, h, _ = in_shape
        pad = (32 - h) // 2 if h < 32 else 0
        self.features = nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=pad), _a(activation), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), _a(activation), nn.MaxPool2d(2),
        )
        side = (h + 2 * pad - 4) // 2
        side = (side - 4) // 2
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * side * side, 120), _a(activation),
            nn.Linear(120, 84), _a(activation), nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def _a(name: str) -> nn.Module:
    return activation(name)


def _conv_block(cin: int, cout: int, batch_norm: bool, act: str) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(_a(act))
    return layers


def _classifier_head(in_features: int, hidden: int, num_classes: int, act: str, dropout: float) -> nn.Sequential:
    """``Flatten -> Linear(hidden) -> act -> (Dropout) -> Linear(num_classes)``: (N, C, H, W) -> (N, num_classes)."""
    head: list[nn.Module] = [nn.Flatten(), nn.Linear(in_features, hidden), _a(act)]
    if dropout > 0:
        head.append(nn.Dropout(dropout))
    head.append(nn.Linear(hidden, num_classes))
    return nn.Sequential(*head)


class SimpleCNN(nn.Module):
    """The default CNN: two 3x3 conv layers with max pooling, then a hidden fully connected layer.

    ``conv(w) -> act -> pool -> conv(2w) -> act -> pool -> Linear(hidden) -> act -> (Dropout) -> Linear``.
    Input ``(N, C, H, W)``, output ``(N, num_classes)``.
    Parameters for 1x28x28 inputs, 10 classes, defaults (width=16, hidden=128): 206,922;
    width=32: 421,642; BatchNorm adds 2 per channel and drops the conv biases.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10, width: int = 16,
                 hidden: int | Sequence[int] = 128, activation: str = "relu", batch_norm: bool = False,
                 dropout: float = 0.0) -> None:
        super().__init__()
        c, h, w = in_shape
        hidden = hidden if isinstance(hidden, int) else int(list(hidden)[0])
        self.features = nn.Sequential(
            *_conv_block(c, width, batch_norm, activation), nn.MaxPool2d(2),
            *_conv_block(width, 2 * width, batch_norm, activation), nn.MaxPool2d(2),
        )
        self.classifier = _classifier_head(2 * width * (h // 4) * (w // 4), hidden, num_classes, activation, dropout)

    def forward(self, x):
        return self.classifier(self.features(x))


class SmallVGG(nn.Module):
    """A small VGG-style network: two stages of two 3x3 convs (BatchNorm, activation) and max pooling.

    ``[conv(w) conv(w) pool] -> [conv(2w) conv(2w) pool] -> Linear(hidden) -> act -> Dropout -> Linear``.
    Input ``(N, C, H, W)``, output ``(N, num_classes)``.
    Parameters, 10 classes, defaults (width=16, hidden=128, BatchNorm): 218,586 for 1x28x28 inputs,
    280,314 for 3x32x32.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10, width: int = 16,
                 hidden: int | Sequence[int] = 128, activation: str = "relu", batch_norm: bool = True,
                 dropout: float = 0.3) -> None:
        super().__init__()
        c, h, w = in_shape
        hidden = hidden if isinstance(hidden, int) else int(list(hidden)[0])
        self.features = nn.Sequential(
            *_conv_block(c, width, batch_norm, activation), *_conv_block(width, width, batch_norm, activation),
            nn.MaxPool2d(2),
            *_conv_block(width, 2 * width, batch_norm, activation),
            *_conv_block(2 * width, 2 * width, batch_norm, activation),
            nn.MaxPool2d(2),
        )
        self.classifier = _classifier_head(2 * width * (h // 4) * (w // 4), hidden, num_classes, activation, dropout)

    def forward(self, x):
        return self.classifier(self.features(x))
