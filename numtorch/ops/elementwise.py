"""Elementwise unary ops. Each saves the least it needs: the input or the output.

Shapes: output shape == input shape; gradient shape == input shape.
"""
from __future__ import annotations

from .._backend import xp
from .. import _dtype
from ..autograd.function import ArrayFunction, apply_unary, reusable_grad
from ..tensor import Tensor
from ._util import tensor_method

__all__ = ["exp", "log", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "log1p", "expm1",
           "log2", "log10", "sign", "reciprocal", "exp2", "sgn"]


def _float_input(x: Tensor) -> Tensor:
    """Integer inputs of floating functions are promoted to the default float, as in PyTorch."""
    return x if x._data.dtype.kind == "f" else x.to(_dtype.get_default_dtype())


class Exp(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = xp.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return g * out


class Log(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g / x


class Sqrt(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = xp.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return g / (2 * out)


class Abs(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * xp.sign(x)


class Sin(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * xp.cos(x)


class Cos(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return -g * xp.sin(x)


class Tanh(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = xp.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return g * (1 - out * out)


def stable_sigmoid(x):
    """1 / (1 + exp(-x)) without overflow warnings for large |x|."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return g * out * (1 - out)


class Relu(ArrayFunction):
    """y = max(x, 0); dx = g * (y > 0)."""

    saves_output_only = True  # an in-place relu (F.relu(x, inplace=True)) may overwrite its input

    @staticmethod
    def forward(ctx, x):
        out = xp.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        if g.size >= 4096 and reusable_grad(g):  # a large fresh array only the engine holds: mask in place
            return xp.multiply(g, out > 0, out=g)
        return g * (out > 0)


class Log1p(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g / (1 + x)


class Expm1(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        out = xp.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return g * (out + 1)


def _unary(cls, promote=True):
    def fn(input, *, out=None):
        x = _float_input(input) if promote else input
        result = apply_unary(cls, x)
        if out is not None:
            out._data = result._data
            return out
        return result
    fn.__name__ = cls.__name__.lower()
    fn.__doc__ = f"Elementwise {cls.__name__.lower()}; output has the input's shape."
    return fn


exp = _unary(Exp)
log = _unary(Log)
sqrt = _unary(Sqrt)
sin = _unary(Sin)
cos = _unary(Cos)
tanh = _unary(Tanh)
sigmoid = _unary(Sigmoid)
log1p = _unary(Log1p)
expm1 = _unary(Expm1)
abs = _unary(Abs, promote=False)
relu = _unary(Relu, promote=False)


def rsqrt(input):
    return sqrt(input).reciprocal()


def reciprocal(input):
    return 1.0 / _float_input(input)


def log2(input):
    return log(input) * (1.0 / float(xp.log(2.0)))


def log10(input):
    return log(input) * (1.0 / float(xp.log(10.0)))


def exp2(input):
    return exp(_float_input(input) * float(xp.log(2.0)))


def sign(input):
    """-1, 0 or 1 elementwise; zero gradient."""
    from .pointwise import ZeroGrad
    return ZeroGrad.apply(input, xp.sign)


sgn = sign

for _name in ("exp", "log", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "log1p", "expm1",
              "log2", "log10", "sign", "sgn", "reciprocal", "exp2"):
    tensor_method(_name)(globals()[_name])
tensor_method("__abs__", "absolute")(abs)


def _make_inplace(fn):
    from ._util import inplace

    def method(self, *args, **kwargs):
        return inplace(self, fn(self, *args, **kwargs))
    return method


for _name in ("exp", "log", "sqrt", "rsqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "log1p", "expm1",
              "log2", "log10", "sign", "reciprocal"):
    setattr(Tensor, _name + "_", _make_inplace(globals()[_name]))
