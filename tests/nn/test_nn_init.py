"""numtorch.nn.init: distributions (bounds and moments) match torch.nn.init's; gains; errors; generator."""
import math

import numpy as np
import pytest
import torch

import numtorch

ni, ti = numtorch.nn.init, torch.nn.init


def both(fn_name, shape, *args, **kwargs):
    a = getattr(ni, fn_name)(numtorch.empty(*shape), *args, **kwargs).numpy()
    b = getattr(ti, fn_name)(torch.empty(*shape), *args, **kwargs).numpy()
    return a, b


@pytest.mark.parametrize("nonlinearity,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                                ("tanh", None), ("relu", None), ("leaky_relu", None),
                                                ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain(nonlinearity, param):
    assert ni.calculate_gain(nonlinearity, param) == pytest.approx(ti.calculate_gain(nonlinearity, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        ni.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope x not a valid number"):
        ni.calculate_gain("leaky_relu", "x")


@pytest.mark.parametrize("fn,args,kwargs,kind,shape", [
    ("uniform_", (-0.5, 2.0), {}, "uniform", (200, 100)),
    ("normal_", (1.0, 0.5), {}, "normal", (200, 100)),
    ("xavier_uniform_", (), {"gain": 2.0}, "uniform", (150, 120)),
    ("xavier_normal_", (), {}, "normal", (150, 120)),
    ("kaiming_uniform_", (), {}, "uniform", (64, 32, 3, 3)),
    ("kaiming_uniform_", (), {"a": math.sqrt(5)}, "uniform", (200, 100)),
    ("kaiming_normal_", (), {"mode": "fan_out", "nonlinearity": "relu"}, "normal", (64, 32, 3, 3)),
    ("trunc_normal_", (), {"std": 1.0, "a": -1.0, "b": 2.0}, "bounded", (200, 100)),
    ("trunc_normal_", (), {"mean": 0.5, "std": 0.02}, "bounded", (200, 100)),
])
def test_random_initialisers_match_torch_distribution(fn, args, kwargs, kind, shape):
    a, b = both(fn, shape, *args, **kwargs)
    assert a.dtype == np.float32
    tol = 0.03 * b.std() + 1e-6
    assert abs(a.mean() - b.mean()) < tol * 2 and abs(a.std() - b.std()) < tol
    if kind in ("uniform", "bounded"):
        lo, hi = b.min(), b.max()
        span = hi - lo
        assert a.min() >= lo - 0.01 * span and a.max() <= hi + 0.01 * span
    if kind == "normal":  # third and fourth standardized moments of a Gaussian: 0 and 3
        z = (a - a.mean()) / a.std()
        assert abs((z ** 3).mean()) < 0.05 and abs((z ** 4).mean() - 3) < 0.1


def test_trunc_normal_bounds():
    a = ni.trunc_normal_(numtorch.empty(100, 100), mean=0.0, std=1.0, a=-0.5, b=0.5).numpy()
    assert a.min() >= -0.5 and a.max() <= 0.5 and abs(a.mean()) < 0.01


def test_deterministic_fills():
    for fn, args in [("constant_", (0.3,)), ("zeros_", ()), ("ones_", ()), ("eye_", ())]:
        a, b = both(fn, (3, 5), *args)
        np.testing.assert_array_equal(a, b)
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 3, 3, 3), 1)]:
        a, b = both("dirac_", shape, groups)
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        ni.eye_(numtorch.empty(2, 2, 2))


@pytest.mark.parametrize("shape,gain", [((6, 4), 1.0), ((4, 6), 2.0), ((3, 2, 2), 1.0)])
def test_orthogonal(shape, gain):
    w = ni.orthogonal_(numtorch.empty(*shape), gain=gain).numpy().reshape(shape[0], -1).astype(np.float64)
    if shape[0] >= w.shape[1]:
        np.testing.assert_allclose(w.T @ w, gain ** 2 * np.eye(w.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(w @ w.T, gain ** 2 * np.eye(shape[0]), atol=1e-5)


def test_sparse():
    w = ni.sparse_(numtorch.empty(10, 7), sparsity=0.3).numpy()
    assert np.all((w == 0).sum(0) == 3) and abs(w[w != 0].std() - 0.01) < 0.005


def test_errors_and_no_grad_behaviour():
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2"):
        ni.xavier_uniform_(numtorch.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported, please use one of"):
        ni.kaiming_normal_(numtorch.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        ni.kaiming_uniform_(numtorch.empty(0, 3))
    p = numtorch.nn.Parameter(numtorch.empty(3, 3))
    v = p._version[0]
    assert ni.normal_(p) is p and p.requires_grad and p.grad_fn is None and p._version[0] > v


def test_generator_argument_makes_fills_reproducible():
    g = numtorch.Generator().manual_seed(7)
    a = ni.uniform_(numtorch.empty(5), generator=g).numpy().copy()
    g.manual_seed(7)
    b = ni.uniform_(numtorch.empty(5), generator=g).numpy()
    np.testing.assert_array_equal(a, b)
    numtorch.manual_seed(1)
    c = numtorch.nn.Linear(3, 3).weight.detach().numpy().copy()
    numtorch.manual_seed(1)
    np.testing.assert_array_equal(c, numtorch.nn.Linear(3, 3).weight.detach().numpy())


def test_float64_fill_keeps_dtype():
    t = ni.normal_(numtorch.empty(3, dtype=numtorch.float64))
    assert t.dtype == numtorch.float64
