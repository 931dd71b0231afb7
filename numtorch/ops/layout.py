"""More shape ops: expand, repeat, tile, flip, roll, narrow/select, split/chunk/unbind, movedim,
diagonal, tril/triu, unflatten, meshgrid.

Views (expand, narrow, select, split, chunk, unbind, movedim, diagonal) share the input's version
counter; the others copy. Every gradient has its input's shape.
"""
from __future__ import annotations

import builtins
import math

from .._backend import xp
from ..autograd.function import ArrayFunction, apply_unary
from ..tensor import Tensor, _make, _wrap_dim
from ._util import tensor_method, unbroadcast, view_of
from .shape import _shape_arg, permute, reshape

__all__ = ["broadcast_to", "broadcast_tensors", "broadcast_shapes", "repeat_interleave", "tile", "flip", "fliplr",
           "flipud", "roll", "narrow", "select", "split", "tensor_split", "chunk", "unbind", "movedim",
           "moveaxis", "diagonal", "diag", "diag_embed", "trace", "tril", "triu", "unflatten", "meshgrid",
           "atleast_1d", "atleast_2d", "rot90", "column_stack", "hstack", "vstack", "dstack", "numel"]


class Expand(ArrayFunction):
    """Broadcast to ``shape`` without copying (a read-only view); gradient sums back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.shape), None


def expand(self: Tensor, *sizes) -> Tensor:
    """(d0, ..) -> sizes; -1 keeps a dim, size-1 dims and new leading dims are broadcast."""
    sizes = _shape_arg(sizes)
    shape = self._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({self.type()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            target.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(shape)}")
        target.append(s)
    target = tuple(target)
    if target == shape:
        return view_of(apply_unary(Expand, self, target), self) if self.requires_grad else self.view(shape)
    return view_of(apply_unary(Expand, self, target), self)


def broadcast_to(input: Tensor, size) -> Tensor:
    return expand(input, tuple(size))


def broadcast_shapes(*shapes):
    from ..tensor import Size
    try:
        return Size(xp.broadcast_shapes(*[tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{' and '.join(str(list(s)) for s in shapes)}") from None


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


class Repeat(ArrayFunction):
    """np.tile with PyTorch's ``repeat`` sizes; gradient sums the copies: (r0, s0, r1, s1, ...) -> (s0, s1, ...)."""

    @staticmethod
    def forward(ctx, x, reps):
        lead = len(reps) - x.ndim
        ctx.inner = (1,) * lead + x.shape
        ctx.reps, ctx.shape = reps, x.shape
        return xp.tile(x.reshape(ctx.inner), reps)

    @staticmethod
    def backward(ctx, g):
        split = []
        for r, s in zip(ctx.reps, ctx.inner):
            split += [r, s]
        g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.shape), None


def repeat(self: Tensor, *sizes) -> Tensor:
    reps = _shape_arg(sizes)
    if len(reps) < self._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           "of tensor")
    return Repeat.apply(self, reps)


def tile(input: Tensor, dims) -> Tensor:
    dims = _shape_arg((dims,)) if not isinstance(dims, builtins.int) else (dims,)
    dims = (1,) * (input._data.ndim - len(dims)) + tuple(dims)
    return Repeat.apply(input, dims)


class RepeatInterleave(ArrayFunction):
    """Repeat each element ``repeats`` times along ``axis``; gradient sums each element's run."""

    @staticmethod
    def forward(ctx, x, repeats, axis):
        ctx.repeats, ctx.axis, ctx.n = repeats, axis, x.shape[axis]
        return xp.repeat(x, repeats, axis=axis)

    @staticmethod
    def backward(ctx, g):
        r, axis = ctx.repeats, ctx.axis
        if isinstance(r, builtins.int):
            shape = g.shape[:axis] + (ctx.n, r) + g.shape[axis + 1:]
            return g.reshape(shape).sum(axis=axis + 1), None, None
        ends = xp.cumsum(r)
        c = xp.cumsum(g, axis=axis)
        c = xp.concatenate([xp.zeros_like(xp.take(c, [0], axis=axis)), c], axis=axis)
        return xp.take(c, ends, axis=axis) - xp.take(c, ends - r, axis=axis), None, None


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    if repeats is None:  # repeat_interleave(repeats_tensor): indices repeated by counts
        counts = input._data
        return _make(xp.repeat(xp.arange(counts.size), counts).astype(xp.int64))
    if dim is None:
        input, axis = reshape(input, -1), 0
    else:
        axis = _wrap_dim(dim, input._data.ndim) if input._data.ndim else 0
        if input._data.ndim == 0:
            input = reshape(input, 1)
    if isinstance(repeats, Tensor):
        r = repeats._data.astype(xp.int64)
        if r.ndim == 0 or r.size == 1:
            r = builtins.int(r.reshape(-1)[0])
        elif r.shape[0] != input._data.shape[axis]:
            raise RuntimeError("repeats must have the same size as input along dim")
    else:
        r = builtins.int(repeats)
    if isinstance(r, builtins.int) and r < 0 or not isinstance(r, builtins.int) and (r < 0).any():
        raise RuntimeError("repeats can not be negative")
    return RepeatInterleave.apply(input, r, axis)


class Flip(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return xp.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return xp.flip(g, ctx.axes), None


def flip(input: Tensor, *dims) -> Tensor:
    """Reverse the order along ``dims`` (copies, as PyTorch); ``x.flip(0, 1)`` and ``flip(x, (0, 1))``."""
    dims = _shape_arg(dims)
    axes = tuple(_wrap_dim(d, input._data.ndim) for d in dims) if input._data.ndim else ()
    return Flip.apply(input, axes)


def fliplr(input: Tensor) -> Tensor:
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    return flip(input, (0,))


class Roll(ArrayFunction):
    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return xp.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return xp.roll(g, neg, ctx.axes), None, None


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements circularly along ``dims`` (flattened when ``dims`` is None)."""
    if dims is None:
        return reshape(Roll.apply(reshape(input, -1), shifts if isinstance(shifts, builtins.int) else
                                  builtins.sum(shifts), 0), input.shape)
    shifts = (shifts,) if isinstance(shifts, builtins.int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, builtins.int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    axes = tuple(_wrap_dim(d, input._data.ndim) for d in dims)
    return Roll.apply(input, shifts, axes)


def _slice_along(input, axis, start, stop, step=1):
    return input[(slice(None),) * axis + (slice(start, stop, step),)]


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """View of ``length`` elements along ``dim`` from ``start``."""
    axis = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[axis]
    start = builtins.int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    start %= builtins.max(size, 1) if start < 0 else size + 1
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice_along(input, axis, start, start + length)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """View with ``dim`` removed, at position ``index``."""
    axis = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[axis]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {axis}")
    return input[(slice(None),) * axis + (builtins.int(index),)]


def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    """Pieces of ``split_size`` along ``dim`` (last may be smaller), or of the listed sizes."""
    axis = _wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[axis]
    if isinstance(split_size_or_sections, builtins.int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        bounds = [(i, builtins.min(i + step, size)) for i in builtins.range(0, size, step)] if step else [(0, 0)]
    else:
        sections = [builtins.int(s) for s in split_size_or_sections]
        if builtins.sum(sections) != size:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                               f"size at dimension {axis}), but got split_sizes={sections}")
        starts = [0] + list(_accumulate(sections))[:-1]
        bounds = [(s, s + n) for s, n in zip(starts, sections)]
    return tuple(_slice_along(tensor, axis, a, b) for a, b in bounds)


def _accumulate(values):
    total = 0
    for v in values:
        total += v
        yield total


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0):
    axis = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[axis]
    if isinstance(indices_or_sections, builtins.int):
        n = indices_or_sections
        q, r = divmod(size, n)
        sizes = [q + 1] * r + [q] * (n - r)
        return split(input, sizes, axis)
    idx = [0] + [builtins.min(builtins.int(i), size) for i in indices_or_sections] + [size]
    return tuple(_slice_along(input, axis, a, builtins.max(a, b)) for a, b in zip(idx[:-1], idx[1:]))


def chunk(input: Tensor, chunks: int, dim: int = 0):
    """Up to ``chunks`` views of ceil(size / chunks) along ``dim``."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    axis = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[axis]
    return split(input, builtins.max(math.ceil(size / chunks), 1) if size else 1, axis) if size else \
        tuple(_slice_along(input, axis, 0, 0) for _ in builtins.range(chunks))


class Unbind(ArrayFunction):
    """All slices along ``axis`` in one node (so iterating a tensor costs one graph node)."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis, ctx.shape, ctx.dtype = axis, x.shape, x.dtype
        return tuple(xp.take(x, i, axis=axis) if axis else x[i, ...] for i in builtins.range(x.shape[axis]))

    @staticmethod
    def backward(ctx, *gs):
        return xp.stack(gs, axis=ctx.axis), None


def unbind(input: Tensor, dim: int = 0):
    """Tuple of the slices along ``dim`` (that dim removed)."""
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    axis = _wrap_dim(dim, input._data.ndim)
    if input._data.shape[axis] == 0:
        return ()
    if axis == 0:
        outs = Unbind.apply(input, 0)
        for o in outs:
            view_of(o, input)
        return outs
    return tuple(select(input, axis, i) for i in builtins.range(input._data.shape[axis]))


def movedim(input: Tensor, source, destination) -> Tensor:
    n = input._data.ndim
    src = (source,) if isinstance(source, builtins.int) else tuple(source)
    dst = (destination,) if isinstance(destination, builtins.int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    src = [_wrap_dim(s, n) for s in src]
    dst = [_wrap_dim(d, n) for d in dst]
    order = [i for i in builtins.range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


class Diagonal(ArrayFunction):
    @staticmethod
    def forward(ctx, x, offset, a1, a2):
        ctx.shape, ctx.args = x.shape, (offset, a1, a2)
        return xp.diagonal(x, offset, a1, a2)

    @staticmethod
    def backward(ctx, g):
        grad = xp.zeros(ctx.shape, g.dtype)
        offset, a1, a2 = ctx.args
        moved = xp.moveaxis(grad, (a1, a2), (-2, -1))  # a view of grad
        n = g.shape[-1]
        rows = xp.arange(n) + builtins.max(-offset, 0)
        cols = xp.arange(n) + builtins.max(offset, 0)
        moved[..., rows, cols] = g
        return grad, None, None, None


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """Diagonal of the (dim1, dim2) planes as the last dim (a read-only view in numtorch)."""
    n = input._data.ndim
    a1, a2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if a1 == a2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return view_of(Diagonal.apply(input, offset, a1, a2), input)


class DiagEmbed(ArrayFunction):
    """(..., n) -> (..., m, m), m = n + |offset|, with the vector on the ``offset`` diagonal."""

    @staticmethod
    def forward(ctx, x, offset):
        n = x.shape[-1]
        m = n + builtins.abs(offset)
        ctx.rows = xp.arange(n) + builtins.max(-offset, 0)
        ctx.cols = xp.arange(n) + builtins.max(offset, 0)
        out = xp.zeros(x.shape[:-1] + (m, m), x.dtype)
        out[..., ctx.rows, ctx.cols] = x
        return out

    @staticmethod
    def backward(ctx, g):
        return g[..., ctx.rows, ctx.cols], None


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    full = DiagEmbed.apply(input, offset)
    if (dim1, dim2) != (-2, -1):
        full = movedim(full, (-2, -1), (dim1, dim2))
    return full


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D -> square matrix with it on the ``diagonal``; 2-D -> that diagonal."""
    if input._data.ndim == 1:
        return diag_embed(input, diagonal)
    if input._data.ndim != 2:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input._data.ndim}D")
    return diagonal_fn(input, diagonal).clone()


diagonal_fn = diagonal


def trace(input: Tensor) -> Tensor:
    if input._data.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " + str(input._data.ndim))
    return diagonal(input).sum()


class _Triangle(ArrayFunction):
    @staticmethod
    def forward(ctx, x, k, upper):
        ctx.k, ctx.upper = k, upper
        return xp.triu(x, k) if upper else xp.tril(x, k)

    @staticmethod
    def backward(ctx, g):
        return (xp.triu(g, ctx.k) if ctx.upper else xp.tril(g, ctx.k)), None, None


class Tril(_Triangle):
    """grad_fn TrilBackward0."""


class Triu(_Triangle):
    """grad_fn TriuBackward0."""


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero everything above the ``diagonal`` of the last two dims."""
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, diagonal, False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Zero everything below the ``diagonal`` of the last two dims."""
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, diagonal, True)


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split ``dim`` into ``sizes`` (one entry may be -1)."""
    axis = _wrap_dim(dim, input._data.ndim)
    sizes = tuple(builtins.int(s) for s in sizes)
    n = input._data.shape[axis]
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({n}) in the input tensor")
    shape = input._data.shape
    return reshape(input, shape[:axis] + sizes + shape[axis + 1:])


def meshgrid(*tensors, indexing: str = "ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    n = len(tensors)
    shape = [t.numel() for t in tensors]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(tensors):
        view = [1] * n
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        view[pos] = t.numel()
        out.append(expand(reshape(t, tuple(view)), tuple(shape)))
    return tuple(out)


def atleast_1d(*tensors):
    res = tuple(t.reshape(1) if t.ndim == 0 else t for t in tensors)
    return res[0] if len(res) == 1 else res


def atleast_2d(*tensors):
    res = tuple(t.reshape(1, -1) if t.ndim < 2 else t for t in tensors)
    return res[0] if len(res) == 1 else res


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    k %= 4
    d0, d1 = dims
    if k == 0:
        return input.clone()
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    return flip(input.transpose(d0, d1), (d1,))


def hstack(tensors):
    from .shape import cat
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    from .shape import cat
    return cat([atleast_2d(t) for t in tensors], 0)


def dstack(tensors):
    from .shape import cat
    return cat([t.reshape(1, -1, 1) if t.ndim < 2 else (t.unsqueeze(-1) if t.ndim == 2 else t)
                for t in tensors], 2)


def column_stack(tensors):
    from .shape import cat
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


def numel(input: Tensor) -> int:
    return input._data.size


tensor_method("expand")(expand)
tensor_method("expand_as")(lambda self, other: expand(self, other._data.shape))
tensor_method("broadcast_to")(broadcast_to)
tensor_method("repeat")(repeat)
for _name in ("repeat_interleave", "tile", "flip", "fliplr", "flipud", "roll", "narrow", "select", "split",
              "tensor_split", "chunk", "unbind", "movedim", "moveaxis", "diagonal", "diag", "diag_embed", "trace",
              "tril", "triu", "unflatten", "rot90"):
    tensor_method(_name)(globals()[_name])
Tensor.split_with_sizes = lambda self, split_sizes, dim=0: split(self, list(split_sizes), dim)
Tensor.tril_ = lambda self, diagonal=0: _inplace(self, tril(self, diagonal))
Tensor.triu_ = lambda self, diagonal=0: _inplace(self, triu(self, diagonal))


def _inplace(self, result):
    from ._util import inplace
    return inplace(self, result)
