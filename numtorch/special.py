"""``torch.special``: the special functions under their SciPy-style names.

Aliases of numtorch's ops (same forward, same gradient): ``expit`` is sigmoid, ``gammaln`` is lgamma, ``psi``
is digamma; ``ndtr`` is the standard normal CDF and ``ndtri`` its inverse, sqrt(2) * erfinv(2p - 1).
"""
from __future__ import annotations

import math

from .ops.special_functions import digamma, erfinv, lgamma, ndtr
from .ops import erf, erfc, exp2, expm1, log1p, logit, logsumexp, round, sigmoid, sinc, xlogy
from .ops.pointwise import log_softmax, softmax
from .tensor import Tensor

__all__ = ["erf", "erfc", "erfinv", "expit", "logit", "gammaln", "digamma", "psi", "ndtr", "ndtri", "exp2",
           "expm1", "log1p", "logsumexp", "softmax", "log_softmax", "sinc", "xlogy", "round"]

expit = sigmoid
gammaln = lgamma
psi = digamma


def ndtri(p: Tensor) -> Tensor:
    """Inverse of the standard normal CDF: sqrt(2) * erfinv(2p - 1); p in (0, 1) -> z, same shape."""
    return erfinv(2 * p - 1) * math.sqrt(2.0)


def __getattr__(name: str):
    from ._missing import missing_attribute
    return missing_attribute(__name__, name)
