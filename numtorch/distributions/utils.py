"""Helpers shared by the distributions (``torch.distributions.utils``)."""
from __future__ import annotations

import numbers
from .. import _dtype
from ..tensor import Size, Tensor

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]

euler_constant = 0.57721566490153286060


def _is_number(v) -> bool:
    return isinstance(v, numbers.Number)


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """Broadcast Tensors and Python numbers together; numbers take the first Tensor's dtype
    (the default dtype if there is none). Returns Tensors of the common shape."""
    import numtorch
    if not all(isinstance(v, Tensor) or _is_number(v) for v in values):
        raise ValueError("Input arguments must all be instances of Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        dtype = next((v.dtype for v in values if isinstance(v, Tensor)), _dtype.get_default_dtype())
        values = tuple(v if isinstance(v, Tensor) else _scalar_tensor(v, dtype) for v in values)
    try:
        return tuple(numtorch.broadcast_tensors(*values))
    except RuntimeError as e:
        raise RuntimeError(str(e)) from None


def _scalar_tensor(v, dtype) -> Tensor:
    """A 0-d tensor of ``dtype`` holding the Python number ``v``."""
    import numtorch
    return numtorch.tensor(v, dtype=dtype)


def _size(shape) -> Size:
    """``Size`` from a Size, tuple, list or int (as torch.Size accepts)."""
    if isinstance(shape, int):
        return Size((shape,))
    return Size(tuple(int(s) for s in shape))


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out the ``dim`` rightmost dims: (..., *k dims) -> (...)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid (binary) or softmax over the last dim; same shape as ``logits``."""
    import numtorch
    return numtorch.sigmoid(logits) if is_binary else numtorch.softmax(logits, dim=-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamp into [eps, 1 - eps] with eps the dtype's machine epsilon."""
    import numtorch
    eps = numtorch.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log-odds (binary) or log-probabilities of the clamped probabilities; same shape."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


class lazy_property:
    """A property computed on first access, then stored on the instance (replacing the descriptor)."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        import numtorch
        with numtorch.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _draw(kind: str, shape, dtype) -> Tensor:
    """Standard draws from numtorch's default generator (so ``manual_seed`` reproduces them), outside the graph.

    kind: "normal" N(0, 1), "uniform" U[0, 1), "exponential" Exp(1); returns a Tensor of ``shape`` and ``dtype``.
    """
    from .._backend import xp
    from ..random import _gen
    from ..tensor import _make
    g = _gen(None)
    shape = tuple(shape)
    np_dtype = dtype.np if hasattr(dtype, "np") else dtype
    fast = np_dtype in (xp.float32, xp.float64)
    dt = np_dtype if fast else xp.float64
    if kind == "normal":
        data = g.standard_normal(shape, dtype=dt)
    elif kind == "uniform":
        data = g.random(shape, dtype=dt)
    else:
        data = g.standard_exponential(shape, dtype=dt)
    return _make(data if fast else data.astype(np_dtype))
