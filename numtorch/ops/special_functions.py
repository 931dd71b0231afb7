"""Special functions the distributions need, accurate to float64 round-off, with their gradients.

numtorch's ``erf`` is a float32-grade fit (about 1e-7 absolute), too coarse for float64 ``cdf`` and
for Newton-refining ``erfinv``; these compute in float64 and return the input's dtype.

* ``ndtr(z)``   standard normal CDF Phi(z);    d/dz = exp(-z^2/2) / sqrt(2 pi)
* ``erfinv(y)`` inverse error function;         d/dy = sqrt(pi)/2 * exp(erfinv(y)^2)
* ``lgamma(x)``, ``digamma(x)`` (log-gamma and its derivative; digamma's derivative is trigamma),
  by the recurrence up to x >= 10 and the asymptotic (Stirling) series there.
* ``standard_gamma_grad(alpha, x)``: d x / d alpha of a Gamma(alpha, 1) draw x at fixed CDF value
  (implicit reparameterisation), from the series of the regularised incomplete gamma function.
"""
from __future__ import annotations

import math

from .._backend import xp
from ..autograd.function import ArrayFunction
from ._erf import erf_f64, erfc_nonneg
from ..tensor import Tensor
from ._util import tensor_method

__all__ = ["lgamma", "digamma", "erfinv"]

_SQRT_PI = math.sqrt(math.pi)


def erfc_f64(x):
    """erfc of a float64 array: relative accuracy kept deep in the upper tail."""
    out = xp.empty_like(x)
    upper = x >= 0
    out[upper] = erfc_nonneg(x[upper])
    out[~upper] = 1.0 - erf_f64(x[~upper])  # in [1, 2]: no cancellation
    return out


def _ndtr_array(z):
    with xp.errstate(all="ignore"):
        return 0.5 * erfc_f64(-z / math.sqrt(2.0))


def _erfinv_array(y):
    """Giles' single-precision polynomial (2010) as a start, then two Newton steps on the accurate erf."""
    with xp.errstate(all="ignore"):
        w = -xp.log((1.0 - y) * (1.0 + y))
        lo = w < 5.0
        wl = w - 2.5
        pl = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941):
            pl = c + pl * wl
        wh = xp.sqrt(w) - 3.0
        ph = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682):
            ph = c + ph * wh
        x = xp.where(lo, pl, ph) * y
        finite = xp.isfinite(x)
        for _ in range(2):
            xf = xp.where(finite, x, 0.0)
            step = (erf_f64(xf) - y) / ((2.0 / _SQRT_PI) * xp.exp(-xf * xf))
            x = xp.where(finite, x - step, x)
        x = xp.where(y == 1.0, xp.inf, xp.where(y == -1.0, -xp.inf, x))
        return xp.where(xp.abs(y) > 1.0, xp.nan, x)


_SHIFT = 10  # the asymptotic series below are used at x >= 10


def _shift_up(x):
    """x -> (x + k, [x, x+1, ..., x+k-1] masks) with x + k >= _SHIFT, as a list of (value, active) pairs."""
    steps = []
    for _ in range(_SHIFT):
        active = x < _SHIFT
        steps.append((x, active))
        x = xp.where(active, x + 1.0, x)
    return x, steps


def _lgamma_array(x):
    """log|Gamma(x)| for float64 x (reflection for x < 0.5); absolute error ~1e-14."""
    with xp.errstate(all="ignore"):
        neg = x < 0.5
        z = xp.where(neg, 1.0 - x, x)
        z, steps = _shift_up(z)
        r = 1.0 / (z * z)
        series = (1 / 12 + r * (-1 / 360 + r * (1 / 1260 + r * (-1 / 1680 + r * (1 / 1188 + r * (
            -691 / 360360 + r / 156)))))) / z
        out = (z - 0.5) * xp.log(z) - z + 0.5 * math.log(2 * math.pi) + series
        for v, active in steps:
            out = out - xp.where(active, xp.log(xp.where(active, v, 1.0)), 0.0)
        reflected = math.log(math.pi) - xp.log(xp.abs(xp.sin(math.pi * x))) - out
        return xp.where(neg, reflected, out)


def _digamma_array(x):
    """digamma(x) = d/dx log Gamma(x) for float64 x (reflection for x < 0.5)."""
    with xp.errstate(all="ignore"):
        neg = x < 0.5
        z = xp.where(neg, 1.0 - x, x)
        z, steps = _shift_up(z)
        r = 1.0 / (z * z)
        out = xp.log(z) - 0.5 / z - r * (1 / 12 + r * (-1 / 120 + r * (1 / 252 + r * (-1 / 240 + r * (
            1 / 132 + r * (-691 / 32760 + r / 12))))))
        for v, active in steps:
            out = out - xp.where(active, 1.0 / xp.where(active, v, 1.0), 0.0)
        return xp.where(neg, out - math.pi / xp.tan(math.pi * x), out)


def _trigamma_array(x):
    """trigamma(x) = d/dx digamma(x) for float64 x > 0."""
    with xp.errstate(all="ignore"):
        z, steps = _shift_up(x)
        r = 1.0 / (z * z)
        out = 1.0 / z + 0.5 * r + (1 / 6 + r * (-1 / 30 + r * (1 / 42 + r * (-1 / 30 + r * (
            5 / 66 + r * (-691 / 2730 + r * 7 / 6)))))) * r / z
        for v, active in steps:
            out = out + xp.where(active, 1.0 / xp.where(active, v * v, 1.0), 0.0)
        return out


def standard_gamma_grad(alpha, x):
    """dx/dalpha for x ~ Gamma(alpha, 1) at fixed CDF value: -(dP/dalpha)(alpha, x) / pdf(alpha, x), where
    P(alpha, x) = sum_n x^(alpha+n) e^-x / Gamma(alpha+n+1). alpha, x: float64 arrays of one shape."""
    with xp.errstate(all="ignore"):
        logx = xp.log(x)
        term = xp.exp(alpha * logx - x - _lgamma_array(alpha + 1.0))  # n = 0 term of P
        psi = _digamma_array(alpha + 1.0)
        dP = term * (logx - psi)
        limit = int(min(float(xp.max(x - alpha, initial=0.0)) + 12 * math.sqrt(float(xp.max(x, initial=1.0))) + 40,
                        20000))
        for n in range(1, limit):
            a_n = alpha + n
            term = term * x / a_n
            psi = psi + 1.0 / a_n
            dP = dP + term * (logx - psi)
        pdf = xp.exp((alpha - 1.0) * logx - x - _lgamma_array(alpha))
        return -dP / pdf


class _Special(ArrayFunction):
    """fn(x) computed in float64, cast back; derivative dfn(x)."""

    @staticmethod
    def forward(ctx, x, fn, dfn):
        ctx.save_for_backward(x)
        ctx.dfn = dfn
        return fn(x.astype(xp.float64)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * ctx.dfn(x.astype(xp.float64)).astype(x.dtype, copy=False), None, None


class StandardGamma(ArrayFunction):
    """A Gamma(alpha, 1) draw of alpha's shape whose gradient w.r.t. alpha is the implicit one."""

    @staticmethod
    def forward(ctx, alpha, x):
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved
        grad = standard_gamma_grad(alpha.astype(xp.float64), x.astype(xp.float64)).astype(alpha.dtype, copy=False)
        return g * grad, None


class Ndtr(ArrayFunction):
    """Phi(z) = P(N(0,1) <= z); z: any shape -> same shape."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return _ndtr_array(z.astype(xp.float64)).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved
        return g * (xp.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)).astype(z.dtype, copy=False)


class Erfinv(ArrayFunction):
    """erfinv(y) for y in [-1, 1] (+-inf at +-1, NaN outside); any shape -> same shape."""

    @staticmethod
    def forward(ctx, y):
        out = _erfinv_array(y.astype(xp.float64)).astype(y.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        with xp.errstate(over="ignore"):
            return g * ((_SQRT_PI / 2.0) * xp.exp(out.astype(xp.float64) ** 2)).astype(out.dtype, copy=False)


def _floating(t: Tensor) -> Tensor:
    from .. import _dtype
    return t if t._data.dtype.kind == "f" else t.to(_dtype.get_default_dtype())


def ndtr(z: Tensor) -> Tensor:
    """Standard normal CDF, elementwise; output has z's shape."""
    return Ndtr.apply(_floating(z))


@tensor_method("erfinv")
def erfinv(y: Tensor) -> Tensor:
    """Inverse error function, elementwise; output has y's shape."""
    return Erfinv.apply(_floating(y))


@tensor_method("lgamma")
def lgamma(x: Tensor) -> Tensor:
    """log|Gamma(x)|, elementwise; output has x's shape."""
    return _Special.apply(_floating(x), _lgamma_array, _digamma_array)


@tensor_method("digamma")
def digamma(x: Tensor) -> Tensor:
    """d/dx log Gamma(x), elementwise; output has x's shape."""
    return _Special.apply(_floating(x), _digamma_array, _trigamma_array)


def standard_gamma(alpha: Tensor) -> Tensor:
    """One Gamma(alpha, 1) draw per element of alpha (numtorch's generator), differentiable w.r.t. alpha."""
    from ..random import _gen
    a = alpha.detach()._data
    x = _gen(None).standard_gamma(a.astype(xp.float64)).astype(a.dtype)
    x = xp.maximum(x, xp.finfo(a.dtype).tiny)  # as PyTorch, never exactly 0
    from ..tensor import _make
    return StandardGamma.apply(alpha, _make(x))
