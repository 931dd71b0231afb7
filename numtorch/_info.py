"""``finfo`` / ``iinfo``: machine limits of numtorch dtypes, with PyTorch's fields and reprs.

finfo(dtype=default float dtype) -> bits, eps, max, min, tiny, smallest_normal, resolution, dtype (a name string)
iinfo(dtype)                     -> bits, max, min, dtype
"""
from __future__ import annotations

import numpy as np

from . import _dtype

__all__ = ["finfo", "iinfo"]


def _check_dtype(kind: str, type) -> _dtype.dtype:
    if not isinstance(type, _dtype.dtype):
        hint = " (numtorch.bfloat16 is None: NumPy has no bfloat16)" if type is None else ""
        raise TypeError(f"{kind}(): argument 'type' (position 1) must be torch.dtype, "
                        f"not {builtin_type(type).__name__}{hint}")
    return type


builtin_type = type
_DEFAULT = object()  # finfo() with no argument; finfo(None) is an error, as in PyTorch (numtorch.bfloat16 is None)


class finfo:
    """Floating-point limits of a float dtype (float32 by default, following set_default_dtype)."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: _dtype.dtype = _DEFAULT) -> None:
        d = _dtype.get_default_dtype() if type is _DEFAULT else _check_dtype("finfo", type)
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        info = np.finfo(d.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.smallest_normal)
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -int(info.precision)  # exactly 10**-digits, as torch
        self.dtype = d.name

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    __hash__ = None  # like torch.finfo

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Integer limits of an integer dtype (int8, int16, int32, int64, uint8)."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type: _dtype.dtype) -> None:
        d = _check_dtype("iinfo", type)
        if d.np.kind == "b":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.np.kind not in "iu":
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            "'torch.iinfo'")
        info = np.iinfo(d.np)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = d.name

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    __hash__ = None

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
