"""Reductions over all elements or over ``dim`` (an int or a tuple), with ``keepdim``.

Shapes: input (d0, ..., dn); output drops the reduced dims (kept as 1 with
``keepdim=True``); the gradient has the input's shape.
"""
from __future__ import annotations

from collections import namedtuple

from .._backend import xp
from ..autograd.function import ArrayFunction, apply_unary
from ..tensor import Tensor, _make
from ._util import normalize_dims, tensor_method

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin"]

_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def legacy_name(np_dtype) -> str:
    """PyTorch's scalar-type name used in error messages (Float, Long, ...)."""
    return _LEGACY.get(xp.dtype(np_dtype).name, str(np_dtype))


_RETURN_TYPES = {}


def values_indices(values, indices, name: str = "max"):
    """A ``(values, indices)`` named tuple printed like ``torch.return_types.<name>``."""
    cls = _RETURN_TYPES.get(name)
    if cls is None:
        base = namedtuple(name, ["values", "indices"])

        def __repr__(self):
            return f"numtorch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"
        cls = _RETURN_TYPES[name] = type(name, (base,), {"__repr__": __repr__, "__slots__": ()})
    return cls(values, indices)


def _aliases(kwargs, dim, keepdim):
    """NumPy spellings PyTorch also accepts: ``axis=`` for ``dim`` and ``keepdims=`` for ``keepdim``."""
    dim = kwargs.pop("axis", dim)
    keepdim = kwargs.pop("keepdims", keepdim)
    if kwargs:
        raise TypeError(f"got an unexpected keyword argument '{next(iter(kwargs))}'")
    return dim, keepdim


def _keepdim(kwargs, keepdim):
    """PyTorch accepts NumPy's ``keepdims`` spelling as an alias."""
    return kwargs.pop("keepdims", keepdim)


def _expand_grad(g, shape, axes, keepdim):
    if axes is None:
        out = xp.empty(shape, g.dtype)  # cheaper than broadcast_to for the common full reduction
        out[...] = g
        return out
    if not keepdim:
        g = xp.expand_dims(g, axes)
    return xp.broadcast_to(g, shape)


class Sum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.shape, ctx.axes, ctx.keepdim, ctx.src = x.shape, axes, keepdim, x.dtype
        out = xp.add.reduce(x, axis=axes, dtype=dtype, keepdims=keepdim)  # ufunc call: less overhead than .sum
        return out if type(out) is xp.ndarray else xp.asarray(out)

    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g, ctx.shape, ctx.axes, ctx.keepdim).astype(ctx.src, copy=False), None, None, None


class Mean(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = x.size if axes is None else _count(x.shape, axes)
        ctx.scale = 1.0 / n if n else float("nan")
        if not n:  # mean over nothing is nan, silently (NumPy would warn "Mean of empty slice")
            return xp.full(xp.add.reduce(x, axis=axes, keepdims=keepdim).shape, xp.nan, x.dtype)
        return xp.asarray(x.mean(axis=axes, keepdims=keepdim, dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g * ctx.scale, ctx.shape, ctx.axes, ctx.keepdim), None, None


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _sum_dtype(x: Tensor, dtype):
    if dtype is not None:
        return dtype.np
    return xp.dtype(xp.int64) if x._data.dtype.kind in "biu" else None


def sum(input, dim=None, keepdim: bool = False, *, dtype=None, **kwargs):
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    axes = normalize_dims(dim, input._data.ndim)
    return apply_unary(Sum, input, axes, keepdim, _sum_dtype(input, dtype))


def mean(input, dim=None, keepdim: bool = False, *, dtype=None, **kwargs):
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {legacy_name(input._data.dtype)}")
    axes = normalize_dims(dim, input._data.ndim)
    return apply_unary(Mean, input, axes, keepdim)


class MaxMinAll(ArrayFunction):
    """Max or min over all elements; the gradient is shared evenly between ties, as in PyTorch."""

    @staticmethod
    def forward(ctx, x, take_max):
        ctx.torch_name = "MaxBackward1" if take_max else "MinBackward1"
        if x.size == 0:
            raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        out = xp.asarray(x.max() if take_max else x.min())
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved
        mask = x == out
        return g * mask / g.dtype.type(mask.sum()), None  # ties share g; count cast so float32 stays float32


class MaxMinDim(ArrayFunction):
    """Max or min along one dim, returning (values, indices); the gradient goes to the chosen index."""

    non_differentiable_outputs = (1,)

    @staticmethod
    def forward(ctx, x, axis, keepdim, take_max):
        ctx.torch_name = "MaxBackward0" if take_max else "MinBackward0"
        if x.shape[axis] == 0 if x.ndim else False:
            raise IndexError(f"max(): Expected reduction dim {axis} to have non-zero size.")
        idx = xp.argmax(x, axis=axis, keepdims=True) if take_max else xp.argmin(x, axis=axis, keepdims=True)
        values = xp.take_along_axis(x, idx, axis=axis)
        ctx.save_for_backward(idx)
        ctx.shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return values, idx.astype(xp.int64, copy=False)

    @staticmethod
    def backward(ctx, g, _):
        (idx,) = ctx.saved
        if not ctx.keepdim:
            g = xp.expand_dims(g, ctx.axis)
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.put_along_axis(grad, idx, g, axis=ctx.axis)
        return grad, None, None, None


def _max_min(input, dim, keepdim, take_max, other=None, kwargs=None):
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    if isinstance(dim, Tensor):
        from .compare import maximum, minimum
        return maximum(input, dim) if take_max else minimum(input, dim)
    if dim is None:
        return MaxMinAll.apply(input, take_max)
    axis = normalize_dims(dim, input._data.ndim)
    if input._data.ndim == 0:
        return values_indices(input, _make(xp.zeros((), xp.int64)), "max" if take_max else "min")
    return values_indices(*MaxMinDim.apply(input, axis[0], keepdim, take_max), "max" if take_max else "min")


def max(input, dim=None, keepdim: bool = False, **kwargs):
    """``max(x)`` is the largest element; ``max(x, dim)`` returns (values, indices); ``max(x, y)`` is elementwise."""
    return _max_min(input, dim, keepdim, True, kwargs=kwargs)


def min(input, dim=None, keepdim: bool = False, **kwargs):
    return _max_min(input, dim, keepdim, False, kwargs=kwargs)


class AmaxAmin(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes, keepdim, take_max):
        out = x.max(axis=axes, keepdims=True) if take_max else x.min(axis=axes, keepdims=True)
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else (out.reshape(()) if axes is None else out.squeeze(axes))

    @staticmethod
    def backward(ctx, g, *_):
        x, out = ctx.saved
        mask = x == out
        if not ctx.keepdim:
            g = g.reshape(out.shape)
        return g * mask / mask.sum(axis=ctx.axes, keepdims=True, dtype=g.dtype), None, None, None


def _amax_amin(input, dim, keepdim, kwargs, take_max):
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    axes = normalize_dims(dim, input._data.ndim)
    shape = input._data.shape
    if input._data.size == 0:  # NumPy's "zero-size array to reduction operation" in PyTorch's words
        name = "amax" if take_max else "amin"
        if dim is None or dim == ():
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                             "the reduction dim with the 'dim' argument.")
        for a in (range(len(shape)) if axes is None else axes):
            if shape[a] == 0:
                shown = dim[0] if isinstance(dim, (tuple, list)) and len(dim) == 1 else dim if isinstance(dim, int) \
                    else a
                raise IndexError(f"{name}(): Expected reduction dim {shown} to have non-zero size.")
    return AmaxAmin.apply(input, axes, keepdim, take_max)


def amax(input, dim=(), keepdim: bool = False, **kwargs):
    return _amax_amin(input, dim, keepdim, kwargs, True)


def amin(input, dim=(), keepdim: bool = False, **kwargs):
    return _amax_amin(input, dim, keepdim, kwargs, False)


def _arg(input, dim, keepdim, take_max):
    x = input._data
    fn = xp.argmax if take_max else xp.argmin
    name = "argmax" if take_max else "argmin"
    if x.dtype == xp.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        out = fn(x.reshape(-1))
        return _make(xp.asarray(out, dtype=xp.int64).reshape((1,) * x.ndim if keepdim else ()))
    axis = normalize_dims(dim, x.ndim)
    if x.ndim == 0:
        return _make(xp.zeros((), xp.int64))
    if x.shape[axis[0]] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis[0]} to have non-zero size.")
    return _make(fn(x, axis=axis[0], keepdims=keepdim).astype(xp.int64, copy=False))


def argmax(input, dim=None, keepdim: bool = False, **kwargs):
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    return _arg(input, dim, keepdim, True)


def argmin(input, dim=None, keepdim: bool = False, **kwargs):
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    return _arg(input, dim, keepdim, False)


for _name in __all__:
    tensor_method(_name)(globals()[_name])
