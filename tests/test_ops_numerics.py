"""Numerical safety at large magnitudes: no NaN/Inf where PyTorch has none, and no NumPy warnings."""
import warnings

import numpy as np
import pytest
import torch

import numtorch

BIG = np.array([-1e4, -500.0, -88.0, -20.0, -1.0, 0.0, 1e-8, 1.0, 20.0, 88.0, 500.0, 1e4])

FUNCS = {
    "sigmoid": lambda T, x: T.sigmoid(x), "tanh": lambda T, x: T.tanh(x),
    "softmax": lambda T, x: T.softmax(x.reshape(3, 4), dim=1), "log_softmax": lambda T, x: T.log_softmax(
        x.reshape(3, 4), dim=0), "logsumexp": lambda T, x: T.logsumexp(x.reshape(3, 4), dim=1),
    "logsumexp_all": lambda T, x: T.logsumexp(x, 0), "log1p": lambda T, x: T.log1p(x.abs()),
    "exp_overflow": lambda T, x: T.exp(x), "softmax_inf": lambda T, x: T.softmax(
        T.where(x > 100, T.tensor(float("-inf"), dtype=x.dtype), x), 0),
    "div_zero": lambda T, x: x / T.zeros_like(x), "log_zero": lambda T, x: T.log(x.abs() * 0),
    "sqrt_neg": lambda T, x: T.sqrt(x), "pow_big": lambda T, x: x ** 3, "logaddexp": lambda T, x: T.logaddexp(x, x),
    "norm_big": lambda T, x: x.norm(), "var_big": lambda T, x: x.var(), "erf": lambda T, x: T.erf(x),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_large_magnitudes(name, dtype):
    f = FUNCS[name]
    xt = torch.tensor(BIG.astype(dtype), requires_grad=True)
    expected = f(torch, xt)
    expected.sum().backward() if expected.requires_grad else None
    xn = numtorch.tensor(BIG.astype(dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any NumPy RuntimeWarning fails the test
        out = f(numtorch, xn)
        out.sum().backward()
    a, e = out.detach().numpy(), expected.detach().numpy()
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e), err_msg="NaN pattern differs")
    np.testing.assert_array_equal(np.isinf(a), np.isinf(e), err_msg="Inf pattern differs")
    tol = 1e-6 if name == "erf" else 1e-5
    np.testing.assert_allclose(a, e, rtol=tol, atol=tol)
    if xt.grad is not None:
        ga, ge = xn.grad.numpy(), xt.grad.numpy()
        finite = np.isfinite(ge)
        np.testing.assert_array_equal(np.isfinite(ga), finite, err_msg="gradient finiteness differs")
        np.testing.assert_allclose(ga[finite], ge[finite], rtol=1e-4, atol=1e-6)


def test_erf_is_accurate_near_zero_and_in_double_precision():
    import math
    xs = [1e-8, -1e-8, 1e-3, 0.3, -0.45, 0.5, 0.7, 1.5, 2.9, 3.5, -4.0, 6.0]
    e64 = numtorch.erf(numtorch.tensor(xs, dtype=numtorch.float64)).tolist()
    e32 = numtorch.erf(numtorch.tensor(xs)).tolist()
    for x, a, b in zip(xs, e64, e32):
        ref = math.erf(x)
        assert abs(a - ref) <= 2e-15 * abs(ref), (x, a, ref)
        ref32 = math.erf(float(numtorch.tensor(x).item()))   # erf of the float32-rounded input
        assert abs(b - ref32) <= 3e-7 * abs(ref32), (x, b, ref32)


def test_erf_and_gelu_of_0d_tensors():
    for v in (0.3, -1.2, 2.5):
        for dt, tdt in ((numtorch.float32, torch.float32), (numtorch.float64, torch.float64)):
            assert numtorch.erf(numtorch.tensor(v, dtype=dt)).item() == pytest.approx(
                torch.erf(torch.tensor(v, dtype=tdt)).item(), rel=3e-7)
            assert numtorch.nn.functional.gelu(numtorch.tensor(v, dtype=dt)).item() == pytest.approx(
                torch.nn.functional.gelu(torch.tensor(v, dtype=tdt)).item(), rel=3e-7)
