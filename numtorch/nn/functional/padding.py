"""F.pad: constant (any number of dims, negative pads crop), reflect, replicate and circular padding.

``pad`` lists (left, right) pairs starting from the last dimension, as in PyTorch. The non-constant
modes work one axis at a time: forward is one gather along the axis, backward adds the gradient of
the centre back as a slice and folds the gradient of each border onto the positions it was copied from.
"""
from __future__ import annotations

from typing import Optional, Sequence

from ..._backend import xp
from ...autograd.function import ArrayFunction
from ...tensor import Tensor

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _dims(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


class ConstantPad(ArrayFunction):
    """(..., d_i, ...) -> (..., d_i + l_i + r_i, ...) filled with ``value``; negative pads crop."""

    @staticmethod
    def forward(ctx, x, pairs, value):
        nd = x.ndim
        out_shape = list(x.shape)
        src, dst = [slice(None)] * nd, [slice(None)] * nd
        for i, (l, r) in enumerate(pairs):
            ax = nd - 1 - i
            n = x.shape[ax]
            out_shape[ax] = n + l + r
            src[ax] = slice(max(-l, 0), n - max(-r, 0))
            dst[ax] = slice(max(l, 0), max(l, 0) + max(n - max(-l, 0) - max(-r, 0), 0))
        ctx.src, ctx.dst, ctx.x_shape = tuple(src), tuple(dst), x.shape
        out = xp.full(out_shape, value, dtype=x.dtype)
        out[ctx.dst] = x[ctx.src]
        return out

    @staticmethod
    def backward(ctx, g):
        dx = xp.zeros(ctx.x_shape, dtype=g.dtype)
        dx[ctx.src] = g[ctx.dst]
        return dx, None, None


def _source_index(n: int, l: int, r: int, mode: str):
    """Input position read by each output position along one axis (length n + l + r)."""
    q = xp.arange(-l, n + r)
    if mode == "reflect":
        q = xp.abs(q)
        q = xp.where(q >= n, 2 * (n - 1) - q, q)
    elif mode == "replicate":
        q = xp.clip(q, 0, n - 1)
    else:  # circular
        q = q % n
    return q


def _axis_index(nd: int, axis: int, index):
    return (slice(None),) * axis + (index,)


class BorderPad(ArrayFunction):
    """reflect / replicate / circular padding of the last len(pairs) dims."""

    @staticmethod
    def forward(ctx, x, pairs, mode):
        ctx.pairs, ctx.mode, ctx.x_shape = pairs, mode, x.shape
        out = x
        for i, (l, r) in enumerate(pairs):
            ax = x.ndim - 1 - i
            out = xp.take(out, _source_index(out.shape[ax], l, r, mode), axis=ax)
        return out

    @staticmethod
    def backward(ctx, g):
        nd = g.ndim
        for i in reversed(range(len(ctx.pairs))):
            l, r = ctx.pairs[i]
            ax = nd - 1 - i
            g = _border_adjoint(g, ax, ctx.x_shape[ax], l, r, ctx.mode)
        return g, None, None


def _border_adjoint(g, ax: int, n: int, l: int, r: int, mode: str):
    """Adjoint of the gather along ``ax``: centre as a slice, each border folded back onto its source."""
    nd = g.ndim
    shape = list(g.shape)
    shape[ax] = n
    dx = xp.zeros(shape, dtype=g.dtype)
    q_raw = xp.arange(-l, n + r)
    q = _source_index(n, l, r, mode)
    c0, c1 = max(l, 0), max(l, 0) + max(min(n, n + r) - max(-l, 0), 0)   # output range of the centre
    dx[_axis_index(nd, ax, slice(max(-l, 0), max(-l, 0) + c1 - c0))] += g[_axis_index(nd, ax, slice(c0, c1))]
    for part in (slice(0, max(l, 0)), slice(c1, len(q_raw))):
        if part.stop <= part.start:
            continue
        gp = g[_axis_index(nd, ax, part)]
        src = q[part]
        if mode == "replicate":  # every border value came from the same edge element
            dx[_axis_index(nd, ax, slice(int(src[0]), int(src[0]) + 1))] += gp.sum(axis=ax, keepdims=True)
        else:                    # reflect / circular: distinct sources within one border
            dx[_axis_index(nd, ax, src)] += gp
    return dx


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pad the last len(pad)//2 dims: pad = (left_last, right_last, left_2nd_last, right_2nd_last, ...)."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input.ndim
    if len(pad) // 2 > nd:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {nd}")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2))
    if mode == "constant":
        for i, (l, r) in enumerate(pairs):
            if input.shape[nd - 1 - i] + l + r < 0:
                raise RuntimeError(f"The input size {input.shape[nd - 1 - i]}, plus negative padding {l} and {r} "
                                   f"resulted in a negative output size, which is invalid. Check dimension "
                                   f"{nd - 1 - i} of your input.")
        return ConstantPad.apply(input, pairs, 0.0 if value is None else value)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    k = len(pairs)
    if not (1 <= k <= 3 and k + 1 <= nd <= k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    for i, (l, r) in enumerate(pairs):
        dim = nd - 1 - i
        n = input.shape[dim]
        if mode == "reflect" and (l >= n or r >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({l}, {r}) at dimension {dim} of input {_dims(input.shape)}")
        if mode == "circular" and (l > n or r > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and n == 0 and (l > 0 or r > 0):
            raise RuntimeError(f"padding size is expected to be 0 for dimension {dim}")
    return BorderPad.apply(input, pairs, mode)
