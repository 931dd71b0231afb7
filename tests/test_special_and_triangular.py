"""lgamma / digamma / erfinv, numtorch.special, linalg.cholesky and linalg.solve_triangular against PyTorch."""
import numpy as np
import pytest
import torch

import numtorch

rng = np.random.default_rng(0)


def _pair(a, grad=True):
    return numtorch.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def _compare(f_nt, f_pt, arrays, rtol=1e-10, atol=1e-12):
    nts, pts = zip(*[_pair(a) for a in arrays])
    yn, yp = f_nt(*nts), f_pt(*pts)
    np.testing.assert_allclose(yn.detach().numpy(), yp.detach().numpy(), rtol=rtol, atol=atol)
    up = rng.standard_normal(tuple(yp.shape))
    gn = numtorch.autograd.grad(yn, nts, numtorch.tensor(up))
    gp = torch.autograd.grad(yp, pts, torch.tensor(up))
    for a, b in zip(gn, gp):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol * 100, atol=atol * 100)


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_gamma_functions(name):
    x = np.array([0.3, 1.0, 1.7, 4.0, 12.5, 40.0])
    _compare(getattr(numtorch, name), getattr(torch, name), [x], rtol=1e-9)
    assert getattr(numtorch.tensor([2.0]), name)().dtype == numtorch.float32


def test_erfinv_and_special_namespace():
    y = np.array([-0.95, -0.3, 0.0, 0.4, 0.999])
    _compare(numtorch.erfinv, torch.erfinv, [y], rtol=1e-9)
    p = np.array([0.01, 0.3, 0.5, 0.9])
    for name in ["ndtri", "ndtr", "expit", "logit", "gammaln", "psi", "erf", "erfc", "erfinv", "log1p", "expm1", "exp2", "sinc"]:
        arg = p if name in ("ndtri", "logit", "erfinv", "gammaln", "psi") else p * 4 - 2
        np.testing.assert_allclose(getattr(numtorch.special, name)(numtorch.tensor(arg)).numpy(),
                                   getattr(torch.special, name)(torch.tensor(arg)).numpy(), rtol=1e-9, err_msg=name)


def _spd(n, batch=()):
    m = rng.standard_normal(batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper):
    _compare(lambda a: numtorch.linalg.cholesky(a, upper=upper), lambda a: torch.linalg.cholesky(a, upper=upper),
             [_spd(4, (2,))], rtol=1e-9)


def test_cholesky_not_positive_definite_names_the_minor():
    with pytest.raises(RuntimeError, match="leading minor of order 2 is not positive-definite"):
        numtorch.linalg.cholesky(numtorch.tensor([[1.0, 2.0], [2.0, 1.0]]))


@pytest.mark.parametrize("upper,left,unit", [(False, True, False), (True, True, False), (False, False, False),
                                             (True, False, True), (False, True, True)])
def test_solve_triangular(upper, left, unit):
    A = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    B = rng.standard_normal((2, 3, 4) if left else (2, 4, 3))
    _compare(lambda a, b: numtorch.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unit),
             lambda a, b: torch.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unit),
             [A, B], rtol=1e-9)


def test_solve_triangular_shape_errors():
    with pytest.raises(RuntimeError, match="must have at least 2 dimensions"):
        numtorch.linalg.solve_triangular(numtorch.eye(3), numtorch.ones(3), upper=True)
    with pytest.raises(RuntimeError, match="Incompatible shapes of A and B"):
        numtorch.linalg.solve_triangular(numtorch.eye(3), numtorch.ones(2, 2), upper=True)
