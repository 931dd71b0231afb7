"""Creation functions against PyTorch: values, dtypes and shapes."""
import numpy as np
import pytest
import torch

import numtorch

CASES = {
    "zeros": lambda T: T.zeros(2, 3), "zeros_tuple": lambda T: T.zeros((2, 3), dtype=T.int64),
    "ones": lambda T: T.ones([2], dtype=T.float64), "full": lambda T: T.full((2, 2), 3.5),
    "full_int": lambda T: T.full((2,), 4), "empty_shape": lambda T: T.empty(3, 0).shape,
    "arange": lambda T: T.arange(5), "arange_float": lambda T: T.arange(0.0, 1.0, 0.3),
    "arange_neg": lambda T: T.arange(5, 0, -2), "arange_dtype": lambda T: T.arange(3, dtype=T.float32),
    "arange_float_end": lambda T: T.arange(2.5), "linspace": lambda T: T.linspace(-1, 1, 5),
    "linspace_1": lambda T: T.linspace(0, 1, 1), "logspace": lambda T: T.logspace(0, 2, 3),
    "eye": lambda T: T.eye(3), "eye_rect": lambda T: T.eye(2, 4, dtype=T.int64),
    "zeros_like": lambda T: T.zeros_like(T.ones(2, dtype=T.int32)), "ones_like": lambda T: T.ones_like(
        T.ones(2, 2), dtype=T.float64), "full_like": lambda T: T.full_like(T.ones(2), 7),
    "empty_like": lambda T: T.empty_like(T.ones(2, 3, dtype=T.float64)).dtype,
    "tensor_nested": lambda T: T.tensor([[1, 2], [3, 4]], dtype=T.float32),
    "tensor_tensors": lambda T: T.tensor([T.tensor(1.0), T.tensor(2.0)]),
    "tensor_tuple": lambda T: T.tensor(((1, 2),)), "tensor_bool_int": lambda T: T.tensor([True, 2]),
    "tensor_mixed": lambda T: T.tensor([1, 2.5]), "scalar_tensor": lambda T: T.scalar_tensor(3),
    "as_tensor_dtype": lambda T: T.as_tensor([1, 2], dtype=T.float64),
    "tril_indices_like": lambda T: T.ones(3, 3).tril().sum(), "new_full": lambda T: T.ones(1).new_full((2,), 5.0),
    "new_ones": lambda T: T.ones(1, dtype=T.float64).new_ones(2, 2), "new_empty": lambda T: T.ones(1).new_empty(
        3).shape,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_creation_matches_pytorch(name):
    ours = repr(CASES[name](numtorch))
    theirs = repr(CASES[name](torch)).replace("torch.", "numtorch.")
    assert ours == theirs


def test_requires_grad_and_default_dtype():
    assert numtorch.zeros(2, requires_grad=True).requires_grad
    assert numtorch.tensor([1.0], requires_grad=True).is_leaf
    numtorch.set_default_dtype(numtorch.float64)
    try:
        assert numtorch.tensor([1.0]).dtype == numtorch.float64 and numtorch.zeros(1).dtype == numtorch.float64
        assert numtorch.tensor([1]).dtype == numtorch.int64
    finally:
        numtorch.set_default_dtype(numtorch.float32)
    assert numtorch.ones(1).dtype == numtorch.float32


def test_negative_size_error():
    with pytest.raises(RuntimeError, match="negative dimension"):
        numtorch.zeros(-1)


def test_python_floats_go_straight_to_the_requested_dtype():
    assert numtorch.tensor(0.1, dtype=numtorch.float64).item() == 0.1
    assert numtorch.tensor([[0.1, 1e-300]], dtype=numtorch.float64).tolist() == [[0.1, 1e-300]]
    assert numtorch.tensor(0.1).dtype == numtorch.float32  # no dtype: the default float, as before
