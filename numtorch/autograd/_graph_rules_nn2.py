"""create_graph rules of more nn ops: embedding, adaptive pooling, the simple activations, NLL and the
pointwise losses, RMSNorm / LocalResponseNorm, padding, resampling, pixel shuffle, bilinear; and the core ops
that did not fit in ``_graph_rules_math`` (einsum, copies and in-place writes, scatter, inverse / det, atan2,
cummax / cummin). Linear ops (lookups, pads, shuffles) apply their adjoint to g with Tensor ops; the rest
repeat their backward formula or are recomputed from their inputs and differentiated (``_via_composite``).
See ``higher_order``."""
from __future__ import annotations

from .._backend import xp
from . import higher_order as _ho
from .higher_order import _const, _input, _needs, _output, _sum_to, _via_composite


def _mask(g, cond):
    """g times a boolean mask (a constant) in g's dtype."""
    return g * _const(cond).to(g.dtype)


# --------------------------------------------------------------------------------- lookups and pooling
def _embedding(ctx, g):
    """dW[v] = sum of the g rows looking up v (divided by v's count with scale_grad_by_freq; 0 at padding_idx).
    g (*, D) -> dW (V, D)."""
    (idx,) = ctx.saved
    shape, padding_idx, by_freq = ctx.cfg
    flat = idx.reshape(-1)
    rows = g.reshape(-1, shape[1])
    if by_freq:
        counts = xp.bincount(flat, minlength=shape[0])
        # value rows / count, but differentiated as rows: the lookup's own backward already divides by the
        # count, so this keeps the second derivative exact (PyTorch's double backward does the same)
        scale = _const((1.0 / counts[flat][:, None] - 1.0).astype(rows._data.dtype))
        rows = rows + rows.detach() * scale
    dw = rows.new_zeros(shape).index_add(0, _ho._make(flat), rows)
    if padding_idx is not None:
        keep = xp.ones((shape[0], 1), bool)
        keep[padding_idx] = False
        dw = _mask(dw, keep)
    return dw, None, None, None


def _adaptive_avg_pool(ctx, gy):
    """x = A_h^T g A_w per plane (the averaging matrices are constants)."""
    ah, aw = ctx.mats
    B, C = ctx.shape[:2]
    g = _const(ah.T) @ gy.reshape(B * C, ah.shape[0], aw.shape[0])
    return (g @ _const(aw)).reshape(ctx.x_shape), None, None, None


def _adaptive_max_pool(ctx, gy, *_):
    """Each window's gradient goes to its winner (flat plane indices, constants)."""
    (best,) = ctx.saved
    B, C, H, W = ctx.shape
    planes = xp.arange(B * C).reshape(B * C, 1) * (H * W)
    pos = (best.reshape(B * C, -1) + planes).reshape(-1)
    dx = gy.new_zeros(B * C * H * W).index_add(0, _ho._make(pos), gy.reshape(-1))
    return dx.reshape(ctx.x_shape), None, None, None, None


# ------------------------------------------------------------------------------------------ activations
def _threshold(ctx, g):
    (x,) = ctx.saved
    return _mask(g, x > ctx.threshold), None, None


def _shrink(ctx, g):
    (x,) = ctx.saved
    return _mask(g, (x > ctx.lambd) | (x < -ctx.lambd)), None, None


def _hardsigmoid(ctx, g):
    (x,) = ctx.saved
    return _mask(g, (x > -3) & (x < 3)) / 6


def _hardswish(ctx, g):
    """0 for x <= -3, g for x >= 3, g (x/3 + 1/2) between."""
    (x,) = ctx.saved
    mid = (x > -3) & (x < 3)
    slope = _mask(_input(ctx, 0, x) / 3 + 0.5, mid) + _const((x >= 3).astype(x.dtype))
    return g * slope


def _softsign(ctx, g):
    return _via_composite(ctx, g, [ctx.saved[0]], lambda X: X / (1 + X.abs()))


def _prelu(ctx, g):
    """dx = g where x > 0 else w g;  dw = sum of g x where x <= 0 (over all but the channel dim)."""
    x, w = ctx.saved
    shared = not (w.size > 1 and x.ndim >= 2)
    W = _input(ctx, 1, w)
    Wb = W.reshape(()) if shared else W.reshape((1, -1) + (1,) * (x.ndim - 2))
    dx = dw = None
    if _needs(ctx, 0):
        dx = g.where(_const(x > 0), Wb * g)
    if _needs(ctx, 1):
        gx = _mask(g * _input(ctx, 0, x), x <= 0)
        dw = gx.sum() if shared else gx.sum(tuple(i for i in range(x.ndim) if i != 1))
        dw = dw.reshape(w.shape)
    return dx, dw


def _random_leaky_relu(ctx, g):
    (d,) = ctx.saved
    return g * _const(d), None


# ----------------------------------------------------------------------------------------------- losses
def _classes_last(ctx, g):
    """(M, C) -> (N, C, d1, ...): undo the flattening with Tensor ops."""
    shape = ctx.shape
    if len(shape) <= 2:
        return g.reshape(shape)
    n, c, rest = shape[0], shape[1], tuple(shape[2:])
    return g.reshape((n,) + rest + (c,)).movedim(-1, 1)


def _nll(ctx, g):
    """dx[i, t_i] = -w[t_i] * scale (a one-hot constant times g)."""
    ts, wt = ctx.saved
    reduction, denom, shape = ctx.cfg
    scale = g if reduction != "mean" else g / float(denom)
    onehot = xp.zeros(shape, dtype=bool)
    onehot[xp.arange(shape[0]), ts] = True
    per_row = -(scale * _const(wt.astype(g._data.dtype, copy=False)))
    return _mask(per_row.reshape(-1, 1) if per_row.dim() else per_row, onehot), None, None, None, None


def _pointwise_grads(kind, X, Y, x, y, p):
    """(dl/dx, dl/dy) per element as Tensor ops; piecewise choices and signs are constants."""
    def sign():
        return _const(xp.sign(x - y).astype(x.dtype))

    if kind == "mse":
        dx = 2 * (X - Y)
    elif kind == "l1":
        dx = sign()
    elif kind == "smooth_l1":
        dx = sign() if p == 0 else ((X - Y) / p).where(_const(xp.abs(x - y) < p), sign())
    elif kind == "huber":
        dx = (X - Y).where(_const(xp.abs(x - y) <= p), sign() * p)
    elif kind == "bce":
        dx = (X - Y) / ((1 - X) * X).clamp(min=1e-12)
        return dx, (1 - X).log().clamp(min=-100.0) - X.log().clamp(min=-100.0)
    elif kind == "bce_logits":
        s = X.sigmoid()
        pw = None if p is None else (_const(p) if hasattr(p, "shape") else p)
        dx = s - Y if pw is None else (1 - Y) - (1 + (pw - 1) * Y) * (1 - s)
        sp = (-X).relu() + (-X.abs()).exp().log1p()
        return dx, (-X if pw is None else -X + (pw - 1) * sp)
    elif kind == "kl":
        pos = _const(y > 0)
        return -Y, (Y.where(pos, 1.0).log() + 1).where(pos, 0.0) - X
    elif kind == "kl_log":
        ey = Y.exp()
        return -ey, ey * (Y - X + 1)
    else:
        raise NotImplementedError(f"numtorch does not support create_graph=True through {kind} losses yet")
    return dx, -dx


def _pointwise_loss(ctx, g):
    x, y, w = ctx.saved
    kind, p, reduction, shape, size = ctx.cfg
    X, Y = _input(ctx, 0, x), _input(ctx, 1, y)
    if reduction == "mean":
        g = g / size
    elif reduction == "batchmean":
        g = g / x.shape[0]
    scale = g if w is None else g * _const(w)
    dx, dy = _pointwise_grads(kind, X, Y, x, y, p)
    return (_sum_to((dx * scale).expand(shape), x.shape) if _needs(ctx, 0) else None,
            _sum_to((dy * scale).expand(shape), y.shape) if _needs(ctx, 1) else None, None, None, None, None)


# -------------------------------------------------------------------------------------- normalisations
def _rms_norm(ctx, g):
    """Recompute x / sqrt(mean(x^2) + eps) * w from x (= xhat / r) and differentiate."""
    xhat, w, r = ctx.saved
    k, eps = ctx.k, ctx.eps
    x = (xhat.reshape(-1, k) / r).reshape(xhat.shape)

    def forward(X, W):
        Xg = X.reshape(-1, k)
        y = (Xg / ((Xg * Xg).mean(1, keepdim=True) + eps).sqrt()).reshape(xhat.shape)
        return y * W if W is not None else y

    return _via_composite(ctx, g, [x, w], forward) if w is not None else \
        _via_composite(ctx, g, [x], lambda X: forward(X, None))


def _local_response_norm(ctx, g):
    """Recompute x / (k + alpha/size * window_sum(x^2))^beta with Tensor ops and differentiate."""
    x, d = ctx.saved
    size, alpha, beta, lo, hi = ctx.cfg
    k = float((d - (alpha / size) * _window_sum_np(x * x, lo, hi)).reshape(-1)[0])
    c = x.shape[1]

    def forward(X):
        sq = X * X
        parts = [sq.new_zeros((x.shape[0], lo) + x.shape[2:])] if lo else []
        parts += [sq] + ([sq.new_zeros((x.shape[0], hi) + x.shape[2:])] if hi else [])
        padded = _cat(parts) if len(parts) > 1 else sq
        s = padded[:, 0:c]
        for i in range(1, size):
            s = s + padded[:, i:i + c]
        return X * (k + (alpha / size) * s) ** (-beta)

    return _via_composite(ctx, g, [x], forward)


def _window_sum_np(a, lo, hi):
    from ..nn.functional.normalization import _window_sum
    return _window_sum(a, lo, hi)


def _cat(parts):
    from .. import cat
    return cat(parts, 1)


# --------------------------------------------------------------------------- padding, resampling, shuffle
def _constant_pad(ctx, g):
    piece = g[ctx.dst]
    if tuple(piece.shape) == tuple(ctx.x_shape):
        return piece, None, None
    dx = g.new_zeros(ctx.x_shape)
    dx[ctx.src] = piece
    return dx, None, None


def _gather_adjoint(g, axis, idx, n):
    """Adjoint of ``take(x, idx, axis)``: add g's slices into zeros at ``idx`` along ``axis``."""
    shape = list(g.shape)
    shape[axis] = n
    return g.new_zeros(shape).index_add(axis, _ho._make(xp.asarray(idx, dtype=xp.int64)), g)


def _border_pad(ctx, g):
    from ..nn.functional.padding import _source_index
    nd = g.dim()
    for i in reversed(range(len(ctx.pairs))):
        l, r = ctx.pairs[i]
        ax = nd - 1 - i
        n = ctx.x_shape[ax]
        g = _gather_adjoint(g, ax, _source_index(n, l, r, ctx.mode), n)
    return g, None, None


def _resample(ctx, g):
    for (axis, (i0, i1, lam)), n in reversed(list(zip(ctx.plans, ctx.sizes))):
        if i1 is None:
            g = _gather_adjoint(g, axis, i0, n)
        else:
            w = _const(lam.reshape((-1,) + (1,) * (g.dim() - axis - 1)).astype(g._data.dtype))
            g = _gather_adjoint(g * (1 - w), axis, i0, n) + _gather_adjoint(g * w, axis, i1, n)
    return g, None


def _pixel_shuffle(ctx, g):
    """The inverse shuffle of g, with reshape / permute."""
    r, down = ctx.r, not ctx.down
    *lead, C, H, W = g.shape
    k = len(lead)
    if down:
        y = g.reshape(*lead, C, H // r, r, W // r, r).permute(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
        out = y.reshape(*lead, C * r * r, H // r, W // r)
    else:
        y = g.reshape(*lead, C // (r * r), r, r, H, W).permute(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
        out = y.reshape(*lead, C // (r * r), H * r, W * r)
    return out.reshape(ctx.shape), None, None


# ------------------------------------------------- core ops (no room left in _graph_rules_math): einsum, copies
def _einsum(ctx, g):
    """Operand i's gradient: einsum of g with the other operands down to i's letters (as the op's backward),
    broadcast back over letters summed out, and written onto the diagonal for repeated letters."""
    from .. import einsum
    ops = ctx.saved
    subs, out_subs = ctx.subs, ctx.out_subs
    sizes = {c: n for ss, op in zip(subs, ops) for c, n in zip(ss, op.shape)}
    tensors = [_input(ctx, j + 2, op) for j, op in enumerate(ops)]
    grads = [None, None]
    for i, (s, x) in enumerate(zip(subs, ops)):
        if not _needs(ctx, i + 2):
            grads.append(None)
            continue
        available = set(out_subs).union(*[set(ss) for j, ss in enumerate(subs) if j != i])
        target = "".join(dict.fromkeys(c for c in s if c in available))
        terms = [out_subs] + [ss for j, ss in enumerate(subs) if j != i]
        partial = einsum(",".join(terms) + "->" + target, g, *[t for j, t in enumerate(tensors) if j != i])
        letters = list(dict.fromkeys(s))
        full = partial.reshape([sizes[c] if c in target else 1 for c in letters]).expand(
            tuple(sizes[c] for c in letters))
        if len(letters) == len(s):
            grads.append(_sum_to(full, x.shape))
            continue
        from ._graph_rules_math import _add_at
        grids = xp.indices(tuple(full.shape))
        positions = xp.arange(x.size).reshape(x.shape)[tuple(grids[letters.index(c)] for c in s)]
        grads.append(_add_at(full, x.shape, positions))
    return tuple(grads)


def _copy(ctx, g):
    from ._graph_rules_math import _dtype_of
    if ctx.src_dtype.kind != "f":
        return None, None
    return None, _sum_to(g, ctx.src_shape).to(_dtype_of(ctx.src_dtype))


def _overwrite(ctx, g):
    return (g * 0 if _needs(ctx, 0) else None), (_sum_to(g, ctx.vshape) if _needs(ctx, 1) else None)


def _cum_extreme(ctx, g, *_):
    """cummax / cummin: each running extreme's gradient goes to the position it came from (constants)."""
    from ._graph_rules_math import _add_at
    (idx,) = ctx.saved
    gm = g.movedim(ctx.axis, -1)
    n = gm.shape[-1]
    rows = int(xp.prod(gm.shape[:-1]))
    lin = (xp.arange(rows)[:, None] * n + idx.reshape(-1, n)).reshape(tuple(gm.shape))
    return _add_at(gm, tuple(gm.shape), lin).movedim(-1, ctx.axis), None, None


def _bilinear(ctx, g):
    """Recompute y = einsum('ni,oij,nj->no', x1, W, x2) + b and differentiate (b only adds: its value is unused)."""
    from .. import einsum
    x1, x2, w, _ = ctx.saved
    bias = xp.zeros(w.shape[0], w.dtype) if ctx.next_edges[3] is not None else None

    def forward(X1, X2, W, B):
        y = einsum("ni,oij,nj->no", X1, W, X2)
        return y + B if B is not None else y

    return _via_composite(ctx, g, [x1, x2, w, bias], forward)


def _zero_grad(ctx, g):
    return g * 0, None


def _nan_to_num(ctx, g):
    (x,) = ctx.saved
    return g * _const(xp.isfinite(x).astype(g._data.dtype)), None, None, None


def _atan2(ctx, g):
    """d atan2(a, b) = (b da - a db) / (a^2 + b^2)."""
    a, b = ctx.saved
    A, B = _input(ctx, 0, a), _input(ctx, 1, b)
    r = A * A + B * B
    return (_sum_to(g * B / r, xp.shape(a)) if _needs(ctx, 0) else None,
            _sum_to(-g * A / r, xp.shape(b)) if _needs(ctx, 1) else None)


def _tensor_unfold(ctx, g):
    """Tensor.unfold(dim, size, step): add each window's gradient back at its positions (constants)."""
    from ._graph_rules_math import _add_at
    positions = xp.arange(int(xp.prod(ctx.shape))).reshape(ctx.shape)
    pos = xp.moveaxis(xp.take(positions, ctx.idx, axis=ctx.axis), ctx.axis + 1, -1)
    return _add_at(g, ctx.shape, pos), None, None, None


def _inverse(ctx, g):
    """d A^-1 = -A^-T g A^-T, with A^-1 the op's output."""
    inv_t = _output(ctx, ctx.saved[0]).transpose(-1, -2)
    return -(inv_t @ g @ inv_t)


def _det(ctx, g):
    """d det(A) = g det(A) A^-T (non-singular A), with A^-1 recomputed as a Tensor op (it has a rule)."""
    a, d = ctx.saved
    if not xp.all(d != 0):
        raise NotImplementedError("numtorch does not support create_graph=True through det of a singular matrix yet")
    A = _input(ctx, 0, a)
    return (g * _output(ctx, d)).unsqueeze(-1).unsqueeze(-1) * A.inverse().transpose(-1, -2)


def _index_accumulate(ctx, g):
    pos = ctx.pos
    return (g if _needs(ctx, 0) else None), \
        (g[_ho._make(pos.reshape(-1))].reshape(pos.shape) if _needs(ctx, 1) else None), None


def _flat_take(g, pos, shape):
    """g's elements at flat positions ``pos`` (an int array), reshaped to ``shape``."""
    return g.reshape(-1)[_ho._make(pos.reshape(-1))].reshape(shape)


def _zero_at(g, pos):
    """g with the flat positions ``pos`` zeroed (a constant mask)."""
    keep = xp.ones(tuple(g.shape), bool)
    keep.reshape(-1)[pos.reshape(-1)] = False
    return g * _const(keep).to(g.dtype)


def _scatter(ctx, g):
    (pos,) = ctx.saved
    gx = gsrc = None
    if _needs(ctx, 0):
        gx = g if ctx.add else _zero_at(g, pos)
    if _needs(ctx, 3):
        picked = _flat_take(g, pos, pos.shape)
        if tuple(pos.shape) == tuple(ctx.src_shape):
            gsrc = picked
        else:
            gsrc = g.new_zeros(ctx.src_shape)
            gsrc[tuple(slice(0, s) for s in ctx.index_shape)] = picked
    return gx, None, None, gsrc, None


def _put_region(ctx, g):
    return (_zero_at(g, ctx.pos) if _needs(ctx, 0) else None,
            _flat_take(g, ctx.pos, ctx.vshape) if _needs(ctx, 1) else None, None)


def _take_region(ctx, g):
    from ._graph_rules_math import _add_at
    return _add_at(g, ctx.shape, ctx.pos), None
