"""Comparison and selection: eq/ne/lt/le/gt/ge, maximum/minimum, where, and the logical ops.

Comparisons return bool tensors and carry no gradient.
"""
from __future__ import annotations

from .._backend import xp
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _make
from ._util import broadcast_error, promote, tensor_method, unbroadcast

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
           "maximum", "minimum", "where", "logical_and", "logical_or", "logical_not", "logical_xor",
           "equal", "allclose", "isclose"]


def _values(a, b):
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a, b = promote(a, b)
    return (a._data if isinstance(a, Tensor) else a), (b._data if isinstance(b, Tensor) else b)


def _comparison(ufunc):
    def compare(input, other, *, out=None):
        a, b = _values(input, other)
        try:
            return _make(xp.asarray(ufunc(a, b)))
        except ValueError:
            raise broadcast_error(a, b) from None
    compare.__name__ = ufunc.__name__
    return compare


eq = _comparison(xp.equal)
ne = not_equal = _comparison(xp.not_equal)
lt = less = _comparison(xp.less)
le = less_equal = _comparison(xp.less_equal)
gt = greater = _comparison(xp.greater)
ge = greater_equal = _comparison(xp.greater_equal)


class Where(ArrayFunction):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.shapes = (getattr(a, "shape", ()), getattr(b, "shape", ()))
        try:
            return xp.where(cond, a, b)
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved
        n = ctx.needs_input_grad
        zero = xp.zeros((), g.dtype)
        ga = unbroadcast(xp.where(cond, g, zero), ctx.shapes[0]) if n[1] else None
        gb = unbroadcast(xp.where(cond, zero, g), ctx.shapes[1]) if n[2] else None
        return None, ga, gb


def _scalar_pair_dtype(x, y):
    """PyTorch's result dtype for two Python scalars: bool, int64 or the default float dtype."""
    if isinstance(x, bool) and isinstance(y, bool):
        return xp.bool_
    if isinstance(x, float) or isinstance(y, float):
        from .._dtype import get_default_dtype
        return get_default_dtype().np
    return xp.int64


def where(condition, input=None, other=None):
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = _make(xp.asarray(input, dtype=_scalar_pair_dtype(input, other)))  # where(c, 1, 0): int64
    a, b = promote(input, other)
    cond = condition if isinstance(condition, Tensor) else _make(xp.asarray(condition))
    if cond._data.dtype != xp.bool_:
        cond = _make(cond._data.astype(bool))
    return Where.apply(cond, a, b)


class MaximumMinimum(ArrayFunction):
    """Elementwise max/min; where the inputs tie the gradient is split evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b, take_max):
        ctx.save_for_backward(a, b)
        ctx.take_max = take_max
        try:
            return xp.maximum(a, b) if take_max else xp.minimum(a, b)
        except ValueError:
            raise broadcast_error(a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        wins = (a > b) if ctx.take_max else (a < b)
        weight_a = (wins + 0.5 * (a == b)).astype(g.dtype)  # 1, 0 or 1/2 on ties, in g's dtype
        n = ctx.needs_input_grad
        ga = unbroadcast(g * weight_a, a.shape) if n[0] else None
        gb = unbroadcast(g * (1 - weight_a), b.shape) if n[1] else None
        return ga, gb, None


def maximum(input, other):
    a, b = promote(input, other)
    return MaximumMinimum.apply(a, b, True)


def minimum(input, other):
    a, b = promote(input, other)
    return MaximumMinimum.apply(a, b, False)


def logical_and(input, other):
    return _make(xp.logical_and(*_values(input, other)))


def logical_or(input, other):
    return _make(xp.logical_or(*_values(input, other)))


def logical_xor(input, other):
    return _make(xp.logical_xor(*_values(input, other)))


def logical_not(input):
    return _make(xp.logical_not(input._data))


def equal(input, other) -> bool:
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    return _make(xp.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(xp.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


for _name in __all__:
    if _name != "where":
        tensor_method(_name)(globals()[_name])
tensor_method("where")(lambda self, condition, other: where(condition, self, other))
for _dunder, _fn in (("__lt__", lt), ("__le__", le), ("__gt__", gt), ("__ge__", ge)):
    setattr(Tensor, _dunder, _fn)


def _comparable(other) -> bool:
    return isinstance(other, (Tensor, int, float, bool, list, tuple, xp.ndarray, xp.generic))


def _eq_operator(self, other):
    """``==``: elementwise; against None or unrelated objects it is plain False, as in PyTorch."""
    return eq(self, other) if _comparable(other) else False


def _ne_operator(self, other):
    return ne(self, other) if _comparable(other) else True


Tensor.__eq__ = _eq_operator
Tensor.__ne__ = _ne_operator
Tensor.__hash__ = lambda self: id(self)


def _bool_op(ufunc):
    def op(self, other):
        a, b = _values(self, other)
        return _make(xp.asarray(ufunc(a, b)))
    return op


Tensor.__and__ = Tensor.__rand__ = Tensor.bitwise_and = _bool_op(xp.bitwise_and)
Tensor.__or__ = Tensor.__ror__ = Tensor.bitwise_or = _bool_op(xp.bitwise_or)
Tensor.__xor__ = Tensor.__rxor__ = Tensor.bitwise_xor = _bool_op(xp.bitwise_xor)
Tensor.__invert__ = Tensor.bitwise_not = lambda self: _make(xp.invert(self._data))


def _bitwise_function(ufunc, name):
    def fn(input, other):
        """Elementwise bitwise op on integer/bool tensors (no gradient); PyTorch's type promotion."""
        for t in (input, other):
            if isinstance(t, Tensor) and t._data.dtype.kind == "f" or isinstance(t, float):
                from ._util import legacy_name
                kind = legacy_name(t._data.dtype) if isinstance(t, Tensor) else "Float"
                raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{kind}'")
        return _bool_op(ufunc)(input, other)
    fn.__name__ = name
    return fn


bitwise_and = _bitwise_function(xp.bitwise_and, "bitwise_and")
bitwise_or = _bitwise_function(xp.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise_function(xp.bitwise_xor, "bitwise_xor")


def bitwise_not(input: Tensor) -> Tensor:
    """``~x``: logical not for bool tensors, bitwise complement for integers."""
    return input.bitwise_not()


__all__ += ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"]  # Tensor methods already attached above
