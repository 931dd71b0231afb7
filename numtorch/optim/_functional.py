"""Update fragments shared by the optimizers (plain NumPy, in place on parameter/state arrays).

Each optimizer's ``step`` keeps its own update formula in PyTorch's operation order; the pieces
here are the ones several of them repeat word for word: reading the (maybe negated) gradient,
weight decay, state initialisation, the step counter, and the in-place ``lerp_``/``addcdiv_``/
``addcmul_`` kernels.
"""
from __future__ import annotations

from collections.abc import Iterator

from .._backend import xp
from ..tensor import Tensor
from .optimizer import _check_betas, _check_lr, _check_nonneg, _check_unsupported, _step_tensor, _zeros_like


def _check_adam_family(lr, betas, eps, weight_decay, differentiable: bool = False) -> None:
    """Validation shared by Adam, Adamax, NAdam and RAdam (PyTorch's wording and order)."""
    _check_lr(lr)
    _check_nonneg(eps, "epsilon")
    _check_betas(betas)
    _check_nonneg(weight_decay, "weight_decay")
    _check_unsupported(differentiable)


def _params_with_grad(group: dict) -> Iterator[Tensor]:
    """The parameters of ``group`` that have a gradient (the ones a step updates)."""
    return (p for p in group["params"] if p.grad is not None)


def _init_state(state: dict, p: Tensor, *buffers: str) -> None:
    """Fill an empty state: ``step`` = 0-d zero tensor, each name in ``buffers`` = zeros like ``p``."""
    state["step"] = _step_tensor()
    for name in buffers:
        state[name] = _zeros_like(p)


def _grad(p: Tensor, maximize: bool):
    """``p``'s gradient array, negated (as a new array) when maximizing."""
    grad = p.grad._data
    return -grad if maximize else grad


def _increment_step(state: dict) -> float:
    """``state['step'] += 1`` in place; returns the new count as a Python float."""
    step_t = state["step"]._data
    step_t += 1
    return float(step_t)


def _weight_decay(param, grad, weight_decay: float, lr: float = 0.0, decoupled: bool = False):
    """Apply weight decay; returns the gradient to use from here on.

    L2 (default): returns ``grad + weight_decay * param`` (a new array; ``grad`` is untouched).
    Decoupled (AdamW style): shrinks ``param *= 1 - lr * weight_decay`` in place, returns ``grad``.
    """
    if weight_decay == 0:
        return grad
    if decoupled:
        param *= 1 - lr * weight_decay
        return grad
    decayed = param * weight_decay
    decayed += grad
    return decayed


def _square_avg_(avg, grad, decay: float, out=None):
    """``avg.mul_(decay).addcmul_(grad, grad, value=1 - decay)``; returns the temporary (``out`` if given)."""
    avg *= decay
    sq = xp.multiply(grad, 1 - decay, out=out)
    sq *= grad
    avg += sq
    return sq


def _adam_moments_(exp_avg, exp_avg_sq, grad, beta1: float, beta2: float):
    """Adam's moment updates: ``m.lerp_(g, 1 - beta1)``; ``v = beta2 * v + (1 - beta2) * g * g``.

    Returns a scratch array of ``grad``'s shape the caller may reuse.
    """
    sq = _lerp_(exp_avg, grad, 1 - beta1)
    return _square_avg_(exp_avg_sq, grad, beta2, out=sq)


def _lerp_(start, end, weight: float):
    """``start.lerp_(end, weight)`` with PyTorch's two-sided formula (exact at weight 0 and 1).

    Returns the temporary it used (an array of ``end``'s shape the caller may reuse as scratch).
    """
    diff = end - start
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        xp.subtract(end, diff, out=start)
    return diff


def _addcdiv_(param, t1, t2, value: float, scratch=None) -> None:
    """``param.addcdiv_(t1, t2, value=value)``: param += (value * t1) / t2; ``scratch`` may be reused."""
    if scratch is None or scratch.shape != t1.shape or scratch.dtype != t1.dtype:
        scratch = t1 * value
    else:
        xp.multiply(t1, value, out=scratch)
    scratch /= t2
    param += scratch

