"""Activation functions (torch.nn.functional names), each a small op with forward and backward side by side.

All are elementwise (x -> y of the same shape) except softmax/log_softmax/softmin
(normalised along ``dim``), glu (halves ``dim``) and prelu (a learnt slope per channel).
Where an op has ``inplace=True`` the result is written back into the input tensor.
"""
from __future__ import annotations

import math
import warnings

from ..._backend import xp
from ...autograd.function import ArrayFunction, apply_unary
from ...ops.elementwise import Relu, stable_sigmoid as _stable_sigmoid
from ...ops.pointwise import LogSoftmax, Softmax
from ...ops._util import inplace as _write_inplace
from ...tensor import Tensor

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu", "selu_", "celu",
           "celu_", "gelu", "silu", "mish", "hardswish", "hardsigmoid", "hardtanh", "hardtanh_", "sigmoid", "tanh",
           "softplus", "softsign", "softmax", "log_softmax", "softmin", "threshold", "threshold_", "logsigmoid",
           "glu", "hardshrink", "softshrink", "tanhshrink", "scaled_dot_product_attention",
           "multi_head_attention_forward", "gumbel_softmax", "rrelu", "rrelu_"]

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


def _softplus_arr(z):
    """log(1 + exp(z)), stable for large |z|."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


from ...ops._erf import erfc_nonneg as _erfc_nonneg  # noqa: E402


# ----------------------------------------------------------------------------------------- rectifiers
class Hardtanh(ArrayFunction):
    """y = clip(x, lo, hi); dx = g where lo < x < hi, else 0."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return xp.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * ((x > ctx.lo) & (x < ctx.hi)), None, None


class LeakyRelu(ArrayFunction):
    """y = x if x > 0 else slope * x."""

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return xp.where(x > 0, x, x * x.dtype.type(slope))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return xp.where(x > 0, g, g * g.dtype.type(ctx.slope)), None


class Threshold(ArrayFunction):
    """y = x if x > threshold else value."""

    @staticmethod
    def forward(ctx, x, threshold, value):
        ctx.save_for_backward(x)
        ctx.threshold = threshold
        return xp.where(x > threshold, x, x.dtype.type(value))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * (x > ctx.threshold), None, None


class PRelu(ArrayFunction):
    """y = x if x > 0 else w[c] * x, with w broadcast over channel dim 1 (or a single shared slope)."""

    @staticmethod
    def forward(ctx, x, w):
        wb = w.reshape((1, -1) + (1,) * (x.ndim - 2)) if (w.size > 1 and x.ndim >= 2) else w.reshape(())
        ctx.save_for_backward(x, w)
        return xp.where(x > 0, x, wb * x)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        shared = not (w.size > 1 and x.ndim >= 2)
        wb = w.reshape(()) if shared else w.reshape((1, -1) + (1,) * (x.ndim - 2))
        neg = x <= 0
        dx = xp.where(neg, wb * g, g) if ctx.needs_input_grad[0] else None
        dw = None
        if ctx.needs_input_grad[1]:
            gx = g * x * neg
            if shared:
                dw = gx.sum().reshape(w.shape)
            else:
                dw = gx.sum(axis=tuple(i for i in range(x.ndim) if i != 1)).reshape(w.shape)
        return dx, dw


# ------------------------------------------------------------------------------------ exponential
class Elu(ArrayFunction):
    """y = scale * (x if x > 0 else alpha * (exp(x * inv) - 1)); covers ELU, SELU and CELU.

    ELU: scale = inv = 1.  SELU: fixed alpha and scale, inv = 1.  CELU: scale = 1, inv = 1 / alpha.
    dx = scale * g for x > 0, else g * scale * alpha * inv * exp(x * inv).
    """

    @staticmethod
    def forward(ctx, x, alpha, scale, inv):
        t = x.dtype.type
        neg = t(alpha) * xp.expm1(xp.minimum(x, 0) * t(inv))
        y = xp.where(x > 0, x, neg)
        if scale != 1:
            y = y * t(scale)
        ctx.save_for_backward(x)
        ctx.params = (alpha, scale, inv)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        alpha, scale, inv = ctx.params
        t = x.dtype.type
        d = xp.where(x > 0, t(scale), t(scale * alpha * inv) * xp.exp(xp.minimum(x, 0) * t(inv)))
        return g * d, None, None, None


def _normal_cdf(x):
    """Phi(x) = 0.5 erfc(-x / sqrt(2)).  float64: ``_erfc_nonneg`` (double precision); other dtypes:
    Numerical Recipes' Chebyshev fit of erfc (relative error < 1.2e-7 everywhere, tails included), in x's dtype."""
    if x.dtype == xp.float64:
        half_erfc = 0.5 * _erfc_nonneg(xp.abs(x) * (1.0 / math.sqrt(2.0)))
        return xp.where(x < 0, half_erfc, 1.0 - half_erfc)
    t_ = x.dtype.type
    z = xp.abs(x) * t_(1.0 / math.sqrt(2.0))
    t = 1.0 / (1.0 + t_(0.5) * z)
    poly = t * t_(0.17087277)
    for c in (-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368):
        poly += t_(c)  # Horner's scheme, in place
        poly *= t
    poly -= t_(1.26551223)
    z *= z
    poly -= z
    half_erfc = xp.exp(poly, out=poly)
    half_erfc *= t
    half_erfc *= t_(0.5)  # 0.5 erfc(|x| / sqrt 2)
    return xp.where(x < 0, half_erfc, 1.0 - half_erfc).astype(x.dtype, copy=False)


class Gelu(ArrayFunction):
    """y = x * Phi(x) (exact) or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) ('tanh').

    dx = g * (Phi(x) + x phi(x)) (exact), or the derivative of the tanh form.
    """

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.approximate = approximate
        if approximate == "tanh":
            k = math.sqrt(2.0 / math.pi)
            t = xp.tanh(k * (x + 0.044715 * x ** 3))
            ctx.save_for_backward(x, t)
            return 0.5 * x * (1.0 + t)
        cdf = _normal_cdf(x)
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, g):
        x, c = ctx.saved
        if ctx.approximate == "tanh":
            k = math.sqrt(2.0 / math.pi)
            d = 0.5 * (1.0 + c) + 0.5 * x * (1.0 - c * c) * k * (1.0 + 3 * 0.044715 * x * x)
        else:
            pdf = xp.exp(-0.5 * x * x) * x.dtype.type(1.0 / math.sqrt(2.0 * math.pi))
            d = c + x * pdf
        return (g * d).astype(g.dtype, copy=False), None


class Silu(ArrayFunction):
    """y = x * sigmoid(x); dx = g * s * (1 + x (1 - s))."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * _stable_sigmoid(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        s = _stable_sigmoid(x)
        return g * s * (1 + x * (1 - s))


class Mish(ArrayFunction):
    """y = x * tanh(softplus(x)); dx = g * (t + x (1 - t^2) sigmoid(x))."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * xp.tanh(_softplus_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        t = xp.tanh(_softplus_arr(x))
        return g * (t + x * (1 - t * t) * _stable_sigmoid(x))


class Softplus(ArrayFunction):
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold; dx = g * sigmoid(beta x)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        z = x * x.dtype.type(beta)
        return xp.where(z > threshold, x, _softplus_arr(z) / x.dtype.type(beta))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        z = x * x.dtype.type(ctx.beta)
        return xp.where(z > ctx.threshold, g, g * _stable_sigmoid(z)), None, None


class LogSigmoid(ArrayFunction):
    """y = log(sigmoid(x)) = -softplus(-x); dx = g * sigmoid(-x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return -_softplus_arr(-x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * _stable_sigmoid(-x)


# ------------------------------------------------------------------------------------- piecewise
class Hardswish(ArrayFunction):
    """y = x * relu6(x + 3) / 6; dx = 0 for x <= -3, g for x >= 3, g (2x + 3) / 6 between."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return xp.where(x <= -3, 0, xp.where(x < 3, g * (x / 3 + 0.5), g)).astype(g.dtype, copy=False)


class Hardsigmoid(ArrayFunction):
    """y = relu6(x + 3) / 6; dx = g / 6 for -3 < x < 3."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * ((x > -3) & (x < 3)) / 6


class Softsign(ArrayFunction):
    """y = x / (1 + |x|); dx = g / (1 + |x|)^2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + xp.abs(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        d = 1 + xp.abs(x)
        return g / (d * d)


class Shrink(ArrayFunction):
    """hardshrink (soft=False): y = x where |x| > lambd else 0; softshrink: y = x - sign(x) lambd there."""

    @staticmethod
    def forward(ctx, x, lambd, soft):
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        keep = (x > lambd) | (x < -lambd)
        if soft:
            return xp.where(keep, x - xp.sign(x) * x.dtype.type(lambd), 0).astype(x.dtype, copy=False)
        return xp.where(keep, x, 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * ((x > ctx.lambd) | (x < -ctx.lambd)), None, None


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


class RandomLeakyRelu(ArrayFunction):
    """y = x if x >= 0 else a * x, with a ~ U(lower, upper) per element (given as ``slopes``)."""

    @staticmethod
    def forward(ctx, x, slopes):
        d = xp.where(x >= 0, x.dtype.type(1), slopes).astype(x.dtype, copy=False)
        ctx.save_for_backward(d)
        return x * d

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved
        return g * d, None


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


# ------------------------------------------------------------------------------------- attention
def _additive_mask(mask, dtype, keep_true: bool):
    """A bool or float mask as an additive float array: -inf where masked (bool), the values themselves (float)."""
    m = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    if m.dtype == xp.bool_:
        blocked = ~m if keep_true else m
        return xp.where(blocked, -xp.inf, 0.0).astype(dtype)
    return m.astype(dtype, copy=False)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V.  query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev).

    A bool ``attn_mask`` marks the positions that may be attended to (True = keep); a float one is added.
    ``is_causal`` masks out the future (j > i). ``dropout_p`` always applies, as in PyTorch.
    """
    from ...tensor import _make
    from .dropout import dropout
    lq, s = query._data.shape[-2], key._data.shape[-2]
    scale_factor = 1.0 / math.sqrt(query._data.shape[-1]) if scale is None else scale
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        bias = xp.where(xp.tril(xp.ones((lq, s), dtype=bool)), 0.0, -xp.inf).astype(query._data.dtype)
    if attn_mask is not None:
        bias = _additive_mask(attn_mask, query._data.dtype, keep_true=True)
    if enable_gqa and key._data.ndim >= 3 and key._data.shape[-3] != query._data.shape[-3]:
        rep = query._data.shape[-3] // key._data.shape[-3]
        idx = _make(xp.repeat(xp.arange(key._data.shape[-3]), rep))
        key, value = key.index_select(-3, idx), value.index_select(-3, idx)
    scores = (query @ key.transpose(-2, -1)) * scale_factor
    if bias is not None:
        scores = scores + _make(bias)
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int,
                                 num_heads: int, in_proj_weight: Tensor | None, in_proj_bias: Tensor | None,
                                 bias_k: Tensor | None, bias_v: Tensor | None, add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
                                 training: bool = True, key_padding_mask: Tensor | None = None,
                                 need_weights: bool = True, attn_mask: Tensor | None = None,
                                 use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
                                 k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
                                 static_k: Tensor | None = None, static_v: Tensor | None = None,
                                 average_attn_weights: bool = True, is_causal: bool = False):
    """Multi-head attention on sequence-first inputs.  query (L, N, E) [or (L, E)], key/value (S, N, Ek/Ev).

    Returns (output (L, N, E), weights (N, L, S) averaged over heads, (N, H, L, S) otherwise, or None).
    Masks: bool True = masked out (the opposite of scaled_dot_product_attention); float masks are added.
    """
    from ...tensor import _make
    from ... import cat, zeros
    from .dropout import dropout
    from .linear import linear
    if static_k is not None or static_v is not None:
        raise NotImplementedError("numtorch's multi_head_attention_forward does not support static_k/static_v")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    unbatched = query.dim() == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query._data.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    dt = q._data.dtype
    mask = _additive_mask(attn_mask, dt, keep_true=False) if attn_mask is not None else None
    if mask is not None and mask.ndim == 2:
        mask = mask[None]  # (1, L, S)
    kpm = _additive_mask(key_padding_mask, dt, keep_true=False) if key_padding_mask is not None else None
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        mask = xp.pad(mask, [(0, 0), (0, 0), (0, 1)]) if mask is not None else None
        kpm = xp.pad(kpm, [(0, 0), (0, 1)]) if kpm is not None else None
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)  # (N*H, L, hd)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)  # (N*H, S, hd)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        k = cat([k, zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)], dim=1)
        v = cat([v, zeros(bsz * num_heads, 1, head_dim, dtype=v.dtype)], dim=1)
        mask = xp.pad(mask, [(0, 0), (0, 0), (0, 1)]) if mask is not None else None
        kpm = xp.pad(kpm, [(0, 0), (0, 1)]) if kpm is not None else None
    src_len = k._data.shape[1]
    if kpm is not None:  # (N, S) -> (N*H, 1, S), merged into the attention mask
        kpm = xp.broadcast_to(kpm[:, None, None, :], (bsz, num_heads, 1, src_len)).reshape(-1, 1, src_len)
        mask = kpm if mask is None else mask + kpm
    scores = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(1, 2)  # (N*H, L, S)
    if mask is not None:
        scores = scores + _make(mask)
    weights = softmax(scores, -1)
    if dropout_p > 0.0 and training:
        weights = dropout(weights, dropout_p)
    out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if unbatched:
        weights = weights.squeeze(0)
    return out, weights
