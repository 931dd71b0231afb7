"""SGD: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from ..tensor import _make
from .optimizer import Optimizer, _check_lr, _check_unsupported, _run_closure, _value

__all__ = ["SGD"]


class SGD(Optimizer):
    """``torch.optim.SGD``; per parameter (arrays of the parameter's shape)::

        g = grad (+ weight_decay * p)                 (negated first when maximize)
        buf = g on the first step, else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf  if nesterov  else  buf
        p -= lr * g

    State: ``momentum_buffer`` (only when momentum != 0).
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False, foreach=None,
                 differentiable: bool = False, fused=None) -> None:
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_unsupported(differentiable, fused, foreach)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss (or None)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            weight_decay = _value(group["weight_decay"])
            momentum = group["momentum"]
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param = p._data
                grad = p.grad._data
                owned = False  # True once grad is a temporary of ours that may be overwritten
                if maximize:
                    grad = -grad
                    owned = True
                if weight_decay != 0:
                    decayed = param * weight_decay
                    decayed += grad
                    grad, owned = decayed, True
                if momentum != 0:
                    state = self.state[p]
                    buf_t = state.get("momentum_buffer")
                    if buf_t is None:
                        buf = grad.copy()
                        state["momentum_buffer"] = _make(buf)
                    else:
                        buf = buf_t._data
                        buf *= momentum
                        if dampening == 0:
                            buf += grad
                        else:
                            buf += grad * (1 - dampening)
                        buf_t._version[0] += 1
                    if nesterov:
                        ahead = buf * momentum
                        ahead += grad
                        grad, owned = ahead, True
                    else:
                        grad, owned = buf, False
                if owned:
                    grad *= -lr
                    update = grad
                else:
                    update = grad * -lr
                param += update
                p._version[0] += 1
        return loss
