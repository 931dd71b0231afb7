"""The activation ops behind ``numtorch.nn.functional``'s activations: one ArrayFunction each, forward and
backward side by side (x -> y of the same shape unless stated). The functions that call them, with their
argument checks and ``inplace`` handling, are in ``activation.py``."""
from __future__ import annotations

import math

from ..._backend import xp
from ...autograd.function import ArrayFunction
from ...ops.elementwise import stable_sigmoid as _stable_sigmoid

def _softplus_arr(z):
    """log(1 + exp(z)), stable for large |z|."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


from ...ops._erf import erfc_fit, erfc_nonneg as _erfc_nonneg  # noqa: E402


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
    half_erfc = erfc_fit(xp.abs(x) * x.dtype.type(1.0 / math.sqrt(2.0)))
    half_erfc *= x.dtype.type(0.5)  # 0.5 erfc(|x| / sqrt 2)
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
