"""In-place fills and copies (zero_, fill_, copy_, the random fills uniform_/normal_/...), addcmul/addcdiv.

Random fills draw from numtorch's default Generator unless ``generator=`` is given. On a tensor in the
graph they behave like PyTorch: the old value stops receiving gradient. On a leaf that requires grad
they raise unless grad mode is off (``with no_grad(): w.uniform_()``), as in PyTorch.
"""
from __future__ import annotations

import builtins
import math

from .._backend import xp
from ..autograd.function import ArrayFunction
from ..autograd.grad_mode import _grad
from ..random import _gen
from ..tensor import Tensor, _make
from ._util import inplace, promote, tensor_method, unbroadcast

__all__ = ["addcmul", "addcdiv"]


class Overwrite(ArrayFunction):
    """The tensor's old value is replaced by ``values`` (an array, or a 0-d tensor that gets g.sum())."""

    @staticmethod
    def forward(ctx, x, values):
        ctx.vshape = getattr(values, "shape", ())
        return xp.broadcast_to(xp.asarray(values, dtype=x.dtype), x.shape).copy()

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return (xp.zeros_like(g) if n[0] else None), (unbroadcast(g, ctx.vshape) if n[1] else None)


def _write(self: Tensor, values) -> Tensor:
    """Write ``values`` (array, number or Tensor) into self, tracking autograd where needed."""
    tracked = _grad.enabled and (self.requires_grad or (isinstance(values, Tensor) and values.requires_grad))
    if tracked:
        if isinstance(values, Tensor) and values._data.dtype != self._data.dtype:
            values = values.to_dtype_np(self._data.dtype)
        return inplace(self, Overwrite.apply(self, values))
    v = values._data if isinstance(values, Tensor) else values
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    try:
        self._data[...] = v
    except ValueError:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(xp.shape(v))}") from None
    self._version[0] += 1
    return self


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros in place."""
    return _write(self, 0)


def fill_(self: Tensor, value) -> Tensor:
    """Fill with ``value`` (a number or 0-d tensor) in place."""
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value._data.ndim} dimensions.")
    return _write(self, value)


class Copy(ArrayFunction):
    """self.copy_(src): src broadcast to self's shape and cast to its dtype; gradient goes to src."""

    @staticmethod
    def forward(ctx, x, src):
        ctx.src_shape, ctx.src_dtype = src.shape, src.dtype
        try:
            return xp.broadcast_to(src, x.shape).astype(x.dtype)
        except ValueError:
            raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                               f"{list(src.shape)}") from None

    @staticmethod
    def backward(ctx, g):
        gs = unbroadcast(g, ctx.src_shape).astype(ctx.src_dtype, copy=False) if ctx.src_dtype.kind == "f" else None
        return None, gs


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast) into self in place."""
    if not isinstance(src, Tensor):
        src = _make(xp.asarray(src))
    if _grad.enabled and (self.requires_grad or src.requires_grad):
        return inplace(self, Copy.apply(self, src))
    try:
        data = xp.broadcast_to(src._data, self._data.shape)
    except ValueError:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(src._data.shape)}") from None
    return _write(self, data)


def _check_float(self: Tensor, name: str) -> None:
    if self._data.dtype.kind != "f":
        from ._util import legacy_name
        raise NotImplementedError(f"\"{name}\" not implemented for '{legacy_name(self._data.dtype)}'")


def _random_fill(self: Tensor, values) -> Tensor:
    if _grad.enabled and self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    return _write(self, values.astype(self._data.dtype, copy=False))


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None, **kwargs) -> Tensor:
    """Fill with samples from U[a, b)."""
    a, b = kwargs.get("from", a), kwargs.get("to", b)
    _check_float(self, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    g = _gen(generator)
    return _random_fill(self, g.random(self._data.shape) * (b - a) + a)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    _check_float(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _random_fill(self, _gen(generator).standard_normal(self._data.shape) * std + mean)


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability ``p`` (a number or a broadcastable tensor)."""
    prob = p._data if isinstance(p, Tensor) else p
    if xp.any(xp.asarray(prob) < 0) or xp.any(xp.asarray(prob) > 1):
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _random_fill(self, _gen(generator).random(self._data.shape) < prob)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples from Exp(lambd)."""
    _check_float(self, "exponential_cpu")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _random_fill(self, _gen(generator).standard_exponential(self._data.shape) / lambd)


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    _check_float(self, "log_normal_cpu")
    return _random_fill(self, xp.exp(_gen(generator).standard_normal(self._data.shape) * std + mean))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    _check_float(self, "cauchy_cpu")
    return _random_fill(self, median + sigma * _gen(generator).standard_cauchy(self._data.shape))


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    return _random_fill(self, _gen(generator).geometric(p, self._data.shape))


def random_(self: Tensor, from_=0, to=None, *, generator=None, **kwargs) -> Tensor:
    """Fill with integers uniform on [from, to); ``random_(to)`` means [0, to); no bounds: the dtype's range."""
    from_ = kwargs.get("from", from_)
    if to is None and "from" not in kwargs and from_ != 0:
        from_, to = 0, from_
    if to is None:
        kind = self._data.dtype
        if kind.kind == "f":
            to = 2 ** {2: 11, 4: 24, 8: 53}[kind.itemsize] + 1
        elif kind.kind == "b":
            to = 2
        else:
            to = builtins.int(xp.iinfo(kind).max) + 1 if kind != xp.int64 else 2 ** 63 - 1
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    values = _gen(generator).integers(from_, to, size=self._data.shape, dtype=xp.int64)
    return _random_fill(self, values)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    prod = tensor1 * tensor2
    return input + (prod * value if value != 1 else prod)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2."""
    q = tensor1 / tensor2
    return input + (q * value if value != 1 else q)


for _fn in (zero_, fill_, copy_, uniform_, normal_, bernoulli_, exponential_, log_normal_, cauchy_, geometric_,
            random_):
    setattr(Tensor, _fn.__name__, _fn)
tensor_method("addcmul")(addcmul)
tensor_method("addcdiv")(addcdiv)
Tensor.addcmul_ = lambda self, tensor1, tensor2, *, value=1: inplace(self, addcmul(self, tensor1, tensor2, value=value))
Tensor.addcdiv_ = lambda self, tensor1, tensor2, *, value=1: inplace(self, addcdiv(self, tensor1, tensor2, value=value))
Tensor.fill_diagonal_ = lambda self, fill_value, wrap=False: _fill_diagonal(self, fill_value, wrap)


def _fill_diagonal(self, value, wrap):
    data = self._data.copy()
    xp.fill_diagonal(data, value, wrap=wrap)
    return _write(self, data)


del math, promote
