"""Fully connected models: softmax regression, the MLP and the residual MLP.

All take images ``(N, C, H, W)`` (or already flat ``(N, D)``) and return logits ``(N, num_classes)``.
"""
from __future__ import annotations

from typing import Sequence

from numtorch import nn

from ._common import activation, numel


class SoftmaxRegression(nn.Module):
    """Multinomial logistic regression: one linear layer on the flattened image.

    Input ``(N, *in_shape)``, output ``(N, num_classes)`` logits (train with ``CrossEntropyLoss``).
    Parameters on 28x28 grey images, 10 classes: 7,850 (784*10 weights + 10 biases).

    ``output_softmax=True`` returns probabilities instead of logits. Feeding those to
    ``CrossEntropyLoss`` (which applies log-softmax itself) is the *double-softmax mistake*;
    the option exists so that ``numtorch reproduce`` can show what it costs.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10,
                 output_softmax: bool = False) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(numel(in_shape), num_classes)
        self.output_softmax = output_softmax

    def forward(self, x):
        logits = self.linear(self.flatten(x))
        return logits.softmax(dim=1) if self.output_softmax else logits


class MLP(nn.Module):
    """Multi-layer perceptron: ``[Linear -> (BatchNorm1d) -> activation -> (Dropout)] * len(hidden) -> Linear``.

    ``depth=k`` makes k hidden layers as wide as ``hidden[0]``. ``depth=0`` gives softmax regression.
    Input ``(N, *in_shape)``, output ``(N, num_classes)`` logits.
    Parameters on 28x28 grey images, 10 classes: 784-128-10 (default) 101,770;
    784-256-10 203,530; 784-256-128-10 235,146 (+2 per hidden unit with BatchNorm).
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10,
                 hidden: int | Sequence[int] = (128,), depth: int | None = None, activation: str = "relu",
                 batch_norm: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        hidden = [hidden] if isinstance(hidden, int) else list(hidden)
        if depth is not None:  # depth hidden layers, all as wide as the first one given
            hidden = hidden[:1] * depth
        layers: list[nn.Module] = [nn.Flatten()]
        width = numel(in_shape)
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(_act(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def _act(name: str) -> nn.Module:
    return activation(name)


class ResidualBlock(nn.Module):
    """``act(x + f(x))`` with ``f = Linear -> (BN) -> act -> (Dropout) -> Linear -> (BN)``; ``(N, D) -> (N, D)``."""

    def __init__(self, width: int, activation: str = "relu", batch_norm: bool = True, dropout: float = 0.0) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Linear(width, width)]
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(_act(activation))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(width, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        self.f = nn.Sequential(*layers)
        self.act = _act(activation)

    def forward(self, x):
        return self.act(x + self.f(x))


class ResidualMLP(nn.Module):
    """Residual MLP: ``Linear stem -> depth * ResidualBlock -> Linear head``, with BatchNorm and Dropout.

    Input ``(N, *in_shape)``, output ``(N, num_classes)`` logits.
    Parameters on 28x28 grey images, 10 classes, defaults (hidden=256, depth=2, BatchNorm): 469,258.
    """

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), num_classes: int = 10, hidden: int | Sequence[int] = 256,
                 depth: int = 2, activation: str = "relu", batch_norm: bool = True, dropout: float = 0.1) -> None:
        super().__init__()
        width = hidden if isinstance(hidden, int) else int(list(hidden)[0])
        stem: list[nn.Module] = [nn.Flatten(), nn.Linear(numel(in_shape), width)]
        if batch_norm:
            stem.append(nn.BatchNorm1d(width))
        stem.append(_act(activation))
        self.stem = nn.Sequential(*stem)
        self.blocks = nn.Sequential(*[ResidualBlock(width, activation, batch_norm, dropout) for _ in range(depth)])
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))
