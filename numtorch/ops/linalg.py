"""einsum, and a few matrix helpers (baddbmm, addbmm, addmv, addr, kron, cdist, tensordot).

``einsum``'s gradient for operand i is another einsum: the output gradient contracted with the other
operands, written in operand i's subscripts (letters only operand i uses are broadcast back).
"""
from __future__ import annotations

import builtins
import string

from .._backend import xp
from ..autograd.function import ArrayFunction
from ..tensor import Tensor
from ._util import tensor_method

__all__ = ["einsum", "tensordot", "kron", "cdist", "baddbmm", "addbmm", "addmv", "addr", "cross"]


def _parse(equation: str, shapes):
    """Expand '...' into explicit letters; return (input subscripts, output subscripts)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(shapes) > len(ins) else
                           "einsum(): fewer operands were provided than specified in the equation")
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in used]
    ell_rank = 0
    for s, shape in zip(ins, shapes):
        if "..." in s:
            ell_rank = builtins.max(ell_rank, len(shape) - (len(s) - 3))
    ell = "".join(spare[:ell_rank])
    expanded = []
    for s, shape in zip(ins, shapes):
        if "..." in s:
            k = len(shape) - (len(s) - 3)
            s = s.replace("...", ell[ell_rank - k:] if k else "")
        if len(s) != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the "
                               f"number of dimensions ({len(shape)}) for operand {len(expanded)}"
                               f"{'' if '...' in lhs else ' and no ellipsis was given'}")
        expanded.append(s)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {}
        for s in expanded:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return expanded, out


class Einsum(ArrayFunction):
    """out = einsum(subs -> out_subs, *operands)."""

    @staticmethod
    def forward(ctx, subs, out_subs, *ops):
        ctx.save_for_backward(*ops)
        ctx.subs, ctx.out_subs = subs, out_subs
        return xp.asarray(xp.einsum(",".join(subs) + "->" + out_subs, *ops, optimize=len(ops) > 2))

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved
        grads = [None, None]
        for i, (s, x) in enumerate(zip(ctx.subs, ops)):
            if not ctx.needs_input_grad[i + 2]:
                grads.append(None)
                continue
            grads.append(_operand_grad(i, s, x, ctx.subs, ops, ctx.out_subs, g))
        return tuple(grads)


def _operand_grad(i, s, x, subs, ops, out_subs, g):
    sizes = {}
    for ss, op in zip(subs, ops):
        for c, n in zip(ss, op.shape):
            sizes[c] = n
    available = set(out_subs)
    for j, ss in enumerate(subs):
        if j != i:
            available |= set(ss)
    # letters of operand i that appear nowhere else were summed out: broadcast them back afterwards
    target = "".join(dict.fromkeys(c for c in s if c in available))
    terms = [out_subs] + [ss for j, ss in enumerate(subs) if j != i]
    arrays = [g] + [op for j, op in enumerate(ops) if j != i]
    partial = xp.einsum(",".join(terms) + "->" + target, *arrays, optimize=len(arrays) > 2)
    letters = list(dict.fromkeys(s))  # target keeps this order, minus the summed-out letters
    full = xp.broadcast_to(partial.reshape([sizes[c] if c in target else 1 for c in letters]),
                           tuple(sizes[c] for c in letters))
    if len(letters) == len(s):
        return _unbroadcast_to(full, x.shape).astype(x.dtype, copy=False)
    grad = xp.zeros(x.shape, x.dtype)  # repeated letters (a diagonal, e.g. 'ii'): write onto it
    grids = xp.indices(full.shape)
    grad[tuple(grids[letters.index(c)] for c in s)] = full
    return grad


def _unbroadcast_to(g, shape):
    axes = tuple(i for i, (a, b) in enumerate(zip(g.shape, shape)) if a != b)
    return g.sum(axis=axes, keepdims=True) if axes else g


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; supports '...' and implicit output."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    from ._util import result_dtype
    dt = operands[0]._data.dtype
    for o in operands[1:]:
        if o._data.dtype != dt:
            dt = xp.promote_types(dt, o._data.dtype)
    operands = tuple(o if o._data.dtype == dt else o.to_dtype_np(dt) for o in operands)
    subs, out = _parse(equation, [o._data.shape for o in operands])
    sizes = {}
    for k, (s, o) in enumerate(zip(subs, operands)):
        for c, n in zip(s, o._data.shape):
            if c in sizes and sizes[c] != n and n != 1 and sizes[c] != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                                   f"broadcast with previously seen size {sizes[c]}")
            sizes[c] = builtins.max(sizes.get(c, n), n)
    del result_dtype
    return Einsum.apply(subs, out, *operands)


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    if isinstance(dims, builtins.int):
        da = list(range(a.ndim - dims, a.ndim))
        db = list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, builtins.int) else list(da)
        db = [db] if isinstance(db, builtins.int) else list(db)
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for k, c in enumerate(sa) if k not in [d % a.ndim for d in da]] + \
          [c for k, c in enumerate(sb) if k not in [d % b.ndim for d in db]]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def kron(input: Tensor, other: Tensor) -> Tensor:
    a, b = input, other
    n = builtins.max(a.ndim, b.ndim)
    a = a.reshape((1,) * (n - a.ndim) + tuple(a.shape))
    b = b.reshape((1,) * (n - b.ndim) + tuple(b.shape))
    inter_a, inter_b = [], []
    for sa, sb in zip(a.shape, b.shape):
        inter_a += [sa, 1]
        inter_b += [1, sb]
    prod = a.reshape(inter_a) * b.reshape(inter_b)
    return prod.reshape(tuple(sa * sb for sa, sb in zip(a.shape, b.shape)))


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, **kwargs) -> Tensor:
    """Pairwise p-norm distances: (.., P, M) and (.., R, M) -> (.., P, R)."""
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p=p, dim=-1)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    prod = batch1.bmm(batch2)
    return (input * beta if beta != 1 else input) + (prod * alpha if alpha != 1 else prod)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    prod = batch1.bmm(batch2).sum(0)
    return (input * beta if beta != 1 else input) + (prod * alpha if alpha != 1 else prod)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    prod = mat.mv(vec)
    return (input * beta if beta != 1 else input) + (prod * alpha if alpha != 1 else prod)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    prod = vec1.outer(vec2)
    return (input * beta if beta != 1 else input) + (prod * alpha if alpha != 1 else prod)


def cross(input: Tensor, other: Tensor, dim=None) -> Tensor:
    if dim is None:
        dim = next(i for i, s in enumerate(input.shape) if s == 3)
    a0, a1, a2 = input.unbind(dim) if dim % input.ndim == 0 else [input.select(dim, i) for i in range(3)]
    b0, b1, b2 = other.unbind(dim) if dim % other.ndim == 0 else [other.select(dim, i) for i in range(3)]
    from .shape import stack
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)


for _name in ("tensordot", "kron", "baddbmm", "addbmm", "addmv", "addr", "cross"):
    tensor_method(_name)(globals()[_name])


# ``torch.linalg`` namespace (``numtorch.linalg`` is this module). Kept out of ``__all__``: ``torch.norm``
# and ``torch.linalg.norm`` differ (``p`` vs ``ord``, matrix norms), so these must not shadow the top level.
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.vector_norm``: the ``ord``-norm of ``x`` flattened, or over ``dim``; (...) -> (...)."""
    from .statistics import norm as _norm
    return _norm(x, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.matrix_norm`` for ord 'fro', 1, -1, inf, -inf: (*, m, n) -> (*)."""
    from .statistics import norm as _norm
    if dtype is not None:
        A = A.to(dtype)
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if ord == "fro":
        return _norm(A, p=2, dim=dim, keepdim=keepdim)
    r, c = (d % A.dim() for d in dim)
    if ord in (1, -1):  # max/min over columns of the column sums of |A|
        sums = A.abs().sum(dim=r, keepdim=True)
        col = c
    elif ord in (builtins.float("inf"), -builtins.float("inf")):
        sums = A.abs().sum(dim=c, keepdim=True)
        col = r
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    out = sums.amax(dim=col, keepdim=True) if ord > 0 else sums.amin(dim=col, keepdim=True)
    return out if keepdim else out.squeeze(builtins.max(r, c)).squeeze(builtins.min(r, c))


def norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """``torch.linalg.norm``: a vector norm for 1-D ``dim``/input, a matrix norm for 2-D ``dim``/input."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    matrix = (dim is not None and len(dim) == 2) or (dim is None and A.dim() == 2)
    if isinstance(ord, str) or matrix:
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if dim is None and A.dim() != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.dim()}D.")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def inv(A: Tensor) -> Tensor:
    """``torch.linalg.inv``: (*, n, n) -> (*, n, n)."""
    from .extra import inverse
    return inverse(A)


def det(A: Tensor) -> Tensor:
    """``torch.linalg.det``: (*, n, n) -> (*)."""
    from .extra import det as _det
    return _det(A)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """``torch.linalg.matmul``: alias of ``torch.matmul``."""
    return input @ other


def cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """``torch.linalg.cholesky``: symmetric positive-definite A (*, n, n) -> L (*, n, n) lower with A = L L^T
    (or U = L^T with ``upper``); RuntimeError naming the failing leading minor otherwise."""
    from ._triangular import cholesky as _cholesky
    _square(A, "linalg.cholesky")
    L = _cholesky(A)
    return L.transpose(-2, -1) if upper else L


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False,
                     out=None) -> Tensor:
    """``torch.linalg.solve_triangular``: X with T X = B (``left``) or X T = B, T the upper or lower triangle of
    A (*, n, n); B (*, n, k) (left) or (*, k, n); batch dimensions broadcast."""
    from ._triangular import SolveTriangular
    _square(A, "linalg.solve_triangular")
    if B.dim() < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    n, m = A.shape[-1], (B.shape[-2] if left else B.shape[-1])
    if n != m:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({A.shape[-2]}x{A.shape[-1]} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    return SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))


def _square(A: Tensor, name: str) -> None:
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


# ``import torch.linalg`` / ``from numtorch.linalg import norm``: this module is that namespace.
import sys as _sys  # noqa: E402
_sys.modules.setdefault(__name__.rsplit(".", 2)[0] + ".linalg", _sys.modules[__name__])
