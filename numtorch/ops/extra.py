"""Less frequent ops: unfold (sliding windows), ravel, diff, logit, fmax/fmin, mode, quantile, cov,
matrix inverse/det, logcumsumexp, in-place shape changes and in-place comparisons, and small aliases.

Composite ops are built from differentiable primitives, so their gradients come for free.
"""
from __future__ import annotations

import builtins
import math

from .._backend import xp
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _make, _wrap_dim
from ._util import inplace, tensor_method, view_of
from .reduction import values_indices

__all__ = ["ravel", "diff", "logit", "fmax", "fmin", "mode", "quantile", "nanquantile", "cov", "inverse", "det",
           "slogdet", "logdet", "logcumsumexp", "dist", "erfc", "asinh", "acosh", "atanh", "arcsinh", "arccosh",
           "arctanh", "rad2deg", "deg2rad", "logaddexp2", "sinc", "matrix_power", "index_put", "conj", "real",
           "resolve_conj", "resolve_neg", "adjoint", "sum_to_size_fn"]


class Unfold(ArrayFunction):
    """Windows of ``size`` every ``step`` along ``axis`` as a new last dim: (.., n, ..) -> (.., k, .., size)."""

    @staticmethod
    def forward(ctx, x, axis, size, step):
        n = x.shape[axis]
        k = (n - size) // step + 1
        idx = (xp.arange(k) * step)[:, None] + xp.arange(size)[None, :]  # (k, size)
        ctx.idx, ctx.axis, ctx.shape = idx, axis, x.shape
        taken = xp.take(x, idx, axis=axis)  # (.., k, size, ..)
        return xp.moveaxis(taken, axis + 1, -1)

    @staticmethod
    def backward(ctx, g):
        from .scatter import accumulate
        axis, shape = ctx.axis, ctx.shape
        positions = xp.arange(math.prod(shape)).reshape(shape)
        pos = xp.moveaxis(xp.take(positions, ctx.idx, axis=axis), axis + 1, -1)
        return accumulate(shape, pos, g, g.dtype), None, None, None


def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """``Tensor.unfold``: all slices of ``size`` along ``dimension``, ``step`` apart, in a new last dim."""
    axis = _wrap_dim(dimension, self._data.ndim) if self._data.ndim else 0
    n = self._data.shape[axis] if self._data.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return Unfold.apply(self, axis, size, step)


def ravel(input: Tensor) -> Tensor:
    return input.reshape(-1)


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:
    """n-th forward difference along ``dim``."""
    from .shape import cat
    x = input
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, x, append) if t is not None], dim)
    for _ in range(n):
        size = x.shape[dim]
        x = x.narrow(dim, 1, size - 1) - x.narrow(dim, 0, size - 1) if x.dtype != _dtype.bool_ else \
            x.narrow(dim, 1, size - 1) ^ x.narrow(dim, 0, size - 1)
    return x


def logit(input: Tensor, eps=None) -> Tensor:
    x = input if eps is None else input.clamp(eps, 1 - eps)
    return (x / (1 - x)).log()


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise max ignoring NaN (NaN only where both are NaN)."""
    from .compare import maximum, where
    return where(other.isnan(), input, where(input.isnan(), other, maximum(input, other)))


def fmin(input: Tensor, other: Tensor) -> Tensor:
    from .compare import minimum, where
    return where(other.isnan(), input, where(input.isnan(), other, minimum(input, other)))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """Most frequent value along ``dim`` (smallest on ties) and an index where it occurs."""
    x = input._data
    axis = _wrap_dim(dim, x.ndim) if x.ndim else 0
    if x.ndim == 0:
        return values_indices(input.clone(), _make(xp.zeros((), xp.int64)), "mode")
    moved = xp.moveaxis(x, axis, -1)
    s = xp.sort(moved, axis=-1)
    n = s.shape[-1]
    # run lengths in the sorted rows: count of equal values ending at each position
    same = xp.concatenate([xp.zeros(s.shape[:-1] + (1,), bool), s[..., 1:] == s[..., :-1]], axis=-1)
    starts = xp.where(~same, xp.arange(n), 0)
    starts = xp.maximum.accumulate(starts, axis=-1)
    runs = xp.arange(n) - starts + 1
    best = xp.argmax(runs == runs.max(axis=-1, keepdims=True), axis=-1)  # first (smallest) value of max count
    vals = xp.take_along_axis(s, best[..., None], axis=-1)[..., 0]
    match = moved == vals[..., None]
    idx = n - 1 - xp.argmax(match[..., ::-1], axis=-1)  # PyTorch reports the last occurrence
    v, i = _make(vals), _make(idx.astype(xp.int64))
    if keepdim:
        v, i = v.unsqueeze(axis), i.unsqueeze(axis)
    return values_indices(v, i, "mode")


def quantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    """q-th quantiles (linear interpolation between sorted values), differentiable through the sort."""
    from .sorting import sort
    from .shape import stack
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else _wrap_dim(dim, input.ndim)
    s = sort(x, d).values
    n = s.shape[d]
    qs = q.tolist() if isinstance(q, Tensor) else q
    scalar_q = not isinstance(qs, (list, tuple))
    outs = []
    for qq in ([qs] if scalar_q else qs):
        if not 0 <= qq <= 1:
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        pos = qq * (n - 1)
        lo, hi = int(math.floor(pos)), int(math.ceil(pos))
        if interpolation == "lower" or lo == hi:
            val = s.select(d, lo)
        elif interpolation == "higher":
            val = s.select(d, hi)
        elif interpolation == "nearest":
            val = s.select(d, int(builtins.round(pos)))
        elif interpolation == "midpoint":
            val = (s.select(d, lo) + s.select(d, hi)) * 0.5
        else:
            frac = pos - lo
            val = s.select(d, lo) * (1 - frac) + s.select(d, hi) * frac
        if keepdim:
            val = val.unsqueeze(d) if dim is not None else val.reshape((1,) * input.ndim)
        outs.append(val)
    return outs[0] if scalar_q else stack(outs, 0)


def nanquantile(input: Tensor, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear") -> Tensor:
    if bool(input.isnan().any()):
        raise RuntimeError("numtorch.nanquantile: inputs containing NaN are not supported; filter them first")
    return quantile(input, q, dim, keepdim, interpolation=interpolation)


def cov(input: Tensor, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """Covariance of the rows (variables) over the columns (observations)."""
    x = input if input.ndim == 2 else input.reshape(1, -1)
    centred = x - x.mean(1, keepdim=True)
    n = x.shape[1]
    c = centred @ centred.t() / builtins.max(n - correction, 0)
    return c if input.ndim == 2 else c.reshape(())


class Inverse(ArrayFunction):
    """A^-1 for (.., n, n); gradient -A^-T g A^-T."""

    @staticmethod
    def forward(ctx, a):
        try:
            inv = xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise RuntimeError("linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
                               "because the input matrix is singular.") from None
        ctx.save_for_backward(inv)
        return inv

    @staticmethod
    def backward(ctx, g):
        (inv,) = ctx.saved
        inv_t = xp.swapaxes(inv, -1, -2)
        return -(inv_t @ g @ inv_t)


def inverse(input: Tensor) -> Tensor:
    return Inverse.apply(input)


class Det(ArrayFunction):
    """det(A) for (.., n, n); gradient g det(A) A^-T (non-singular A)."""

    @staticmethod
    def forward(ctx, a):
        d = xp.asarray(xp.linalg.det(a))
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved
        return (g * d)[..., None, None] * xp.swapaxes(xp.linalg.inv(a), -1, -2)


def det(input: Tensor) -> Tensor:
    return Det.apply(input)


def slogdet(input: Tensor):
    from collections import namedtuple
    sign = _make(xp.sign(xp.linalg.det(input._data)))
    return namedtuple("slogdet", ["sign", "logabsdet"])(sign, det(input).abs().log())


def logdet(input: Tensor) -> Tensor:
    return det(input).log()


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(x))) along ``dim``, shifted by the max for stability."""
    m = _make(xp.nan_to_num(input._data.max(axis=_wrap_dim(dim, input.ndim), keepdims=True),
                            neginf=0.0, posinf=0.0))
    return ((input - m).exp().cumsum(dim)).log() + m


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    return (input - other).norm(p)


def erfc(input: Tensor) -> Tensor:
    return 1 - input.erf()


def asinh(input: Tensor) -> Tensor:
    return (input + (input * input + 1).sqrt()).log()


def acosh(input: Tensor) -> Tensor:
    return (input + (input * input - 1).sqrt()).log()


def atanh(input: Tensor) -> Tensor:
    return ((1 + input) / (1 - input)).log() * 0.5


arcsinh, arccosh, arctanh = asinh, acosh, atanh


def rad2deg(input: Tensor) -> Tensor:
    return input * (180.0 / math.pi)


def deg2rad(input: Tensor) -> Tensor:
    return input * (math.pi / 180.0)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    from .pointwise import logaddexp
    ln2 = math.log(2.0)
    return logaddexp(input * ln2, other * ln2) / ln2


def sinc(input: Tensor) -> Tensor:
    from .compare import where
    px = input * math.pi
    safe = where(input == 0, 1.0, px)
    return where(input == 0, 1.0, safe.sin() / safe)


def matrix_power(input: Tensor, n: int) -> Tensor:
    if n < 0:
        return matrix_power(inverse(input), -n)
    out = None
    base = input
    while n:
        if n & 1:
            out = base if out is None else out @ base
        n >>= 1
        if n:
            base = base @ base
    if out is None:
        eye = _make(xp.broadcast_to(xp.eye(input.shape[-1], dtype=input._data.dtype), input.shape).copy())
        return eye
    return out


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """Out-of-place ``input[indices] = values`` (``accumulate=True``: ``+=`` with repeats summed)."""
    idx = tuple(indices)
    out = input.clone()
    if accumulate:
        positions = _make(xp.arange(input.numel()).reshape(input.shape))[idx]
        vals = values.expand(positions.shape) if isinstance(values, Tensor) else \
            _make(xp.full(positions.shape, values, input._data.dtype))
        flat = out.reshape(-1)
        added = _IndexAccumulate.apply(flat, vals, positions._data)
        return added.reshape(input.shape)
    out[idx] = values
    return out


class _IndexAccumulate(ArrayFunction):
    @staticmethod
    def forward(ctx, flat, vals, pos):
        from .scatter import accumulate
        ctx.pos = pos
        return flat + accumulate(flat.shape, pos, vals, flat.dtype)

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return (g if n[0] else None), (g[ctx.pos.reshape(-1)].reshape(ctx.pos.shape) if n[1] else None), None


def conj(input: Tensor) -> Tensor:
    return input


real = resolve_conj = resolve_neg = conj


def adjoint(input: Tensor) -> Tensor:
    return input.transpose(-2, -1)


def sum_to_size_fn(input: Tensor, *size) -> Tensor:
    from ._util import unbroadcast
    from .shape import _shape_arg
    shape = _shape_arg(size)
    axes_lead = input.ndim - len(shape)
    out = input.sum(tuple(range(axes_lead))) if axes_lead else input
    keep = tuple(i for i, s in enumerate(shape) if s == 1 and out.shape[i] != 1)
    del unbroadcast
    return out.sum(keep, keepdim=True) if keep else out


# ------------------------------------------------------------------ Tensor methods
for _name in ("ravel", "diff", "logit", "fmax", "fmin", "mode", "quantile", "nanquantile", "cov", "inverse", "det",
              "slogdet", "logdet", "logcumsumexp", "dist", "erfc", "asinh", "acosh", "atanh", "arcsinh", "arccosh",
              "arctanh", "rad2deg", "deg2rad", "logaddexp2", "sinc", "matrix_power", "index_put", "conj", "real",
              "resolve_conj", "resolve_neg", "adjoint"):
    tensor_method(_name)(globals()[_name])
tensor_method("unfold")(unfold)
tensor_method("sum_to_size")(sum_to_size_fn)
Tensor.H = Tensor.mH = Tensor.mT
Tensor.is_cpu = property(lambda self: True)
Tensor.is_sparse = Tensor.is_quantized = Tensor.is_meta = Tensor.is_mps = Tensor.is_nested = property(lambda self: False)
Tensor.is_signed = lambda self: self._data.dtype.kind in "fi"
Tensor.is_nonzero = lambda self: bool(self.item())
Tensor.is_same_size = lambda self, other: self._data.shape == other._data.shape
Tensor.is_inference = lambda self: False
Tensor.storage_offset = lambda self: 0
Tensor.index_put_ = lambda self, indices, values, accumulate=False: inplace(
    self, index_put(self, indices, values, accumulate))
Tensor.put_ = lambda self, index, source, accumulate=False: inplace(
    self, index_put(self.reshape(-1), (index.reshape(-1),), source.reshape(-1), accumulate).reshape(self.shape))


def _shape_inplace(fn):
    """In-place shape changes (unsqueeze_, t_...): ``self`` takes the new view's array and history."""
    def method(self, *args, **kwargs):
        result = fn(self, *args, **kwargs)
        self._data = result._data
        if result.grad_fn is not None:
            self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
        return self
    return method


for _name in ("squeeze", "unsqueeze", "t", "transpose", "swapaxes", "swapdims"):
    setattr(Tensor, _name + "_", _shape_inplace(getattr(Tensor, _name)))


def _compare_inplace(name):
    def method(self, other):
        return inplace(self, getattr(Tensor, name)(self, other))
    return method


for _name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
              "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor"):
    setattr(Tensor, _name + "_", _compare_inplace(_name))
Tensor.logical_not_ = lambda self: inplace(self, self.logical_not())
Tensor.bitwise_not_ = lambda self: inplace(self, self.bitwise_not())
Tensor.cumsum_ = lambda self, dim, *, dtype=None: inplace(self, self.cumsum(dim, dtype=dtype))
Tensor.cumprod_ = lambda self, dim, *, dtype=None: inplace(self, self.cumprod(dim, dtype=dtype))
Tensor.addmm_ = lambda self, mat1, mat2, *, beta=1, alpha=1: inplace(self, self.addmm(mat1, mat2, beta=beta, alpha=alpha))
Tensor.absolute_ = Tensor.abs_
del view_of


# ------------------------------------------------------------------ small everyday helpers (PyTorch names)
def absolute(input: Tensor) -> Tensor:
    """Alias of ``abs``."""
    return input.abs()


def positive(input: Tensor) -> Tensor:
    """Returns ``input`` itself (PyTorch refuses bool tensors)."""
    if input._data.dtype == xp.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def is_complex(input: Tensor) -> bool:
    """numtorch has no complex dtypes: always False."""
    return input._data.dtype.kind == "c"


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Bool tensor shaped like ``elements``: whether each element occurs in ``test_elements``."""
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return _make(xp.isin(a, b, assume_unique=assume_unique, invert=invert))


def _tri_indices(np_fn, row: int, col: int, offset: int):
    r, c = np_fn(row, offset, col)
    return _make(xp.stack([r, c]).astype(xp.int64).reshape(2, -1))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """(2, N) int64 coordinates of the lower triangle of a row x col matrix, row by row."""
    out = _tri_indices(xp.tril_indices, row, col, offset)
    return out if dtype is None else out.to(dtype)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None) -> Tensor:
    """(2, N) int64 coordinates of the upper triangle of a row x col matrix, row by row."""
    out = _tri_indices(xp.triu_indices, row, col, offset)
    return out if dtype is None else out.to(dtype)


def _split_along(name: str, input: Tensor, sections, dim: int, min_dim: int):
    if input.dim() < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, but got a tensor "
                           f"with {input.dim()} dimensions!")
    if isinstance(sections, int) and input.shape[dim] % sections:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                           f"{input.shape[dim]} is not divisible by the split_size {sections}!")
    from .layout import tensor_split
    return tensor_split(input, sections, dim)


def hsplit(input: Tensor, sections) -> tuple:
    """Split columns (dim 1; dim 0 for 1-D input) into equal ``sections`` or at the given indices."""
    return _split_along("hsplit", input, sections, 1 if input.dim() > 1 else 0, 1)


def vsplit(input: Tensor, sections) -> tuple:
    """Split rows (dim 0) of a tensor with at least 2 dims."""
    return _split_along("vsplit", input, sections, 0, 2)


def dsplit(input: Tensor, sections) -> tuple:
    """Split along dim 2 of a tensor with at least 3 dims."""
    return _split_along("dsplit", input, sections, 2, 3)


def row_stack(tensors) -> Tensor:
    """Alias of ``vstack``."""
    from .layout import vstack
    return vstack(tensors)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum over the last dims of both: (*a, n), (*b, n) -> (*a, *b); a product for 0-d operands."""
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    from .linalg import tensordot
    return tensordot(input, other, dims=([-1], [-1]))


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Dot product of two 1-D tensors (no conjugation for real dtypes)."""
    return input.dot(other)


def unravel_index(indices, shape) -> tuple:
    """Flat indices -> tuple of coordinate tensors (int64), one per dim of ``shape``."""
    idx = indices._data if isinstance(indices, Tensor) else xp.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError("expected 'indices' to be integer dtype, but got " + str(_dtype.from_numpy_dtype(idx.dtype)))
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = math.prod(shape)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise RuntimeError("index is out of bounds for the given shape")
    return tuple(_make(c.astype(xp.int64)) for c in xp.unravel_index(idx % builtins.max(n, 1), shape))


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All combinations of 1-D inputs: (n1,), (n2,), ... -> (n1 * n2 * ..., k); one input -> itself."""
    if len(tensors) == 1:
        return tensors[0]
    from .layout import meshgrid
    from .shape import stack
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], dim=1)


def block_diag(*tensors: Tensor) -> Tensor:
    """Block-diagonal matrix of 0-, 1- or 2-D blocks: (r_i, c_i) -> (sum r_i, sum c_i), zeros elsewhere."""
    from .shape import cat
    from ..creation import zeros
    blocks = [t.reshape(1, 1) if t.dim() == 0 else t.reshape(1, -1) if t.dim() == 1 else t for t in tensors]
    if not blocks:
        return zeros(1, 0)
    from .misc import promote_types
    dt = blocks[0].dtype
    for b in blocks[1:]:
        dt = promote_types(dt, b.dtype)
    total = builtins.sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        parts = [zeros(r, left, dtype=dt), b.to(dt), zeros(r, total - left - c, dtype=dt)]
        rows.append(cat(parts, dim=1))
        left += c
    return cat(rows, dim=0)


__all__ += ["absolute", "positive", "is_complex", "isin", "tril_indices", "triu_indices", "hsplit", "vsplit",
            "dsplit", "row_stack", "inner", "vdot", "unravel_index", "cartesian_prod", "block_diag"]
Tensor.hsplit = hsplit
Tensor.vsplit = vsplit
Tensor.dsplit = dsplit
Tensor.positive = positive
Tensor.is_complex = is_complex
