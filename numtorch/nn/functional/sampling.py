"""Resampling: interpolate/upsample (nearest, nearest-exact, linear, bilinear, area), pixel_shuffle/unshuffle.

nearest and (bi)linear are separable: each spatial axis is resampled on its own by a gather of
(at most two) source positions per output position with fixed weights. The source positions are
monotone along the axis, so the backward (scatter-add of the gradient) is ``add.reduceat`` over runs
of equal positions: no duplicates are lost and nothing loops over pixels.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Union

from ..._backend import xp
from ...autograd.function import ArrayFunction
from ...tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle"]

_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _axis_weights(n_in: int, n_out: int, mode: str, align_corners: bool, scale: Optional[float], dtype):
    """Per output position: (i0, i1, lam) with out = (1-lam)*x[i0] + lam*x[i1] (i1, lam None for nearest)."""
    ft = xp.float32 if dtype == xp.float32 else xp.float64
    dst = xp.arange(n_out, dtype=ft)
    if mode in ("nearest", "nearest-exact"):
        s = ft(n_in / n_out) if scale is None else ft(1.0 / scale)
        src = xp.floor((dst + ft(0.5)) * s) if mode == "nearest-exact" else xp.floor(dst * s)
        return xp.minimum(src.astype(xp.int64), n_in - 1), None, None
    if align_corners:
        s = ft((n_in - 1) / (n_out - 1)) if n_out > 1 else ft(0)
        src = dst * s
    else:
        s = ft(n_in / n_out) if scale is None else ft(1.0 / scale)
        src = xp.maximum((dst + ft(0.5)) * s - ft(0.5), ft(0))
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), n_in - 1)
    i1 = xp.minimum(i0 + 1, n_in - 1)
    lam = (src - i0).astype(dtype)
    return i0, i1, lam


def _gather_adjoint(g, axis: int, idx, n_in: int):
    """Adjoint of ``take(x, idx, axis)`` for non-decreasing ``idx``: sums runs of equal indices."""
    shape = list(g.shape)
    shape[axis] = n_in
    uniq, starts = xp.unique(idx, return_index=True)
    if len(uniq) == n_in and len(idx) == n_in:
        return g
    dx = xp.zeros(shape, dtype=g.dtype)
    sl = (slice(None),) * axis
    dx[sl + (uniq,)] = xp.add.reduceat(g, starts, axis=axis)
    return dx


class Resample(ArrayFunction):
    """(B, C, *spatial_in) -> (B, C, *spatial_out), one separable gather per spatial axis."""

    @staticmethod
    def forward(ctx, x, plans):
        ctx.plans, ctx.sizes = plans, []
        for axis, (i0, i1, lam) in plans:
            ctx.sizes.append(x.shape[axis])
            bshape = (-1,) + (1,) * (x.ndim - axis - 1)
            if i1 is None:
                x = xp.take(x, i0, axis=axis)
            else:
                w = lam.reshape(bshape)
                x = xp.take(x, i0, axis=axis) * (1 - w) + xp.take(x, i1, axis=axis) * w
        return x

    @staticmethod
    def backward(ctx, g):
        for (axis, (i0, i1, lam)), n in reversed(list(zip(ctx.plans, ctx.sizes))):
            if i1 is None:
                g = _gather_adjoint(g, axis, i0, n)
            else:
                w = lam.reshape((-1,) + (1,) * (g.ndim - axis - 1))
                g = _gather_adjoint(g * (1 - w), axis, i0, n) + _gather_adjoint(g * w, axis, i1, n)
        return g, None


def _spatial(value, n: int, what: str, shape):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"Input and {what} must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(shape[2:])} and {what} of shape {tuple(value)}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and {what} in (s1, s2, ...,sK) "
                             f"format." if what == "scale_factor" else
                             f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(shape[2:])} and output size of {tuple(value)}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                             f"(o1, o2, ...,oK) format.")
        return tuple(value)
    return (value,) * n


def interpolate(input: Tensor, size: Optional[Union[int, Sequence[int]]] = None,
                scale_factor: Optional[Union[float, Sequence[float]]] = None, mode: str = "nearest",
                align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """(B, C, *spatial) -> (B, C, *new_spatial); modes nearest, nearest-exact, linear, bilinear, area."""
    n = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif mode not in ("linear", "bilinear", "bicubic", "trilinear"):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if align_corners is None:
        align_corners = False
    if n < 1 or n > 3:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                                  f"nearest-exact (got {mode})")
    if mode in _LINEAR.values() and mode != _LINEAR[n]:
        need = {"linear": 3, "bilinear": 4, "trilinear": 5}[mode]
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need}D input")
    if mode == "bicubic":
        raise NotImplementedError("numtorch: interpolate mode 'bicubic' is not implemented")
    if antialias:
        raise NotImplementedError("numtorch: interpolate(antialias=True) is not implemented")
    shape = tuple(input.shape)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        out = tuple(int(s) for s in _spatial(size, n, "size", shape))
        scales = (None,) * n
    else:
        factors = tuple(float(f) for f in _spatial(scale_factor, n, "scale_factor", shape))
        out = tuple(int(math.floor(shape[2 + i] * factors[i])) for i in range(n))
        scales = (None,) * n if recompute_scale_factor else factors
    if any(o <= 0 for o in out):
        axes = ("D", "H", "W")[3 - n:]
        fmt = lambda sizes: ", ".join(f"{a}: {v}" for a, v in zip(axes, sizes))  # noqa: E731
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({fmt(shape[2:])})"
                           f"{' and' if n == 1 else ''} output ({fmt(out)})")
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
        if n == 1:
            return adaptive_avg_pool1d(input, out)
        if n == 2:
            return adaptive_avg_pool2d(input, out)
        raise NotImplementedError("numtorch: interpolate mode 'area' supports 3D and 4D inputs")
    plans = []
    for i in range(n):
        if out[i] == shape[2 + i] and (scales[i] is None or scales[i] == 1.0):
            continue
        plans.append((2 + i, _axis_weights(shape[2 + i], out[i], mode, align_corners, scales[i], input._data.dtype)))
    return Resample.apply(input, tuple(plans))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(ArrayFunction):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r) (or the inverse when ``down``)."""

    @staticmethod
    def forward(ctx, x, r, down):
        ctx.r, ctx.down, ctx.shape = r, down, x.shape
        return _shuffle(x, r, down)

    @staticmethod
    def backward(ctx, g):
        return _shuffle(g, ctx.r, not ctx.down).reshape(ctx.shape), None, None


def _shuffle(x, r, down):
    *lead, C, H, W = x.shape
    k = len(lead)
    if down:
        y = x.reshape(*lead, C, H // r, r, W // r, r)
        perm = tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3)
        return xp.ascontiguousarray(y.transpose(perm)).reshape(*lead, C * r * r, H // r, W // r)
    y = x.reshape(*lead, C // (r * r), r, r, H, W)
    perm = tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2)
    return xp.ascontiguousarray(y.transpose(perm)).reshape(*lead, C // (r * r), H * r, W * r)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r^2, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    return PixelShuffle.apply(input, r, False)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r^2, H, W)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    h, w = input.shape[-2], input.shape[-1]
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)={h}"
                           f" is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)={w}"
                           f" is not divisible by {r}")
    return PixelShuffle.apply(input, r, True)
