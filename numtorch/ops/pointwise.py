"""More elementwise ops: clamp/clip, lerp, rounding, NaN/Inf tests and repair, softmax-type ops.

Shapes: output shape == broadcast of the inputs' shapes; each gradient has its input's shape.
"""
from __future__ import annotations

import math


from .._backend import xp
from .. import _dtype
from ..autograd.function import ArrayFunction, apply_unary
from ..tensor import Tensor, _make, _wrap_dim
from ._util import _CATEGORY, broadcast_error, inplace, promote, result_dtype, tensor_method, unbroadcast

__all__ = ["clamp", "clip", "clamp_min", "clamp_max", "lerp", "floor", "ceil", "round", "trunc", "fix", "frac",
           "isnan", "isinf", "isfinite", "isposinf", "isneginf", "nan_to_num", "softmax", "log_softmax",
           "erf", "sinh", "cosh", "asin", "acos", "atan", "tan", "atan2", "hypot", "logaddexp", "xlogy",
           "signbit", "heaviside", "copysign"]


class Clamp(ArrayFunction):
    """``min(max(x, lo), hi)``; lo/hi are arrays, scalars or None.

    Gradient (as PyTorch): x gets g where lo <= x <= hi; lo gets g where x < lo (and lo < hi);
    hi gets g where x > hi (or hi < lo).
    """

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        try:
            out = x
            if lo is not None:
                out = xp.maximum(out, lo)
            if hi is not None:
                out = xp.minimum(out, hi)
        except ValueError:
            raise broadcast_error(x, lo if lo is not None else hi) from None
        return xp.asarray(out, dtype=x.dtype) if out is x else out

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved
        n = ctx.needs_input_grad
        zero = xp.zeros((), g.dtype)
        keep = True
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = keep & (x <= hi) if lo is not None else x <= hi
        gx = unbroadcast(xp.where(keep, g, zero), x.shape) if n[0] else None
        glo = ghi = None
        if n[1]:
            pred = x < lo if hi is None else (x < lo) & (lo < hi)
            glo = unbroadcast(xp.where(pred, g, zero), lo.shape)
        if n[2]:
            pred = x > hi if lo is None else (x > hi) | (hi < lo)
            ghi = unbroadcast(xp.where(pred, g, zero), hi.shape)
        return gx, glo, ghi


def clamp(input: Tensor, min=None, max=None, *, out=None) -> Tensor:
    """Clamp every element into [min, max]; bounds may be numbers or tensors (broadcast)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dt = input._data.dtype
    for b in (min, max):
        if b is not None:
            d2 = result_dtype(input, b)
            if d2 != dt:
                dt = d2 if _CATEGORY[d2.kind] > _CATEGORY[dt.kind] else xp.promote_types(dt, d2)
    x = input if input._data.dtype == dt else input.to_dtype_np(dt)
    lo = _bound(min, dt)
    hi = _bound(max, dt)
    result = Clamp.apply(x, lo, hi)
    if out is not None:
        return inplace(out, result)
    return result


def _bound(b, dt):
    if b is None:
        return None
    if isinstance(b, Tensor):
        return b if b._data.dtype == dt else b.to_dtype_np(dt)
    return xp.asarray(b, dtype=dt)


clip = clamp


def clamp_min(input: Tensor, min) -> Tensor:
    return clamp(input, min=min)


def clamp_max(input: Tensor, max) -> Tensor:
    return clamp(input, max=max)


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """``input + weight * (end - input)``; differentiable in all three."""
    return input + weight * (end - input)


class ZeroGrad(ArrayFunction):
    """A piecewise-constant function (floor, round, sign...): its gradient is zero everywhere."""

    @staticmethod
    def forward(ctx, x, fn):
        ctx.shape, ctx.dtype = x.shape, x.dtype
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        return xp.zeros(ctx.shape, ctx.dtype), None


def _rounding(np_fn, name):
    def fn(input: Tensor) -> Tensor:
        if input._data.dtype.kind != "f":
            return input.clone()
        return ZeroGrad.apply(input, np_fn)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name}; zero gradient. Output has the input's shape and dtype."
    return fn


floor = _rounding(xp.floor, "floor")
ceil = _rounding(xp.ceil, "ceil")
trunc = fix = _rounding(xp.trunc, "trunc")


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Round half to even (as PyTorch); ``decimals`` rounds to that many decimal places."""
    if input._data.dtype.kind != "f":
        return input.clone()
    if decimals == 0:
        return ZeroGrad.apply(input, xp.round)
    return ZeroGrad.apply(input, lambda a: xp.round(a, decimals))


def frac(input: Tensor) -> Tensor:
    return input - trunc(input)


def _predicate(np_fn, name):
    def fn(input: Tensor) -> Tensor:
        return _make(xp.asarray(np_fn(input._data)))
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name}; bool output of the input's shape."
    return fn


isnan = _predicate(xp.isnan, "isnan")
isinf = _predicate(xp.isinf, "isinf")
isfinite = _predicate(xp.isfinite, "isfinite")
isposinf = _predicate(xp.isposinf, "isposinf")
isneginf = _predicate(xp.isneginf, "isneginf")
signbit = _predicate(xp.signbit, "signbit")


class NanToNum(ArrayFunction):
    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * xp.isfinite(x), None, None, None


def nan_to_num(input: Tensor, nan: float = 0.0, posinf=None, neginf=None) -> Tensor:
    """Replace NaN by ``nan``, +/-Inf by ``posinf``/``neginf`` (default: the dtype's extremes)."""
    if input._data.dtype.kind != "f":
        return input.clone()
    return NanToNum.apply(input, nan, posinf, neginf)


# ------------------------------------------------------------------ softmax family
def _finite_max(x, axis):
    """Max along ``axis`` (kept as a size-1 dim) used to shift softmax inputs for stability; 0 where that
    max is not finite (no inf - inf in the shift) and for empty inputs."""
    if not x.size:
        return 0
    m = x.max(axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


class Softmax(ArrayFunction):
    """exp(x - max) / sum(exp(x - max)) along ``axis``; shape unchanged."""

    @staticmethod
    def forward(ctx, x, axis):
        m = _finite_max(x, axis)
        e = xp.exp(x - m)
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return out * (g - (g * out).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(ArrayFunction):
    """x - logsumexp(x) along ``axis``; shape unchanged."""

    @staticmethod
    def forward(ctx, x, axis):
        m = _finite_max(x, axis)
        shifted = x - m
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return g - xp.exp(out) * g.sum(axis=ctx.axis, keepdims=True), None


def _softmax_dim(input, dim):
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    return _wrap_dim(dim, input.ndim) if input.ndim else 0


def _softmax_input(input, dtype, name="softmax"):
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        from ._util import legacy_name
        raise NotImplementedError(f"\"{name}_lastdim_kernel_impl\" not implemented for "
                                  f"'{legacy_name(input._data.dtype)}'")
    return input


def softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """Softmax along ``dim`` (numerically stable); output shape == input shape."""
    input = _softmax_input(input, dtype)
    if input.ndim == 0:
        return apply_unary(Softmax, input.reshape(1), 0).reshape(())
    return apply_unary(Softmax, input, _softmax_dim(input, dim))


def log_softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """Log-softmax along ``dim`` (numerically stable); output shape == input shape."""
    input = _softmax_input(input, dtype, "log_softmax")
    if input.ndim == 0:
        return apply_unary(LogSoftmax, input.reshape(1), 0).reshape(())
    return apply_unary(LogSoftmax, input, _softmax_dim(input, dim))


# ------------------------------------------------------------------ more unary/binary math
from ._erf import erf_array as _erf_array  # noqa: E402 (double precision for float64, float32-grade otherwise)


class Erf(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf_array(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * (2.0 / math.sqrt(math.pi)) * xp.exp(-x * x)  # a Python float keeps float32 float32


class _Unary(ArrayFunction):
    """Table-driven unary op: ``fn`` forward, ``dfn(x, out)`` derivative."""

    @staticmethod
    def forward(ctx, x, fn, dfn):
        out = fn(x)
        ctx.save_for_backward(x, out)
        ctx.dfn = dfn
        ctx.fn = fn
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved
        return g * ctx.dfn(x, out), None, None


def _float(x: Tensor) -> Tensor:
    return x if x._data.dtype.kind == "f" else x.to(_dtype.get_default_dtype())


def _table_unary(fn, dfn, name):
    def op(input: Tensor) -> Tensor:
        return _Unary.apply(_float(input), fn, dfn)
    op.__name__ = name
    op.__doc__ = f"Elementwise {name}; output has the input's shape."
    return op


def erf(input: Tensor) -> Tensor:
    """Error function (accurate to about 1e-7); output has the input's shape."""
    return Erf.apply(_float(input))


sinh = _table_unary(xp.sinh, lambda x, o: xp.cosh(x), "sinh")
cosh = _table_unary(xp.cosh, lambda x, o: xp.sinh(x), "cosh")
tan = _table_unary(xp.tan, lambda x, o: 1 + o * o, "tan")
asin = _table_unary(xp.arcsin, lambda x, o: 1 / xp.sqrt(1 - x * x), "asin")
acos = _table_unary(xp.arccos, lambda x, o: -1 / xp.sqrt(1 - x * x), "acos")
atan = _table_unary(xp.arctan, lambda x, o: 1 / (1 + x * x), "atan")
arcsin, arccos, arctan = asin, acos, atan


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """Angle of (other, input); composed so that both inputs get gradients."""
    a, b = promote(_float(input), other)
    return _Atan2.apply(a, b)


class _Atan2(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        r = a * a + b * b
        n = ctx.needs_input_grad
        return (unbroadcast(g * b / r, a.shape) if n[0] else None,
                unbroadcast(-g * a / r, xp.shape(b)) if n[1] else None)


arctan2 = atan2


def hypot(input: Tensor, other: Tensor) -> Tensor:
    return (input * input + other * other).sqrt()


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(exp(a) + exp(b)) without overflow."""
    m = _make(xp.maximum(input._data, other._data if isinstance(other, Tensor) else other))
    return m + ((input - m).exp() + (other - m).exp()).log()


def xlogy(input, other) -> Tensor:
    """input * log(other), 0 where input == 0."""
    from .compare import where
    x = input if isinstance(input, Tensor) else _make(xp.asarray(input, dtype=_dtype.get_default_dtype().np))
    safe_other = where(x == 0, 1.0, other) if isinstance(other, Tensor) else other
    y = x * (safe_other.log() if isinstance(safe_other, Tensor) else float(xp.log(safe_other)))
    return where(x == 0, 0.0, y)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    return _make(xp.heaviside(input._data, values._data))


def copysign(input: Tensor, other) -> Tensor:
    sign = _make(xp.where(xp.signbit(other._data if isinstance(other, Tensor) else xp.asarray(other)), -1.0, 1.0))
    return input.abs() * sign.to_dtype_np(_float(input)._data.dtype)


# ------------------------------------------------------------------ Tensor methods
tensor_method("clamp")(clamp)
tensor_method("clip")(clamp)
tensor_method("clamp_min")(clamp_min)
tensor_method("clamp_max")(clamp_max)
tensor_method("lerp")(lerp)
for _name in ("floor", "ceil", "trunc", "fix", "frac", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
              "nan_to_num", "erf", "sinh", "cosh", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan",
              "atan2", "arctan2", "hypot", "logaddexp", "xlogy", "signbit", "heaviside", "copysign"):
    tensor_method(_name)(globals()[_name])
tensor_method("round")(lambda self, decimals=0: round(self, decimals=decimals))
tensor_method("softmax")(lambda self, dim=None, dtype=None: softmax(self, dim, dtype))
tensor_method("log_softmax")(lambda self, dim=None, dtype=None: log_softmax(self, dim, dtype))


def _inplace_of(fn):
    def method(self, *args, **kwargs):
        return inplace(self, fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


for _name in ("clamp", "clip", "clamp_min", "clamp_max", "lerp", "floor", "ceil", "trunc", "fix", "frac",
              "nan_to_num", "erf", "sinh", "cosh", "tan", "asin", "acos", "atan", "atan2", "hypot", "xlogy",
              "copysign"):
    setattr(Tensor, _name + "_", _inplace_of(globals()[_name]))
Tensor.round_ = lambda self, decimals=0: inplace(self, round(self, decimals=decimals))
