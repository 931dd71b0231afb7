"""Cumulative ops (cumsum, cumprod) and ordering ops (sort, argsort, topk, kthvalue, unique).

Shapes: cumulative ops and sort keep the input's shape; topk/kthvalue shrink ``dim`` to k / drop it.
Gradients of ordering ops flow back to the positions the values came from.
"""
from __future__ import annotations

import builtins

from .._backend import xp
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _make, _wrap_dim
from .reduction import values_indices
from ._util import tensor_method

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "sort", "argsort", "topk", "kthvalue", "unique", "msort",
           "unique_consecutive", "searchsorted", "bucketize", "bincount", "histc"]


def _dim(input: Tensor, dim) -> int:
    return _wrap_dim(dim, input._data.ndim) if input._data.ndim else 0


class CumSum(ArrayFunction):
    """Running sum along ``axis``; gradient: reversed running sum of g."""

    torch_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis, ctx.src = axis, x.dtype
        return xp.cumsum(x, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        rev = xp.flip(xp.cumsum(xp.flip(g, ctx.axis), axis=ctx.axis), ctx.axis)
        return rev.astype(ctx.src, copy=False), None, None


class CumProd(ArrayFunction):
    """Running product along ``axis``.

    Gradient: d out_j / d x_i = prod_{k<=j, k!=i} x_k for j >= i. Without zeros that is
    revcumsum(g * out) / x; with zeros the exclusive products are formed explicitly (n x n per row).
    """

    torch_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, axis, dtype):
        out = xp.cumprod(x, axis=axis, dtype=dtype)
        ctx.save_for_backward(x, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved
        axis = ctx.axis
        if x.ndim == 0:
            return g, None, None
        if xp.all(x != 0):
            go = g * out
            return xp.flip(xp.cumsum(xp.flip(go, axis), axis=axis), axis) / x, None, None
        xm, gm = xp.moveaxis(x, axis, -1), xp.moveaxis(g, axis, -1)
        n = xm.shape[-1]
        eye = xp.eye(n, dtype=bool)
        rows = xp.where(eye, xp.ones((), x.dtype), xm[..., None, :])  # row i: x with x_i replaced by 1
        c = xp.cumprod(rows, axis=-1) * xp.triu(xp.ones((n, n), x.dtype))  # keep j >= i
        grad = (c * gm[..., None, :]).sum(axis=-1)
        return xp.moveaxis(grad, -1, axis), None, None


def _cum_dtype(input, dtype):
    if dtype is not None:
        return _dtype.to_numpy_dtype(dtype)
    return xp.dtype(xp.int64) if input._data.dtype.kind in "biu" else input._data.dtype


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative sum along ``dim``; integer inputs give int64."""
    return CumSum.apply(input, _dim(input, dim), _cum_dtype(input, dtype))


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative product along ``dim``; integer inputs give int64."""
    return CumProd.apply(input, _dim(input, dim), _cum_dtype(input, dtype))


class TakeAlong(ArrayFunction):
    """Values picked along ``axis`` at ``idx`` (each position at most once); gradient goes back there."""

    non_differentiable_outputs = (1,)

    @staticmethod
    def forward(ctx, x, idx, axis):
        ctx.save_for_backward(idx)
        ctx.shape, ctx.axis = x.shape, axis
        if x.ndim == 0:
            return x.copy(), idx
        return xp.take_along_axis(x, idx, axis=axis), idx

    @staticmethod
    def backward(ctx, g, _):
        (idx,) = ctx.saved
        if g.ndim == 0:
            return g, None, None
        grad = xp.zeros(ctx.shape, g.dtype)
        xp.put_along_axis(grad, idx, g, axis=ctx.axis)
        return grad, None, None


class Sort(TakeAlong):
    """sort's values (grad_fn SortBackward0, as in PyTorch)."""


class Topk(TakeAlong):
    """topk's values (grad_fn TopkBackward0)."""


def _sort_indices(x, axis, descending, stable=True):
    if x.ndim == 0:
        return xp.zeros((), xp.int64)
    if descending:
        if x.dtype.kind == "b":
            key = ~x
        elif x.dtype.kind == "u":
            key = -(x.astype(xp.int64))
        elif x.dtype.kind == "f":
            key = -xp.where(xp.isnan(x), xp.inf, x)  # NaN sorts first when descending, as in PyTorch
        else:
            key = -x.astype(xp.int64) if x.dtype != xp.int64 else -x
        return xp.argsort(key, axis=axis, kind="stable")
    return xp.argsort(x, axis=axis, kind="stable")


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) sorted along ``dim``; ties keep their order (stable)."""
    axis = _dim(input, dim)
    idx = _sort_indices(input._data, axis, descending).astype(xp.int64, copy=False)
    return values_indices(*Sort.apply(input, idx, axis), "sort")


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    return _make(_sort_indices(input._data, _dim(input, dim), descending).astype(xp.int64, copy=False))


def msort(input: Tensor) -> Tensor:
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the k largest (or smallest) along ``dim``; sorted by value."""
    axis = _dim(input, dim)
    n = input._data.shape[axis] if input._data.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    x = input._data
    if x.ndim == 0:
        return values_indices(*Topk.apply(input, xp.zeros((), xp.int64), 0), "topk")
    idx = xp.take(_sort_indices(x, axis, largest), xp.arange(k), axis=axis).astype(xp.int64)
    return values_indices(*Topk.apply(input, idx, axis), "topk")


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, **kwargs):
    """(values, indices) of the k-th smallest element along ``dim`` (1-based k)."""
    keepdim = kwargs.pop("keepdims", keepdim)
    axis = _dim(input, dim)
    n = input._data.shape[axis] if input._data.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    values, idx = sort(input, axis)
    from .layout import narrow
    v = narrow(values, axis, k - 1, 1) if input.ndim else values
    i = _make(xp.take(idx._data, [k - 1], axis=axis)) if input.ndim else idx
    if not keepdim and input.ndim:
        v, i = v.squeeze(axis), i.squeeze(axis)
    return values_indices(v, i, "kthvalue")


class _CumExtreme(ArrayFunction):
    non_differentiable_outputs = (1,)

    @staticmethod
    def forward(ctx, x, axis, take_max):
        xm = xp.moveaxis(x, axis, -1)
        n = xm.shape[-1]
        acc = xp.maximum.accumulate(xm, axis=-1) if take_max else xp.minimum.accumulate(xm, axis=-1)
        pos = xp.where(xm == acc, xp.arange(n), 0)
        idx = xp.maximum.accumulate(pos, axis=-1) if n else pos
        ctx.save_for_backward(idx)
        ctx.axis, ctx.shape = axis, x.shape
        return xp.moveaxis(acc, -1, axis), xp.moveaxis(idx, -1, axis).astype(xp.int64)

    @staticmethod
    def backward(ctx, g, _):
        (idx,) = ctx.saved
        gm = xp.moveaxis(g, ctx.axis, -1)
        n = gm.shape[-1]
        lead = gm.reshape(-1, n)
        lin = (xp.arange(lead.shape[0])[:, None] * n + idx.reshape(-1, n)).reshape(-1)
        grad = xp.bincount(lin, weights=lead.reshape(-1), minlength=lead.size).astype(g.dtype)
        return xp.moveaxis(grad.reshape(gm.shape), -1, ctx.axis), None, None


def cummax(input: Tensor, dim: int):
    if input.ndim == 0:
        return values_indices(input.clone(), _make(xp.zeros((), xp.int64)), "cummax")
    return values_indices(*_CumExtreme.apply(input, _dim(input, dim), True), "cummax")


def cummin(input: Tensor, dim: int):
    if input.ndim == 0:
        return values_indices(input.clone(), _make(xp.zeros((), xp.int64)), "cummin")
    return values_indices(*_CumExtreme.apply(input, _dim(input, dim), False), "cummin")


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim=None):
    """Sorted unique values (flattened, or unique slices along ``dim``); optional inverse and counts."""
    x = input._data
    if dim is None:
        vals, inv, counts = xp.unique(x.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(x.shape)
    else:
        vals, inv, counts = xp.unique(x, return_inverse=True, return_counts=True, axis=_dim(input, dim))
        inv = inv.reshape(-1)
    out = [_make(vals)]
    if return_inverse:
        out.append(_make(inv.astype(xp.int64)))
    if return_counts:
        out.append(_make(counts.astype(xp.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    x = input._data.reshape(-1)
    if x.size == 0:
        keep = xp.zeros(0, bool)
    else:
        keep = xp.concatenate([[True], x[1:] != x[:-1]])
    out = [_make(x[keep])]
    if return_inverse:
        out.append(_make((xp.cumsum(keep) - 1).reshape(input._data.shape).astype(xp.int64)))
    if return_counts:
        starts = xp.flatnonzero(keep)
        out.append(_make(xp.diff(xp.append(starts, x.size)).astype(xp.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None) -> Tensor:
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    vals = input._data if isinstance(input, Tensor) else xp.asarray(input)
    if seq.ndim == 1:
        res = xp.searchsorted(seq, vals, side=side)
    else:
        flat_s, flat_v = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        res = xp.stack([xp.searchsorted(s, v, side=side) for s, v in zip(flat_s, flat_v)]).reshape(vals.shape)
    return _make(xp.asarray(res, dtype=xp.int32 if out_int32 else xp.int64))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    return searchsorted(boundaries, input, out_int32=out_int32, side="right" if right else "left")


def bincount(input: Tensor, weights=None, minlength: int = 0) -> Tensor:
    """Counts of each non-negative integer in a 1-D int tensor (weighted sums with ``weights``)."""
    x = input._data
    if x.ndim != 1 or x.dtype.kind not in "iub":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if x.size and x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = weights._data if isinstance(weights, Tensor) else weights
    out = xp.bincount(x, weights=w, minlength=minlength)
    if w is None:
        return _make(out.astype(xp.int64))
    return _make(out.astype(w.dtype if w.dtype.kind == "f" else xp.float64))


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    x = input._data
    lo, hi = builtins.float(min), builtins.float(max)
    if lo == hi and x.size:
        lo, hi = builtins.float(x.min()), builtins.float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = xp.histogram(x, bins=bins, range=(lo, hi))
    return _make(counts.astype(x.dtype))


for _name in __all__:
    if _name not in ("searchsorted", "bucketize"):
        tensor_method(_name)(globals()[_name])
