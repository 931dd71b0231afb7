"""Activation functions (torch.nn.functional names), each a small op with forward and backward side by side.

All are elementwise (x -> y of the same shape) except softmax/log_softmax/softmin
(normalised along ``dim``), glu (halves ``dim``) and prelu (a learnt slope per channel).
Where an op has ``inplace=True`` the result is written back into the input tensor.
"""
from __future__ import annotations

import warnings

from ..._backend import xp
from ...autograd.function import apply_unary
from ...ops.elementwise import Relu
from ...ops.pointwise import LogSoftmax, Softmax
from ...ops._util import inplace as _write_inplace
from ...tensor import Tensor
from ._activation_ops import (Elu, Gelu, Hardsigmoid, Hardswish, Hardtanh, LeakyRelu, LogSigmoid, Mish,  # noqa: F401
                              PRelu, RandomLeakyRelu, Shrink, Silu, Softplus, Softsign, Threshold, _normal_cdf,
                              _softplus_arr)

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu", "selu_", "celu",
           "celu_", "gelu", "silu", "mish", "hardswish", "hardsigmoid", "hardtanh", "hardtanh_", "sigmoid", "tanh",
           "softplus", "softsign", "softmax", "log_softmax", "softmin", "threshold", "threshold_", "logsigmoid",
           "glu", "hardshrink", "softshrink", "tanhshrink", "gumbel_softmax", "rrelu", "rrelu_"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_float(x: Tensor, name: str) -> None:
    if x._data.dtype.kind != "f":
        if name in ("softmax", "log_softmax", "softmin"):  # PyTorch names the CPU kernel here
            name = "softmax" if name == "softmin" else name
            raise NotImplementedError(f'"{name}_lastdim_kernel_impl" not implemented for \'{_dtype_name(x)}\'')
        raise NotImplementedError(f'"{_KERNEL_NAMES.get(name, name)}" not implemented for \'{_dtype_name(x)}\'')


# PyTorch's CPU kernel names in "not implemented for 'Long'" errors
_KERNEL_NAMES = {"leaky_relu": "leaky_relu_cpu", "elu": "elu_cpu", "selu": "elu_cpu", "celu": "elu_cpu",
                 "gelu": "GeluKernelImpl", "silu": "silu_cpu", "mish": "mish_cpu", "softplus": "softplus_cpu",
                 "hardswish": "hardswish_cpu", "hardsigmoid": "hardsigmoid_cpu"}


def _integer_clamp(input: Tensor, lo, hi, inplace: bool) -> Tensor:
    """relu/relu6/hardtanh on integer tensors (PyTorch allows these): a plain clamp, no autograd."""
    lo = None if lo is None else int(lo)
    hi = None if hi is None else int(hi)
    return input.clamp_(lo, hi) if inplace else input.clamp(lo, hi)


def _dtype_name(x: Tensor) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte", "int16": "Short",
            "int8": "Char"}.get(x._data.dtype.name, x._data.dtype.name)


def _apply(cls, input: Tensor, *args, inplace: bool = False, name: str = "") -> Tensor:
    _check_float(input, name or cls.__name__.lower())
    if not inplace:
        return cls.apply(input, *args)
    # The op may save its input for backward, which the in-place write would overwrite: feed it a copy
    # (ops that only save their output, like Relu, can read the input directly).
    src = input if getattr(cls, "saves_output_only", False) or not input.requires_grad else input.clone()
    return _write_inplace(input, cls.apply(src, *args))


# --------------------------------------------------------------------------------------- softmax
def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_prep(input: Tensor, dim, dtype, name: str, stacklevel: int):
    if dtype is not None:
        input = input.to(dtype)
    _check_float(input, name)
    ndim = input._data.ndim
    if dim is None:
        dim = _softmax_dim(name, ndim, stacklevel + 1)
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return input, (dim % n if ndim else None)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along ``dim``, computed stably; same shape as input."""
    input, axis = _softmax_prep(input, dim, dtype, "softmax", _stacklevel)
    return Softmax.apply(input, axis)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed as x - logsumexp(x) (no underflow to -inf)."""
    input, axis = _softmax_prep(input, dim, dtype, "log_softmax", _stacklevel)
    return LogSoftmax.apply(input, axis)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    input, axis = _softmax_prep(input, dim, dtype, "softmin", _stacklevel)
    return Softmax.apply(-input, axis)


# ----------------------------------------------------------------------------------- functional API
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), elementwise."""
    kind = input._data.dtype.kind
    if kind == "f" and not inplace:
        return apply_unary(Relu, input)  # the common case, without _apply's in-place handling
    if kind in "iu":
        return _integer_clamp(input, 0, None, inplace)
    return _apply(Relu, input, inplace=inplace, name="relu")


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clip(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._data.dtype.kind in "iu":
        return _integer_clamp(input, min_val, max_val, inplace)
    return _apply(Hardtanh, input, min_val, max_val, inplace=inplace, name="hardtanh")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    if input._data.dtype.kind in "iu":
        return _integer_clamp(input, 0, 6, inplace)
    return _apply(Hardtanh, input, 0.0, 6.0, inplace=inplace, name="relu6")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    return _apply(LeakyRelu, input, negative_slope, inplace=inplace, name="leaky_relu")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight[c] * x; weight has 1 or C (= input.size(1)) entries."""
    _check_float(input, "prelu")
    w = weight._data
    if w.size != 1:
        c = input._data.shape[1] if input._data.ndim >= 2 else 1
        if input._data.ndim == 0 or w.size != c:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{w.size} and channel size = {c}.")
    return PRelu.apply(input, weight)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _apply(Elu, input, alpha, 1.0, 1.0, inplace=inplace, name="elu")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants alpha ~ 1.6733, scale ~ 1.0507."""
    return _apply(Elu, input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace=inplace, name="selu")


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _apply(Elu, input, alpha, 1.0, 1.0 / alpha, inplace=inplace, name="celu")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi: the standard normal CDF); ``approximate='tanh'`` uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _apply(Gelu, input, approximate, name="gelu")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return _apply(Silu, input, inplace=inplace, name="silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _apply(Mish, input, inplace=inplace, name="mish")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return _apply(Hardswish, input, inplace=inplace, name="hardswish")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _apply(Hardsigmoid, input, inplace=inplace, name="hardsigmoid")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, linear above ``threshold`` for stability."""
    return _apply(Softplus, input, beta, threshold, name="softplus")


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return _apply(Softsign, input, name="softsign")


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x if x > threshold else value."""
    return _apply(Threshold, input, threshold, value, inplace=inplace, name="threshold")


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return globals()["threshold"](input, threshold, value, inplace=True)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), stable for large |x|."""
    return _apply(LogSigmoid, input, name="log_sigmoid_forward")


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return _apply(Shrink, input, lambd, False, name="hardshrink")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd, x + lambd or 0 depending on which side of [-lambd, lambd] x is."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return _apply(Shrink, input, lambd, True, name="softshrink")


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - input.tanh()


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) where a, b are the two halves of ``input`` along ``dim`` (which halves in size)."""
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input._data.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input._data.ndim} is size {n}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) with Gumbel(0, 1) noise g; ``hard`` returns one-hot samples whose gradient is
    the soft sample's (straight-through).  Same shape as logits."""
    from ...random import _gen
    from ...tensor import _make
    g = -xp.log(_gen(None).standard_exponential(logits._data.shape)).astype(logits._data.dtype)
    y_soft = softmax((logits + _make(g)) / tau, dim)
    if not hard:
        return y_soft
    ys = y_soft._data
    axis = dim % ys.ndim
    y_hard = xp.zeros_like(ys)
    xp.put_along_axis(y_hard, xp.expand_dims(ys.argmax(axis=axis), axis), 1.0, axis=axis)
    return y_soft + _make(y_hard - ys)  # value y_hard, gradient of y_soft


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: negative slopes drawn from U(lower, upper) in training, (lower + upper) / 2 in eval."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    from ...random import _gen
    x = input._data
    slopes = _gen(None).uniform(lower, upper, x.shape).astype(x.dtype)
    return _apply(RandomLeakyRelu, input, slopes, inplace=inplace, name="rrelu_with_noise")


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)
