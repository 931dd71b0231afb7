"""Adamax: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from .._backend import xp
from ._functional import (_addcdiv_, _check_adam_family, _grad, _increment_step, _init_state, _lerp_,
                          _params_with_grad, _weight_decay)
from .optimizer import Optimizer, _run_closure, _value

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """``torch.optim.Adamax``; per parameter, with t the step count::

        g = grad (+ weight_decay * p)
        m = lerp(m, g, 1 - beta1)
        u = max(beta2 * u, |g| + eps)
        p -= lr / (1 - beta1^t) * m / u

    State: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach=None, *, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_adam_family(lr, betas, eps, weight_decay, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _value(group["lr"])
            eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, "exp_avg", "exp_inf")
                param = p._data
                grad = _grad(p, maximize)
                step = _increment_step(state)
                grad = _weight_decay(param, grad, weight_decay)
                exp_avg = state["exp_avg"]._data
                exp_inf = state["exp_inf"]._data
                _lerp_(exp_avg, grad, 1 - beta1)
                exp_inf *= beta2
                norm = xp.abs(grad)
                norm += eps
                xp.maximum(exp_inf, norm, out=exp_inf)
                clr = lr / (1 - beta1 ** step)
                _addcdiv_(param, exp_avg, exp_inf, -clr, norm)
                p._version[0] += 1
        return loss
