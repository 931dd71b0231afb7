"""Adam (and the shared machinery AdamW reuses): adaptive moment estimation."""
from __future__ import annotations

from .._backend import xp
from ..tensor import Tensor
from ._functional import (_adam_moments_, _addcdiv_, _check_adam_family, _grad, _increment_step, _init_state,
                          _params_with_grad, _weight_decay)
from .optimizer import Optimizer, _check_unsupported, _run_closure, _value, _zeros_like

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
        _check_adam_family(lr, betas, eps, weight_decay)
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
            for p in _params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    _init_state(state, p, "exp_avg", "exp_avg_sq")
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                param = p._data
                grad = _grad(p, maximize)
                step = _increment_step(state)
                grad = _weight_decay(param, grad, weight_decay, lr, decoupled)
                exp_avg = state["exp_avg"]._data
                exp_avg_sq = state["exp_avg_sq"]._data
                sq = _adam_moments_(exp_avg, exp_avg_sq, grad, beta1, beta2)
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

