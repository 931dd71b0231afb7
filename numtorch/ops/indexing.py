"""Indexing: ``x[idx]`` and ``x[idx] = v`` with slices, ints, None, Ellipsis, integer and boolean arrays.

Basic indexing returns a view; advanced indexing copies. Gradients of
repeated indices accumulate.
"""
from __future__ import annotations

from .._backend import xp
from ..autograd.function import ArrayFunction, apply_unary
from ..tensor import Tensor, _make
from ._util import inplace, tensor_method, unbroadcast, view_of

__all__ = ["nonzero"]


def _convert_index(idx, shape=None):
    """Tensors in an index become arrays; lists become integer/bool arrays; check bounds like PyTorch."""
    if isinstance(idx, tuple):
        return tuple(_convert_one(i) for i in idx)
    return _convert_one(idx)


def _convert_one(i):
    if isinstance(i, Tensor):
        return i._data if i._data.dtype.kind in "biu" else _bad_index(i)
    if isinstance(i, list):
        arr = xp.asarray([v._data if isinstance(v, Tensor) else v for v in i])
        if arr.dtype.kind == "f":
            _bad_index(i)
        return arr
    if type(i) is slice and i.step is not None and i.step <= 0:  # NumPy would reverse; PyTorch refuses
        raise ValueError("step must be greater than zero")
    return i


def _bad_index(i):
    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")


def _is_basic(idx) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) and not isinstance(i, bool) for i in items)


def _check_bounds(shape, idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    dim = 0
    n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
    for i in items:
        if i is Ellipsis:
            dim = len(shape) - (n_real - dim) if False else dim + (len(shape) - n_real)
            continue
        if i is None:
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= i < shape[dim]:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {shape[dim]}")
        elif hasattr(i, "dtype") and i.dtype.kind in "iu" and i.size and dim < len(shape):
            lo, hi = int(i.min()), int(i.max())
            bad = hi if hi >= shape[dim] else lo if lo < -shape[dim] else None
            if bad is not None:
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {shape[dim]}")
        elif hasattr(i, "dtype") and i.dtype.kind == "b":
            for k, s in enumerate(i.shape):
                if dim + k < len(shape) and s != shape[dim + k]:
                    raise IndexError(f"The shape of the mask {list(i.shape)} at index {k} does not match the "
                                     f"shape of the indexed tensor {list(shape)} at index {dim + k}")
            dim += i.ndim
            continue
        dim += 1


def _node_name(idx, basic) -> str:
    """PyTorch's node for x[idx]: Select (one integer), Slice (slices), Index (tensors/lists), else a view."""
    if not basic:
        return "IndexBackward0"
    parts = idx if isinstance(idx, tuple) else (idx,)
    real = [p for p in parts if p is not Ellipsis and p is not None and p != slice(None)]
    if len(real) == 1:
        return "SelectBackward0" if isinstance(real[0], int) else "SliceBackward0"
    return "AliasBackward0" if not real else "SelectBackward0" if isinstance(real[-1], int) else "SliceBackward0"


class GetItem(ArrayFunction):
    @staticmethod
    def forward(ctx, x, idx, basic):
        ctx.shape, ctx.dtype, ctx.idx, ctx.basic = x.shape, x.dtype, idx, basic
        ctx.torch_name = _node_name(idx, basic)
        out = x[idx]
        if basic and type(out) is not xp.ndarray:  # all-integer index: keep a 0-d view (x[0].add_(1) writes x)
            out = x[(idx if isinstance(idx, tuple) else (idx,)) + (Ellipsis,)]
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.basic:
            grad = xp.zeros(ctx.shape, ctx.dtype)
            grad[ctx.idx] = g
            return grad, None, None
        # advanced indexing may repeat positions: sum g into each source position with bincount
        from .scatter import accumulate
        positions = xp.arange(g.size and _numel(ctx.shape)).reshape(ctx.shape)[ctx.idx] if g.size else \
            xp.zeros(0, xp.int64)
        return accumulate(ctx.shape, positions, g, ctx.dtype), None, None


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _split_integers(idx, ndim: int):
    """PyTorch applies integer indices first (as selects), then the advanced ones; NumPy treats an integer
    next to an array as advanced, which moves dims when a slice separates them (x[0, :, [1, 3]] is
    (3, 2) in PyTorch, (2, 3) in NumPy). Returns (ints-only basic index, the rest), or None if no ints."""
    items = idx if isinstance(idx, tuple) else (idx,)
    is_int = [isinstance(i, int) and not isinstance(i, bool) for i in items]
    if not any(is_int):
        return None
    width = [getattr(i, "ndim", 1) if getattr(getattr(i, "dtype", None), "kind", "") == "b" else 1 for i in items]
    used = sum(w for i, w in zip(items, width) if i is not None and i is not Ellipsis)
    first, rest = [], []
    for i, w, integer in zip(items, width, is_int):
        if i is Ellipsis:
            first.extend([slice(None)] * (ndim - used))
            rest.extend([slice(None)] * (ndim - used))
        elif integer:
            first.append(i)
        else:
            if i is not None:
                first.extend([slice(None)] * w)
            rest.append(i)
    return tuple(first), tuple(rest)


_PLAIN_BOUND = (int, type(None))


def getitem(self, idx):
    if type(idx) is slice and not self.requires_grad and self._data.ndim and type(idx.start) in _PLAIN_BOUND \
            and type(idx.stop) in _PLAIN_BOUND and (idx.step is None or type(idx.step) is int and idx.step > 0):
        # x[a:b] outside autograd (the batching loop's hot path): a plain view, no graph node; a basic slice
        # always views the same memory, so the view bookkeeping needs no overlap test
        out = _make(self._data[idx], False, None)
        out._version = self._version
        out._base = self._base if self._base is not None else self
        return out
    idx = _convert_index(idx)
    _check_bounds(self._data.shape, idx)
    basic = _is_basic(idx)
    if not basic:
        split = _split_integers(idx, self._data.ndim)
        if split is not None:
            return getitem(getitem(self, split[0]), split[1])
    try:
        out = apply_unary(GetItem, self, idx, basic)
    except IndexError as e:
        raise IndexError(str(e)) from None
    out._data = xp.asarray(out._data)
    return view_of(out, self) if basic else out


class SetItem(ArrayFunction):
    """``out = x.clone(); out[idx] = v``: the value's gradient is the indexed slice of the output gradient."""

    @staticmethod
    def forward(ctx, x, value, idx):
        ctx.idx = idx
        ctx.vshape = getattr(value, "shape", ())
        out = x.copy()
        out[idx] = value
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gx = gv = None
        if n[0]:
            gx = g.copy()
            gx[ctx.idx] = 0
        if n[1]:
            gv = unbroadcast(g[ctx.idx], ctx.vshape)
        return gx, gv, None


def setitem(self, idx, value):
    idx = _convert_index(idx)
    _check_bounds(self._data.shape, idx)
    if isinstance(value, Tensor) and value._data.dtype != self._data.dtype and value._data.ndim and \
            not _is_basic(idx):  # PyTorch's index_put does not cast (basic slices do)
        from ._util import legacy_name
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{legacy_name(self._data.dtype)} for the destination and "
                           f"{legacy_name(value._data.dtype)} for the source.")
    from ..autograd.grad_mode import _grad
    tracked = _grad.enabled and (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
    if not tracked:
        v = value._data if isinstance(value, Tensor) else value
        split = None if _is_basic(idx) else _split_integers(idx, self._data.ndim)
        target, idx = (self._data, idx) if split is None else (self._data[split[0]], split[1])  # a view
        try:
            target[idx] = v
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(getattr(v, 'shape', ()))} cannot "
                               f"be broadcast to indexing result of shape {list(target[idx].shape)}") from None
        self._version[0] += 1
        return
    if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
        value = value.to_dtype_np(self._data.dtype)
    inplace(self, SetItem.apply(self, value, idx))


def nonzero(input, *, as_tuple: bool = False):
    idx = xp.nonzero(input._data)
    if as_tuple:
        return tuple(_make(i.astype(xp.int64)) for i in idx)
    return _make(xp.stack(idx, axis=1).astype(xp.int64) if idx else xp.zeros((1, 0), xp.int64))


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem
tensor_method("nonzero")(nonzero)
