"""Linear, Bilinear, Identity, Flatten, Unflatten against PyTorch; default init statistics; gradcheck; errors."""
import math

import numpy as np
import pytest
import torch

import numtorch
from helpers_nn import compare_module, randn

nnn, tnn = numtorch.nn, torch.nn


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    compare_module(nnn.Linear(4, 3, bias=bias), tnn.Linear(4, 3, bias=bias), randn(*shape))


def test_linear_float64_and_dtype_argument():
    m = nnn.Linear(4, 3, dtype=numtorch.float64)
    assert m.weight.dtype == numtorch.float64
    compare_module(m, tnn.Linear(4, 3, dtype=torch.float64), randn(5, 4, dtype=np.float64), rtol=1e-10, atol=1e-12)


def test_linear_errors_use_torch_wording():
    lin = nnn.Linear(4, 3)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(6x5 and 4x3\)"):
        lin(numtorch.randn(2, 3, 5))
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(1x5 and 4x3\)"):
        lin(numtorch.randn(5))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Double and Float"):
        lin(numtorch.randn(2, 4, dtype=numtorch.float64))


@pytest.mark.parametrize("fan_in,fan_out", [(64, 32), (300, 5)])
def test_linear_default_init_distribution(fan_in, fan_out):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, as PyTorch's kaiming_uniform_(a=sqrt(5))."""
    bound = 1 / math.sqrt(fan_in)
    w = np.concatenate([nnn.Linear(fan_in, fan_out).weight.detach().numpy().ravel() for _ in range(4)])
    tw = np.concatenate([tnn.Linear(fan_in, fan_out).weight.detach().numpy().ravel() for _ in range(4)])
    for arr in (w, tw):
        assert arr.min() >= -bound and arr.max() <= bound
        assert abs(arr.mean()) < 0.05 * bound
        assert abs(arr.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(w.std() - tw.std()) < 0.05 * bound
    b = nnn.Linear(fan_in, 4000).bias.detach().numpy()
    assert b.min() >= -bound and b.max() <= bound and abs(b.std() - bound / math.sqrt(3)) < 0.05 * bound


def test_linear_gradcheck():
    lin = nnn.Linear(3, 2).double()
    x = numtorch.randn(4, 3, dtype=numtorch.float64, requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda x, w, b: nnn.functional.linear(x, w, b), (x, lin.weight, lin.bias))
    x3 = numtorch.randn(2, 2, 3, dtype=numtorch.float64, requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda x, w: nnn.functional.linear(x, w), (x3, lin.weight))


@pytest.mark.parametrize("shape1,shape2", [((5, 3), (5, 4)), ((2, 3, 3), (2, 3, 4))])
def test_bilinear_matches_torch(shape1, shape2):
    compare_module(nnn.Bilinear(3, 4, 2), tnn.Bilinear(3, 4, 2), randn(*shape1), randn(*shape2, seed=1))
    compare_module(nnn.Bilinear(3, 4, 2, bias=False), tnn.Bilinear(3, 4, 2, bias=False), randn(*shape1),
                   randn(*shape2, seed=1))


def test_bilinear_init_and_gradcheck():
    m = nnn.Bilinear(20, 4, 50)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= 1 / math.sqrt(20) and abs(w.std() - 1 / math.sqrt(60)) < 0.01
    m = m.double()
    x1 = numtorch.randn(3, 20, dtype=numtorch.float64, requires_grad=True)
    x2 = numtorch.randn(3, 4, dtype=numtorch.float64, requires_grad=True)
    assert numtorch.autograd.gradcheck(nnn.functional.bilinear, (x1, x2, m.weight, m.bias))


def test_identity_flatten_unflatten():
    x = randn(2, 3, 4, 5)
    compare_module(nnn.Identity(54, unused=1), tnn.Identity(54, unused=1), x)
    compare_module(nnn.Flatten(), tnn.Flatten(), x)
    compare_module(nnn.Flatten(0, 2), tnn.Flatten(0, 2), x)
    compare_module(nnn.Unflatten(1, (3, 1)), tnn.Unflatten(1, (3, 1)), x)
    compare_module(nnn.Unflatten(-1, (5, 1)), tnn.Unflatten(-1, (5, 1)), x)
