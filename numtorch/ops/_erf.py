"""The error function on arrays: double precision for float64, float32 precision (relative) otherwise.

* ``erf_series(x)`` for |x| < 3: erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (2n+1)!! (all terms of
  x's sign, no cancellation).
* ``erfc_nonneg(a)`` for a >= 0: 1 - erf_series(a) below 3, the continued fraction
  erfc(a) = e^{-a^2}/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/...))) above, so the tail keeps its relative accuracy.
* ``erf_array(x)``: float64 from the two above; other dtypes from Numerical Recipes' Chebyshev fit of erfc
  (relative error < 1.2e-7) for |x| >= 0.5 and the Maclaurin series below, where 1 - erfc would cancel.
"""
from __future__ import annotations

import math

from .._backend import xp

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erf_series(x):
    """erf(x) for float64 |x| < 3 (60 terms: past double round-off there)."""
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, 60):
        term *= (2.0 / (2 * n + 1)) * x2
        total += term
    return _TWO_OVER_SQRT_PI * xp.exp(-x2) * total


def erfc_nonneg(a):
    """erfc(a) for float64 a >= 0, to double precision, relative accuracy kept in the tail."""
    out = xp.empty_like(a)
    small = a < 3.0
    out[small] = 1.0 - erf_series(a[small])
    big = ~small
    if big.any():
        xb = a[big]
        k = xb.copy()
        for j in range(50, 0, -1):
            k = xb + (j / 2.0) / k
        out[big] = xp.exp(-xb * xb) / (math.sqrt(math.pi) * k)
    return out


def erf_f64(x):
    """erf of a float64 array, to double precision (also near 0, where 1 - erfc would cancel)."""
    out = xp.empty_like(x)
    small = xp.abs(x) < 3.0
    out[small] = erf_series(x[small])
    big = ~small
    if big.any():
        xb = x[big]
        out[big] = xp.sign(xb) * (1.0 - erfc_nonneg(xp.abs(xb)))
    return out


_MACLAURIN = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(9)]  # erf = 2/sqrt(pi) sum c_n x^(2n+1)
_NR_COEFFS = (-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368)


def erfc_fit(z):
    """erfc(z) for z >= 0 by Numerical Recipes' Chebyshev fit (relative error < 1.2e-7, tails included),
    computed in z's dtype; ``z`` is overwritten."""
    shape = xp.shape(z)
    z = xp.atleast_1d(z)  # a 0-d input would make the in-place steps below act on NumPy scalars
    t_ = z.dtype.type
    t = 1.0 / (1.0 + t_(0.5) * z)
    poly = t * t_(0.17087277)
    for c in _NR_COEFFS:
        poly += t_(c)  # Horner's scheme, in place
        poly *= t
    poly -= t_(1.26551223)
    z *= z
    poly -= z
    out = xp.exp(poly, out=poly)
    out *= t
    return out.reshape(shape)


def erf_array(x):
    """erf elementwise in x's dtype: double precision for float64, ~1e-7 relative otherwise."""
    if x.dtype == xp.float64:
        return erf_f64(x)
    shape, x = x.shape, xp.atleast_1d(x)  # 0-d: keep arrays (not NumPy scalars) for the masked assignment
    z = xp.abs(x).astype(xp.float64)
    small = z < 0.5
    out = xp.sign(x) * (1.0 - erfc_fit(z))
    if small.any():
        xs = x[small].astype(xp.float64)
        x2 = xs * xs
        acc = xp.full_like(xs, _MACLAURIN[-1])
        for c in reversed(_MACLAURIN[:-1]):
            acc = acc * x2 + c
        out[small] = _TWO_OVER_SQRT_PI * xs * acc
    return out.astype(x.dtype, copy=False).reshape(shape)
