"""create_graph rules of the nn ops (linear, convolution, pooling, normalisation, activations, losses). The
activations and normalisations are recomputed from their inputs and differentiated (``_via_composite``).
See ``higher_order``."""
from __future__ import annotations

from .._backend import xp
from . import higher_order as _ho
from .higher_order import _const, _input, _needs, _sum_to, _via_composite


def _leaky_relu(ctx, g):
    (x,) = ctx.saved
    return g * _const(xp.where(x > 0, 1.0, ctx.slope).astype(x.dtype)), None


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


def _cross_entropy(ctx, g):
    """Class indices or probabilities: d loss/dx = (softmax(x) * sum(q) - q) * scale, with q the weight of each
    class's log-probability (the smoothed targets, times the class weights when given)."""
    e, s, t, w, valid, z = ctx.saved
    reduction, eps, probs, denom, n_cls = ctx.cfg
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
    if w is not None:
        q = q * _const(w.reshape((1, -1) + (1,) * (e.ndim - 2)).astype(e.dtype))
    qsum = q.sum(1, keepdim=True)
    scale = g.unsqueeze(1) if reduction == "none" else g / float(denom) if reduction == "mean" else g
    return (p * qsum - q) * scale, None, None, None, None


def _saved_logits(e, z):
    """The logits' value up to a per-row constant (enough for softmax): log of the saved exponentials."""
    return (z if z is not None else xp.log(e)).astype(e.dtype)


def _unfold_geometry(geo, out_hw=None):
    """The geometry of F.unfold with a convolution's kernel, strides, paddings and dilation (all channels)."""
    from ..nn._im2col import ConvGeometry
    return ConvGeometry((geo.B, geo.C, geo.H, geo.W), (1, 1, geo.KH, geo.KW), (geo.sh, geo.sw),
                        (geo.pt, geo.pb, geo.pl, geo.pr), (geo.dh, geo.dw), 1, out_hw=out_hw)


def _conv_terms(geo, G4, W3, X4, need_in, need_w, out_hw=None):
    """Both convolution gradients, with groups: cols = unfold(x) as (B, G, Cg*KH*KW, L), W3 (G, Og, Cg*KH*KW),
    G4 the output-side tensor as (B, G, Og, L).  Input side: fold(W3^T @ G4);  weight: sum_b G4 @ cols^T."""
    from ..nn.functional.conv import Fold, Unfold
    ug = _unfold_geometry(geo, out_hw)
    B, L = geo.B, geo.OH * geo.OW
    din = dw = None
    if need_in:
        din = Fold.apply((W3.transpose(1, 2) @ G4).reshape(B, geo.C * geo.KH * geo.KW, L), ug)
    if need_w:
        cols = Unfold.apply(X4, ug).reshape(B, geo.G, geo.Cg * geo.KH * geo.KW, L)
        dw = (G4 @ cols.transpose(2, 3)).sum(0)
    return din, dw


def _conv(ctx, g):
    """y = W2 @ unfold(x) + b per image and group, so dx = fold(W2.T @ g), dW = sum_images g @ unfold(x).T,
    db = sum g."""
    x, w, _ = ctx.saved
    geo = ctx.geo
    kk = geo.Cg * geo.KH * geo.KW
    g4 = g.reshape(geo.B, geo.G, geo.Og, geo.OH * geo.OW)
    W3 = _input(ctx, 1, w).reshape(geo.G, geo.Og, kk)
    X4 = _input(ctx, 0, x).reshape(geo.B, geo.C, geo.H, geo.W) if _needs(ctx, 1) else None
    dx, dw = _conv_terms(geo, g4, W3, X4, _needs(ctx, 0), _needs(ctx, 1))
    return (dx.reshape(ctx.x_shape) if dx is not None else None, dw.reshape(ctx.w_shape) if dw is not None else None,
            g.reshape(geo.B, geo.O, -1).sum((0, 2)) if _needs(ctx, 2) else None, None)


def _conv_transpose(ctx, g):
    """y = fold(W2^T @ x) + b (the adjoint of the convolution ``geo`` w.r.t. its input): dx = W2 @ unfold(g),
    dW = sum_images x @ unfold(g)^T, db = sum g."""
    from ..nn._im2col import wide_to_output
    from ..nn.functional.conv import Unfold
    x2, w4 = ctx.saved
    geo = ctx.geo
    kk = geo.Cg * geo.KH * geo.KW
    L = geo.OH * geo.OW
    ug = _unfold_geometry(geo, (geo.OH, geo.OW))
    cols = Unfold.apply(g.reshape(geo.B, geo.C, geo.H, geo.W), ug).reshape(geo.B, geo.G, kk, L)
    W3 = _input(ctx, 1, w4.reshape(ctx.w_shape)).reshape(geo.G, geo.Og, kk)
    dx = dw = None
    if _needs(ctx, 0):
        dx = (W3 @ cols).reshape(ctx.x_shape)
    if _needs(ctx, 1):
        x = wide_to_output(x2, geo).reshape(ctx.x_shape)
        X4 = _input(ctx, 0, x).reshape(geo.B, geo.G, geo.Og, L)
        dw = (X4 @ cols.transpose(2, 3)).sum(0).reshape(ctx.w_shape)
    return dx, dw, (g.reshape(geo.B, geo.C, -1).sum((0, 2)) if _needs(ctx, 2) else None), None


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
    dx = gy.new_zeros(planes * plane).index_add(0, _ho._make(positions), gy.reshape(-1))
    return dx.reshape(ctx.shape), None, None, None


def _avg_pool(ctx, gy):
    """Each window's gradient, divided by its divisor, is added over the window (one slice per offset)."""
    geo = ctx.g
    gd = gy.reshape(geo.B, geo.C, geo.OH, geo.OW) / (ctx.divisor if isinstance(ctx.divisor, float)
                                                       else _const(ctx.divisor))
    if geo.tiles:  # windows partition the input: every input pixel gets its window's share (no loop)
        dx = gd.reshape(geo.B, geo.C, geo.OH, 1, geo.OW, 1).expand(geo.B, geo.C, geo.OH, geo.KH, geo.OW, geo.KW)
        return dx.reshape(ctx.shape), None, None, None
    dx = gy.new_zeros((geo.B, geo.C, geo.Hp, geo.Wp))
    for _, rows, cols in geo.windows():
        dx[:, :, rows, cols] = dx[:, :, rows, cols] + gd
    return dx[:, :, geo.ph:geo.ph + geo.H, geo.pw:geo.pw + geo.W].reshape(ctx.shape), None, None, None


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
