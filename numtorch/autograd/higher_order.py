"""Higher-order gradients: each node's backward as differentiable Tensor ops (``create_graph=True``).

Built-in ops compute their backward on arrays (fast, but the result has no graph). With
``create_graph=True`` the engine calls ``graph_backward`` instead, which runs the op's rule from the table
below on Tensors with grad mode on, so the gradients it returns are recorded like any other computation
and can be differentiated again (``torch.autograd.grad(..., create_graph=True)``, gradient penalties,
Hessian-vector products). A user's ``autograd.Function`` already has a Tensor backward and is called as is.

Each rule ``rule(ctx, g)`` returns one gradient (or None) per forward argument, like the op's array
backward, whose formula it repeats. ``_input(ctx, j, value)`` turns what the op saved for its j-th argument
back into a Tensor at that argument's place in the graph (the leaf itself, or a tensor whose ``grad_fn``
is the producing node); ``_output(ctx, value)`` does the same for the op's own output. Values that are
piecewise constant (ReLU's mask, a sign) enter as constants, as in PyTorch.

Ops without a rule raise ``NotImplementedError`` naming the node.
"""
from __future__ import annotations

from .._backend import xp
from .function import FREED_MESSAGE, AccumulateGrad
from .grad_mode import enable_grad

Tensor = _make = None  # bound by numtorch.tensor (see _bind_tensor)


def _bind_tensor(tensor_cls, make) -> None:
    global Tensor, _make
    Tensor, _make = tensor_cls, make


def graph_backward(node, grads):
    """Run ``node``'s backward on the Tensor gradients ``grads`` (one per output), recording a graph."""
    if node.saved is None:
        raise RuntimeError(FREED_MESSAGE)
    if node._saved_versions:
        from .engine import _check_saved_versions
        _check_saved_versions(node)
    if all(g is None for g in grads):
        return (None,) * len(node.next_edges)
    if node._out_meta is not None:  # several outputs: the unused ones get zeros
        grads = [_make(xp.zeros(m[0], m[1])) if g is None else g for g, m in zip(grads, node._out_meta)]
    with enable_grad():
        if node._array_backward:
            rule = _rules().get(type(node))
            if rule is None:
                raise NotImplementedError(f"numtorch does not support create_graph=True (higher-order gradients) "
                                          f"through {node.name()} yet")
            result = rule(node, *grads)
        else:
            result = type(node).backward(node, *grads)
    result = result if type(result) is tuple else (result,)
    if len(result) != len(node.next_edges):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(node.next_edges)}, got {len(result)})")
    return tuple(r if r is None or isinstance(r, Tensor) else _make(xp.asarray(r)) for r in result)


# ------------------------------------------------------------------------------------------ helpers
def _input(ctx, j: int, value):
    """The j-th forward argument as a Tensor in the graph (a constant when it needs no gradient)."""
    edge = ctx.next_edges[j]
    if edge is None:
        return _make(value) if isinstance(value, xp.ndarray) else value
    node, nr = edge
    if type(node) is AccumulateGrad:
        return node.variable
    return _make(value, True, node, nr)


def _output(ctx, value, k: int = 0):
    """The op's k-th output as a Tensor in the graph (its grad_fn is ``ctx`` itself)."""
    return _make(value, True, ctx, k)


def _const(value):
    return _make(xp.asarray(value))


def _sum_to(t, shape):
    """Tensor version of ``unbroadcast``: sum ``t`` down to ``shape``."""
    shape = tuple(shape)
    if tuple(t.shape) == shape:
        return t
    lead = t.dim() - len(shape)
    if lead:
        t = t.sum(dim=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and t.shape[i] != 1)
    if axes:
        t = t.sum(dim=axes, keepdim=True)
    return t if tuple(t.shape) == shape else t.reshape(shape)


def _shape(value):
    return getattr(value, "shape", ())


def _needs(ctx, j: int) -> bool:
    return bool(ctx.needs_input_grad[j])


# ------------------------------------------------------------------------------------------ rules
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


def _leaky_relu(ctx, g):
    (x,) = ctx.saved
    return g * _const(xp.where(x > 0, 1.0, ctx.slope).astype(x.dtype)), None


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


def _linear(ctx, g):
    x, w = ctx.saved
    X, W = _input(ctx, 0, x), _input(ctx, 1, w)
    if x.ndim == 1:
        return (g @ W if _needs(ctx, 0) else None,
                g.unsqueeze(1) * X.unsqueeze(0) if _needs(ctx, 1) else None,
                g if _needs(ctx, 2) else None)
    g2 = g.reshape(-1, g.shape[-1])
    return (g @ W if _needs(ctx, 0) else None,
            g2.t() @ X.reshape(-1, x.shape[-1]) if _needs(ctx, 1) else None,
            g2.sum(0) if _needs(ctx, 2) else None)


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
    flat = grad.reshape(size).index_add(0, _make(positions), g.reshape(-1))
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


def _cross_entropy(ctx, g):
    """Class indices or probabilities, no class weights: d loss/dx = (softmax(x) * sum(q) - q) * scale."""
    e, s, t, w, valid, z = ctx.saved
    reduction, eps, probs, denom, n_cls = ctx.cfg
    if w is not None:
        raise NotImplementedError("numtorch does not support create_graph=True through cross_entropy with class "
                                  "weights yet")
    if _needs(ctx, 1):
        raise NotImplementedError("numtorch does not support create_graph=True through cross_entropy with "
                                  "targets that require grad yet")
    from ..nn import functional as F
    X = _input(ctx, 0, _saved_logits(e, z))
    p = F.softmax(X, 1)
    if probs:
        q = _const(t * (1.0 - eps) + eps / n_cls if eps else t)
    else:
        onehot = xp.zeros(e.shape, e.dtype)
        xp.put_along_axis(onehot, xp.expand_dims(t, 1), 1.0, 1)
        q = onehot * (1.0 - eps) + eps / n_cls if eps else onehot
        if valid is not None:
            q = q * xp.expand_dims(valid, 1)
        q = _const(q.astype(e.dtype))
    qsum = q.sum(1, keepdim=True)
    scale = g.unsqueeze(1) if reduction == "none" else g / denom if reduction == "mean" else g
    return (p * qsum - q) * scale, None, None, None, None


def _saved_logits(e, z):
    """The logits' value up to a per-row constant (enough for softmax): log of the saved exponentials."""
    return (z if z is not None else xp.log(e)).astype(e.dtype)


def _pointwise_loss(ctx, g):
    x, y, w = ctx.saved
    kind, p, reduction, shape, size = ctx.cfg
    if kind not in ("mse", "l1"):
        raise NotImplementedError(f"numtorch does not support create_graph=True through {kind}_loss yet")
    X, Y = _input(ctx, 0, x), _input(ctx, 1, y)
    if reduction == "mean":
        g = g / size
    elif reduction == "batchmean":
        g = g / x.shape[0]
    scale = g if w is None else g * _const(w)
    d = 2 * (X - Y) if kind == "mse" else _const(xp.sign(x - y).astype(x.dtype))
    full = (d * scale).expand(shape)
    return (_sum_to(full, x.shape) if _needs(ctx, 0) else None,
            _sum_to(-full, y.shape) if _needs(ctx, 1) else None, None, None, None, None)


def _unfold_geometry(geo):
    """The geometry of F.unfold with a convolution's kernel, strides, paddings and dilation."""
    from ..nn._im2col import ConvGeometry
    return ConvGeometry((geo.B, geo.C, geo.H, geo.W), (1, 1, geo.KH, geo.KW), (geo.sh, geo.sw),
                        (geo.pt, geo.pb, geo.pl, geo.pr), (geo.dh, geo.dw), 1)


def _conv(ctx, g):
    """y = W2 @ unfold(x) + b per image, so dx = fold(W2.T @ g), dW = sum_images g @ unfold(x).T, db = sum g."""
    from ..nn.functional.conv import Fold, Unfold
    x, w, _ = ctx.saved
    geo = ctx.geo
    if geo.G != 1:
        raise NotImplementedError("numtorch does not support create_graph=True through grouped convolutions yet")
    ug = _unfold_geometry(geo)
    g3 = g.reshape(geo.B, geo.O, geo.OH * geo.OW)
    W2 = _input(ctx, 1, w).reshape(geo.O, geo.C * geo.KH * geo.KW)
    dx = dw = db = None
    if _needs(ctx, 0):
        dx = Fold.apply(W2.t() @ g3, ug).reshape(ctx.x_shape)
    if _needs(ctx, 1):
        cols = Unfold.apply(_input(ctx, 0, x).reshape(geo.B, geo.C, geo.H, geo.W), ug)
        dw = (g3 @ cols.transpose(1, 2)).sum(0).reshape(ctx.w_shape)
    if _needs(ctx, 2):
        db = g3.sum((0, 2))
    return dx, dw, db, None


def _unfold(ctx, g):
    from ..nn.functional.conv import Fold
    geo = ctx.geo
    return Fold.apply(g.reshape(geo.B, -1, geo.OH * geo.OW), geo).reshape(ctx.x_shape), None


def _fold(ctx, g):
    from ..nn.functional.conv import Unfold
    geo = ctx.geo
    return Unfold.apply(g.reshape(geo.B, geo.C, geo.H, geo.W), geo).reshape(ctx.shape), None


def _batch_norm(ctx, g):
    """Training: the gradient of the normalisation recomputed from x as Tensor ops (so the batch statistics
    are differentiated too). Evaluation: an affine map with constant statistics."""
    xc, w, invstd = ctx.saved
    n, c = g.shape[:2]
    per_channel = (1, c, 1)
    g3 = g.reshape(n, c, -1)
    W = _input(ctx, 1, w).reshape(per_channel) if w is not None else None
    if not ctx.training:
        inv = _const(invstd).reshape(per_channel)
        dx = (g3 * inv * W if W is not None else g3 * inv).reshape(g.shape) if _needs(ctx, 0) else None
        dw = None
        if _needs(ctx, 1):
            X = _input(ctx, 0, xc.reshape(g.shape)).reshape(n, c, -1)
            XC = X - _const(X._data - xc)   # x minus the running mean (a constant), in X's graph
            dw = (g3 * XC * inv).sum((0, 2))
        return dx, dw, (g3.sum((0, 2)) if _needs(ctx, 2) else None), None, None, None, None, None
    # batch statistics: shift-invariant in x, so the saved centred values stand in for x's value
    X = _input(ctx, 0, xc.reshape(g.shape)).reshape(n, c, -1)
    B = _input(ctx, 2, xp.zeros(c, xc.dtype)).reshape(per_channel) if ctx.next_edges[2] is not None else None
    wrt = [t for t, j in ((X, 0), (W, 1), (B, 2)) if t is not None and _needs(ctx, j)]
    XC = X - X.mean((0, 2), keepdim=True)
    var = (XC * XC).mean((0, 2), keepdim=True)
    y = XC / (var + ctx.eps).sqrt()
    if W is not None:
        y = y * W
    if B is not None:
        y = y + B
    from .engine import grad
    grads = iter(grad(y, wrt, g3, create_graph=True, allow_unused=True))
    out = [next(grads) if t is not None and _needs(ctx, j) else None for t, j in ((X, 0), (W, 1), (B, 2))]
    return (out[0].reshape(g.shape) if out[0] is not None else None,
            out[1].reshape(c) if out[1] is not None else None,
            out[2].reshape(c) if out[2] is not None else None, None, None, None, None, None)


def _max_pool(ctx, gy, *_):
    """Each window's gradient goes to its winner: add g at the winners' flat positions (constants)."""
    from ..nn.functional.pooling import _flat_indices
    aw, ah = ctx.saved
    geo = ctx.g
    planes, plane = geo.B * geo.C, geo.H * geo.W
    positions = (_flat_indices(aw, ah, geo).reshape(planes, -1) + xp.arange(planes)[:, None] * plane).reshape(-1)
    dx = gy.new_zeros(planes * plane).index_add(0, _make(positions), gy.reshape(-1))
    return dx.reshape(ctx.shape), None, None, None


def _avg_pool(ctx, gy):
    """Each window's gradient, divided by its divisor, is added over the window (one slice per offset)."""
    geo = ctx.g
    gd = gy.reshape(geo.B, geo.C, geo.OH, geo.OW) / (ctx.divisor if isinstance(ctx.divisor, float)
                                                       else _const(ctx.divisor))
    dx = gy.new_zeros((geo.B, geo.C, geo.Hp, geo.Wp))
    for _, rows, cols in geo.windows():
        dx[:, :, rows, cols] = dx[:, :, rows, cols] + gd
    return dx[:, :, geo.ph:geo.ph + geo.H, geo.pw:geo.pw + geo.W].reshape(ctx.shape), None, None, None


# ------------------------------------------------------------- rules by recomputation (composites)
def _via_composite(ctx, g, values, fn):
    """Rule for an op whose forward is ``fn`` of its first ``len(values)`` arguments, written here with Tensor
    ops that have rules: rebuild it on the arguments' graph tensors (``values`` give their values, None for
    an absent argument) and differentiate it with create_graph. Only this small graph is walked (``grad``
    stops at the arguments)."""
    from .engine import grad
    ins = [_input(ctx, j, v) if v is not None else None for j, v in enumerate(values)]
    wanted = [j for j, t in enumerate(ins) if t is not None and _needs(ctx, j)]
    out = fn(*ins)
    grads = grad(out, [ins[j] for j in wanted], g, create_graph=True, allow_unused=True)
    result = [None] * len(ctx.next_edges)
    for j, gj in zip(wanted, grads):
        result[j] = gj
    return tuple(result)


def _softplus_t(z):
    """log(1 + exp(z)) without overflow, as Tensor ops: relu(z) + log1p(exp(-|z|))."""
    return z.relu() + (-z.abs()).exp().log1p()


def _elu(ctx, g):
    (x,) = ctx.saved
    alpha, scale, inv = ctx.params
    positive = _const(x > 0)
    return _via_composite(ctx, g, [x], lambda X: X.where(positive, alpha * ((X.clamp(max=0) * inv).exp() - 1))
                          * scale)


def _gelu(ctx, g):
    x = ctx.saved[0]
    if ctx.approximate == "tanh":
        k = (2.0 / 3.141592653589793) ** 0.5
        return _via_composite(ctx, g, [x], lambda X: 0.5 * X * (1.0 + (k * (X + 0.044715 * X * X * X)).tanh()))
    return _via_composite(ctx, g, [x], lambda X: X * 0.5 * (1.0 + (X * 0.7071067811865476).erf()))


def _silu(ctx, g):
    return _via_composite(ctx, g, [ctx.saved[0]], lambda X: X * X.sigmoid())


def _mish(ctx, g):
    return _via_composite(ctx, g, [ctx.saved[0]], lambda X: X * _softplus_t(X).tanh())


def _softplus(ctx, g):
    (x,) = ctx.saved
    beta = ctx.beta
    linear = _const(x * beta > ctx.threshold)
    return _via_composite(ctx, g, [x], lambda X: X.where(linear, _softplus_t(X * beta) / beta))


def _log_sigmoid(ctx, g):
    return _via_composite(ctx, g, [ctx.saved[0]], lambda X: -_softplus_t(-X))


def _hardtanh(ctx, g):
    (x,) = ctx.saved
    return g * _const((x > ctx.lo) & (x < ctx.hi)).to(g.dtype), None, None


def _mask_mul(ctx, g):
    (mask,) = ctx.saved
    return _sum_to((g * _const(mask)).expand(g.shape), ctx.shape), None, None


def _log1p(ctx, g):
    return g / (1 + _input(ctx, 0, ctx.saved[0]))


def _expm1(ctx, g):
    return g * (_output(ctx, ctx.saved[0]) + 1)


def _erf(ctx, g):
    X = _input(ctx, 0, ctx.saved[0])
    return g * (2.0 / 3.141592653589793 ** 0.5) * (-X * X).exp()


def _norm_affine(ctx, g):
    """LayerNorm / GroupNorm / InstanceNorm: recompute from x - mean (exactly as good as x: the mean is
    subtracted first) and differentiate. The bias only adds, so its value does not matter here."""
    xhat, w, invstd = ctx.saved
    group_shape, param_shape, b_shape = ctx.shapes
    xc = (xhat.reshape(group_shape) / invstd).reshape(xhat.shape)

    def forward(X, W, B):
        Xg = X.reshape(group_shape)
        XC = Xg - Xg.mean(-1, keepdim=True)
        y = (XC / ((XC * XC).mean(-1, keepdim=True) + ctx.eps).sqrt()).reshape(xhat.shape)
        y = y * W.reshape(param_shape) if W is not None else y
        return y + B.reshape(param_shape) if B is not None else y

    bias = xp.zeros(b_shape, xhat.dtype) if b_shape is not None else None
    return _via_composite(ctx, g, [xc, w, bias], forward)


_RULE_TABLE = None


def _rules():
    """{op class: rule}, built on first use (the op modules import autograd, so not at import time)."""
    global _RULE_TABLE
    if _RULE_TABLE is None:
        from ..ops import arithmetic as A, elementwise as E, reduction as R, shape as S, indexing as I
        from ..ops import layout as L, pointwise as P, compare as C
        from ..nn.functional.linear import LinearFunction
        from ..nn.functional import activation as Act
        from ..nn.functional.dropout import MaskMul
        from ..nn.functional.normalization import NormAffine
        from ..nn.functional._loss_classification import CrossEntropy
        from ..nn.functional._loss_pointwise import PointwiseLoss
        from ..nn.functional.conv import ConvNd, Fold, Unfold
        from ..nn.functional.normalization import BatchNorm
        from ..nn.functional.pooling import AvgPool, MaxPool
        _RULE_TABLE = {
            A.Add: _add, A.Sub: _sub, A.Mul: _mul, A.Div: _div, A.Neg: _neg, A.Pow: _pow, A.Cast: _cast,
            A.MatMul: _matmul, E.Exp: _exp, E.Log: _log, E.Sin: _sin, E.Cos: _cos, E.Tanh: _tanh,
            E.Sigmoid: _sigmoid, E.Sqrt: _sqrt, E.Abs: _abs, E.Relu: _relu, Act.LeakyRelu: _leaky_relu,
            C.Where: _where, P.Clamp: _clamp, R.Sum: _sum, R.Mean: _mean, S.Permute: _permute,
            S.Reshape: _reshape, S.Clone: _clone, L.Expand: _expand, L.Repeat: _repeat, I.GetItem: _getitem, S.Cat: _cat, P.Softmax: _softmax,
            P.LogSoftmax: _log_softmax, LinearFunction: _linear,
            CrossEntropy: _cross_entropy, PointwiseLoss: _pointwise_loss,
            ConvNd: _conv, Unfold: _unfold, Fold: _fold, BatchNorm: _batch_norm, NormAffine: _norm_affine,
            Act.Elu: _elu, Act.Gelu: _gelu, Act.Silu: _silu, Act.Mish: _mish, Act.Softplus: _softplus,
            Act.LogSigmoid: _log_sigmoid, Act.Hardtanh: _hardtanh, MaskMul: _mask_mul, E.Log1p: _log1p,
            E.Expm1: _expm1, P.Erf: _erf, MaxPool: _max_pool, AvgPool: _avg_pool,
        }
    return _RULE_TABLE
