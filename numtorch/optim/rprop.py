"""Rprop: resilient backpropagation, sign-based steps with per-coordinate adaptive sizes."""
from __future__ import annotations

from .._backend import xp
from ..tensor import _make
from ._functional import _grad, _increment_step, _init_state, _params_with_grad
from .optimizer import Optimizer, _check_lr, _check_unsupported, _run_closure, _value

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """``torch.optim.Rprop``; per parameter (every array of the parameter's shape)::

        s = sign(g * prev):  factor = etaplus where s > 0, etaminus where s < 0, 1 where s == 0
        step_size = clamp(step_size * factor, step_size_min, step_size_max)
        g = 0 where s < 0    (no move after a sign change)
        p -= sign(g) * step_size;   prev = g

    State: ``step``, ``prev``, ``step_size`` (starting at lr).
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            maximize = group["maximize"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, "prev")
                    state["step_size"] = _make(xp.full_like(p.grad._data, _value(group["lr"])))
                param = p._data
                grad = _grad(p, maximize)
                _increment_step(state)
                prev = state["prev"]._data
                step_size = state["step_size"]._data
                product = grad * prev
                factor = xp.sign(product, out=product)
                # PyTorch assigns in sequence; with etaplus > 1 > etaminus > 0 the masks never overlap
                positive, negative = factor > 0, factor < 0
                factor[positive] = etaplus
                factor[negative] = etaminus
                factor[factor == 0] = 1
                step_size *= factor
                xp.clip(step_size, step_size_min, step_size_max, out=step_size)
                grad = grad.copy()
                grad[factor == etaminus] = 0
                direction = xp.sign(grad)
                direction *= step_size
                param -= direction
                prev[...] = grad
                p._version[0] += 1
        return loss
