"""Pooling: max/avg (1-D, 2-D), adaptive avg/max, max_unpool (torch.nn.functional's signatures).

Every window op loops over the kernel offsets only: offset ``(i, j)`` sees the strided view
``x[:, :, i*dh::sh, j*dw::sw]`` of all windows at once. When the windows tile the input
(kernel == stride, no padding) the views partition it and backward writes each view once instead of
accumulating. Max pooling keeps the compact winning offset (uint8) for backward; the flat input index
PyTorch returns with ``return_indices=True`` is computed only when asked for.
"""
from __future__ import annotations

import math
import threading
from typing import Optional, Sequence, Union

from ..._backend import xp
from ...autograd.function import ArrayFunction
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "max_unpool1d", "max_unpool2d",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices"]

_IntOr = Union[int, Sequence[int]]


def _pair(v, n: int, name: str):
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            v = tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f"{name} must either be a single int, or a tuple of {n} ints")
        return tuple(int(a) for a in v)
    return (int(v),) * n


class PoolGeometry:
    """Windows of a 2-D pooling over (B, C, H, W); 1-D pooling uses H = 1 and a kernel of height 1."""

    __slots__ = ("B", "C", "H", "W", "KH", "KW", "sh", "sw", "ph", "pw", "dh", "dw", "OH", "OW", "Hp", "Wp")

    def __init__(self, shape, kernel, stride, padding, dilation, ceil_mode, out_hw) -> None:
        self.B, self.C, self.H, self.W = shape
        (self.KH, self.KW), (self.sh, self.sw) = kernel, stride
        (self.ph, self.pw), (self.dh, self.dw) = padding, dilation
        self.OH, self.OW = out_hw
        # padded extent actually read: the input plus padding plus any ceil_mode overhang
        self.Hp = max(self.H + 2 * self.ph, (self.OH - 1) * self.sh + self.dh * (self.KH - 1) + 1)
        self.Wp = max(self.W + 2 * self.pw, (self.OW - 1) * self.sw + self.dw * (self.KW - 1) + 1)

    @property
    def tiles(self) -> bool:
        """Windows partition the input exactly (kernel == stride, no padding, no remainder)."""
        return (self.ph == self.pw == 0 and self.dh == self.dw == 1 and self.KH == self.sh and self.KW == self.sw
                and self.OH * self.KH == self.H and self.OW * self.KW == self.W)

    def windows(self):
        """(k, rows, cols) slices of every kernel offset into the padded input."""
        k = 0
        for i in range(self.KH):
            rows = slice(i * self.dh, i * self.dh + self.sh * (self.OH - 1) + 1, self.sh)
            for j in range(self.KW):
                yield k, rows, slice(j * self.dw, j * self.dw + self.sw * (self.OW - 1) + 1, self.sw)
                k += 1

    def pad(self, x, value):
        if self.Hp == self.H and self.Wp == self.W:
            return x
        out = xp.full((self.B, self.C, self.Hp, self.Wp), value, dtype=x.dtype)
        out[:, :, self.ph:self.ph + self.H, self.pw:self.pw + self.W] = x
        return out

    def unpad(self, dpad):
        if self.Hp == self.H and self.Wp == self.W:
            return dpad
        return xp.ascontiguousarray(dpad[:, :, self.ph:self.ph + self.H, self.pw:self.pw + self.W])

    def scatter(self, parts, dtype):
        """Adjoint of the window views: sum ``parts(k)`` (each (B, C, OH, OW)) back into (B, C, H, W)."""
        if self.tiles:
            dx = xp.empty((self.B, self.C, self.H, self.W), dtype=dtype)
            for k, rows, cols in self.windows():
                parts(k, dx[:, :, rows, cols])
            return dx
        dpad = xp.zeros((self.B, self.C, self.Hp, self.Wp), dtype=dtype)
        tmp = xp.empty((self.B, self.C, self.OH, self.OW), dtype=dtype)
        for k, rows, cols in self.windows():
            parts(k, tmp)
            dpad[:, :, rows, cols] += tmp
        return self.unpad(dpad)


def _out_size(size, k, s, p, d, ceil_mode):
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _geometry(input, n, kernel_size, stride, padding, dilation, ceil_mode, name, avg=False):
    if input.ndim not in (n + 1, n + 2):
        if n == 2:
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        raise RuntimeError(f"{name}() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    k = _pair(kernel_size, n, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride, n, "stride")
    p = _pair(padding, n, "padding")
    d = _pair(dilation, n, "dilation")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size={list(k)}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got stride={list(s)}")
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    shape = tuple(input.shape)
    b4 = shape if len(shape) == n + 2 else (1,) + shape
    if n == 1:
        b4, k, s, p, d = (b4[0], b4[1], 1, b4[2]), (1,) + k, (1,) + s, (0,) + p, (1,) + d
    out = tuple(_out_size(b4[2 + i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2))
    if any(o <= 0 for o in out):
        if n == 1 and not avg:
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {out[1]}")
        sz = (b4[1], b4[2], b4[3]) if n == 2 else (b4[1], b4[3])
        osz = (b4[1],) + out if n == 2 else (b4[1], out[1])
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, sz))}). Calculated output size: "
                           f"({'x'.join(map(str, osz))}). Output size is too small")
    return PoolGeometry(b4, k, s, p, d, ceil_mode, out)


def _result_shape(in_shape, g: PoolGeometry, n: int):
    shape = (g.B, g.C, g.OH, g.OW) if n == 2 else (g.B, g.C, g.OW)
    return shape if len(in_shape) == n + 2 else shape[1:]


# --------------------------------------------------------------------------------------------- max
class MaxPool(ArrayFunction):
    """(B, C, H, W) -> (B, C, OH, OW) window maxima; optionally also their flat input indices (int64).

    Separable: a running max along W over the KW offsets (winning column offset ``aw`` per row), then
    along H over the KH offsets (winning row offset ``ah``). Strict ``>`` keeps the first maximum in
    scan order, as PyTorch does. Backward routes the gradient back through both stages.
    """

    non_differentiable_outputs = (1,)

    @staticmethod
    def forward(ctx, x, g: PoolGeometry, n: int, return_indices: bool):
        ctx.g, ctx.shape = g, x.shape
        xpad = g.pad(x.reshape(g.B, g.C, g.H, g.W), -xp.inf)
        if not return_indices and not (ctx.needs_input_grad[0] and is_grad_enabled()):
            # nothing to route a gradient back through: plain maxima over the KH*KW window views, no
            # half-size intermediate, no winning offsets (NaN propagates through maximum as before)
            views = [xpad[:, :, rows, cols] for _, rows, cols in g.windows()]
            out = views[0].copy() if len(views) == 1 else xp.maximum(views[0], views[1])
            for v in views[2:]:
                xp.maximum(out, v, out=out)
            return out.reshape(_result_shape(x.shape, g, n))
        rows_out = slice(0, g.dh * (g.KH - 1) + g.sh * (g.OH - 1) + 1)
        m1, aw = _running_max(xpad[:, :, rows_out], 3, g.KW, g.dw, g.sw, g.OW)   # (B, C, Hr, OW)
        out, ah = _running_max(m1, 2, g.KH, g.dh, g.sh, g.OH)                     # (B, C, OH, OW)
        ctx.save_for_backward(aw, ah)
        res = out.reshape(_result_shape(x.shape, g, n))
        if return_indices:
            return res, _flat_indices(aw, ah, g).reshape(res.shape)
        return res

    @staticmethod
    def backward(ctx, gy, *_):
        aw, ah = ctx.saved
        g = ctx.g
        gy = gy.reshape(g.B, g.C, g.OH, g.OW)
        dm1 = _running_max_adjoint(gy, ah, 2, g.KH, g.dh, g.sh, aw.shape[2], scratch=True)
        dx = _running_max_adjoint(dm1, aw, 3, g.KW, g.dw, g.sw, g.Wp)
        if dx is dm1:                          # a width-1 kernel passes the scratch buffer through
            dx = dm1.copy()
        if dx.shape[2] != g.Hp:
            full = xp.zeros((g.B, g.C, g.Hp, g.Wp), dtype=dx.dtype)
            full[:, :, :dx.shape[2]] = dx
            dx = full
        return g.unpad(dx).reshape(ctx.shape), None, None, None


def _axis_slice(axis: int, start: int, step: int, count: int):
    return (slice(None),) * axis + (slice(start, start + step * (count - 1) + 1, step),)


def _running_max(x, axis: int, k: int, d: int, s: int, count: int):
    """Max over k offsets (dilation d, stride s) along ``axis``; returns (max, winning offset: uint8 or int32)."""
    v0 = x[_axis_slice(axis, 0, s, count)]
    if k == 1:
        return v0.copy(), xp.zeros(v0.shape, dtype=xp.uint8)
    v1 = x[_axis_slice(axis, d, s, count)]
    upd = xp.greater(v1, v0)                  # strict: the first maximum wins ties, as in PyTorch
    arg = upd.view(xp.uint8) if k < 256 else upd.astype(xp.int32)
    out = xp.maximum(v0, v1)                  # propagates NaN
    for j in range(2, k):
        v = x[_axis_slice(axis, j * d, s, count)]
        upd = xp.greater(v, out)
        xp.maximum(arg, xp.multiply(upd, j, dtype=arg.dtype), out=arg)   # arg < j so far: sets j where upd
        xp.maximum(out, v, out=out)
    return out, arg


_SCRATCH = threading.local()


def _scratch(shape, dtype):
    """An uninitialised array of ``shape`` from this thread's one reusable buffer (grown when needed)."""
    n = math.prod(shape) * xp.dtype(dtype).itemsize
    buf = getattr(_SCRATCH, "buf", None)
    if buf is None or buf.size < n:
        buf = _SCRATCH.buf = xp.empty(n, dtype=xp.uint8)
    return buf[:n].view(dtype).reshape(shape)


def _running_max_adjoint(g, arg, axis: int, k: int, d: int, s: int, size: int, scratch: bool = False):
    """Route ``g`` to the winning offsets: (..., count, ...) -> (..., size, ...) along ``axis``.

    With ``scratch`` the result is written into this thread's reusable buffer (for an intermediate
    that dies within the caller): reusing it saves the page faults of a fresh multi-MB array per step.
    """
    shape = list(g.shape)
    shape[axis] = size
    count = g.shape[axis]
    if k == 1 and s == 1 and size == count:
        return g
    disjoint = d * (k - 1) < s or k == 1      # offsets never hit the same position twice
    covers = disjoint and s == k * d and d == 1 and size == count * s
    if scratch:
        dx = _scratch(shape, g.dtype)
        if not covers:
            dx.fill(0)
    else:
        dx = xp.empty(shape, dtype=g.dtype) if covers else xp.zeros(shape, dtype=g.dtype)
    if k == 2 and disjoint:                   # two offsets: g*arg goes to offset 1, the rest to offset 0
        v1 = dx[_axis_slice(axis, d, s, count)]
        xp.multiply(g, arg, out=v1)
        xp.subtract(g, v1, out=dx[_axis_slice(axis, 0, s, count)])
        return dx
    for j in range(k):
        view = dx[_axis_slice(axis, j * d, s, count)]
        if k == 1:
            view += g
        elif disjoint:
            xp.multiply(g, arg == j, out=view)
        else:
            view += g * (arg == j)
    return dx


def _flat_indices(aw, ah, g: PoolGeometry):
    """Winning offsets -> flat index h*W + w into the (unpadded) input plane, int64."""
    i = ah.astype(xp.int64)
    rows = (xp.arange(g.OH) * g.sh)[:, None] + i * g.dh                  # padded row of each winner
    j = xp.take_along_axis(aw, rows, axis=2).astype(xp.int64)
    h = rows - g.ph
    w = (xp.arange(g.OW) * g.sw - g.pw)[None, :] + j * g.dw
    return h * g.W + w


def max_pool2d(input: Tensor, kernel_size: _IntOr, stride: Optional[_IntOr] = None, padding: _IntOr = 0,
               dilation: _IntOr = 1, ceil_mode: bool = False, return_indices: bool = False):
    """(B, C, H, W) -> (B, C, OH, OW), OH = floor_or_ceil((H + 2p - d(k-1) - 1)/s) + 1; padding is -inf."""
    g = _geometry(input, 2, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    return MaxPool.apply(input, g, 2, return_indices)


def max_pool1d(input: Tensor, kernel_size: _IntOr, stride: Optional[_IntOr] = None, padding: _IntOr = 0,
               dilation: _IntOr = 1, ceil_mode: bool = False, return_indices: bool = False):
    """(B, C, L) -> (B, C, L_out) window maxima."""
    g = _geometry(input, 1, kernel_size, stride, padding, dilation, ceil_mode, "max_pool1d")
    return MaxPool.apply(input, g, 1, return_indices)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# --------------------------------------------------------------------------------------------- avg
class AvgPool(ArrayFunction):
    """(B, C, H, W) -> (B, C, OH, OW) window means (zero padding; divisor per PyTorch's rules)."""

    @staticmethod
    def forward(ctx, x, g: PoolGeometry, n: int, divisor):
        ctx.g, ctx.shape, ctx.divisor = g, x.shape, divisor
        xpad = g.pad(x.reshape(g.B, g.C, g.H, g.W), 0)
        out = None
        for k, rows, cols in g.windows():
            v = xpad[:, :, rows, cols]
            if out is None:
                out = v.copy()
            else:
                out += v
        out /= divisor
        return out.reshape(_result_shape(x.shape, g, n))

    @staticmethod
    def backward(ctx, gy):
        g = ctx.g
        gd = gy.reshape(g.B, g.C, g.OH, g.OW) / ctx.divisor

        def part(k, out):
            xp.copyto(out, gd)
        return g.scatter(part, gd.dtype).reshape(ctx.shape), None, None, None


def _avg_divisor(g: PoolGeometry, count_include_pad: bool, divisor_override, dtype):
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return float(divisor_override)
    axes = []
    for size, o, k, s, p in ((g.H, g.OH, g.KH, g.sh, g.ph), (g.W, g.OW, g.KW, g.sw, g.pw)):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, size + p)
        if count_include_pad:
            axes.append(end - start)
        else:
            axes.append(xp.minimum(end, size) - xp.maximum(start, 0))
    div = (axes[0][:, None] * axes[1][None, :]).astype(dtype)
    if (div == div.flat[0]).all():
        return float(div.flat[0])
    return div


def avg_pool2d(input: Tensor, kernel_size: _IntOr, stride: Optional[_IntOr] = None, padding: _IntOr = 0,
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: Optional[int] = None):
    """(B, C, H, W) -> (B, C, OH, OW) window averages."""
    g = _geometry(input, 2, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d", avg=True)
    return AvgPool.apply(input, g, 2, _avg_divisor(g, count_include_pad, divisor_override, input._data.dtype))


def avg_pool1d(input: Tensor, kernel_size: _IntOr, stride: Optional[_IntOr] = None, padding: _IntOr = 0,
               ceil_mode: bool = False, count_include_pad: bool = True):
    """(B, C, L) -> (B, C, L_out) window averages."""
    g = _geometry(input, 1, kernel_size, stride, padding, 1, ceil_mode, "avg_pool1d", avg=True)
    return AvgPool.apply(input, g, 1, _avg_divisor(g, count_include_pad, None, input._data.dtype))


# ---------------------------------------------------------------------------------------- adaptive
def _adaptive_bounds(size: int, out: int):
    o = xp.arange(out)
    return (o * size) // out, -((-(o + 1) * size) // out)


def _adaptive_out(input, n, output_size, name):
    if input.ndim not in (n + 1, n + 2) or any(s == 0 for s in input.shape[-n:]):
        raise RuntimeError(f"{name}(): Expected {n + 1}D or {n + 2}D tensor, but got {list(input.shape)}")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != n:
            raise RuntimeError(f"{name}(): internal error: output_size.size() must be {n}")
        out = tuple(input.shape[-n + i] if v is None else int(v) for i, v in enumerate(output_size))
    else:
        out = (int(output_size),) * n
    shape = tuple(input.shape) if input.ndim == n + 2 else (1,) + tuple(input.shape)
    if n == 1:
        shape, out = (shape[0], shape[1], 1, shape[2]), (1,) + out
    return shape, out


def _averaging_matrix(size: int, out: int, dtype):
    """(out, size) matrix whose row o averages the adaptive window [start_o, end_o)."""
    start, end = _adaptive_bounds(size, out)
    pos = xp.arange(size)
    inside = (pos[None, :] >= start[:, None]) & (pos[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool(ArrayFunction):
    """(B, C, H, W) -> (B, C, OH, OW): out = A_h x A_w^T with per-axis averaging matrices."""

    @staticmethod
    def forward(ctx, x, shape, out_hw, out_shape):
        B, C, H, W = shape
        ah, aw = _averaging_matrix(H, out_hw[0], x.dtype), _averaging_matrix(W, out_hw[1], x.dtype)
        ctx.mats, ctx.shape, ctx.x_shape = (ah, aw), shape, x.shape
        y = x.reshape(B * C * H, W) @ aw.T                         # (B*C*H, OW)
        y = xp.matmul(ah, y.reshape(B * C, H, out_hw[1]))         # (B*C, OH, OW)
        return y.reshape(out_shape)

    @staticmethod
    def backward(ctx, gy):
        ah, aw = ctx.mats
        B, C, H, W = ctx.shape
        g = xp.matmul(ah.T, gy.reshape(B * C, ah.shape[0], aw.shape[0]))  # (B*C, H, OW)
        return (g.reshape(-1, aw.shape[0]) @ aw).reshape(ctx.x_shape), None, None, None


def _adaptive_avg(input, n, output_size, name):
    shape, out = _adaptive_out(input, n, output_size, name)
    B, C, H, W = shape
    res_shape = (B, C) + (out if n == 2 else out[1:])
    res_shape = res_shape if input.ndim == n + 2 else res_shape[1:]
    if H % out[0] == 0 and W % out[1] == 0:  # uniform windows: plain (tiling) average pooling
        g = PoolGeometry(shape, (H // out[0], W // out[1]), (H // out[0], W // out[1]), (0, 0), (1, 1), False, out)
        return AvgPool.apply(input, g, n, float((H // out[0]) * (W // out[1])))
    return AdaptiveAvgPool.apply(input, shape, out, res_shape)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """(B, C, H, W) -> (B, C, OH, OW); window o spans [floor(o*H/OH), ceil((o+1)*H/OH))."""
    return _adaptive_avg(input, 2, output_size, "adaptive_avg_pool2d")


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """(B, C, L) -> (B, C, output_size)."""
    return _adaptive_avg(input, 1, output_size, "adaptive_avg_pool1d")


class AdaptiveMaxPool(ArrayFunction):
    """(B, C, H, W) -> (B, C, OH, OW) maxima over adaptive windows, and their flat indices (int64)."""

    non_differentiable_outputs = (1,)

    @staticmethod
    def forward(ctx, x, shape, out_hw, out_shape, return_indices):
        B, C, H, W = shape
        x4 = x.reshape(shape)
        (hs, he), (ws, we) = _adaptive_bounds(H, out_hw[0]), _adaptive_bounds(W, out_hw[1])
        out = best = None
        for i in range(int((he - hs).max())):          # loop over window offsets only
            rows = xp.minimum(hs + i, he - 1)
            for j in range(int((we - ws).max())):
                cols = xp.minimum(ws + j, we - 1)
                v = x4[:, :, rows[:, None], cols[None, :]]
                flat = rows[:, None] * W + cols[None, :]
                if out is None:
                    out, best = v, xp.broadcast_to(flat, v.shape).copy()
                    continue
                upd = v > out
                xp.copyto(best, flat, where=upd)
                xp.maximum(out, v, out=out)
        ctx.save_for_backward(best)
        ctx.shape, ctx.x_shape = shape, x.shape
        res = out.reshape(out_shape)
        return (res, best.reshape(out_shape)) if return_indices else res

    @staticmethod
    def backward(ctx, gy, *_):
        (best,) = ctx.saved
        return _scatter_flat(best, gy, ctx.shape).reshape(ctx.x_shape), None, None, None, None


def _scatter_flat(idx, values, shape):
    """Sum ``values`` (B, C, ...) into zeros of ``shape`` (B, C, H, W) at flat plane indices ``idx``."""
    B, C, H, W = shape
    planes = xp.arange(B * C).reshape(B * C, 1) * (H * W)
    pos = (idx.reshape(B * C, -1) + planes).ravel()
    out = xp.bincount(pos, weights=values.reshape(-1), minlength=B * C * H * W)
    return out.astype(values.dtype, copy=False).reshape(shape)


def _adaptive_max(input, n, output_size, return_indices, name):
    shape, out = _adaptive_out(input, n, output_size, name)
    B, C, H, W = shape
    res_shape = (B, C) + (out if n == 2 else out[1:])
    res_shape = res_shape if input.ndim == n + 2 else res_shape[1:]
    if H % out[0] == 0 and W % out[1] == 0:
        k = (H // out[0], W // out[1])
        g = PoolGeometry(shape, k, k, (0, 0), (1, 1), False, out)
        return MaxPool.apply(input, g, n, return_indices)
    return AdaptiveMaxPool.apply(input, shape, out, res_shape, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """(B, C, H, W) -> (B, C, OH, OW) maxima over adaptive windows (and flat indices if asked)."""
    return _adaptive_max(input, 2, output_size, return_indices, "adaptive_max_pool2d")


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """(B, C, L) -> (B, C, output_size) maxima over adaptive windows."""
    return _adaptive_max(input, 1, output_size, return_indices, "adaptive_max_pool1d")


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


# ------------------------------------------------------------------------------------------- unpool
class MaxUnpool(ArrayFunction):
    """(B, C, h, w) values + flat indices -> (B, C, H, W) zeros with each value at its index."""

    @staticmethod
    def forward(ctx, x, idx, out_shape):
        B, C = out_shape[:2]
        plane = out_shape[-2] * out_shape[-1] if len(out_shape) == 4 else out_shape[-1]
        flat_idx = idx.reshape(B * C, -1)
        out = xp.zeros((B * C, plane), dtype=x.dtype)
        xp.put_along_axis(out, flat_idx, x.reshape(B * C, -1), axis=1)
        ctx.save_for_backward(flat_idx)
        ctx.x_shape = x.shape
        return out.reshape(out_shape)

    @staticmethod
    def backward(ctx, gy):
        (flat_idx,) = ctx.saved
        g = gy.reshape(flat_idx.shape[0], -1)
        return xp.take_along_axis(g, flat_idx, axis=1).reshape(ctx.x_shape), None, None


def _max_unpool(input, indices, n, kernel_size, stride, padding, output_size, name):
    k = _pair(kernel_size, n, "kernel_size")
    s = k if stride is None else _pair(stride, n, "stride")
    p = _pair(padding, n, "padding")
    batched = input.ndim == n + 2
    shape = tuple(input.shape) if batched else (1,) + tuple(input.shape)
    default = tuple((shape[2 + i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(n))
    if output_size is None:
        out_sp = default
    else:
        out_sp = tuple(int(v) for v in tuple(output_size)[-n:])
        if len(tuple(output_size)) not in (n, n + 2):
            raise ValueError(f"output_size must have {n} or {n + 2} elements (got {len(tuple(output_size))})")
        for i in range(n):
            lo, hi = default[i] - s[i], default[i] + s[i]
            if not lo < out_sp[i] < hi:
                raise ValueError(f'invalid output_size "{tuple(out_sp)}" (dim {i} must be between {lo} and {hi})')
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    plane = 1
    for v in out_sp:
        plane *= v
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx.max()) if idx.max() >= plane else int(idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, out_sp))})")
    out_shape = shape[:2] + out_sp
    res = MaxUnpool.apply(input, indices, out_shape)
    return res if batched else res.reshape(out_shape[1:])


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: _IntOr, stride: Optional[_IntOr] = None,
                 padding: _IntOr = 0, output_size=None) -> Tensor:
    """(B, C, h, w) pooled values and their indices -> (B, C, H, W), zeros except at the indices."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size, "max_unpool2d")


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: _IntOr, stride: Optional[_IntOr] = None,
                 padding: _IntOr = 0, output_size=None) -> Tensor:
    """(B, C, l) pooled values and their indices -> (B, C, L)."""
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size, "max_unpool1d")
