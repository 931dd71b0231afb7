"""create_graph rules of the core ops (arithmetic, elementwise, reductions, shapes): each repeats its op's
array backward with Tensor ops, so the gradient it returns has a graph. See ``higher_order``."""
from __future__ import annotations

from .._backend import xp
from .higher_order import _input, _output, _const, _sum_to, _shape, _needs
from . import higher_order as _ho


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
    x, lo, hi = ctx.saved
    if _needs(ctx, 1) or _needs(ctx, 2):
        raise NotImplementedError("numtorch does not support create_graph=True through clamp with tensor bounds "
                                  "that require grad yet")
    keep = xp.ones(x.shape, bool)
    if lo is not None:
        keep &= x >= lo
    if hi is not None:
        keep &= x <= hi
    return _sum_to(g * _const(keep).to(g.dtype), x.shape), None, None


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
