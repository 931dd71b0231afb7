"""``ExponentialFamily``: base class of the exponential-family distributions (Normal, Bernoulli, Exponential)."""
from __future__ import annotations

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Marker base class, as in PyTorch (its Bregman-divergence entropy/KL fallbacks are not provided)."""
