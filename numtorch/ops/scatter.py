"""Index-based selection and accumulation: gather, scatter(_add), index_select/add/fill/copy,
masked_fill/select/scatter, take, take_along_dim.

Accumulation with repeated indices uses ``bincount`` over flat positions (never ``np.add.at``):
``flat_positions`` maps every selected element to its linear position in the source.
"""
from __future__ import annotations

import builtins

from .._backend import xp
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _make, _wrap_dim
from ._util import inplace, tensor_method

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "index_fill",
           "index_copy", "masked_fill", "masked_select", "masked_scatter", "take", "take_along_dim", "argwhere"]


def accumulate(shape, positions, values, dtype):
    """Sum ``values`` into a zero array of ``shape`` at flat ``positions`` (repeats add up)."""
    size = 1
    for s in shape:
        size *= s
    out = xp.bincount(positions.reshape(-1), weights=values.reshape(-1), minlength=size)
    return out.reshape(shape).astype(dtype, copy=False)


def _positions(shape):
    return xp.arange(_size(shape)).reshape(shape)


def _size(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _check_index(index: Tensor, name: str) -> None:
    if index._data.dtype != xp.int64 and index._data.dtype.kind not in "i":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _bounds(idx, size, axis, exc=IndexError):
    if idx.size:
        lo, hi = builtins.int(idx.min()), builtins.int(idx.max())
        if hi >= size or lo < -size:
            bad = hi if hi >= size else lo
            raise exc(f"index {bad} is out of bounds for dimension {axis} with size {size}")


def _sub(shape, index_shape, axis):
    """Slices restricting every dim except ``axis`` to the index's extent (gather/scatter semantics)."""
    return tuple(slice(None) if d == axis else slice(0, s) for d, s in enumerate(index_shape))


def _check_gather_shapes(name, x_shape, index_shape, axis):
    if len(index_shape) != len(x_shape) and not (len(x_shape) == 0 and len(index_shape) <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {'input' if name == 'gather' else 'self'} tensor")
    for d, (a, b) in enumerate(zip(index_shape, x_shape)):
        if d != axis and a > b:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index_shape)} to be "
                               f"no larger than {'input' if name == 'gather' else 'self'} {list(x_shape)} apart "
                               f"from dimension {axis}")


class Gather(ArrayFunction):
    """out[i][j] = x[index[i][j]][j] (dim 0); gradient accumulates back to the gathered positions."""

    @staticmethod
    def forward(ctx, x, axis, index):
        ctx.save_for_backward(index)
        ctx.shape, ctx.axis, ctx.dtype = x.shape, axis, x.dtype
        return xp.take_along_axis(x[_sub(x.shape, index.shape, axis)], index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved
        pos = xp.take_along_axis(_positions(ctx.shape)[_sub(ctx.shape, index.shape, ctx.axis)], index,
                                 axis=ctx.axis)
        return accumulate(ctx.shape, pos, g, ctx.dtype), None, None


def _prep(input, dim, index, name):
    _check_index(index, name)
    x = input._data
    if x.ndim == 0:
        return 0
    axis = _wrap_dim(dim, x.ndim)
    _check_gather_shapes(name, x.shape, index._data.shape, axis)
    _bounds(index._data, x.shape[axis], axis, RuntimeError)  # PyTorch raises RuntimeError here
    return axis


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Pick values along ``dim`` at ``index``; output has the index's shape."""
    if input._data.ndim == 0:
        return input.reshape(index.shape) * 1 if index.numel() == 1 else input.expand(index.shape)
    axis = _prep(input, dim, index, "gather")
    return Gather.apply(input, axis, index._data)


class Scatter(ArrayFunction):
    """Copy of x with src written at ``index`` along ``axis`` (add=True: added, repeats accumulate)."""

    @staticmethod
    def forward(ctx, x, axis, index, src, add):
        pos = xp.take_along_axis(_positions(x.shape)[_sub(x.shape, index.shape, axis)], index, axis=axis)
        ctx.save_for_backward(pos)
        ctx.add = add
        ctx.src_shape = getattr(src, "shape", None)
        ctx.index_shape = index.shape
        vals = src[tuple(slice(0, s) for s in index.shape)] if ctx.src_shape else \
            xp.broadcast_to(xp.asarray(src, x.dtype), index.shape)
        if add:
            return x + accumulate(x.shape, pos, vals, x.dtype)
        out = x.copy()
        out.reshape(-1)[pos.reshape(-1)] = vals.reshape(-1)
        return out

    @staticmethod
    def backward(ctx, g):
        (pos,) = ctx.saved
        n = ctx.needs_input_grad
        gx = gsrc = None
        if n[0]:
            if ctx.add:
                gx = g
            else:
                gx = g.copy()
                gx.reshape(-1)[pos.reshape(-1)] = 0
        if n[3]:
            gsrc = xp.zeros(ctx.src_shape, g.dtype)
            gsrc[tuple(slice(0, s) for s in ctx.index_shape)] = g.reshape(-1)[pos.reshape(-1)].reshape(pos.shape)
        return gx, None, None, gsrc, None


def _scatter(input, dim, index, src, add, name):
    if isinstance(src, Tensor) and src._data.dtype != input._data.dtype:
        src = src.to_dtype_np(input._data.dtype)
    axis = _prep(input, dim, index, name)
    if isinstance(src, Tensor):
        for d, (a, b) in enumerate(zip(index._data.shape, src._data.shape)):
            if a > b:
                raise RuntimeError(f"Expected index {list(index.shape)} to be smaller than self "
                                   f"{list(input.shape)} apart from dimension {axis} and to be smaller size than "
                                   f"src {list(src.shape)}")
    return Scatter.apply(input, axis, index._data, src, add)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    """Out-of-place scatter: a copy of input with ``src`` (tensor or number) written at ``index``."""
    if src is None:
        src = value
    if reduce == "add":
        return scatter_add(input, dim, index, src if isinstance(src, Tensor) else
                           _make(xp.full(index._data.shape, src, input._data.dtype)))
    if reduce is not None:
        return scatter_reduce(input, dim, index, src, "prod" if reduce == "multiply" else reduce)
    return _scatter(input, dim, index, src, False, "scatter")


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Out-of-place: input plus src summed into the ``index`` positions."""
    return _scatter(input, dim, index, src, True, "scatter_add")


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Scatter with ``reduce`` in sum/mean/amax/amin/prod (forward only except for sum)."""
    if reduce == "sum":
        if include_self:
            return scatter_add(input, dim, index, src)
        base = scatter(input, dim, index, 0.0 if input.is_floating_point() else 0)
        return scatter_add(base, dim, index, src)
    axis = _prep(input, dim, index, "scatter_reduce")
    x = input._data
    pos = xp.take_along_axis(_positions(x.shape)[_sub(x.shape, index.shape, axis)], index._data, axis=axis)
    vals = src._data[tuple(slice(0, s) for s in index._data.shape)] if isinstance(src, Tensor) else \
        xp.broadcast_to(xp.asarray(src, x.dtype), index._data.shape)
    flat = x.copy().reshape(-1)
    touched = xp.zeros(flat.shape, bool)
    touched[pos.reshape(-1)] = True
    ufunc = {"amax": xp.maximum, "amin": xp.minimum, "prod": xp.multiply, "mean": xp.add}.get(reduce)
    if ufunc is None:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if not include_self:
        flat[touched] = {"amax": -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min,
                         "amin": xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).max,
                         "prod": 1, "mean": 0}[reduce]
    order = xp.argsort(pos.reshape(-1), kind="stable")
    p, v = pos.reshape(-1)[order], vals.reshape(-1)[order]
    if p.size:
        starts = xp.flatnonzero(xp.concatenate([[True], p[1:] != p[:-1]]))
        red = ufunc.reduceat(v, starts)
        targets = p[starts]
        flat[targets] = ufunc(flat[targets], red)
        if reduce == "mean":
            counts = xp.diff(xp.append(starts, p.size)) + (1 if include_self else 0)
            res = flat[targets] / counts
            flat[targets] = res if x.dtype.kind == "f" else xp.floor(res)
    return _make(flat.reshape(x.shape))


class IndexSelect(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axis, index):
        ctx.save_for_backward(index)
        ctx.shape, ctx.axis, ctx.dtype = x.shape, axis, x.dtype
        return xp.take(x, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved
        pos = xp.take(_positions(ctx.shape), index, axis=ctx.axis)
        return accumulate(ctx.shape, pos, g, ctx.dtype), None, None


def _axis_index(input, dim, index, name):
    if index._data.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if index._data.dtype.kind not in "iu":
        if name == "index_select":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        from ._util import legacy_name
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index but got: "
                           f"{legacy_name(index._data.dtype)}")
    if input._data.ndim == 0:
        return 0
    axis = _wrap_dim(dim, input._data.ndim)
    _bounds(index._data, input._data.shape[axis], axis)
    return axis


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Rows (along ``dim``) listed by the 1-D ``index``; gradient accumulates over repeats."""
    axis = _axis_index(input, dim, index, "index_select")
    idx = index._data.reshape(-1)
    if input._data.ndim == 0:
        return input.clone()
    return IndexSelect.apply(input, axis, idx)


class IndexAdd(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axis, index, source, alpha):
        ctx.save_for_backward(index)
        ctx.axis, ctx.alpha = axis, alpha
        pos = xp.take(_positions(x.shape), index, axis=axis)
        src = source * alpha if alpha != 1 else source
        return x + accumulate(x.shape, pos, xp.broadcast_to(src, pos.shape), x.dtype)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved
        n = ctx.needs_input_grad
        gs = xp.take(g, index, axis=ctx.axis) * ctx.alpha if n[3] else None
        return (g if n[0] else None), None, None, gs, None


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """input plus ``alpha * source`` added at rows ``index`` along ``dim`` (repeats accumulate)."""
    axis = _axis_index(input, dim, index, "index_add")
    if source._data.dtype != input._data.dtype:
        source = source.to_dtype_np(input._data.dtype)
    return IndexAdd.apply(input, axis, index._data.reshape(-1), source, alpha)


def _axis_mask(input, axis, index):
    mask = xp.zeros(input._data.shape[axis] if input._data.ndim else 1, bool)
    mask[index._data.reshape(-1)] = True
    shape = [1] * input._data.ndim
    if shape:
        shape[axis] = -1
    return _make(mask.reshape(shape))


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    axis = _axis_index(input, dim, index, "index_fill")
    return masked_fill(input, _axis_mask(input, axis, index), value)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    axis = _axis_index(input, dim, index, "index_copy")
    idx = [slice(None)] * input._data.ndim
    idx[axis] = index
    out = input.clone()
    out[tuple(idx)] = source
    return out


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """Copy of input with ``value`` where ``mask`` is True (mask broadcasts; dtype of input kept)."""
    from .compare import Where
    if mask._data.dtype != xp.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        if value._data.dtype != input._data.dtype:
            value = value.to_dtype_np(input._data.dtype)
    else:
        value = xp.asarray(value, dtype=input._data.dtype)
    return Where.apply(mask, value, input)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """1-D tensor of the elements where ``mask`` (broadcast with input) is True."""
    if mask._data.dtype != xp.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    from .layout import broadcast_tensors
    x, m = broadcast_tensors(input, mask)
    return x[m._data]


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    from .layout import broadcast_tensors
    x, m = broadcast_tensors(input, mask)
    n = builtins.int(m._data.sum())
    out = x.clone()
    out[m._data] = source.reshape(-1)[:n]
    return out


def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of the flattened input at ``index``; output has the index's shape."""
    flat = input.reshape(-1)
    _bounds(index._data, flat._data.shape[0], 0)
    return IndexSelect.apply(flat, 0, index._data.reshape(-1)).reshape(index.shape)


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    """Like gather, but input and indices broadcast (except along ``dim``); flattened when dim is None."""
    if dim is None:
        return take(input, indices.reshape(-1))
    axis = _wrap_dim(dim, input._data.ndim)
    xs, ids = list(input._data.shape), list(indices._data.shape)
    if len(xs) != len(ids):
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                           f"dimensions, but got {len(xs)} dimensions for input, and {len(ids)} dimensions for "
                           f"indices")
    xs[axis] = ids[axis] = 1
    shape = xp.broadcast_shapes(tuple(xs), tuple(ids))
    xt = list(shape)
    xt[axis] = input._data.shape[axis]
    it = list(shape)
    it[axis] = indices._data.shape[axis]
    idx = _make(xp.broadcast_to(indices._data, tuple(it)))
    x = input.expand(tuple(xt)) if tuple(xt) != input._data.shape else input
    return gather(x, axis, idx)


def argwhere(input: Tensor) -> Tensor:
    from .indexing import nonzero
    return nonzero(input)


for _name in __all__:
    tensor_method(_name)(globals()[_name])


def _method_inplace(fn):
    def method(self, *args, **kwargs):
        return inplace(self, fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


for _name in ("scatter", "scatter_add", "scatter_reduce", "index_add", "index_fill", "index_copy", "masked_fill",
              "masked_scatter"):
    setattr(Tensor, _name + "_", _method_inplace(globals()[_name]))
