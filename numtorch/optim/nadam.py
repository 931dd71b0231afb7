"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule (Dozat, 2016)."""
from __future__ import annotations

from .._backend import xp
from ..tensor import _make
from ._functional import (_adam_moments_, _addcdiv_, _check_adam_family, _grad, _increment_step, _params_with_grad,
                          _weight_decay)
from .optimizer import (Optimizer, _check_nonneg, _check_unsupported, _run_closure, _scalar_dtype, _step_tensor,
                        _value, _zeros_like)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """``torch.optim.NAdam``; per parameter, with t the step count::

        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));   mu_prod *= mu_t
        m = lerp(m, g, 1 - beta1);   v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2^t)) + eps
        p -= lr * (1 - mu_t) / (1 - mu_prod) * g / denom
        p -= lr * mu_{t+1} / (1 - mu_prod * mu_{t+1}) * m / denom

    State: ``step``, ``mu_product`` (0-d float tensors), ``exp_avg``, ``exp_avg_sq``.
    """

    _tensor_state_scalars = ("step", "mu_product")

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_family(lr, betas, eps, weight_decay)
        _check_nonneg(momentum_decay, "momentum_decay")
        _check_unsupported(differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = _value(group["lr"])
            eps, weight_decay, momentum_decay = group["eps"], group["weight_decay"], group["momentum_decay"]
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()  # PyTorch's key order: step, mu_product, exp_avg, exp_avg_sq
                    state["mu_product"] = _make(xp.array(1.0, dtype=_scalar_dtype()))
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                param = p._data
                grad = _grad(p, maximize)
                step = _increment_step(state)
                bias_correction2 = 1 - beta2 ** step
                grad = _weight_decay(param, grad, weight_decay, lr, decoupled)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product_t = state["mu_product"]._data
                mu_product_t *= mu  # kept in the scalar dtype (float32), as PyTorch's 0-d tensor
                mu_product = float(mu_product_t)
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data
                sq = _adam_moments_(exp_avg, exp_avg_sq, grad, beta1, beta2)
                denom = xp.divide(exp_avg_sq, bias_correction2, out=sq)
                xp.sqrt(denom, out=denom)
                mu_product_next = mu_product * mu_next
                denom += eps
                _addcdiv_(param, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
                _addcdiv_(param, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next))
                p._version[0] += 1
        return loss
