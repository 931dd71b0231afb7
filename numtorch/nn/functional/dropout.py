"""Dropout variants as functions; masks come from numtorch's default generator (seeded by manual_seed)."""
from __future__ import annotations

import warnings

from ..._backend import xp
from ...autograd.function import ArrayFunction, reusable_grad
from ...ops._util import inplace as _write_inplace
from ...random import _gen
from ...tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "alpha_dropout", "feature_alpha_dropout"]


class MaskMul(ArrayFunction):
    """y = x * mask (+ shift).  mask/shift broadcast to x; dx = g * mask (summed back to x's shape)."""

    @staticmethod
    def forward(ctx, x, mask, shift):
        ctx.save_for_backward(mask)
        ctx.shape = x.shape
        y = x * mask
        if shift is not None:
            y += shift
        return y

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved
        if g.size >= 4096 and g.shape == ctx.shape and reusable_grad(g):  # large, fresh, engine's only: in place
            return xp.multiply(g, mask, out=g), None, None
        d = g * mask
        return (d if d.shape == ctx.shape else xp.broadcast_to(d, ctx.shape).copy()), None, None


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape, p: float, dtype):
    """Bernoulli(1 - p) mask of ``shape`` as 0/1 values of ``dtype``."""
    return (_gen(None).random(shape, dtype=xp.float32) >= p).astype(dtype)


def _masked(input: Tensor, mask, shift, inplace: bool) -> Tensor:
    out = MaskMul.apply(input, mask, shift)
    return _write_inplace(input, out) if inplace else out


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity when not training)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    x = input._data
    if p == 1.0:
        return _masked(input, xp.zeros((), dtype=x.dtype), None, inplace)
    mask = _keep_mask(x.shape, p, x.dtype)
    mask *= x.dtype.type(1.0 / (1.0 - p))
    return _masked(input, mask, None, inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:
    _check_p(p)
    if not training or p == 0.0:
        return input
    x = input._data
    lead = 2 if batched else 1
    shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    if p == 1.0:
        mask = xp.zeros(shape, dtype=x.dtype)
    else:
        mask = _keep_mask(shape, p, x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return _masked(input, mask, None, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability p."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.dim() == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability p, scaling the rest by 1/(1-p)."""
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, nd >= 3 or nd == 2)


_ALPHA = 1.7580993408473766  # -SELU scale * SELU alpha: the value SELU saturates to


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool) -> Tensor:
    _check_p(p)
    if not training or p == 0.0:
        return input
    x = input._data
    if p == 1.0:
        return _masked(input, xp.zeros((), dtype=x.dtype), None, inplace)
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = _keep_mask(shape, p, x.dtype)
    a = 1.0 / (((_ALPHA ** 2) * p + 1) * (1 - p)) ** 0.5
    shift = (keep - 1) * x.dtype.type(_ALPHA * a) + x.dtype.type(_ALPHA * a * p)
    return _masked(input, keep * x.dtype.type(a), shift, inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean / unit variance: dropped values go to SELU's saturation value,
    then an affine map a * x + b restores the statistics."""
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """alpha_dropout applied to whole channels."""
    return _alpha_dropout(input, p, training, inplace, True)
