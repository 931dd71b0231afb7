"""Stochastic weight averaging and EMA of weights (``torch.optim.swa_utils``).

``AveragedModel`` keeps a running average (SWA by default, or an EMA) of a model's
parameters; ``SWALR`` anneals each group's lr to a constant ``swa_lr``; ``update_bn``
recomputes BatchNorm statistics for the averaged weights with one pass over the data.
"""
from __future__ import annotations

import itertools
import math
import warnings
from copy import deepcopy
from typing import Any, Callable, Iterable

from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..nn.modules.module import Module
from ..tensor import Tensor
from ._functional import _lerp_
from .lr_scheduler import LRScheduler, _format_param
from .optimizer import Optimizer

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _write(target: Tensor, value) -> None:
    """``target.copy_(value)`` on the arrays, outside autograd."""
    target._data[...] = value._data if isinstance(value, Tensor) else value
    target._version[0] += 1


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """In-place EMA over lists of tensors: ``ema = lerp(ema, current, 1 - decay)``."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _num_averaged) -> None:
        for p_ema, p_model in zip(ema_param_list, current_param_list):
            if p_ema._data.dtype.kind in "fc":
                _lerp_(p_ema._data, p_model._data, 1 - decay)
                p_ema._version[0] += 1
            else:
                _write(p_ema, p_ema._data * decay + p_model._data * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """In-place running mean over lists of tensors: ``avg += (current - avg) / (n + 1)``."""

    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        n = float(num_averaged)
        for p_avg, p_model in zip(averaged_param_list, current_param_list):
            if p_avg._data.dtype.kind in "fc":
                _lerp_(p_avg._data, p_model._data, 1 / (n + 1))
                p_avg._version[0] += 1
            else:
                _write(p_avg, p_avg._data + (p_model._data - p_avg._data) * (1.0 / (n + 1)))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """``avg_fn(ema, current, n) -> decay * ema + (1 - decay) * current`` (one tensor at a time)."""
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn() -> Callable:
    """``avg_fn(avg, current, n) -> avg + (current - avg) / (n + 1)`` (one tensor at a time)."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A deep copy of ``model`` whose parameters hold the average of the models passed to ``update_parameters``.

    ``avg_fn(avg, current, n_averaged) -> new avg`` works one tensor at a time; ``multi_avg_fn(avgs,
    currents, n_averaged)`` updates lists in place. Neither: the equal-weight (SWA) mean. With
    ``use_buffers`` the buffers are averaged too, otherwise they are copied from the latest model.
    """

    def __init__(self, model: Module, device=None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_int64()))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers with ``use_buffers``) into the average."""
        if self.use_buffers:
            self_params = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            model_params = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            self_params, model_params = list(self.parameters()), list(model.parameters())
        self_params = [p.detach() for p in self_params]
        model_params = [p.detach() for p in model_params[:len(self_params)]]
        self_params = self_params[:len(model_params)]
        n = int(self.n_averaged.item())
        if n == 0:
            for p_avg, p_model in zip(self_params, model_params):
                _write(p_avg, p_model)
        else:
            if self.avg_fn is not None:
                for p_avg, p_model in zip(self_params, model_params):
                    _write(p_avg, self.avg_fn(p_avg, p_model, self.n_averaged))
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(self_params, model_params, self.n_averaged)
            else:  # PyTorch's CPU path: avg + (current - avg) / (n + 1), one tensor at a time
                for p_avg, p_model in zip(self_params, model_params):
                    diff = p_model._data - p_avg._data
                    if diff.dtype.kind == "f":
                        diff /= n + 1
                        p_avg._data += diff
                        p_avg._version[0] += 1
                    else:  # integer buffers: true division, truncated back by the copy
                        _write(p_avg, p_avg._data + diff / (n + 1))
        if not self.use_buffers:
            for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                _write(b_swa.detach(), b_model.detach())
        self.n_averaged._data += 1
        self.n_averaged._version[0] += 1


def _int64():
    from .. import _dtype
    return _dtype.int64


def update_bn(loader: Iterable[Any], model: Module, device=None) -> None:
    """Recompute every BatchNorm's running statistics with one pass of ``model`` over ``loader``.

    Each BatchNorm's statistics are reset and accumulated as a cumulative average (momentum None);
    the first element of list/tuple batches is the input.
    """
    from ..nn.modules.normalization import _BatchNorm
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for inputs in loader:
            if isinstance(inputs, (list, tuple)):
                inputs = inputs[0]
            if device is not None:
                inputs = inputs.to(device)
            model(inputs)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its current value to ``swa_lr`` over ``anneal_epochs`` (cos or linear), then hold."""

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        for lr, group in zip(_format_param("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
