"""More reductions: prod, var/std (with correction), logsumexp, norm, all/any, count_nonzero, median.

Shapes: input (d0, ..., dn); ``dim`` (int, tuple or None for all) is dropped from the output, or kept
as size 1 with ``keepdim=True`` (``keepdims=`` is accepted too); gradients have the input's shape.
"""
from __future__ import annotations

import builtins
import math
import warnings

from .._backend import xp
from .. import _dtype
from ..autograd.function import ArrayFunction
from ..tensor import Tensor, _make
from .reduction import _aliases, _expand_grad, _keepdim, values_indices
from ._util import legacy_name, normalize_dims, tensor_method

__all__ = ["prod", "var", "std", "var_mean", "std_mean", "logsumexp", "norm", "all", "any", "count_nonzero",
           "median", "nanmean", "nansum", "aminmax"]


def _axes_tuple(axes, ndim):
    return tuple(range(ndim)) if axes is None else axes


def _shrink(out, axes, keepdim):
    """Drop the kept-as-1 reduced ``axes`` of ``out`` unless ``keepdim``."""
    if keepdim:
        return out
    return out.reshape(()) if axes is None else out.squeeze(axis=axes) if axes else out


class Prod(ArrayFunction):
    """Product over ``axes``. The gradient is the product of all *other* elements, computed with
    exclusive cumulative products from both sides so that zeros in the input are handled exactly."""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.save_for_backward(x)
        ctx.axes, ctx.keepdim = axes, keepdim
        return xp.asarray(x.prod(axis=axes, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        axes = _axes_tuple(ctx.axes, x.ndim)
        g = _expand_grad(g, x.shape, ctx.axes, ctx.keepdim) if x.ndim else g
        if x.ndim == 0:
            return g, None, None, None
        rest = tuple(i for i in range(x.ndim) if i not in axes)
        moved = x.transpose(rest + axes)
        lead = moved.shape[:len(rest)]
        flat = moved.reshape(lead + (-1,))
        ones = xp.ones(lead + (1,), x.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.cumprod(xp.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (left * right).reshape(moved.shape)
        inverse = [0] * x.ndim
        for i, a in enumerate(rest + axes):
            inverse[a] = i
        return g * others.transpose(inverse), None, None, None


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, **kwargs) -> Tensor:
    """Product of elements (all, or along ``dim``); integer inputs give int64 as in PyTorch."""
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    if dtype is not None:
        np_dt = _dtype.to_numpy_dtype(dtype)
    else:
        np_dt = xp.dtype(xp.int64) if input._data.dtype.kind in "biu" else input._data.dtype
    axes = normalize_dims(dim, input._data.ndim)
    if isinstance(dim, (tuple, list)) and dim:
        raise TypeError("prod(): argument 'dim' must be int, not tuple")
    return Prod.apply(input, axes, keepdim, np_dt)


class Var(ArrayFunction):
    """Variance with ``correction`` (1 = unbiased); gradient 2 (x - mean) / (N - correction)."""

    @staticmethod
    def forward(ctx, x, axes, correction, keepdim):
        n = x.size if axes is None else math.prod(x.shape[a] for a in axes)
        mean = x.mean(axis=axes, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
        centred = x - mean
        denom = builtins.max(n - correction, 0)
        out = (centred * centred).sum(axis=axes, keepdims=keepdim) / x.dtype.type(denom)
        ctx.save_for_backward(centred)
        ctx.axes, ctx.keepdim, ctx.denom = axes, keepdim, denom
        return xp.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        (centred,) = ctx.saved
        g = _expand_grad(g, centred.shape, ctx.axes, ctx.keepdim)
        return g * centred * (2.0 / ctx.denom if ctx.denom else xp.inf), None, None, None


def _var_args(input, dim, unbiased, correction, kwargs):
    keepdim = kwargs.pop("keepdim", False)
    dim, keepdim = _aliases(kwargs, dim, keepdim)
    if isinstance(dim, builtins.bool):  # var(x, unbiased)
        unbiased, dim = dim, None
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if input._data.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    return normalize_dims(dim, input._data.ndim), correction, keepdim


def _var(input, dim, unbiased, keepdim, correction, kwargs, name):
    kwargs["keepdim"] = keepdim
    axes, correction, keepdim = _var_args(input, dim, unbiased, correction, kwargs)
    x = input._data
    n = x.size if axes is None else math.prod(x.shape[a] for a in axes)
    if n - correction <= 0 or x.size == 0:  # PyTorch warns (and returns nan/inf) rather than failing
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    return Var.apply(input, axes, correction, keepdim)


def var(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None, **kwargs) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (default 1; ``unbiased=False`` means 0)."""
    return _var(input, dim, unbiased, keepdim, correction, kwargs, "var")


def std(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None, **kwargs) -> Tensor:
    """Standard deviation: ``sqrt(var(...))`` with the same arguments."""
    return _var(input, dim, unbiased, keepdim, correction, kwargs, "std").sqrt()


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None, **kwargs):
    v = var(input, dim, unbiased, keepdim, correction=correction, **kwargs)
    d = None if isinstance(dim, builtins.bool) else dim
    return v, input.mean(d, keepdim=_keepdim(kwargs, keepdim)) if d is not None else \
        _mean_keep(input, _keepdim(kwargs, keepdim))


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None, **kwargs):
    v, m = var_mean(input, dim, unbiased, keepdim, correction=correction, **kwargs)
    return v.sqrt(), m


def _mean_keep(input, keepdim):
    m = input.mean()
    return m.reshape((1,) * input.ndim) if keepdim else m


class LogSumExp(ArrayFunction):
    """log(sum(exp(x))) over ``axes``, shifted by the max (no overflow); gradient softmax(x) * g."""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        if x.size == 0:
            out = xp.log(xp.exp(x).sum(axis=axes, keepdims=True))
        else:
            m = x.max(axis=axes, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
            out = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        ctx.save_for_backward(x, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return _shrink(out, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved
        if not ctx.keepdim:
            g = g.reshape(out.shape)
        return g * xp.exp(x - out), None, None


def logsumexp(input: Tensor, dim=None, keepdim: bool = False, **kwargs) -> Tensor:
    """Stable log-sum-exp over ``dim`` (int or tuple)."""
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    if input._data.dtype.kind != "f":
        input = input.to(_dtype.get_default_dtype())
    if dim is None:
        raise TypeError("logsumexp() missing 1 required positional arguments: \"dim\"")
    axes = normalize_dims(dim, input._data.ndim)
    return LogSumExp.apply(input, axes, keepdim)


class Norm(ArrayFunction):
    """Vector p-norm over ``axes``: (sum |x|^p)^(1/p); p may be inf, -inf or 0 too.

    Gradient: x |x|^(p-2) / norm^(p-1) (p=2: x / norm, 0 where the norm is 0); for +-inf the
    gradient is shared evenly between the elements reaching the max/min.
    """

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        a = xp.abs(x)
        if p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        elif p == 1:
            out = a.sum(axis=axes, keepdims=True)
        elif p == math.inf:
            out = a.max(axis=axes, keepdims=True)
        elif p == -math.inf:
            out = a.min(axis=axes, keepdims=True)
        elif p == 0:
            out = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        else:
            out = (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(x, out)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        return _shrink(out, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved
        p = ctx.p
        if not ctx.keepdim:
            g = g.reshape(out.shape)
        if p == 2:
            grad = xp.where(out == 0, 0, x / xp.where(out == 0, 1, out))
        elif p == 1:
            grad = xp.sign(x)
        elif p in (math.inf, -math.inf):
            mask = xp.abs(x) == out
            grad = xp.sign(x) * mask / mask.sum(axis=ctx.axes, keepdims=True)
        elif p == 0:
            grad = xp.zeros_like(x)
        else:
            grad = x * xp.abs(x) ** (p - 2) / out ** (p - 1)
            grad = xp.where(out == 0, 0, grad)
        return (g * grad).astype(x.dtype, copy=False), None, None, None


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None, **kwargs) -> Tensor:
    """``torch.norm``: vector p-norm (``'fro'`` = 2) over all elements or ``dim``."""
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {legacy_name(input._data.dtype)}")
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"numtorch.norm: p='{p}' is not supported (use a number, inf or 'fro')")
    return Norm.apply(input, builtins.float(p), normalize_dims(dim, input._data.ndim), keepdim)


def _logical_reduce(np_fn, name):
    def fn(input: Tensor, dim=None, keepdim: bool = False, **kwargs) -> Tensor:
        if kwargs:
            dim, keepdim = _aliases(kwargs, dim, keepdim)
        axes = normalize_dims(dim, input._data.ndim)
        out = np_fn(input._data, axis=axes, keepdims=keepdim)
        out = xp.asarray(out)
        return _make(out.astype(xp.uint8) if input._data.dtype == xp.uint8 else out)
    fn.__name__ = name
    fn.__doc__ = f"Logical {name} over ``dim`` (all elements by default); bool output."
    return fn


all = _logical_reduce(xp.all, "all")
any = _logical_reduce(xp.any, "any")


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of non-zero elements (over ``dim``); int64."""
    axes = normalize_dims(dim, input._data.ndim)
    return _make(xp.asarray(xp.count_nonzero(input._data, axis=axes), dtype=xp.int64))


def median(input: Tensor, dim=None, keepdim: bool = False, **kwargs):
    """Lower median (as PyTorch): whole tensor -> value; with ``dim`` -> (values, indices)."""
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    from .sorting import sort
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] == 0:
            return _make(xp.asarray(xp.nan, input._data.dtype))
        values, _ = sort(flat)
        return values[(flat.shape[0] - 1) // 2]
    from .layout import narrow
    d = normalize_dims(dim, input.ndim)[0] if input.ndim else 0
    if input.ndim == 0:
        return values_indices(input, _make(xp.zeros((), xp.int64)), "median")
    values, idx = sort(input, d)
    k = (input.shape[d] - 1) // 2
    v, i = narrow(values, d, k, 1), _make(xp.take(idx._data, [k], axis=d))
    if not keepdim:
        v, i = v.squeeze(d), i.squeeze(d)
    return values_indices(v, i, "median")


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, **kwargs) -> Tensor:
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    from .compare import where
    return where(input.isnan(), 0, input).sum(dim, keepdim=keepdim, dtype=dtype)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None, **kwargs) -> Tensor:
    if kwargs:
        dim, keepdim = _aliases(kwargs, dim, keepdim)
    count = (~input.isnan()).sum(dim, keepdim=keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    from collections import namedtuple
    mm = namedtuple("aminmax", ["min", "max"])
    d = () if dim is None else dim
    return mm(input.amin(d, keepdim=keepdim), input.amax(d, keepdim=keepdim))


for _name in __all__:
    tensor_method(_name)(globals()[_name])
