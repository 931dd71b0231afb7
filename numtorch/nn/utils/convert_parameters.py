"""Flatten parameters into one vector and back."""
from __future__ import annotations

from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate every parameter, flattened, into one 1-D tensor (differentiable)."""
    from ... import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of 1-D ``vec`` into each parameter's data, in order (outside autograd)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__module__.replace('numtorch', 'torch')}."
                        f"{type(vec).__name__}")
    data = vec._data
    pointer = 0
    for p in parameters:
        n = p._data.size
        p._data[...] = data[pointer:pointer + n].reshape(p._data.shape)
        p._version[0] += 1
        pointer += n
