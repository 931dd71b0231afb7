"""create_graph rules of the core ops (arithmetic, elementwise, reductions, shapes): each repeats its op's
array backward with Tensor ops, so the gradient it returns has a graph. See ``higher_order``."""
from __future__ import annotations

from .._backend import xp
from . import higher_order as _ho
from .higher_order import _const, _input, _needs, _output, _shape, _sum_to


def _add(ctx, g):
    sa, sb = ctx.shapes
    return (_sum_to(g, sa) if _needs(ctx, 0) else None), (_sum_to(g, sb) if _needs(ctx, 1) else None)


def _sub(ctx, g):
    sa, sb = ctx.shapes
    return (_sum_to(g, sa) if _needs(ctx, 0) else None), (_sum_to(-g, sb) if _needs(ctx, 1) else None)


def _mul(ctx, g):
    a, b = ctx.saved
    A, B = _input(ctx, 0, a), _input(ctx, 1, b)
    return (_sum_to(g * B, _shape(a)) if _needs(ctx, 0) else None,
            _sum_to(g * A, _shape(b)) if _needs(ctx, 1) else None)


def _div(ctx, g):
    a, b = ctx.saved
    A, B = _input(ctx, 0, a), _input(ctx, 1, b)
    return (_sum_to(g / B, _shape(a)) if _needs(ctx, 0) else None,
            _sum_to(-g * A / (B * B), _shape(b)) if _needs(ctx, 1) else None)


def _neg(ctx, g):
    return -g


def _pow(ctx, g):
    """d a^b / da = b a^(b-1) (0 where b = 0);  d a^b / db = a^b log(a) (0 where a <= 0)."""
    a, b, out = ctx.saved
    A, B = _input(ctx, 0, a), _input(ctx, 1, b)
    ga = gb = None
    if _needs(ctx, 0):
        if isinstance(b, (int, float)):
            ga = g * b * A ** (b - 1) if b != 0 else g * 0
        else:
            ga = _sum_to((g * B * A ** (B - 1)).where(_const(b != 0), 0.0), _shape(a))
    if _needs(ctx, 1):
        gb = _sum_to((g * _output(ctx, out) * A.log()).where(_const(a > 0), 0.0), _shape(b))
    return ga, gb


def _exp(ctx, g):
    return g * _output(ctx, ctx.saved[0])


def _log(ctx, g):
    return g / _input(ctx, 0, ctx.saved[0])


def _sin(ctx, g):
    return g * _input(ctx, 0, ctx.saved[0]).cos()


def _cos(ctx, g):
    return -g * _input(ctx, 0, ctx.saved[0]).sin()


def _tanh(ctx, g):
    y = _output(ctx, ctx.saved[0])
    return g * (1 - y * y)


def _sigmoid(ctx, g):
    y = _output(ctx, ctx.saved[0])
    return g * y * (1 - y)


def _sqrt(ctx, g):
    return g / (2 * _output(ctx, ctx.saved[0]))


def _abs(ctx, g):
    return g * _const(xp.sign(ctx.saved[0]))


def _relu(ctx, g):
    return g * _const(ctx.saved[0] > 0).to(g.dtype)


def _where(ctx, g):
    (cond,) = ctx.saved
    c = _const(cond)
    zero = g.new_zeros(())
    sa, sb = ctx.shapes
    return (None,
            _sum_to(g.where(c, zero), sa) if _needs(ctx, 1) else None,
            _sum_to(zero.where(c, g), sb) if _needs(ctx, 2) else None)


def _clamp(ctx, g):
    """x gets g where lo <= x <= hi; lo where x < lo (and lo < hi); hi where x > hi (or hi < lo): masks are
    constants."""
    x, lo, hi = ctx.saved
    keep = xp.ones(x.shape, bool)
    if lo is not None:
        keep = keep & (x >= lo)
    if hi is not None:
        keep = keep & (x <= hi)
    full = tuple(g.shape)
    glo = ghi = None
    if _needs(ctx, 1):
        pred = x < lo if hi is None else (x < lo) & (lo < hi)
        glo = _sum_to(g * _const(xp.broadcast_to(pred, full)).to(g.dtype), _shape(lo))
    if _needs(ctx, 2):
        pred = x > hi if lo is None else (x > hi) | (hi < lo)
        ghi = _sum_to(g * _const(xp.broadcast_to(pred, full)).to(g.dtype), _shape(hi))
    gx = _sum_to(g * _const(xp.broadcast_to(keep, full)).to(g.dtype), x.shape) if _needs(ctx, 0) else None
    return gx, glo, ghi


def _sum(ctx, g):
    return _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim).to(_dtype_of(ctx.src)), None, None, None


def _mean(ctx, g):
    return _expand_back(g * ctx.scale, ctx.shape, ctx.axes, ctx.keepdim), None, None


def _expand_back(g, shape, axes, keepdim):
    if axes is None:
        g = g.reshape((1,) * len(shape))
    elif not keepdim:
        for a in sorted(a % len(shape) for a in (axes if isinstance(axes, tuple) else (axes,))):
            g = g.unsqueeze(a)
    return g.expand(shape)


def _dtype_of(np_dtype):
    from .._dtype import from_numpy_dtype
    return from_numpy_dtype(np_dtype)


def _matmul(ctx, g):
    a, b = ctx.saved
    A, B = _input(ctx, 0, a), _input(ctx, 1, b)
    if a.ndim == 1 and b.ndim == 1:
        return (g * B if _needs(ctx, 0) else None), (g * A if _needs(ctx, 1) else None)
    A2 = A.unsqueeze(0) if a.ndim == 1 else A
    B2 = B.unsqueeze(-1) if b.ndim == 1 else B
    g2 = g.unsqueeze(-2) if a.ndim == 1 else g
    g2 = g2.unsqueeze(-1) if b.ndim == 1 else g2
    ga = gb = None
    if _needs(ctx, 0):
        ga = _sum_to(g2 @ B2.transpose(-1, -2), A2.shape).reshape(a.shape)
    if _needs(ctx, 1):
        gb = _sum_to(A2.transpose(-1, -2) @ g2, B2.shape).reshape(b.shape)
    return ga, gb


def _permute(ctx, g):
    inverse = [0] * len(ctx.axes)
    for i, a in enumerate(ctx.axes):
        inverse[a] = i
    return g.permute(inverse), None


def _reshape(ctx, g):
    return g.reshape(ctx.shape), None


def _expand(ctx, g):
    return _sum_to(g, ctx.shape), None


def _getitem(ctx, g):
    grad = g.new_zeros(ctx.shape)
    if ctx.basic:
        grad[ctx.idx] = g
        return grad, None, None
    # advanced indexing may repeat positions: add g into each source position
    size = int(xp.prod(ctx.shape))
    positions = xp.arange(size).reshape(ctx.shape)[ctx.idx].reshape(-1)
    flat = grad.reshape(size).index_add(0, _ho._make(positions), g.reshape(-1))
    return flat.reshape(ctx.shape), None, None


def _clone(ctx, g):
    return g


def _repeat(ctx, g):
    split = []
    for r, s in zip(ctx.reps, ctx.inner):
        split += [r, s]
    return g.reshape(split).sum(dim=tuple(range(0, len(split), 2))).reshape(ctx.shape), None


def _cat(ctx, g):
    return (None,) + tuple(g.split(ctx.sizes, ctx.axis))


def _cast(ctx, g):
    return (g.to(_dtype_of(ctx.src)) if ctx.src.kind == "f" else None), None


def _softmax(ctx, g):
    y = _output(ctx, ctx.saved[0])
    return y * (g - (g * y).sum(ctx.axis, keepdim=True)), None


def _log_softmax(ctx, g):
    y = _output(ctx, ctx.saved[0])
    return g - y.exp() * g.sum(ctx.axis, keepdim=True), None


def _log1p(ctx, g):
    return g / (1 + _input(ctx, 0, ctx.saved[0]))


def _expm1(ctx, g):
    return g * (_output(ctx, ctx.saved[0]) + 1)


def _erf(ctx, g):
    X = _input(ctx, 0, ctx.saved[0])
    return g * (2.0 / 3.141592653589793 ** 0.5) * (-X * X).exp()


# ------------------------------------------------------------------ statistics, extrema, cumulative ops


def _keep(g, out_shape):
    """A reduction's gradient with its reduced axes kept (as size 1): ``g`` reshaped to ``out_shape``."""
    return g if tuple(g.shape) == tuple(out_shape) else g.reshape(out_shape)


def _var(ctx, g):
    """d var / dx = 2 (x - mean(x)) / (N - correction); the mean is recomputed from x (var is shift-invariant,
    so the saved centred values stand in for x's value)."""
    (centred,) = ctx.saved
    X = _input(ctx, 0, centred)
    axes = ctx.axes
    XC = X - (X.mean() if axes is None else X.mean(axes, keepdim=True))
    scale = 2.0 / ctx.denom if ctx.denom else float("inf")
    return _expand_back(g, centred.shape, axes, ctx.keepdim) * XC * scale, None, None, None


def _logsumexp(ctx, g):
    """d lse / dx = exp(x - lse)."""
    x, out = ctx.saved
    OUT = _keep(_output(ctx, out.reshape(g.shape)), out.shape)
    return _keep(g, out.shape) * (_input(ctx, 0, x) - OUT).exp(), None, None


def _norm(ctx, g):
    """p = 2: x / ||x||;  general p: x |x|^(p-2) / ||x||^(p-1) (0 where the norm is 0);  p = 1, +-inf: constant
    signs (and tie shares);  p = 0: zero."""
    import math
    x, out = ctx.saved
    p = ctx.p
    G = _keep(g, out.shape)
    if p == 0:
        return G * _const(xp.zeros_like(x)), None, None, None
    if p == 1:
        return G * _const(xp.sign(x)), None, None, None
    if p in (math.inf, -math.inf):
        mask = xp.abs(x) == out
        share = (xp.sign(x) * mask / mask.sum(axis=ctx.axes, keepdims=True)).astype(x.dtype)
        return G * _const(share), None, None, None
    X = _input(ctx, 0, x)
    OUT = _keep(_output(ctx, out.reshape(g.shape)), out.shape)
    nonzero = _const(out != 0)
    safe = OUT.where(nonzero, 1.0)
    if p == 2:
        grad = X / safe
    else:
        grad = X * X.abs() ** (p - 2) / safe ** (p - 1)
    return (G * grad).where(nonzero, 0.0), None, None, None


def _prod(ctx, g):
    """Product of the other elements: out / x without zeros; with zeros, each row's n products formed explicitly
    (the element itself replaced by 1), as the op's backward does."""
    (x,) = ctx.saved
    if x.ndim == 0:
        return g, None, None, None
    axes, keepdim = ctx.axes, ctx.keepdim
    G = _expand_back(g, x.shape, axes, keepdim)
    X = _input(ctx, 0, x)
    if xp.all(x != 0):
        OUT = _output(ctx, xp.asarray(x.prod(axis=axes, keepdims=keepdim)).astype(x.dtype))
        return G * _expand_back(OUT, x.shape, axes, keepdim) / X, None, None, None
    red = tuple(range(x.ndim)) if axes is None else tuple(a % x.ndim for a in axes)
    rest = tuple(i for i in range(x.ndim) if i not in red)
    moved = X.permute(rest + red)
    lead = tuple(moved.shape[:len(rest)])
    n = int(xp.prod([x.shape[a] for a in red]))
    flat = moved.reshape(lead + (n,))
    others = flat.unsqueeze(-2).expand(lead + (n, n)).where(_const(~xp.eye(n, dtype=bool)), 1.0).prod(-1)
    inverse = [0] * x.ndim
    for i, a in enumerate(rest + red):
        inverse[a] = i
    return G * others.reshape(tuple(moved.shape)).permute(inverse), None, None, None


def _max_min_all(ctx, g):
    x, out = ctx.saved
    mask = x == out
    return g * _const((mask / mask.sum()).astype(x.dtype)), None


def _max_min_dim(ctx, g, *_):
    """The gradient goes to the chosen index: g times a one-hot mask (a constant)."""
    (idx,) = ctx.saved
    onehot = xp.zeros(ctx.shape, dtype=bool)
    xp.put_along_axis(onehot, idx, True, axis=ctx.axis)
    G = g if ctx.keepdim else g.unsqueeze(ctx.axis)
    return G * _const(onehot).to(g.dtype), None, None, None


def _amax_amin(ctx, g):
    x, out = ctx.saved
    mask = x == out
    share = (mask / mask.sum(axis=ctx.axes, keepdims=True)).astype(x.dtype)
    return _keep(g, out.shape) * _const(share), None, None, None


def _flip(ctx, g):
    return g.flip(ctx.axes), None


def _cumsum(ctx, g):
    """Reversed running sum of g."""
    a = ctx.axis
    return g.flip(a).cumsum(a).flip(a).to(_dtype_of(ctx.src)), None, None


def _cumprod(ctx, g):
    """Without zeros: revcumsum(g * out) / x. With zeros: d out_j / d x_i = prod_{k<=j, k!=i} x_k (j >= i)
    formed explicitly (n x n per row), as the op's backward does."""
    x, out = ctx.saved
    a = ctx.axis
    if x.ndim == 0:
        return g, None, None
    X = _input(ctx, 0, x)
    if xp.all(x != 0):
        return (g * _output(ctx, out)).flip(a).cumsum(a).flip(a) / X, None, None
    n = x.shape[a]
    Xm, gm = X.movedim(a, -1), g.movedim(a, -1)
    lead = tuple(Xm.shape[:-1])
    rows = Xm.unsqueeze(-2).expand(lead + (n, n)).where(_const(~xp.eye(n, dtype=bool)), 1.0)
    c = rows.cumprod(-1) * _const(xp.triu(xp.ones((n, n), x.dtype)))
    return (c * gm.unsqueeze(-2)).sum(-1).movedim(-1, a), None, None


# ------------------------------------------------------------------------ indexing, layout, unary table


def _add_at(g, shape, pos):
    """Zeros of ``shape`` with g's values added at the flat positions ``pos`` (g's shape; repeats accumulate)."""
    size = int(xp.prod(shape))
    flat = g.new_zeros(size).index_add(0, _ho._make(xp.asarray(pos, dtype=xp.int64).reshape(-1)), g.reshape(-1))
    return flat.reshape(shape)


def _take_along(ctx, g, *_):
    (idx,) = ctx.saved
    if g.dim() == 0:
        return g, None, None
    positions = xp.arange(int(xp.prod(ctx.shape))).reshape(ctx.shape)
    return _add_at(g, ctx.shape, xp.take_along_axis(positions, idx, axis=ctx.axis)), None, None


def _gather(ctx, g):
    from ..ops.scatter import _positions, _sub
    (index,) = ctx.saved
    pos = xp.take_along_axis(_positions(ctx.shape)[_sub(ctx.shape, index.shape, ctx.axis)], index, axis=ctx.axis)
    return _add_at(g, ctx.shape, pos), None, None


def _index_select(ctx, g):
    from ..ops.scatter import _positions
    (index,) = ctx.saved
    return _add_at(g, ctx.shape, xp.take(_positions(ctx.shape), index, axis=ctx.axis)), None, None


def _index_add(ctx, g):
    (index,) = ctx.saved
    gs = g.index_select(ctx.axis, _ho._make(index)) * ctx.alpha if _needs(ctx, 3) else None
    return (g if _needs(ctx, 0) else None), None, None, gs, None


def _setitem(ctx, g):
    gx = gv = None
    if _needs(ctx, 0):
        keep = xp.ones(tuple(g.shape), bool)
        keep[ctx.idx] = False
        gx = g * _const(keep).to(g.dtype)
    if _needs(ctx, 1):
        gv = _sum_to(g[ctx.idx], ctx.vshape)
    return gx, gv, None


def _diagonal(ctx, g):
    positions = xp.arange(int(xp.prod(ctx.shape))).reshape(ctx.shape)
    return _add_at(g, ctx.shape, xp.diagonal(positions, *ctx.args)), None, None, None


def _diag_embed(ctx, g):
    return g[..., ctx.rows, ctx.cols], None


def _maximum_minimum(ctx, g):
    a, b = ctx.saved
    wins = (a > b) if ctx.take_max else (a < b)
    wa = (wins + 0.5 * (a == b)).astype(g._data.dtype)
    return (_sum_to(g * _const(wa), _shape(a)) if _needs(ctx, 0) else None,
            _sum_to(g * _const(1 - wa), _shape(b)) if _needs(ctx, 1) else None, None)


def _roll(ctx, g):
    neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
    return g.roll(neg, ctx.axes), None, None


def _triangle(ctx, g):
    return (g.triu(ctx.k) if ctx.upper else g.tril(ctx.k)), None, None


def _unbind(ctx, *gs):
    from .. import stack
    return stack(list(gs), ctx.axis), None


def _repeat_interleave(ctx, g):
    shape = list(g.shape)
    shape[ctx.axis] = ctx.n
    index = _ho._make(xp.repeat(xp.arange(ctx.n), ctx.repeats))
    return g.new_zeros(shape).index_add(ctx.axis, index, g), None, None


def _unary(ctx, g):
    """sinh, cosh, tan, asin, acos, atan: the derivative as Tensor ops of x (or of the output, for tan)."""
    x, out = ctx.saved
    X = _input(ctx, 0, x)
    d = {xp.sinh: lambda: X.cosh(), xp.cosh: lambda: X.sinh(), xp.tan: lambda: 1 + _output(ctx, out) ** 2,
         xp.arcsin: lambda: 1 / (1 - X * X).sqrt(), xp.arccos: lambda: -1 / (1 - X * X).sqrt(),
         xp.arctan: lambda: 1 / (1 + X * X)}.get(getattr(ctx, "fn", None))
    if d is None:
        raise NotImplementedError(f"numtorch does not support create_graph=True (higher-order gradients) through "
                                  f"{ctx.name()} yet")
    return g * d(), None, None
