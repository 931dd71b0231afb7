"""numtorch.distributions against torch.distributions: values, gradients, shapes, sampling, KL, validation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributions as TD
from hypothesis import given, settings, strategies as st

import numtorch
import numtorch.distributions as ND

RNG = np.random.default_rng(0)
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
DTYPES = [np.float32, np.float64]


def _np(t):
    return t.detach().numpy()


def close(a, b, dtype, rtol=None, atol=None):
    tol = dict(TOL[dtype])
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    a, b = np.asarray(_np(a) if hasattr(a, "detach") else a), np.asarray(_np(b) if hasattr(b, "detach") else b)
    assert a.shape == b.shape, f"shape {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, equal_nan=True, **tol)


def _probs(*shape):
    p = RNG.uniform(0.1, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def _onehot(idx, k):
    return np.eye(k)[idx]


def _spd(*batch_and_n):
    *batch, n = batch_and_n
    m = RNG.standard_normal((*batch, n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


# name -> (class name, params {name: array}, value array or None, wrap in Independent(., 1))
CASES = {
    "normal": ("Normal", dict(loc=RNG.standard_normal(3), scale=RNG.uniform(0.5, 2, 3)), RNG.standard_normal((2, 3)),
               False),
    "bernoulli_probs": ("Bernoulli", dict(probs=RNG.uniform(0.1, 0.9, 3)), RNG.integers(0, 2, (2, 3)), False),
    "bernoulli_logits": ("Bernoulli", dict(logits=RNG.standard_normal(3)), RNG.integers(0, 2, (2, 3)), False),
    "categorical_probs": ("Categorical", dict(probs=_probs(2, 4)), RNG.integers(0, 4, (3, 2)), False),
    "categorical_logits": ("Categorical", dict(logits=RNG.standard_normal((2, 4))), RNG.integers(0, 4, (3, 2)), False),
    "onehot_probs": ("OneHotCategorical", dict(probs=_probs(2, 4)), _onehot(RNG.integers(0, 4, (3, 2)), 4), False),
    "onehot_logits": ("OneHotCategorical", dict(logits=RNG.standard_normal((2, 4))),
                      _onehot(RNG.integers(0, 4, (3, 2)), 4), False),
    "uniform": ("Uniform", dict(low=np.array([-1.0, 0.0, 2.0]), high=np.array([1.0, 0.5, 5.0])),
                np.array([[0.3, 0.1, 2.5], [-0.9, 0.4, 4.9]]), False),
    "exponential": ("Exponential", dict(rate=RNG.uniform(0.5, 3, 3)), RNG.uniform(0, 3, (2, 3)), False),
    "independent_normal": ("Normal", dict(loc=RNG.standard_normal((2, 3)), scale=RNG.uniform(0.5, 2, (2, 3))),
                           RNG.standard_normal((4, 2, 3)), True),
    "mvn_covariance": ("MultivariateNormal", dict(loc=RNG.standard_normal(3), covariance_matrix=_spd(2, 3)),
                       RNG.standard_normal((4, 2, 3)), False),
    "mvn_precision": ("MultivariateNormal", dict(loc=RNG.standard_normal((2, 3)), precision_matrix=_spd(3)),
                      RNG.standard_normal((4, 2, 3)), False),
    "mvn_scale_tril": ("MultivariateNormal",
                       dict(loc=RNG.standard_normal(3), scale_tril=np.linalg.cholesky(_spd(2, 3))),
                       RNG.standard_normal((4, 1, 3)), False),
    "gamma": ("Gamma", dict(concentration=RNG.uniform(0.5, 4, 3), rate=RNG.uniform(0.5, 2, 3)),
              RNG.uniform(0.1, 4, (2, 3)), False),
    "poisson": ("Poisson", dict(rate=RNG.uniform(0.5, 6, 3)), RNG.integers(0, 8, (2, 3)), False),
    "beta": ("Beta", dict(concentration1=RNG.uniform(0.5, 4, 3), concentration0=RNG.uniform(0.5, 4, 3)),
             RNG.uniform(0.05, 0.95, (2, 3)), False),
    "dirichlet": ("Dirichlet", dict(concentration=RNG.uniform(0.5, 4, (2, 3))), _probs(4, 2, 3), False),
}


def build(case, dtype, grad=True):
    """The same distribution in both libraries; returns (nt_dist, torch_dist, nt_params, torch_params, values)."""
    cls, params, value, indep = CASES[case]
    ntp = {k: numtorch.tensor(v.astype(dtype), requires_grad=grad) for k, v in params.items()}
    thp = {k: torch.tensor(v.astype(dtype), requires_grad=grad) for k, v in params.items()}
    dn, dt = getattr(ND, cls)(**ntp), getattr(TD, cls)(**thp)
    if indep:
        dn, dt = ND.Independent(dn, 1), TD.Independent(dt, 1)
    vdtype = np.int64 if cls == "Categorical" else dtype
    return dn, dt, ntp, thp, (numtorch.tensor(value.astype(vdtype)), torch.tensor(value.astype(vdtype)))


# Gradients through digamma use trigamma, which PyTorch computes to ~5e-10 relative (numtorch's agrees with
# mpmath to 1e-15), so float64 comparisons of those gradients use rtol 1e-8, atol 1e-9 (the gradients are
# sums with cancellation); values still match at 1e-10.
TRIGAMMA_TOL = {"gamma": dict(rtol=1e-8, atol=1e-9), "beta": dict(rtol=1e-8, atol=1e-9),
                "dirichlet": dict(rtol=1e-8, atol=1e-9)}


def compare_with_grads(case, dtype, fn, rtol=None, atol=None):
    """fn(dist, value) -> Tensor, compared in value (default tolerances) and in the gradient of a weighted sum
    w.r.t. every parameter (rtol/atol if given)."""
    dn, dt, ntp, thp, (vn, vt) = build(case, dtype)
    on, ot = fn(dn, vn), fn(dt, vt)
    close(on, ot, dtype)
    assert _np(on).dtype == _np(ot).dtype
    w = np.random.default_rng(1).standard_normal(tuple(ot.shape)).astype(dtype)
    (on * numtorch.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    for k in ntp:
        close_grad(ntp[k].grad, thp[k].grad, dtype, rtol, atol)


def close_grad(gn, gt, dtype, rtol=None, atol=None):
    """Gradients agree; a missing gradient (None) counts as zeros, as the other library's may be explicit."""
    if gn is None and gt is None:
        return
    if gn is None or gt is None:
        ref = gt if gn is None else gn
        assert not np.any(_np(ref)), "one library has no gradient, the other a non-zero one"
        return
    close(gn, gt, dtype, rtol, atol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CASES))
def test_log_prob_and_entropy_match_torch(case, dtype):
    tol = TRIGAMMA_TOL.get(case, {}) if dtype == np.float64 else {}
    compare_with_grads(case, dtype, lambda d, v: d.log_prob(v), **tol)
    if case == "poisson":  # PyTorch has no Poisson entropy either
        dn, dt, *_ = build(case, dtype)
        with pytest.raises(NotImplementedError):
            dn.entropy()
        with pytest.raises(NotImplementedError):
            dt.entropy()
        return
    compare_with_grads(case, dtype, lambda d, v: d.entropy(), **tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CASES))
def test_moments_match_torch(case, dtype):
    dn, dt, *_ = build(case, dtype, grad=False)
    for name in ("mean", "variance", "stddev", "mode"):
        a, b = getattr(dn, name), getattr(dt, name)
        close(a, b, dtype)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], name
    assert tuple(dn.batch_shape) == tuple(dt.batch_shape) and tuple(dn.event_shape) == tuple(dt.event_shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["normal", "uniform", "exponential"])
def test_cdf_icdf_match_torch(case, dtype):
    compare_with_grads(case, dtype, lambda d, v: d.cdf(v))
    p = np.array([[0.01, 0.3, 0.5], [0.7, 0.95, 0.999]])
    compare_with_grads(case, dtype, lambda d, v: d.icdf(v.new_tensor(p) if isinstance(v, torch.Tensor)
                                                         else numtorch.tensor(p.astype(dtype))))


@pytest.mark.parametrize("case", list(CASES))
def test_sample_shapes_and_dtypes_match_torch(case):
    dn, dt, *_ = build(case, np.float32, grad=True)
    for shape in [(), (5,), (4, 2)]:
        sn, st_ = dn.sample(shape), dt.sample(shape)
        assert tuple(sn.shape) == tuple(st_.shape)
        assert str(sn.dtype).split(".")[-1] == str(st_.dtype).split(".")[-1]
        assert not sn.requires_grad
        assert (_np(dn.log_prob(sn)) > -np.inf).all()  # samples lie in the support
        if dt.has_rsample:
            rn = dn.rsample(shape)
            assert tuple(rn.shape) == tuple(dt.rsample(shape).shape) and rn.requires_grad
    assert dn.has_rsample == dt.has_rsample


def test_manual_seed_reproduces_samples():
    d = ND.Normal(numtorch.zeros(3), numtorch.ones(3))
    c = ND.Categorical(logits=numtorch.zeros(5))
    numtorch.manual_seed(3)
    a, i = d.sample((4,)), c.sample((6,))
    numtorch.manual_seed(3)
    np.testing.assert_array_equal(_np(a), _np(d.sample((4,))))
    np.testing.assert_array_equal(_np(i), _np(c.sample((6,))))


N = 20000


def _check_stats(samples, mean, var):
    """Sample mean and variance within 4 standard errors of the true ones (per component)."""
    x = (_np(samples) if hasattr(samples, "detach") else samples).astype(np.float64)
    m, v = x.mean(0), x.var(0)
    assert (np.abs(m - mean) <= 4 * np.sqrt(var / N)).all(), (m, mean)
    m4 = ((x - mean) ** 4).mean(0)
    assert (np.abs(v - var) < 4 * np.sqrt(np.maximum(m4 - var ** 2, 1e-12) / N) + 1e-12).all(), (v, var)


@pytest.mark.parametrize("make,mean,var", [
    (lambda: ND.Normal(numtorch.tensor([0.0, 3.0]), numtorch.tensor([1.0, 0.5])), [0, 3], [1, 0.25]),
    (lambda: ND.Bernoulli(probs=numtorch.tensor([0.2, 0.7])), [0.2, 0.7], [0.16, 0.21]),
    (lambda: ND.Uniform(numtorch.tensor([-1.0, 2.0]), numtorch.tensor([1.0, 5.0])), [0, 3.5], [4 / 12, 9 / 12]),
    (lambda: ND.Exponential(numtorch.tensor([1.0, 4.0])), [1, 0.25], [1, 1 / 16]),
    (lambda: ND.OneHotCategorical(probs=numtorch.tensor([0.1, 0.0, 0.6, 0.3])), [0.1, 0, 0.6, 0.3],
     [0.09, 0, 0.24, 0.21]),
    (lambda: ND.Gamma(numtorch.tensor([0.3, 5.0]), numtorch.tensor([1.0, 2.0])), [0.3, 2.5], [0.3, 1.25]),
    (lambda: ND.Poisson(numtorch.tensor([0.5, 7.0])), [0.5, 7.0], [0.5, 7.0]),
    (lambda: ND.Beta(numtorch.tensor([0.5, 2.0]), numtorch.tensor([0.5, 5.0])), [0.5, 2 / 7], [1 / 8, 10 / 392]),
    (lambda: ND.Dirichlet(numtorch.tensor([1.0, 2.0, 3.0])), [1 / 6, 2 / 6, 3 / 6], [5 / 252, 8 / 252, 9 / 252]),
])
def test_sample_statistics(make, mean, var):
    numtorch.manual_seed(0)
    d = make()
    _check_stats(d.sample((N,)), np.array(mean), np.array(var))
    if d.has_rsample:
        _check_stats(d.rsample((N,)), np.array(mean), np.array(var))


def test_multivariate_normal_sample_mean_and_covariance():
    numtorch.manual_seed(2)
    cov = np.array([[2.0, 0.6], [0.6, 0.5]])
    d = ND.MultivariateNormal(numtorch.tensor([1.0, -2.0]), numtorch.tensor(cov, dtype=numtorch.float32))
    for x in (_np(d.sample((N,))).astype(np.float64), _np(d.rsample((N,))).astype(np.float64)):
        _check_stats(x, np.array([1.0, -2.0]), np.diag(cov))
        c = np.cov(x.T)
        se = np.sqrt((cov ** 2 + np.outer(np.diag(cov), np.diag(cov))) / N)  # Gaussian SE of covariance entries
        assert (np.abs(c - cov) < 4 * se).all(), c


def test_categorical_sample_frequencies_batched():
    numtorch.manual_seed(1)
    probs = np.array([[0.5, 0.25, 0.25, 0.0], [0.05, 0.05, 0.1, 0.8]])
    s = _np(ND.Categorical(probs=numtorch.tensor(probs * 3)).sample((N,)))  # unnormalised on purpose
    assert s.shape == (N, 2) and s.dtype == np.int64
    freq = np.stack([(s == k).mean(0) for k in range(4)], -1)
    assert (np.abs(freq - probs) <= 4 * np.sqrt(probs * (1 - probs) / N) + 1e-12).all()


def test_rsample_gradients_are_the_analytic_ones():
    loc = numtorch.tensor([0.5, -1.0], requires_grad=True)
    scale = numtorch.tensor([2.0, 0.3], requires_grad=True)
    x = ND.Normal(loc, scale).rsample((7,))
    x.sum().backward()
    eps = (_np(x) - _np(loc)) / _np(scale)
    np.testing.assert_allclose(_np(loc.grad), [7.0, 7.0])
    np.testing.assert_allclose(_np(scale.grad), eps.sum(0), rtol=1e-5)

    rate = numtorch.tensor([0.5, 2.0], requires_grad=True)
    y = ND.Exponential(rate).rsample((5,))
    y.sum().backward()
    np.testing.assert_allclose(_np(rate.grad), (-_np(y) / _np(rate)).sum(0), rtol=1e-5)

    mloc = numtorch.tensor([0.5, -1.0], requires_grad=True)
    tril = numtorch.tensor([[1.0, 0.0], [0.4, 0.8]], requires_grad=True)
    m = ND.MultivariateNormal(mloc, scale_tril=tril).rsample((9,))
    m.sum().backward()
    meps = np.linalg.solve(_np(tril), (_np(m) - _np(mloc)).T).T  # eps = L^-1 (x - loc)
    np.testing.assert_allclose(_np(mloc.grad), [9.0, 9.0])
    np.testing.assert_allclose(_np(tril.grad), np.ones((2, 1)) * meps.sum(0)[None, :], rtol=1e-4, atol=1e-5)

    low = numtorch.tensor([0.0, 1.0], requires_grad=True)
    high = numtorch.tensor([2.0, 4.0], requires_grad=True)
    u = ND.Uniform(low, high).rsample((6,))
    u.sum().backward()
    frac = (_np(u) - _np(low)) / (_np(high) - _np(low))
    np.testing.assert_allclose(_np(low.grad), (1 - frac).sum(0), rtol=1e-5)
    np.testing.assert_allclose(_np(high.grad), frac.sum(0), rtol=1e-5)


def test_gamma_family_rsample_gradients():
    """Implicit reparameterisation: d sample / d concentration equals torch's (approximate) _standard_gamma_grad
    at the same draws, and flows through Beta/Dirichlet's normalisation."""
    alpha = numtorch.tensor(np.array([0.2, 1.0, 3.0, 30.0]), requires_grad=True)
    rate = numtorch.tensor(np.array([1.0, 2.0, 0.5, 1.0]), requires_grad=True)
    x = ND.Gamma(alpha, rate).rsample((50,))
    x.sum().backward()
    g = _np(x) * _np(rate)  # the standard-gamma draws
    expected = torch._standard_gamma_grad(torch.tensor(np.broadcast_to(_np(alpha), g.shape).copy()),
                                          torch.tensor(g)).numpy() / _np(rate)
    np.testing.assert_allclose(_np(alpha.grad), expected.sum(0), rtol=2e-3)
    np.testing.assert_allclose(_np(rate.grad), (-_np(x) / _np(rate)).sum(0), rtol=1e-10)
    a = numtorch.tensor([2.0, 3.0], requires_grad=True)
    b = numtorch.tensor([1.5, 0.5], requires_grad=True)
    y = ND.Beta(a, b).rsample((4,))
    assert tuple(y.shape) == (4, 2) and ((_np(y) > 0) & (_np(y) < 1)).all()
    y.sum().backward()
    assert np.isfinite(_np(a.grad)).all() and np.isfinite(_np(b.grad)).all() and (_np(b.grad) < 0).all()


KL_PAIRS = {
    "normal": ("Normal", dict(loc=RNG.standard_normal(3), scale=RNG.uniform(0.5, 2, 3)),
               dict(loc=RNG.standard_normal(3), scale=RNG.uniform(0.5, 2, 3))),
    "bernoulli": ("Bernoulli", dict(probs=RNG.uniform(0.1, 0.9, 3)), dict(logits=RNG.standard_normal(3))),
    "categorical": ("Categorical", dict(probs=_probs(2, 4)), dict(logits=RNG.standard_normal((2, 4)))),
    "onehot": ("OneHotCategorical", dict(logits=RNG.standard_normal((2, 4))), dict(probs=_probs(2, 4))),
    "uniform": ("Uniform", dict(low=np.array([0.0, 1.0]), high=np.array([1.0, 2.0])),
                dict(low=np.array([-1.0, 0.5]), high=np.array([1.5, 3.0]))),
    "exponential": ("Exponential", dict(rate=RNG.uniform(0.5, 3, 3)), dict(rate=RNG.uniform(0.5, 3, 3))),
    "independent": ("Normal", dict(loc=RNG.standard_normal((2, 3)), scale=RNG.uniform(0.5, 2, (2, 3))),
                    dict(loc=RNG.standard_normal((2, 3)), scale=RNG.uniform(0.5, 2, (2, 3)))),
    "gamma": ("Gamma", dict(concentration=RNG.uniform(0.5, 4, 3), rate=RNG.uniform(0.5, 2, 3)),
              dict(concentration=RNG.uniform(0.5, 4, 3), rate=RNG.uniform(0.5, 2, 3))),
    "poisson": ("Poisson", dict(rate=RNG.uniform(0.5, 6, 3)), dict(rate=RNG.uniform(0.5, 6, 3))),
    "beta": ("Beta", dict(concentration1=RNG.uniform(0.5, 4, 3), concentration0=RNG.uniform(0.5, 4, 3)),
             dict(concentration1=RNG.uniform(0.5, 4, 3), concentration0=RNG.uniform(0.5, 4, 3))),
    "dirichlet": ("Dirichlet", dict(concentration=RNG.uniform(0.5, 4, (2, 3))),
                  dict(concentration=RNG.uniform(0.5, 4, (2, 3)))),
    "mvn": ("MultivariateNormal", dict(loc=RNG.standard_normal((2, 3)), scale_tril=np.linalg.cholesky(_spd(2, 3))),
            dict(loc=RNG.standard_normal(3), covariance_matrix=_spd(3))),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", list(KL_PAIRS))
def test_kl_divergence_values_and_gradients(pair, dtype):
    cls, pp, qp = KL_PAIRS[pair]
    made = []
    for lib, mod, tensor in ((numtorch, ND, numtorch.tensor), (torch, TD, torch.tensor)):
        params = [{k: tensor(v.astype(dtype), requires_grad=True) for k, v in d.items()} for d in (pp, qp)]
        p, q = (getattr(mod, cls)(**d) for d in params)
        if pair == "independent":
            p, q = mod.Independent(p, 1), mod.Independent(q, 1)
        kl = mod.kl_divergence(p, q) if lib is numtorch else mod.kl.kl_divergence(p, q)
        kl.sum().backward()
        made.append((kl, params))
    (kn, pn), (kt, pt) = made
    close(kn, kt, dtype)
    tol = TRIGAMMA_TOL.get(pair, {}) if dtype == np.float64 else {}
    for dn, dt in zip(pn, pt):
        for k in dn:
            close_grad(dn[k].grad, dt[k].grad, dtype, **tol)


def test_kl_edge_cases_infinite_and_zero_like_torch():
    pairs = [("Bernoulli", dict(probs=[0.0, 1.0, 0.5, 0.3]), dict(probs=[0.5, 0.5, 1.0, 0.0])),
             ("Categorical", dict(probs=[[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]]),
              dict(probs=[[0.2, 0.8, 0.0], [0.3, 0.3, 0.4]])),
             ("Uniform", dict(low=[0.0, 0.0], high=[1.0, 1.0]), dict(low=[0.5, -1.0], high=[2.0, 2.0]))]
    for cls, pp, qp in pairs:
        kn = ND.kl_divergence(*(getattr(ND, cls)(**{k: numtorch.tensor(v) for k, v in d.items()}) for d in (pp, qp)))
        kt = TD.kl_divergence(*(getattr(TD, cls)(**{k: torch.tensor(v) for k, v in d.items()}) for d in (pp, qp)))
        close(kn, kt, np.float32)


def test_kl_unregistered_pair_and_register_kl():
    n, e = ND.Normal(0.0, 1.0), ND.Exponential(1.0)
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Normal and q type "
                                                  "Exponential"):
        ND.kl_divergence(n, e)
    with pytest.raises(NotImplementedError):
        ND.kl_divergence(ND.Independent(ND.Normal(numtorch.zeros(2, 2), 1.0), 1),
                         ND.Independent(ND.Normal(numtorch.zeros(2, 2), 1.0), 2))

    class MyNormal(ND.Normal):
        pass

    assert float(ND.kl.kl_divergence(MyNormal(0.0, 1.0), ND.Normal(1.0, 1.0))) == pytest.approx(0.5)  # via the base
    ND.register_kl(MyNormal, ND.Normal)(lambda p, q: numtorch.tensor(42.0))
    assert float(ND.kl_divergence(MyNormal(0.0, 1.0), ND.Normal(1.0, 1.0))) == 42.0
    with pytest.raises(TypeError):
        ND.register_kl(int, ND.Normal)


def _first_line(exc):
    return str(exc.value).split("\n")[0].replace("numtorch.", "torch.")


@pytest.mark.parametrize("cls,kwargs", [
    ("Normal", dict(loc=[0.0, 1.0, 2.0], scale=[1.0, -2.0, 1.0])),
    ("Normal", dict(loc=[0.0, float("nan")], scale=[1.0, 1.0])),
    ("Normal", dict(loc=0.0, scale=-1.0)),
    ("Gamma", dict(concentration=[1.0, -1.0], rate=[1.0, 1.0])),
    ("Beta", dict(concentration1=[1.0, 0.0], concentration0=[1.0, 1.0])),
    ("Bernoulli", dict(probs=[0.5, 1.5])),
    ("Categorical", dict(probs=[[0.5, -0.5, 1.0]])),
    ("Uniform", dict(low=[0.0, 2.0], high=[1.0, 1.0])),
    ("Exponential", dict(rate=[0.0, 1.0])),
    ("MultivariateNormal", dict(loc=[0.0, 0.0], covariance_matrix=[[1.0, 2.0], [2.0, 1.0]])),
    ("MultivariateNormal", dict(loc=[0.0, 0.0], covariance_matrix=[[1.0, 0.5], [0.0, 1.0]])),
    ("MultivariateNormal", dict(loc=[0.0, 0.0], scale_tril=[[1.0, 0.0], [0.5, -1.0]])),
])
def test_parameter_validation_errors_like_torch(cls, kwargs):
    with pytest.raises(ValueError) as en:
        getattr(ND, cls)(**{k: numtorch.tensor(v) for k, v in kwargs.items()})
    with pytest.raises(ValueError) as et:
        getattr(TD, cls)(**{k: torch.tensor(v) for k, v in kwargs.items()})
    assert _first_line(en) == _first_line(et)
    outcomes = []  # validate_args=False: no ValueError; both succeed, or both fail alike (a non-PD Cholesky)
    for mod, tensor in ((ND, numtorch.tensor), (TD, torch.tensor)):
        try:
            getattr(mod, cls)(**{k: tensor(v) for k, v in kwargs.items()}, validate_args=False)
            outcomes.append(None)
        except RuntimeError as e:
            outcomes.append(str(e).split(":")[0])
    assert outcomes[0] == outcomes[1]


def test_other_argument_errors_like_torch():
    for mod, tensor in ((ND, numtorch.tensor), (TD, torch.tensor)):
        for cls in ("Bernoulli", "Categorical"):
            with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
                getattr(mod, cls)(probs=tensor([0.5]), logits=tensor([0.0]))
        with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional."):
            mod.Categorical(probs=tensor(0.5))
        with pytest.raises(ValueError, match="Expected reinterpreted_batch_ndims <= len"):
            mod.Independent(mod.Normal(tensor([0.0]), 1.0), 2)
        with pytest.raises(ValueError, match="Expected value argument"):
            mod.Exponential(tensor([1.0])).log_prob(tensor([-1.0]))
        with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
            mod.OneHotCategorical(probs=tensor([0.5, 0.5])).log_prob(tensor([1.0, 0.0, 0.0]))
        with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
            mod.MultivariateNormal(tensor([0.0, 0.0]))
        with pytest.raises(ValueError, match="loc must be at least one-dimensional."):
            mod.MultivariateNormal(tensor(0.0), scale_tril=tensor([[1.0]]))
        with pytest.raises(RuntimeError, match="the leading minor of order 2 is not positive-definite"):
            mod.MultivariateNormal(tensor([0.0, 0.0]), tensor([[1.0, 2.0], [2.0, 1.0]]), validate_args=False)
        with pytest.raises(ValueError, match="Value is not broadcastable with batch_shape"):
            mod.Normal(tensor([0.0, 1.0]), 1.0).log_prob(tensor([0.0, 1.0, 2.0]))


@pytest.mark.parametrize("case", ["normal", "bernoulli_logits", "categorical_probs", "onehot_logits", "uniform",
                                  "exponential", "independent_normal", "mvn_covariance", "gamma", "poisson", "beta",
                                  "dirichlet"])
def test_expand_matches_torch(case):
    dn, dt, _, _, (vn, vt) = build(case, np.float64, grad=False)
    shape = (5,) + tuple(dt.batch_shape)
    en, et = dn.expand(shape), dt.expand(shape)
    assert tuple(en.batch_shape) == tuple(et.batch_shape) and tuple(en.event_shape) == tuple(et.event_shape)
    close(en.log_prob(vn[:1]), et.log_prob(vt[:1]), np.float64)
    assert tuple(en.sample((2,)).shape) == tuple(et.sample((2,)).shape)


def test_scalar_parameters_default_dtype_and_shapes():
    d = ND.Normal(0.0, 1.0)
    assert tuple(d.batch_shape) == () and d.loc.dtype == numtorch.float32
    assert tuple(d.sample((3,)).shape) == (3,)
    close(d.log_prob(numtorch.tensor(0.5)), TD.Normal(0.0, 1.0).log_prob(torch.tensor(0.5)), np.float32)
    b = ND.Normal(numtorch.zeros(2, 1, dtype=numtorch.float64), numtorch.ones(3))  # broadcast, dtypes kept as torch
    assert tuple(b.batch_shape) == (2, 3) and b.loc.dtype == numtorch.float64 and b.scale.dtype == numtorch.float32
    for args in [(0.0, 1.0), ([0.0], [1.0]), ([0.0, 1.0], 2.0)]:
        made = [repr(mod.Normal(*(tensor(a) if isinstance(a, list) else a for a in args)))
                for mod, tensor in ((ND, numtorch.tensor), (TD, torch.tensor))]
        assert made[0].replace("numtorch.", "torch.") == made[1]
    e = ND.Exponential(numtorch.ones(2, dtype=numtorch.float64))
    u = ND.Uniform(0.1, numtorch.ones(2, dtype=numtorch.float64))  # the number takes the tensor's dtype exactly
    assert e.rate.dtype == u.low.dtype == numtorch.float64 and float(u.low[0]) == 0.1


def test_gradcheck_float64():
    loc = numtorch.tensor([0.3, -1.2], dtype=numtorch.float64, requires_grad=True)
    scale = numtorch.tensor([0.7, 1.9], dtype=numtorch.float64, requires_grad=True)
    x = numtorch.tensor([0.1, 0.4], dtype=numtorch.float64)
    p = numtorch.tensor([0.2, 0.9], dtype=numtorch.float64, requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda m, s: ND.Normal(m, s).log_prob(x), (loc, scale))
    assert numtorch.autograd.gradcheck(lambda m, s: ND.Normal(m, s).cdf(x), (loc, scale))
    assert numtorch.autograd.gradcheck(lambda q: ND.Normal(loc.detach(), scale.detach()).icdf(q), (p,))
    lg = numtorch.tensor([[0.2, -1.0, 0.5]], dtype=numtorch.float64, requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda l_: ND.Categorical(logits=l_).entropy(), (lg,))


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.floats(1e-6, 1 - 1e-6), st.floats(-5, 5), st.floats(0.1, 5))
def test_normal_cdf_inverts_icdf(p, loc, scale):
    d = ND.Normal(numtorch.tensor(np.array(loc)), numtorch.tensor(np.array(scale)))  # float64, exactly
    x = d.icdf(numtorch.tensor(np.array(p)))
    assert float(d.cdf(x)) == pytest.approx(p, rel=1e-9, abs=1e-14)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.floats(1e-3, 300))
def test_lgamma_digamma_recurrences(x):
    from numtorch.ops.special_functions import _digamma_array, _lgamma_array
    a = np.array([x, x + 1.0])
    lg, dg = _lgamma_array(a), _digamma_array(a)
    assert lg[1] - lg[0] == pytest.approx(np.log(x), rel=1e-12, abs=1e-12)
    assert dg[1] - dg[0] == pytest.approx(1.0 / x, rel=1e-12)


def test_vae_step_matches_torch():
    """encoder -> Normal(mu, std) -> reparameterised z -> decoder -> Bernoulli log-likelihood + KL to N(0, 1)."""
    rng = np.random.default_rng(5)
    x = (rng.random((4, 6)) > 0.5).astype(np.float32)
    eps = rng.standard_normal((4, 2)).astype(np.float32)
    weights = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in [(4, 6), (4,), (6, 2), (6,)]]
    grads = []
    for lib, mod in ((numtorch, ND), (torch, TD)):
        w = [lib.tensor(a, requires_grad=True) for a in weights]
        h = lib.tensor(x) @ w[0].T + w[1]
        mu, logvar = h[:, :2], h[:, 2:]
        std = (0.5 * logvar).exp()
        q = mod.Normal(mu, std)
        z = q.loc + q.scale * lib.tensor(eps)
        recon = mod.Independent(mod.Bernoulli(logits=z @ w[2].T + w[3]), 1).log_prob(lib.tensor(x))
        kl = mod.kl_divergence(q, mod.Normal(lib.zeros_like(mu), lib.ones_like(std))).sum(-1)
        loss = (kl - recon).mean()
        loss.backward()
        grads.append((loss, [t.grad for t in w]))
    (ln, gn), (lt, gt) = grads
    close(ln, lt, np.float32)
    for a, b in zip(gn, gt):
        close(a, b, np.float32, atol=1e-5)


def test_importable_as_torch_distributions_under_compat():
    from numtorch.compat import torch_aliases
    with torch_aliases():
        import torch as t2
        import torch.distributions as d2
        from torch.distributions import Normal, kl_divergence
        from torch.distributions.kl import register_kl  # noqa: F401
        assert d2 is ND and Normal is ND.Normal and kl_divergence is ND.kl_divergence
        assert t2.distributions.Categorical is ND.Categorical
    assert numtorch.distributions is ND
