"""``Categorical(probs=None, logits=None)``: integer samples in [0, K)."""
from __future__ import annotations

import math

from .._backend import xp
from ..autograd.grad_mode import no_grad
from ..tensor import Size, Tensor, _make
from . import constraints
from .distribution import Distribution
from .utils import _draw, _size, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    """K-way categorical: probs (non-negative, normalised over the last dim) or logits (unnormalised log-probs),
    of shape (*batch_shape, K); samples are int64 of batch_shape."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None) -> "Categorical":
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = _size(batch_shape)
        param_shape = tuple(batch_shape) + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = new._param = self.probs.expand(param_shape)
        if "logits" in self.__dict__:
            new.logits = new._param = self.logits.expand(param_shape)
        new._num_events = self._num_events
        super(Categorical, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    @property
    def mean(self) -> Tensor:
        import numtorch
        return numtorch.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        return self.mean

    def sample(self, sample_shape=Size()) -> Tensor:
        """Inverse-CDF draws: int64 of (*sample_shape, *batch_shape), vectorised over samples and batch.

        Row r's CDF is shifted to [r, r + 1] so that one searchsorted over all rows finds every draw
        (memory O(samples * batch), not O(samples * batch * K))."""
        with no_grad():
            k = self._num_events
            p = self.probs._data.astype(xp.float64).reshape(-1, k)
            cdf = xp.cumsum(p, axis=-1)
            cdf /= cdf[:, -1:]
            rows = xp.arange(p.shape[0], dtype=xp.float64)
            shape = tuple(self._extended_shape(sample_shape))
            u = _draw("uniform", shape, xp.float64)._data.reshape(-1, p.shape[0])
            idx = xp.searchsorted((cdf + rows[:, None]).ravel(), u + rows, side="right") - (rows * k).astype(xp.int64)
            return _make(xp.minimum(idx, k - 1).reshape(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        """log probs[value]: value of shape broadcastable to batch_shape -> broadcast shape."""
        import numtorch
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = numtorch.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        """-sum_k p_k log p_k: batch_shape (0 log 0 counted as 0)."""
        import numtorch
        logits = self.logits.clamp(min=numtorch.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        import numtorch
        values = numtorch.arange(self._num_events, dtype=numtorch.long).view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
