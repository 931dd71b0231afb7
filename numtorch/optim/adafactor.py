"""Adafactor: Adam-like steps with a factored (row x column) second-moment estimate (Shazeer & Stern, 2018)."""
from __future__ import annotations

import math

from .._backend import xp
from ..tensor import _make
from ._functional import _lerp_
from .optimizer import Optimizer, _run_closure, _step_tensor, _value

__all__ = ["Adafactor"]


def _norm(a) -> float:
    """Euclidean norm of all elements, accumulated in float64."""
    return math.sqrt(float(xp.dot(a.ravel().astype(xp.float64), a.ravel().astype(xp.float64))))


class Adafactor(Optimizer):
    """``torch.optim.Adafactor``; per parameter, with t the step count::

        beta2_t = 1 - t^beta2_decay;   rho_t = min(lr, 1 / sqrt(t));   alpha = max(eps2, RMS(p)) * rho_t
        p *= 1 - lr * weight_decay
        matrices (..., m, n): R = lerp(R, mean_n(g^2), 1 - beta2_t) (..., m, 1), C likewise (..., 1, n),
                              V = R @ C / max(mean_m(R), eps1)
        vectors:              V = lerp(V, g^2, 1 - beta2_t)
        u = g / sqrt(max(V, eps1^2));   p -= alpha / max(1, RMS(u) / d) * u

    State: ``step`` and ``row_var``/``col_var`` (matrices) or ``variance`` (vectors).
    """

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach=None, maximize: bool = False) -> None:
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            eps1, eps2 = group["eps"]
            beta2_decay, d, weight_decay = group["beta2_decay"], group["d"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    if grad.ndim > 1:
                        state["row_var"] = _make(xp.zeros(grad.shape[:-1] + (1,), dtype=grad.dtype))
                        state["col_var"] = _make(xp.zeros(grad.shape[:-2] + (1, grad.shape[-1]), dtype=grad.dtype))
                    else:
                        state["variance"] = _make(xp.zeros_like(grad))
                param = p._data
                if group["maximize"]:
                    grad = -grad
                if eps1 is None:  # as in PyTorch, fixed by the first parameter of the group
                    eps1 = float(xp.finfo(param.dtype).eps)
                step_t = state["step"]._data
                step_t += 1
                step = float(step_t)
                one_minus_beta2_t = step ** beta2_decay
                rho_t = min(lr, 1 / (step ** 0.5))
                alpha = max(eps2, _norm(param) / (param.size ** 0.5)) * rho_t
                if weight_decay != 0:
                    param *= 1 - lr * weight_decay
                if grad.ndim > 1:
                    row_var, col_var = state["row_var"]._data, state["col_var"]._data
                    sq = grad * grad
                    row_mean = sq.sum(axis=-1, keepdims=True)
                    row_mean /= grad.shape[-1]
                    _lerp_(row_var, row_mean, one_minus_beta2_t)
                    col_mean = sq.sum(axis=-2, keepdims=True)
                    col_mean /= grad.shape[-2]
                    _lerp_(col_var, col_mean, one_minus_beta2_t)
                    var_estimate = xp.matmul(row_var, col_var)
                    var_estimate /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
                else:
                    variance = state["variance"]._data
                    _lerp_(variance, grad * grad, one_minus_beta2_t)
                    var_estimate = variance.copy()
                update = xp.maximum(var_estimate, eps1 * eps1, out=var_estimate)
                xp.sqrt(update, out=update)
                xp.divide(1.0, update, out=update)
                update *= grad
                denom = max(1.0, _norm(update) / ((update.size ** 0.5) * d))
                update *= -alpha / denom
                param += update
                p._version[0] += 1
        return loss
