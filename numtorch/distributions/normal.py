"""``Normal(loc, scale)``: the normal (Gaussian) distribution."""
from __future__ import annotations

import math

from ..tensor import Size, Tensor
from . import constraints
from ..ops.special_functions import erfinv, ndtr
from .exp_family import ExponentialFamily
from .utils import _draw, _is_number, _size, broadcast_all

__all__ = ["Normal"]


class Normal(ExponentialFamily):
    """N(loc, scale^2); loc, scale: numbers or Tensors broadcast to batch_shape; event_shape ()."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = Size() if _is_number(loc) and _is_number(scale) else self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> "Normal":
        new = self._get_checked_instance(Normal, _instance)
        batch_shape = _size(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        super(Normal, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2)

    def rsample(self, sample_shape=Size()) -> Tensor:
        """loc + eps * scale with eps ~ N(0, 1): (*sample_shape, *batch_shape), differentiable in loc and scale."""
        eps = _draw("normal", self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        """-(value - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi)); broadcast shape of value and batch."""
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value: Tensor) -> Tensor:
        """Phi((value - loc) / scale)."""
        if self._validate_args:
            self._validate_sample(value)
        return ndtr((value - self.loc) * self.scale.reciprocal())

    def icdf(self, value: Tensor) -> Tensor:
        """loc + scale * sqrt(2) * erfinv(2 value - 1)."""
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        """0.5 + 0.5 log(2 pi) + log(scale): batch_shape."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()
