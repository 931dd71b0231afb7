"""Padding layers: ZeroPad1d/2d, ConstantPad1d/2d/3d, ReflectionPad1d/2d, ReplicationPad1d/2d, CircularPad1d/2d."""
from __future__ import annotations

from typing import Sequence, Union

from ...tensor import Tensor
from ..functional.padding import pad as _pad
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d",
           "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d"]


def _ntuple(v, n: int):
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ValueError(f"expected padding of length {n}, got {len(v)}")
        return tuple(v)
    return (v,) * n


class _PadNd(Module):
    _n = 2
    _mode = "constant"

    def __init__(self, padding: Union[int, Sequence[int]]) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._n)

    def forward(self, input: Tensor) -> Tensor:
        return _pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Union[int, Sequence[int]], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return _pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with ``value``: (*, W) -> (*, W + left + right)."""
    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims with ``value``; padding = (left, right, top, bottom)."""
    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims with ``value``; padding = (left, right, top, bottom, front, back)."""
    _n = 3


class ZeroPad1d(ConstantPad1d):
    """Zero padding of the last dim."""

    def __init__(self, padding: Union[int, Sequence[int]]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Zero padding of the last two dims; padding = (left, right, top, bottom)."""

    def __init__(self, padding: Union[int, Sequence[int]]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Reflection padding of the last dim (the edge value is not repeated)."""
    _n, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Reflection padding of the last two dims; padding = (left, right, top, bottom)."""
    _n, _mode = 2, "reflect"


class ReplicationPad1d(_PadNd):
    """Edge-replicating padding of the last dim."""
    _n, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Edge-replicating padding of the last two dims; padding = (left, right, top, bottom)."""
    _n, _mode = 2, "replicate"


class CircularPad1d(_PadNd):
    """Circular (wrap-around) padding of the last dim."""
    _n, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Circular (wrap-around) padding of the last two dims."""
    _n, _mode = 2, "circular"
