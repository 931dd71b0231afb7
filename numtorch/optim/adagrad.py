"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
from __future__ import annotations

from .._backend import xp
from ..tensor import _make
from ._functional import _addcdiv_, _grad, _increment_step, _params_with_grad, _weight_decay
from .optimizer import Optimizer, _check_lr, _check_nonneg, _check_unsupported, _run_closure, _step_tensor, _value

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``torch.optim.Adagrad``; per parameter, with t the step count::

        g = grad (+ weight_decay * p)
        clr = lr / (1 + (t - 1) * lr_decay)
        sum += g * g
        p -= clr * g / (sqrt(sum) + eps)

    State (created for every parameter at construction, as in PyTorch): ``step``, ``sum``
    (starting at ``initial_accumulator_value``).
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, fused=None) -> None:
        _check_lr(lr)
        _check_nonneg(lr_decay, "lr_decay")
        _check_nonneg(weight_decay, "weight_decay")
        _check_nonneg(initial_accumulator_value, "initial_accumulator_value")
        _check_nonneg(eps, "epsilon")
        _check_unsupported(differentiable, fused, foreach)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, initial_accumulator_value: float) -> None:
        state = self.state[p]
        state["step"] = _step_tensor()
        state["sum"] = _make(xp.full_like(p._data, initial_accumulator_value))

    def share_memory(self) -> None:
        """No-op: numtorch tensors live in ordinary process memory."""

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            weight_decay, lr_decay, eps, maximize = (group["weight_decay"], group["lr_decay"], group["eps"],
                                                     group["maximize"])
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:  # a group added after construction
                    self._init_state(p, self.defaults["initial_accumulator_value"])
                param = p._data
                step = _increment_step(state)
                grad = _grad(p, maximize)
                grad = _weight_decay(param, grad, weight_decay)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"]._data
                sq = grad * grad  # addcmul_ with value=1
                state_sum += sq
                std = xp.sqrt(state_sum, out=sq)
                std += eps
                _addcdiv_(param, grad, std, -clr)
                p._version[0] += 1
        return loss
