"""Adam (and the shared machinery AdamW reuses): adaptive moment estimation."""
from __future__ import annotations

from .._backend import xp
from ..tensor import Tensor
from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonneg, _check_unsupported, _run_closure,
                        _step_tensor, _value, _zeros_like)

__all__ = ["Adam"]


class Adam(Optimizer):
    """``torch.optim.Adam``; per parameter, with t the step count::

        g = grad (+ weight_decay * p, or p *= 1 - lr * weight_decay when decoupled)
        m = lerp(m, g, 1 - beta1)            v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                (amsgrad; used instead of v below)
        p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    State: ``step`` (0-d float tensor), ``exp_avg``, ``exp_avg_sq`` (+ ``max_exp_avg_sq``).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused=None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_betas(betas)
        _check_nonneg(weight_decay, "weight_decay")
        _check_unsupported(differentiable, fused, foreach)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor) and betas[i].numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (_value(b) for b in group["betas"])
            lr = _value(group["lr"])
            weight_decay = group["weight_decay"]
            eps = group["eps"]
            amsgrad = group["amsgrad"]
            decoupled = group["decoupled_weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                param = p._data
                grad = p.grad._data
                if maximize:
                    grad = -grad
                step_t = state["step"]._data
                step_t += 1
                if weight_decay != 0:
                    if decoupled:
                        param *= 1 - lr * weight_decay
                    else:
                        decayed = param * weight_decay
                        decayed += grad
                        grad = decayed
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data
                sq = _lerp_(exp_avg, grad, 1 - beta1)
                exp_avg_sq *= beta2
                xp.multiply(grad, 1 - beta2, out=sq)
                sq *= grad
                exp_avg_sq += sq

                step = float(step_t)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                if amsgrad:
                    max_sq = state["max_exp_avg_sq"]._data
                    xp.maximum(max_sq, exp_avg_sq, out=max_sq)
                    denom = xp.sqrt(max_sq)
                else:
                    denom = xp.sqrt(exp_avg_sq)
                denom /= bias_correction2_sqrt
                denom += eps
                _addcdiv_(param, exp_avg, denom, -step_size, sq)
                p._version[0] += 1
        return loss


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


def _addcmul_(target, t1, t2, value: float) -> None:
    """``target.addcmul_(t1, t2, value=value)``: target += (value * t1) * t2."""
    tmp = t1 * value
    tmp *= t2
    target += tmp
