"""Normalisation layers as functions: batch_norm, layer_norm, group_norm, instance_norm, local_response_norm,
plus normalize and cosine_similarity.

batch_norm is one fused op with the closed-form backward
    dx = invstd / M * (M * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),  dxhat = g * weight,
and layer/group/instance norm share ``NormAffine``, the same formula along the last
axis of a (rows, K) view followed by a per-channel affine map.
"""
from __future__ import annotations

import math

from ..._backend import xp
from ...autograd.function import ArrayFunction
from ...autograd.grad_mode import _grad
from ...ops._util import unbroadcast
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm", "rms_norm", "normalize",
           "cosine_similarity", "pairwise_distance"]


def _torch_size(shape) -> str:
    return "torch.Size(" + str(list(shape)) + ")"


# ------------------------------------------------------------------------------------ batch norm
def _per_channel(v):
    return v[None, :, None]  # (C,) -> (1, C, 1), against the (N, C, S) view


_BLOCK_BYTES = 1 << 18  # 256 KiB: a few such blocks stay in L2 while several passes run over them


def _blocks(n: int, sample_bytes: int):
    """Slices along the batch axis of an (N, C, S) array covering ~_BLOCK_BYTES each (one slice for small
    inputs). Running a chain of elementwise passes block by block keeps the data in cache between passes
    (the chain is memory-bound; this is ~25% faster than whole-array passes for a (64, 32, 784) float32 x)."""
    k = max(1, _BLOCK_BYTES // max(sample_bytes, 1))
    return [slice(i, i + k) for i in range(0, n, k)]


class BatchNorm(ArrayFunction):
    """y = (x - mean) / sqrt(var + eps) * w + b per channel (dim 1).  x: (N, C, *) -> same shape.

    Works on the (N, C, S) view of x. training=True: mean/var are this batch's (biased) statistics and the
    gradient flows through them; running_mean/running_var (arrays or None) are updated in place with
    ``momentum`` (variance unbiased). training=False: mean/var are the running statistics (constants), so
    dx = g * w / sqrt(var + eps).

    Training saves the centred x (xc = x - mean) and invstd, never xhat = xc * invstd (one pass fewer); the
    elementwise chains of forward and backward run over cache-sized batch blocks (``_blocks``).
    """

    @staticmethod
    def forward(ctx, x, w, b, running_mean, running_var, training, momentum, eps):
        n, c = x.shape[:2]
        x3 = x.reshape(n, c, -1)
        m = x3.shape[0] * x3.shape[2]
        if not training:  # constants: y = x * (w * invstd) + (b - mean * w * invstd), two passes
            mean = running_mean.astype(x.dtype, copy=False)
            invstd = (1.0 / xp.sqrt(running_var.astype(x.dtype, copy=False) + eps)).astype(x.dtype, copy=False)
            scale = invstd * w if w is not None else invstd
            shift = -mean * scale + (b if b is not None else 0)
            y = x3 * _per_channel(scale.astype(x.dtype, copy=False))
            y += _per_channel(shift.astype(x.dtype, copy=False))
            # dw needs xhat: keep the centred x only when a weight gradient can be asked for
            xc = x3 - _per_channel(mean) if (ctx.needs_input_grad[1] and _grad.enabled) else None
            ctx.save_for_backward(xc, w, invstd)
            ctx.training = False
            return y.reshape(x.shape)
        mean = xp.einsum("ncs->c", x3) / m
        mean_b = _per_channel(mean)
        xc = xp.empty_like(x3)  # centred x, saved for backward (xhat = xc * invstd is never stored)
        blocks = _blocks(n, x3[0].nbytes)
        var = xp.zeros(c, dtype=x.dtype)
        for sl in blocks:  # two-pass (centred) variance, float32-safe; each block is squared while in cache
            xb = xp.subtract(x3[sl], mean_b, out=xc[sl])
            var += xp.einsum("ncs,ncs->c", xb, xb)
        var /= m
        if running_mean is not None:
            running_mean *= (1 - momentum)
            running_mean += momentum * mean.astype(running_mean.dtype, copy=False)
        if running_var is not None:
            running_var *= (1 - momentum)
            running_var += (momentum * m / max(m - 1, 1)) * var.astype(running_var.dtype, copy=False)
        invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        scale = _per_channel(invstd * w if w is not None else invstd)
        y = xp.empty_like(x3)  # a new array: xc stays intact
        for sl in blocks:
            yb = xp.multiply(xc[sl], scale, out=y[sl])
            if b is not None:
                yb += _per_channel(b)
        ctx.save_for_backward(xc, w, invstd)
        ctx.training, ctx.eps = True, eps
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        xc, w, invstd = ctx.saved
        n, c = g.shape[:2]
        g3 = g.reshape(n, c, -1)
        need = ctx.needs_input_grad
        train = ctx.training
        want_g = need[2] or (need[0] and train)
        want_gx = (train and need[0]) or need[1]
        if want_g and want_gx:  # both per-channel sums block by block, each g block read twice while in cache
            gsum = xp.zeros(c, dtype=g.dtype)
            gxsum = xp.zeros(c, dtype=g.dtype)
            for sl in _blocks(n, g3[0].nbytes):
                gsum += xp.einsum("ncs->c", g3[sl])
                gxsum += xp.einsum("ncs,ncs->c", g3[sl], xc[sl])
            gxsum *= invstd  # sum(g * xhat) = invstd * sum(g * xc)
        else:
            gsum = xp.einsum("ncs->c", g3) if want_g else None
            gxsum = xp.einsum("ncs,ncs->c", g3, xc) * invstd if want_gx else None
        dx = None
        if need[0]:
            scale = invstd * w if w is not None else invstd
            if train:
                m = g3.shape[0] * g3.shape[2]
                # dx = scale * (g - gsum/m - xhat * gxsum/m),  xhat = xc * invstd; blockwise, in cache
                k1 = _per_channel(scale * invstd * gxsum / m)
                k2 = _per_channel(scale * gsum / m)
                sc = _per_channel(scale)
                dx = xp.empty_like(g3)  # a new array: never write into g
                blocks = _blocks(n, g3[0].nbytes)
                tmp = xp.empty_like(g3[blocks[0]])
                for sl in blocks:
                    db = xp.multiply(g3[sl], sc, out=dx[sl])
                    t = xp.multiply(xc[sl], k1, out=tmp[:db.shape[0]])
                    db -= t
                    db -= k2
            else:
                dx = g3 * _per_channel(scale)  # a new array: never write into g
            dx = dx.reshape(g.shape)
        return (dx, gxsum if need[1] else None, gsum if need[2] else None, None, None, None, None, None)


def _check_stat(t, c: int, name: str) -> None:
    if t is not None and t._data.shape != (c,):
        raise RuntimeError(f"running_{name} should contain {c} elements not {t._data.size}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalisation over dim 1 of (N, C), (N, C, L) or (N, C, H, W) input; same shape out.

    In training the batch statistics normalise the input and, when running_mean/var are given, update them
    in place: running = (1 - momentum) * running + momentum * batch_stat (variance unbiased).
    """
    x = input._data
    if x.ndim < 2:
        raise ValueError(f"Expected 2D or 3D input (got {x.ndim}D input)")
    c = x.shape[1]
    _check_stat(running_mean, c, "mean")
    _check_stat(running_var, c, "var")
    for p, nm in ((weight, "weight"), (bias, "bias")):
        if p is not None and p._data.size != c:
            raise RuntimeError(f"{nm} should contain {c} elements not {p._data.size}")
    if training:
        if (x.size // c if c else 0) <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{_torch_size(x.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    rm = running_mean._data if running_mean is not None else None
    rv = running_var._data if running_var is not None else None
    out = BatchNorm.apply(input, weight, bias, rm, rv, bool(training), momentum, eps)
    if training:
        for t in (running_mean, running_var):
            if t is not None:
                t._version[0] += 1
    return out


# ----------------------------------------------------------------------- layer/group/instance norm
class NormAffine(ArrayFunction):
    """Normalise x over the last axis of its (rows, K) view ``group_shape``, then y = xhat * w + b with
    w, b reshaped to ``param_shape`` (broadcast against x).  x: any shape -> same shape.

    Backward per row: dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w.
    """

    @staticmethod
    def forward(ctx, x, w, b, group_shape, param_shape, eps):
        xg = x.reshape(group_shape)
        k = xg.shape[-1]
        xhat = xg - (xg.sum(axis=-1, keepdims=True) / k)  # centred, scaled in place below
        var = xp.einsum("rk,rk->r", xhat, xhat)[:, None] / k
        invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat *= invstd
        xhat = xhat.reshape(x.shape)
        y = xhat * w.reshape(param_shape) if w is not None else xhat.copy()  # never hand out the saved xhat
        if b is not None:
            y += b.reshape(param_shape)
        ctx.save_for_backward(xhat, w, invstd)
        ctx.shapes = (group_shape, param_shape, b.shape if b is not None else None)
        ctx.eps = eps
        return y

    @staticmethod
    def backward(ctx, g):
        xhat, w, invstd = ctx.saved
        group_shape, param_shape, b_shape = ctx.shapes
        n = ctx.needs_input_grad
        trailing = len(param_shape) and tuple(g.shape[g.ndim - len(param_shape):]) == tuple(param_shape)
        channel = (not trailing and g.ndim == len(param_shape) + 1
                   and all(p == 1 for p in param_shape[1:]) and param_shape[0] == g.shape[1])
        dw = db = None
        if n[1]:
            if trailing:  # LayerNorm: parameters cover the trailing dims
                kk = w.size
                dw = xp.einsum("rk,rk->k", g.reshape(-1, kk), xhat.reshape(-1, kk)).reshape(w.shape)
            elif channel:  # group/instance norm: one parameter per channel (dim 1)
                g3, x3 = g.reshape(g.shape[0], g.shape[1], -1), xhat.reshape(g.shape[0], g.shape[1], -1)
                dw = xp.einsum("ncs,ncs->c", g3, x3).reshape(w.shape)
            else:
                dw = unbroadcast(g * xhat, param_shape).reshape(w.shape)
        if n[2]:
            if trailing:
                db = g.reshape(-1, int(xp.prod(b_shape))).sum(axis=0)
            elif channel:
                db = xp.einsum("ncs->c", g.reshape(g.shape[0], g.shape[1], -1))
            else:
                db = unbroadcast(g, param_shape)
            db = db.reshape(b_shape)
        dx = None
        if n[0]:
            dxhat = (g * w.reshape(param_shape) if w is not None else g).reshape(group_shape)
            xg = xhat.reshape(group_shape)
            k = xg.shape[-1]
            m1 = dxhat.sum(axis=-1, keepdims=True) / k
            m2 = xp.einsum("rk,rk->r", dxhat, xg)[:, None] / k
            dx = xg * (-m2)
            dx += dxhat
            dx -= m1
            dx *= invstd
            dx = dx.reshape(g.shape)
        return dx, dw, db, None, None, None


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing dims ``normalized_shape``; weight/bias have that shape.  (*, *S) -> same."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    x = input._data
    k = len(normalized_shape)
    if k == 0 or x.shape[x.ndim - k:] != normalized_shape or x.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size{list(x.shape)}")
    for p, nm in ((weight, "weight"), (bias, "bias")):
        if p is not None and p._data.shape != normalized_shape:
            raise RuntimeError(f"Expected {nm} to be of same shape as normalized_shape, but got {nm} of shape "
                               f"{list(p._data.shape)} and normalized_shape = {list(normalized_shape)}")
    kk = math.prod(normalized_shape)
    return NormAffine.apply(input, weight, bias, (-1, kk) if x.size else (0, kk), normalized_shape, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each of ``num_groups`` channel groups per sample.  (N, C, *) -> same; weight/bias (C,)."""
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    n, c = x.shape[:2]
    if c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(x.shape)} and num_groups={num_groups}")
    param_shape = (c,) + (1,) * (x.ndim - 2)
    return NormAffine.apply(input, weight, bias, (n * num_groups, -1) if x.size else (0, 1), param_shape, eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) plane over its spatial dims.  (N, C, *) -> same; weight/bias (C,).

    With ``use_input_stats=False`` the running statistics are used instead (like batch_norm in eval);
    otherwise running_mean/var, when given, are updated with the batch-averaged instance statistics.
    """
    x = input._data
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    n, c = x.shape[:2]
    s = x.size // (n * c) if n * c else 0
    if s <= 1 and x.size:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{_torch_size(x.shape)}")
    if running_mean is not None or running_var is not None:
        xg = x.reshape(n, c, -1)
        if running_mean is not None:
            running_mean._data *= (1 - momentum)
            running_mean._data += momentum * xg.mean(axis=2).mean(axis=0)
            running_mean._version[0] += 1
        if running_var is not None:
            running_var._data *= (1 - momentum)
            running_var._data += momentum * xg.var(axis=2, ddof=1).mean(axis=0)
            running_var._version[0] += 1
    param_shape = (c,) + (1,) * (x.ndim - 2)
    return NormAffine.apply(input, weight, bias, (n * c, -1) if x.size else (0, 1), param_shape, eps)


class RMSNorm(ArrayFunction):
    """y = x / sqrt(mean(x^2) + eps) * w over the last axis of the (rows, K) view.  x any shape -> same.

    Backward per row: dx = r * (dxhat - xhat * mean(dxhat * xhat)), r = 1/sqrt(mean(x^2) + eps), dxhat = g * w.
    """

    @staticmethod
    def forward(ctx, x, w, k, eps):
        xg = x.reshape(-1, k)
        r = 1.0 / xp.sqrt((xg * xg).mean(axis=1, keepdims=True) + eps)
        xhat = (xg * r).reshape(x.shape)
        ctx.save_for_backward(xhat, w, r)
        ctx.k = k
        ctx.eps = eps
        return (xhat * w if w is not None else xhat.copy()).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xhat, w, r = ctx.saved
        k = ctx.k
        n = ctx.needs_input_grad
        dw = (g * xhat).reshape(-1, k).sum(axis=0).reshape(w.shape) if n[1] else None
        dx = None
        if n[0]:
            dxh = (g * w if w is not None else g).reshape(-1, k)
            xg = xhat.reshape(-1, k)
            dx = (r * (dxh - xg * (dxh * xg).mean(axis=1, keepdims=True))).reshape(g.shape)
        return dx, dw, None, None


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2 over normalized_shape) + eps) * weight; eps defaults to the dtype's machine epsilon."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    x = input._data
    k = len(normalized_shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size{list(x.shape)}")
    if eps is None:
        eps = float(xp.finfo(x.dtype).eps)
    return RMSNorm.apply(input, weight, math.prod(normalized_shape), eps)


# --------------------------------------------------------------------------- local response norm
def _window_sum(a, lo: int, hi: int):
    """out[:, c] = sum of a[:, j] for j in [c - lo, c + hi] (zero outside), along axis 1, via a cumulative sum."""
    c = a.shape[1]
    pad = [(0, 0)] * a.ndim
    pad[1] = (lo + 1, hi)
    cs = xp.cumsum(xp.pad(a, pad), axis=1)
    return cs[:, lo + hi + 1:lo + hi + 1 + c] - cs[:, :c]


class LocalResponseNorm(ArrayFunction):
    """y = x / (k + alpha/size * sum_{window over channels} x^2)^beta.  x: (N, C, *) -> same."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        lo, hi = size // 2, (size - 1) // 2
        d = k + (alpha / size) * _window_sum(x * x, lo, hi)
        y = x * d ** (-beta)
        ctx.save_for_backward(x, d)
        ctx.cfg = (size, alpha, beta, lo, hi)
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, d = ctx.saved
        size, alpha, beta, lo, hi = ctx.cfg
        # dL/d(sq_j) = sum over channels c whose window holds j of  g_c x_c (-beta) d_c^(-beta-1) alpha/size
        t = g * x * (-beta) * d ** (-beta - 1) * (alpha / size)
        dsq = _window_sum(t, hi, lo)
        return (g * d ** (-beta) + 2 * x * dsq).astype(g.dtype, copy=False), None, None, None, None


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Normalise each value by the energy of ``size`` neighbouring channels.  (N, C, *) with >= 3 dims."""
    if input._data.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input._data.ndim} dimensions)")
    if input._data.size == 0:
        return input
    return LocalResponseNorm.apply(input, size, alpha, beta, k)


# --------------------------------------------------------------------------------- vector norms
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``; same shape."""
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along ``dim`` (inputs broadcast); dim removed."""
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim.  (N, D), (N, D) -> (N,)."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)
