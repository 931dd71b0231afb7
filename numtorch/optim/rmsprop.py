"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

from .._backend import xp
from ._functional import (_addcdiv_, _grad, _increment_step, _init_state, _lerp_, _params_with_grad, _square_avg_, _weight_decay)
from .optimizer import Optimizer, _check_lr, _check_nonneg, _check_unsupported, _run_closure, _value, _zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``; per parameter::

        g = grad (+ weight_decay * p)
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - mean_g^2) + eps   with mean_g = lerp(mean_g, g, 1 - alpha)   (centered)
        avg = sqrt(v) + eps                                                         (otherwise)
        buf = momentum * buf + g / avg;  p -= lr * buf        (momentum > 0)
        p -= lr * g / avg                                      (otherwise)

    State: ``step``, ``square_avg`` (+ ``momentum_buffer``, ``grad_avg``).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_nonneg(eps, "epsilon")
        _check_nonneg(momentum, "momentum")
        _check_nonneg(weight_decay, "weight_decay")
        _check_nonneg(alpha, "alpha")
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            alpha, eps, weight_decay = group["alpha"], group["eps"], group["weight_decay"]
            momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, "square_avg")
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                param = p._data
                grad = _grad(p, maximize)
                _increment_step(state)
                grad = _weight_decay(param, grad, weight_decay)
                square_avg = state["square_avg"]._data
                sq = _square_avg_(square_avg, grad, alpha)
                if centered:
                    grad_avg = state["grad_avg"]._data
                    _lerp_(grad_avg, grad, 1 - alpha)
                    # square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
                    avg = xp.multiply(grad_avg, -1.0, out=sq)
                    avg *= grad_avg
                    avg += square_avg
                    xp.sqrt(avg, out=avg)
                else:
                    avg = xp.sqrt(square_avg, out=sq)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    _addcdiv_(buf, grad, avg, 1.0)
                    param -= buf * lr
                else:
                    _addcdiv_(param, grad, avg, -lr)
                p._version[0] += 1
        return loss
