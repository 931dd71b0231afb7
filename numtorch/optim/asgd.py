"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992)."""
from __future__ import annotations

from .._backend import xp
from ..tensor import _make
from ._functional import _grad, _increment_step, _init_state, _params_with_grad, _weight_decay
from .optimizer import (Optimizer, _check_lr, _check_nonneg, _check_unsupported, _run_closure, _scalar_dtype, _value,
                        _zeros_like)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """``torch.optim.ASGD``; per parameter, with t the step count (eta starts at lr, mu at 1)::

        p *= 1 - lambd * eta;   p -= eta * g
        ax += (p - ax) * mu  if mu != 1  else  ax = p       (the running average of the iterates)
        eta = lr / (1 + lambd * lr * t)^alpha;   mu = 1 / max(1, t - t0)

    State: ``step``, ``eta``, ``mu`` (0-d float tensors), ``ax``.
    """

    _tensor_state_scalars = ("step", "eta", "mu")

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach=None, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg(weight_decay, "weight_decay")
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p)
                    state["eta"] = _make(xp.array(lr, dtype=_scalar_dtype()))
                    state["mu"] = _make(xp.array(1.0, dtype=_scalar_dtype()))
                    state["ax"] = _zeros_like(p)
                param = p._data
                grad = _grad(p, maximize)
                step = _increment_step(state)
                grad = _weight_decay(param, grad, weight_decay)
                eta_t, mu_t = state["eta"]._data, state["mu"]._data
                eta = float(eta_t)
                param *= 1 - lambd * eta
                param -= grad * eta
                ax = state["ax"]._data
                mu = mu_t[()]
                if mu != 1:
                    diff = param - ax
                    diff *= mu
                    ax += diff
                else:
                    ax[...] = param
                eta_t[...] = lr / ((1 + lambd * lr * step) ** alpha)
                mu_t[...] = 1 / max(1, step - t0)
                p._version[0] += 1
        return loss
