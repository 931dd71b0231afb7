"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
from __future__ import annotations

from .._backend import xp
from ._functional import (_grad, _increment_step, _init_state, _params_with_grad, _square_avg_, _weight_decay)
from .optimizer import Optimizer, _check_lr, _check_nonneg, _check_unsupported, _run_closure, _value

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """``torch.optim.Adadelta``; per parameter::

        g = grad (+ weight_decay * p)
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p -= lr * delta

    State: ``step``, ``square_avg`` (v), ``acc_delta`` (u).
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach=None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonneg(eps, "epsilon")
        _check_nonneg(weight_decay, "weight_decay")
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            rho, eps, weight_decay, maximize = group["rho"], group["eps"], group["weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, "square_avg", "acc_delta")
                param = p._data
                _increment_step(state)
                grad = _grad(p, maximize)
                grad = _weight_decay(param, grad, weight_decay)
                square_avg = state["square_avg"]._data
                acc_delta = state["acc_delta"]._data
                tmp = _square_avg_(square_avg, grad, rho)
                std = xp.add(square_avg, eps, out=tmp)
                xp.sqrt(std, out=std)
                delta = acc_delta + eps
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= grad
                _square_avg_(acc_delta, delta, rho, out=tmp)
                delta *= -lr
                param += delta
                p._version[0] += 1
        return loss
