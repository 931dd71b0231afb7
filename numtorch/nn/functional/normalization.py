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
from ...ops._util import unbroadcast
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm", "normalize",
           "cosine_similarity", "pairwise_distance"]


def _torch_size(shape) -> str:
    return "torch.Size(" + str(list(shape)) + ")"


# ------------------------------------------------------------------------------------ batch norm
class BatchNorm(ArrayFunction):
    """y = (x - mean) / sqrt(var + eps) * w + b per channel (dim 1).  x: (N, C, *) -> same shape.

    training=True: mean/var are this batch's (biased) statistics over every dim but 1, passed in by the
    caller, and the gradient flows through them. training=False: mean/var are running statistics
    (constants), so dx = g * w / sqrt(var + eps).
    """

    @staticmethod
    def forward(ctx, x, w, b, mean, var, training, eps):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = (x - mean.reshape(shape)) * invstd.reshape(shape)
        y = xhat * w.reshape(shape) if w is not None else xhat.copy()  # never hand out the saved xhat
        if b is not None:
            y += b.reshape(shape)
        ctx.save_for_backward(xhat, w, invstd)
        ctx.training = training
        return y

    @staticmethod
    def backward(ctx, g):
        xhat, w, invstd = ctx.saved
        shape = (1, -1) + (1,) * (g.ndim - 2)
        axes = (0,) + tuple(range(2, g.ndim))
        n = ctx.needs_input_grad
        dw = (g * xhat).sum(axis=axes) if n[1] else None
        db = g.sum(axis=axes) if n[2] else None
        dx = None
        if n[0]:
            scale = (invstd * w if w is not None else invstd).reshape(shape)
            if ctx.training:
                m = g.size // g.shape[1]
                gsum = db if db is not None else g.sum(axis=axes)
                gxsum = dw if dw is not None else (g * xhat).sum(axis=axes)
                dx = scale * (g - (gsum / m).reshape(shape) - xhat * (gxsum / m).reshape(shape))
            else:
                dx = g * scale
        return dx, dw, db, None, None, None, None


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
    wa = weight._data if weight is not None else None
    ba = bias._data if bias is not None else None
    if training:
        m = x.size // c if c else 0
        if m <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{_torch_size(x.shape)}")
        axes = (0,) + tuple(range(2, x.ndim))
        mean = x.mean(axis=axes)
        centred = x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))
        var = (centred * centred).mean(axis=axes)
        if running_mean is not None:
            running_mean._data *= (1 - momentum)
            running_mean._data += momentum * mean.astype(running_mean._data.dtype, copy=False)
            running_mean._version[0] += 1
        if running_var is not None:
            running_var._data *= (1 - momentum)
            running_var._data += (momentum * m / (m - 1)) * var.astype(running_var._data.dtype, copy=False)
            running_var._version[0] += 1
        return BatchNorm.apply(input, weight, bias, mean, var, True, eps)
    if running_mean is None or running_var is None:
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    mean = running_mean._data.astype(x.dtype, copy=False)
    var = running_var._data.astype(x.dtype, copy=False)
    return BatchNorm.apply(input, weight, bias, mean, var, False, eps)


# ----------------------------------------------------------------------- layer/group/instance norm
class NormAffine(ArrayFunction):
    """Normalise x over the last axis of its (rows, K) view ``group_shape``, then y = xhat * w + b with
    w, b reshaped to ``param_shape`` (broadcast against x).  x: any shape -> same shape.

    Backward per row (M = K): dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w.
    """

    @staticmethod
    def forward(ctx, x, w, b, group_shape, param_shape, eps):
        xg = x.reshape(group_shape)
        mean = xg.mean(axis=-1, keepdims=True)
        centred = xg - mean
        var = (centred * centred).mean(axis=-1, keepdims=True)
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = (centred * invstd).reshape(x.shape)
        y = xhat * w.reshape(param_shape) if w is not None else xhat
        if b is not None:
            y = y + b.reshape(param_shape)
        ctx.save_for_backward(xhat, w, invstd)
        ctx.shapes = (group_shape, param_shape, b.shape if b is not None else None)
        return y.astype(x.dtype, copy=False) if y is not xhat else xhat.copy()

    @staticmethod
    def backward(ctx, g):
        xhat, w, invstd = ctx.saved
        group_shape, param_shape, b_shape = ctx.shapes
        n = ctx.needs_input_grad
        dw = unbroadcast(g * xhat, param_shape).reshape(w.shape) if n[1] else None
        db = unbroadcast(g, param_shape).reshape(b_shape) if n[2] else None
        dx = None
        if n[0]:
            dxhat = (g * w.reshape(param_shape) if w is not None else g).reshape(group_shape)
            xg = xhat.reshape(group_shape)
            dx = invstd * (dxhat - dxhat.mean(axis=-1, keepdims=True)
                           - xg * (dxhat * xg).mean(axis=-1, keepdims=True))
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
