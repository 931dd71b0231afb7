"""Arithmetic ops: + - * / // % ** @, casts, and their reflected and in-place forms.

Shapes: inputs broadcast as in NumPy/PyTorch; each gradient is reduced back to
its input's shape by ``unbroadcast``.
"""
from __future__ import annotations

from .._backend import xp
from .. import _dtype
from ..autograd.function import ArrayFunction, apply_binary as _apply2
from ..tensor import Tensor
from ._util import broadcast_error, inplace, promote, tensor_method, unbroadcast

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "neg", "negative", "matmul", "mm", "bmm", "mv", "dot", "addmm",
           "outer", "rsub", "square", "float_power"]


def _shape(x):
    return getattr(x, "shape", ())


class Add(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        try:
            return a + b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        n = ctx.needs_input_grad
        return (unbroadcast(g, sa) if n[0] else None), (unbroadcast(g, sb) if n[1] else None)


class Sub(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        try:
            return a - b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        sa, sb = ctx.shapes
        n = ctx.needs_input_grad
        return (unbroadcast(g, sa) if n[0] else None), (unbroadcast(-g, sb) if n[1] else None)


class Mul(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)  # = ctx.save_for_backward(a, b), minus a call on the hottest op
        try:
            return a * b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        return (unbroadcast(g * b, _shape(a)) if n[0] else None), (unbroadcast(g * a, _shape(b)) if n[1] else None)


class Div(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            return a / b
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        ga = unbroadcast(g / b, _shape(a)) if n[0] else None
        gb = unbroadcast(-g * a / (b * b), _shape(b)) if n[1] else None
        return ga, gb


class Neg(ArrayFunction):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(ArrayFunction):
    @staticmethod
    def forward(ctx, a, b):
        try:
            out = xp.power(a, b)
        except ValueError:
            raise broadcast_error(a, b) from None
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved
        n = ctx.needs_input_grad
        ga = gb = None
        if n[0]:
            if isinstance(b, (int, float)):
                ga = g * b * xp.power(a, b - 1) if b != 0 else xp.zeros_like(g)
            else:
                ga = unbroadcast(g * b * xp.where(b == 0, 1, xp.power(a, xp.where(b == 0, 1, b - 1))), _shape(a))
        if n[1]:
            gb = unbroadcast(g * out * xp.where(a > 0, xp.log(xp.where(a > 0, a, 1)),
                                                xp.where(a == 0, 0, xp.nan).astype(out.dtype)), _shape(b))
        return ga, gb


class Cast(ArrayFunction):
    torch_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return (g.astype(ctx.src) if ctx.src.kind == "f" else None), None


def to_dtype_np(self: Tensor, np_dtype) -> Tensor:
    """Cast to a NumPy dtype through autograd: the one place every internal dtype conversion goes."""
    return Cast.apply(self, np_dtype)


Tensor.to_dtype_np = to_dtype_np


def _matmul_error(a, b):
    if a.ndim == 2 and b.ndim == 2:
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                            f"{b.shape[0]}x{b.shape[1]})")
    if a.ndim == 0 or b.ndim == 0:
        return RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                        f"[{a.shape[-1]}, ...] but got: {list(b.shape)}; matmul shapes {tuple(a.shape)} and "
                        f"{tuple(b.shape)} cannot be multiplied")


class MatMul(ArrayFunction):
    """``a @ b`` for 1-D, 2-D and batched (broadcast) operands."""

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 2 and b.ndim == 2:  # PyTorch's node names for the common cases
            ctx.torch_name = "MmBackward0"
        elif a.ndim == 1 and b.ndim == 1:
            ctx.torch_name = "DotBackward0"
        if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise _matmul_error(a, b)
        ctx.save_for_backward(a, b)
        try:
            return xp.matmul(a, b)
        except ValueError:
            raise _matmul_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        n = ctx.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if n[0] else None), (a.T @ g if n[1] else None)
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if n[0] else None), (g * a if n[1] else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if n[0]:
            ga = unbroadcast(xp.matmul(g2, xp.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if n[1]:
            gb = unbroadcast(xp.matmul(xp.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        return ga, gb


def _binary(op, a, b):
    a, b = promote(a, b)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return _apply2(op, a, b)
    return op.apply(a, b)


def add(input, other, *, alpha=1, out=None):
    if alpha != 1:
        other = other * alpha
    return _out(_binary(Add, input, other), out)


def _check_bool_sub(a, b) -> None:
    """PyTorch refuses ``-`` on bool tensors (NumPy would raise its own TypeError, or silently cast)."""
    a_bool = isinstance(a, bool) or (isinstance(a, Tensor) and a._data.dtype == xp.bool_)
    b_bool = isinstance(b, bool) or (isinstance(b, Tensor) and b._data.dtype == xp.bool_)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1, out=None):
    _check_bool_sub(input, other)
    if alpha != 1:
        other = other * alpha
    return _out(_binary(Sub, input, other), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    return sub(other, input * alpha if alpha != 1 else input)


def mul(input, other, *, out=None):
    return _out(_binary(Mul, input, other), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """True division; ``rounding_mode='trunc'`` or ``'floor'`` rounds the quotient (no gradient then)."""
    if rounding_mode is None:
        a, b = promote(input, other)
        if _kind(a) != "f" and _kind(b) != "f":
            default = _dtype.get_default_dtype()
            a = a.to(default) if isinstance(a, Tensor) else float(a)
            b = b.to(default) if isinstance(b, Tensor) else float(b)
        return _out(Div.apply(a, b), out)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    a, b = promote(input, other)
    av = a._data if isinstance(a, Tensor) else a
    bv = b._data if isinstance(b, Tensor) else b
    from ..tensor import _make
    if rounding_mode == "floor":
        res = _floor_divide_values(av, bv)
    else:
        res = xp.trunc(av / bv).astype(xp.result_type(av, bv)) if _is_float(av, bv) else _int_trunc_div(av, bv)
    return _out(_make(xp.asarray(res)), out)


def _is_float(a, b) -> bool:
    return xp.result_type(a, b).kind == "f"


def _int_trunc_div(a, b):
    if xp.any(xp.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")
    q = xp.abs(a) // xp.abs(b)
    return xp.where((xp.asarray(a) < 0) ^ (xp.asarray(b) < 0), -q, q)


def _floor_divide_values(a, b):
    if not _is_float(a, b) and xp.any(xp.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")
    return xp.floor_divide(a, b)


def _kind(x):
    if isinstance(x, Tensor):
        return x._data.dtype.kind
    return "f" if isinstance(x, float) else "i"


divide = true_divide = div


def floor_divide(input, other):
    return div(input, other, rounding_mode="floor")


def remainder(input, other):
    """Python-style modulus (sign of the divisor); gradient 1 w.r.t. input, -floor(a/b) w.r.t. other."""
    a, b = promote(input, other)
    return Sub.apply(a, Mul.apply(_detached_floor_div(a, b), b)) if _differentiable(a, b) else \
        _const(xp.remainder(_val(a), _val(b)))


def fmod(input, other):
    a, b = promote(input, other)
    return _const(xp.fmod(_val(a), _val(b)))


def _differentiable(a, b) -> bool:
    return any(isinstance(x, Tensor) and x.requires_grad for x in (a, b))


def _detached_floor_div(a, b):
    from ..tensor import _make
    return _make(xp.floor(_val(a) / _val(b)).astype(xp.result_type(_val(a), _val(b))))


def _val(x):
    return x._data if isinstance(x, Tensor) else x


def _const(arr):
    from ..tensor import _make
    return _make(xp.asarray(arr))


def pow(input, exponent, *, out=None):
    if not isinstance(input, Tensor):
        input = _const(xp.asarray(input, dtype=_exp_dtype(exponent, input)))
    if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        if input._data.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if isinstance(exponent, float) and input._data.dtype.kind != "f":
            input = input.to(_dtype.get_default_dtype())
        return _out(Pow.apply(input, exponent), out)
    return _out(_binary(Pow, input, exponent), out)


def _exp_dtype(exponent, base):
    if isinstance(exponent, Tensor):
        return exponent._data.dtype if not isinstance(base, float) or exponent._data.dtype.kind == "f" \
            else _dtype.get_default_dtype().np
    return _dtype.get_default_dtype().np if isinstance(base, float) else xp.int64


def float_power(input, exponent):
    x = input.double() if isinstance(input, Tensor) else input
    e = exponent.double() if isinstance(exponent, Tensor) else exponent
    return pow(x, e)


def square(input):
    return mul(input, input)


def neg(input):
    if isinstance(input, Tensor) and input._data.dtype == xp.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


negative = neg


def _check_matmul_dtypes(a, b, name="matmul"):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_dtype.from_numpy_dtype(a._data.dtype).name} != "
                           f"{_dtype.from_numpy_dtype(b._data.dtype).name}")


def matmul(input, other, *, out=None):
    _check_matmul_dtypes(input, other)
    return _out(MatMul.apply(input, other), out)


def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"{'self' if input.ndim != 2 else 'mat2'} must be a matrix")
    return matmul(input, mat2)


def bmm(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.ndim != 3 else "batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    return matmul(input, mat2)


def mv(input, vec):
    return matmul(input, vec)


def dot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
                           f"[{other.shape[0]}] to have the same number of elements, but got "
                           f"{input.shape[0]} and {other.shape[0]} elements respectively")
    return matmul(input, other)


vdot = inner = dot


def outer(input, vec2):
    return mul(input.reshape(-1, 1), vec2.reshape(1, -1))


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    prod = mm(mat1, mat2)
    if alpha != 1:
        prod = prod * alpha
    return add(input * beta if beta != 1 else input, prod)


def _out(result, out):
    if out is None:
        return result
    out._data = result._data.astype(out._data.dtype, copy=False).reshape(result.shape)
    out._version[0] += 1
    return out


# ------------------------------------------------------------------ Tensor methods
def _fast(op):
    """Operator method with a fast path for two tensors of one dtype (the common case in training loops)."""
    def method(self, other):
        if isinstance(other, Tensor) and other._data.dtype == self._data.dtype:
            return _apply2(op, self, other)
        return _binary(op, self, other)
    return method


def _fast_reflected(op):
    def method(self, other):
        return _binary(op, other, self)
    return method


tensor_method("__add__")(_fast(Add))
tensor_method("add")(lambda self, other, alpha=1: add(self, other, alpha=alpha))
tensor_method("__radd__")(_fast_reflected(Add))
_sub_fast = _fast(Sub)
_rsub_fast = _fast_reflected(Sub)


@tensor_method("__sub__")
def _sub_operator(self, other):
    if self._data.dtype == xp.bool_ or isinstance(other, bool) or \
            (isinstance(other, Tensor) and other._data.dtype == xp.bool_):
        _check_bool_sub(self, other)
    return _sub_fast(self, other)


@tensor_method("__rsub__")
def _rsub_operator(self, other):
    _check_bool_sub(other, self)
    return _rsub_fast(self, other)


tensor_method("sub", "subtract")(lambda self, other, alpha=1: sub(self, other, alpha=alpha))
tensor_method("__mul__", "mul", "multiply")(_fast(Mul))
tensor_method("__rmul__")(_fast_reflected(Mul))
tensor_method("__truediv__", "div", "divide", "true_divide")(
    lambda self, other, rounding_mode=None: div(self, other, rounding_mode=rounding_mode))
tensor_method("__rtruediv__")(lambda self, other: div(other, self))
tensor_method("__floordiv__", "floor_divide")(lambda self, other: floor_divide(self, other))
tensor_method("__rfloordiv__")(lambda self, other: floor_divide(other, self))
tensor_method("__mod__", "remainder")(lambda self, other: remainder(self, other))
tensor_method("__rmod__")(lambda self, other: remainder(other, self))
tensor_method("fmod")(fmod)
tensor_method("__pow__", "pow")(lambda self, exponent: pow(self, exponent))
tensor_method("__rpow__")(lambda self, base: pow(base, self))
tensor_method("__matmul__", "matmul")(lambda self, other: matmul(self, other))
tensor_method("__rmatmul__")(lambda self, other: matmul(other, self))
tensor_method("__neg__", "neg", "negative")(neg)
tensor_method("__pos__", "positive")(lambda self: self)
tensor_method("square")(square)
tensor_method("float_power")(float_power)
tensor_method("mm")(mm)
tensor_method("bmm")(bmm)
tensor_method("mv")(mv)
tensor_method("dot", "inner", "vdot")(dot)
tensor_method("outer", "ger")(outer)
tensor_method("addmm")(lambda self, mat1, mat2, *, beta=1, alpha=1: addmm(self, mat1, mat2, beta=beta, alpha=alpha))


def _inplace_method(fn):
    def method(self, *args, **kwargs):
        return inplace(self, fn(self, *args, **kwargs))
    return method


for _name, _fn in (("add_", add), ("sub_", sub), ("subtract_", sub), ("mul_", mul), ("multiply_", mul),
                   ("div_", div), ("divide_", div), ("true_divide_", div), ("pow_", pow),
                   ("floor_divide_", floor_divide), ("remainder_", remainder), ("fmod_", fmod),
                   ("neg_", neg), ("negative_", neg), ("square_", square)):
    setattr(Tensor, _name, _inplace_method(_fn))
for _name, _fn in (("__iadd__", add), ("__isub__", sub), ("__imul__", mul), ("__itruediv__", div),
                   ("__ifloordiv__", floor_divide), ("__imod__", remainder), ("__ipow__", pow)):
    setattr(Tensor, _name, _inplace_method(_fn))
Tensor.__imatmul__ = lambda self, other: inplace(self, matmul(self, other))
