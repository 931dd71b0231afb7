"""Elementwise losses on one op, ``PointwiseLoss``: mse, l1, smooth_l1, huber, BCE (probabilities and logits), KL.

``PointwiseLoss`` evaluates a per-element loss and its two partial derivatives (``_pointwise``,
``_pointwise_grads``), then reduces ('none' | 'mean' | 'sum' | 'batchmean').
"""
from __future__ import annotations

import warnings

from ..._backend import xp
from ... import _dtype
from ...autograd.function import ArrayFunction
from ...ops._util import unbroadcast
from ...tensor import Tensor
from ._loss_common import _as_operand, _check_reduction, _dname, _legacy_reduction, _reduce, _torch_size


# ------------------------------------------------------------------------------ pointwise losses
def _pointwise(kind: str, x, y, p):
    """Per-element loss l(x, y) for each kind (p: its parameter)."""
    if kind == "mse":
        d = x - y
        return d * d
    if kind == "l1":
        return xp.abs(x - y)
    if kind == "smooth_l1":
        ad = xp.abs(x - y)
        if p == 0:
            return ad
        return xp.where(ad < p, 0.5 * ad * ad / p, ad - 0.5 * p)
    if kind == "huber":
        ad = xp.abs(x - y)
        return xp.where(ad <= p, 0.5 * ad * ad, p * (ad - 0.5 * p))
    if kind == "bce":
        logx = xp.maximum(xp.log(x), -100.0)
        log1mx = xp.maximum(xp.log1p(-x), -100.0)
        return -(y * logx + (1 - y) * log1mx)
    if kind == "bce_logits":
        sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))  # softplus(-x) = -log(sigmoid(x))
        if p is None:
            return (1 - y) * x + sp
        lw = 1 + (p - 1) * y
        return (1 - y) * x + lw * sp
    if kind == "kl":
        safe = xp.where(y > 0, y, 1)
        return xp.where(y > 0, y * xp.log(safe), 0) - y * x
    if kind == "kl_log":
        return xp.exp(y) * (y - x)
    raise ValueError(kind)


def _pointwise_grads(kind: str, x, y, p, need_y: bool):
    """(dl/dx, dl/dy) per element (dl/dy only when ``need_y``)."""
    dy = None
    if kind == "mse":
        dx = 2 * (x - y)
        dy = -dx if need_y else None
    elif kind == "l1":
        dx = xp.sign(x - y)
        dy = -dx if need_y else None
    elif kind == "smooth_l1":
        d = x - y
        dx = xp.sign(d) if p == 0 else xp.where(xp.abs(d) < p, d / p, xp.sign(d))
        dy = -dx if need_y else None
    elif kind == "huber":
        d = x - y
        dx = xp.where(xp.abs(d) <= p, d, p * xp.sign(d))
        dy = -dx if need_y else None
    elif kind == "bce":
        dx = (x - y) / xp.maximum((1 - x) * x, 1e-12)
        if need_y:
            dy = xp.maximum(xp.log1p(-x), -100.0) - xp.maximum(xp.log(x), -100.0)
    elif kind == "bce_logits":
        e = xp.exp(-xp.abs(x))
        sig = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))  # sigmoid(x)
        if p is None:
            dx = sig - y
        else:
            lw = 1 + (p - 1) * y
            dx = (1 - y) - lw * (1 - sig)
        if need_y:
            sp = xp.maximum(-x, 0) + xp.log1p(e)
            dy = -x if p is None else -x + (p - 1) * sp
    elif kind == "kl":
        dx = -y
        if need_y:
            safe = xp.where(y > 0, y, 1)
            dy = xp.where(y > 0, xp.log(safe) + 1, 0) - x
    elif kind == "kl_log":
        ey = xp.exp(y)
        dx = -ey
        dy = ey * (y - x + 1) if need_y else None
    else:
        raise ValueError(kind)
    return dx, dy


_POINTWISE_NODE_NAMES = {"mse": "MseLossBackward0", "smooth_l1": "SmoothL1LossBackward0",
                         "huber": "HuberLossBackward0", "bce": "BinaryCrossEntropyBackward0",
                         "bce_logits": "BinaryCrossEntropyWithLogitsBackward0"}


class PointwiseLoss(ArrayFunction):
    """reduce(w * l(x, y)) for an elementwise loss ``kind``; x and y broadcast, w broadcasts against them.

    reduction: 'none' (broadcast shape), 'mean' (over all elements), 'sum', or 'batchmean' (sum / x.shape[0]).
    """

    @staticmethod
    def forward(ctx, x, y, w, kind, p, reduction):
        ctx.torch_name = _POINTWISE_NODE_NAMES.get(kind)
        l = _pointwise(kind, x, y, p)
        if w is not None:
            l = l * w
        l = l.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, y, w)
        ctx.cfg = (kind, p, reduction, l.shape, l.size)
        if reduction == "batchmean":
            return xp.asarray(l.sum() / x.shape[0], dtype=x.dtype)
        return _reduce(l, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, w = ctx.saved
        kind, p, reduction, shape, size = ctx.cfg
        n = ctx.needs_input_grad
        dx, dy = _pointwise_grads(kind, x, y, p, n[1])
        if reduction == "mean":
            g = g / size
        elif reduction == "batchmean":
            g = g / x.shape[0]
        scale = g if w is None else g * w
        out_dx = unbroadcast(xp.broadcast_to(dx * scale, shape), x.shape).astype(x.dtype, copy=False) \
            if n[0] else None
        out_dy = unbroadcast(xp.broadcast_to(dy * scale, shape), y.shape).astype(y.dtype, copy=False) \
            if n[1] else None
        return out_dx, out_dy, None, None, None, None


def _regression(kind: str, input: Tensor, target: Tensor, p, reduction: str, weight=None) -> Tensor:
    _check_reduction(reduction)
    target = _as_operand(target, input)
    if target._data.shape != input._data.shape:
        warnings.warn(f"Using a target size ({_torch_size(target._data.shape)}) that is different to the input size "
                      f"({_torch_size(input._data.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
        try:
            xp.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            from ...ops._util import broadcast_error
            raise broadcast_error(input._data, target._data) from None
    x, y = input, target
    if y._data.dtype != x._data.dtype:
        if x._data.dtype.kind == "f" and y._data.dtype.kind != "f":
            y = y.to(x.dtype)
        elif x._data.dtype.kind != "f" and y._data.dtype.kind == "f":
            x = x.to(y.dtype)
        else:
            dt = xp.promote_types(x._data.dtype, y._data.dtype)
            x, y = x.to(_np_to_dtype(dt)), y.to(_np_to_dtype(dt))
    w = None
    if weight is not None:
        if weight._data.shape != input._data.shape:
            raise ValueError("Weights and input must have the same size.")
        w = weight._data
    return PointwiseLoss.apply(x, y, w, kind, p, reduction)


def _np_to_dtype(dt):
    from ..._dtype import from_numpy_dtype
    return from_numpy_dtype(dt)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """mean/sum/none of (input - target)^2 (optionally times ``weight``); shapes broadcast."""
    return _regression("mse", input, target, None, _legacy_reduction(size_average, reduce, reduction), weight)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """mean/sum/none of |input - target|."""
    return _regression("l1", input, target, None, _legacy_reduction(size_average, reduce, reduction), weight)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _regression("smooth_l1", input, target, float(beta), _legacy_reduction(size_average, reduce, reduction))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _regression("huber", input, target, float(delta), reduction, weight)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)), logs clamped at -100 like PyTorch.  input: probabilities in [0, 1]."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_operand(target, input)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({_torch_size(target._data.shape)}) that is different to the input "
                         f"size ({_torch_size(input._data.shape)}) is deprecated. Please ensure they have the same "
                         "size.")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1 or xp.isnan(x).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if target._data.dtype != x.dtype:  # PyTorch does not cast here: a Long/Double target is an error
        raise RuntimeError(f"Found dtype {_dname(target._data.dtype)} but expected {_dname(x.dtype)}")
    w = None
    if weight is not None:
        try:
            w = xp.broadcast_to(weight._data, x.shape).astype(x.dtype, copy=False)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({weight._data.shape[-1]}) must match the size of tensor b "
                               f"({x.shape[-1]}) at non-singleton dimension {x.ndim - 1}") from None
    return PointwiseLoss.apply(input, target, w, "bce", None, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE on sigmoid(input), computed stably from logits; ``pos_weight`` (C,) scales positive targets."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_operand(target, input)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({_torch_size(target._data.shape)}) must be the same as input size "
                         f"({_torch_size(input._data.shape)})")
    if target._data.dtype != input._data.dtype:
        tk = target._data.dtype.kind
        if tk == "b":
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        if tk != "f":  # the result (float) cannot be written into an integer target-typed output
            raise RuntimeError(f"result type {_dname(input._data.dtype)} can't be cast to the desired output type "
                               f"{_dname(target._data.dtype)}")
        wider = xp.promote_types(input._data.dtype, target._data.dtype)  # float32 logits + float64 target -> float64
        input, target = input.to(_dtype.from_numpy_dtype(wider)), target.to(_dtype.from_numpy_dtype(wider))
    x = input._data
    w = None if weight is None else xp.broadcast_to(weight._data, x.shape).astype(x.dtype, copy=False)
    pw = None if pos_weight is None else pos_weight._data.astype(x.dtype, copy=False)
    return PointwiseLoss.apply(input, target, w, "bce_logits", pw, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input); input holds log-probabilities.

    reduction 'batchmean' divides the sum by the batch size (the mathematically correct KL).
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    target = _as_operand(target, input)
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    return PointwiseLoss.apply(input, target, None, "kl_log" if log_target else "kl", None, reduction)
