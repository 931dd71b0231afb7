"""Losses composed from differentiable Tensor ops (autograd gives their backward).

Embedding/ranking (cosine_embedding, margin_ranking, triplet_margin), Poisson and Gaussian NLL,
and the margin losses (soft_margin, hinge_embedding, multilabel_soft_margin, multi_margin).
"""
from __future__ import annotations

import math

from ..._backend import xp
from ...tensor import Size, Tensor
from ._loss_common import _as_operand, _check_reduction, _legacy_reduction


# ------------------------------------------------------------------ embedding/ranking losses
def _reduce_tensor(l: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction)
    if reduction == "mean":
        return l.mean()
    if reduction == "sum":
        return l.sum()
    return l


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1.  x (N, D) or (D,); target (N,)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input1._data.ndim not in (1, 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1._data.shape)} and {list(input2._data.shape)}.")
    eps = 1e-12  # PyTorch's EPSILON for this loss
    prod = (input1 * input2).sum(-1)
    mag1 = (input1 * input1).sum(-1) + eps
    mag2 = (input2 * input2).sum(-1) + eps
    cos = prod / (mag1 * mag2).sqrt()
    t = target._data
    pos = _const(t == 1, cos)
    neg = _const(t == -1, cos)
    l = pos * (1 - cos) + neg * (cos - margin).clamp(min=0)
    return _reduce_tensor(l, reduction)


def _const(mask, like: Tensor) -> Tensor:
    from ...tensor import _make
    return _make(mask.astype(like._data.dtype))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (x1 - x2) + margin).  All three of shape (N,) or scalars."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not (input1._data.ndim == input2._data.ndim == target._data.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {Size(input1._data.shape)}, input2: {Size(input2._data.shape)}, "
                           f"target: {Size(target._data.shape)} ")
    l = (-target * (input1 - input2) + margin).clamp(min=0)
    return _reduce_tensor(l, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    d = x1 - x2 + eps
    if p == 2:
        return (d * d).sum(-1).sqrt()
    if p == 1:
        return d.abs().sum(-1)
    if math.isinf(p):
        return d.abs().amax(-1)
    return (d.abs() ** p).sum(-1) ** (1.0 / p)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d the p-norm pairwise distance.  Inputs (N, D) or (D,)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    nd = anchor._data.ndim
    if not (nd == positive._data.ndim == negative._data.ndim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {nd}D, positive {positive._data.ndim}D, and negative "
                           f"{negative._data.ndim}D inputs")
    if margin <= 0:
        raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = _pairwise_distance(positive, negative, p, eps)
        from ...ops.compare import minimum
        d_neg = minimum(d_neg, d_swap)
    l = (d_pos - d_neg + margin).clamp(min=0)
    return _reduce_tensor(l, reduction)


# ----------------------------------------------------------------------------- further losses
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: exp(x) - y x (log_input) or x - y log(x + eps); ``full`` adds Stirling's
    term y log y - y + 0.5 log(2 pi y) where y > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    l = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        y = target._data
        safe = xp.where(y > 1, y, 1.0)
        stirling = xp.where(y > 1, safe * xp.log(safe) - safe + 0.5 * xp.log(2 * math.pi * safe), 0.0)
        from ...tensor import _make
        l = l + _make(stirling.astype(input._data.dtype))
    return _reduce_tensor(l, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood 0.5 (log var + (x - y)^2 / var) (+ 0.5 log 2 pi with ``full``).

    var: same shape as input, or input's shape without the last dim, or with last dim 1 (shared variance);
    values below ``eps`` are raised to eps (without affecting the gradient), as in PyTorch.
    """
    _check_reduction(reduction)
    if not isinstance(var, Tensor):
        var = _as_operand(var, input)
    in_shape, v_shape = input._data.shape, var._data.shape
    if v_shape != in_shape:
        if in_shape[:-1] == v_shape:
            var = var.unsqueeze(-1)
        elif not (in_shape[:-1] == v_shape[:-1] and v_shape[-1:] == (1,)):
            raise ValueError("var is of incorrect size")
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    from ...tensor import _make
    bump = xp.maximum(var._data, eps) - var._data  # clamp as a constant shift: gradient flows as through var
    var = var + _make(bump.astype(var._data.dtype))
    l = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        l = l + 0.5 * math.log(2 * math.pi)
    return _reduce_tensor(l, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) for targets y in {1, -1}."""
    from .activation import logsigmoid
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce_tensor(-logsigmoid(target * input), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where y == 1, max(0, margin - x) where y == -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    y = target._data
    l = _const(y != -1, input) * input + _const(y != 1, input) * (margin - input).clamp(min=0)
    return _reduce_tensor(l, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Per sample: mean over classes of -(y log sigmoid(x) + (1 - y) log sigmoid(-x)).  input, target (N, C)."""
    from .activation import logsigmoid
    reduction = _legacy_reduction(size_average, reduce, reduction)
    l = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        l = l * weight
    l = l.sum(dim=-1) / input._data.shape[-1]
    return _reduce_tensor(l, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Per sample: sum over classes i != y of max(0, margin - x[y] + x[i])^p / C (times weight[y]).
    input (N, C) or (C,), target (N,) or ()."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    t = target._data.reshape(-1)
    n_cls = x._data.shape[1]
    from ...tensor import _make
    xy = x.gather(1, _make(t[:, None]))
    z = (margin - xy + x).clamp(min=0)
    if p == 2:
        z = z * z
    z = z * _const(xp.arange(n_cls)[None, :] != t[:, None], x)
    if weight is not None:
        z = z * _make(weight._data[t][:, None])
    l = z.sum(1) / n_cls
    if input.dim() == 1:
        l = l.reshape(())
    return _reduce_tensor(l, reduction)
