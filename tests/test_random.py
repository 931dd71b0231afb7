"""Random generation: seeding, generators, RNG state, shapes/dtypes, distributions, in-place fills."""
import numpy as np
import pytest

import numtorch


def test_manual_seed_reproducible():
    numtorch.manual_seed(3)
    a = (numtorch.rand(4), numtorch.randn(4), numtorch.randint(0, 10, (4,)), numtorch.randperm(5))
    numtorch.manual_seed(3)
    b = (numtorch.rand(4), numtorch.randn(4), numtorch.randint(0, 10, (4,)), numtorch.randperm(5))
    for x, y in zip(a, b):
        assert numtorch.equal(x, y)


def test_generator_independent_and_state_roundtrip():
    g = numtorch.Generator().manual_seed(7)
    x = numtorch.randn(3, generator=g)
    g.manual_seed(7)
    assert numtorch.equal(numtorch.randn(3, generator=g), x)
    state = numtorch.get_rng_state()
    u = numtorch.rand(5)
    numtorch.set_rng_state(state)
    assert numtorch.equal(numtorch.rand(5), u)
    assert numtorch.initial_seed() == 0  # conftest seeds 0


def test_shapes_dtypes_ranges():
    assert numtorch.rand(2, 3).dtype == numtorch.float32 and numtorch.randn((2, 3)).shape == (2, 3)
    assert numtorch.rand(2, dtype=numtorch.float64).dtype == numtorch.float64
    r = numtorch.randint(3, 6, (1000,))
    assert r.dtype == numtorch.int64 and r.min().item() >= 3 and r.max().item() <= 5
    assert numtorch.randint(4, (2, 2)).shape == (2, 2)
    p = numtorch.randperm(10)
    assert sorted(p.tolist()) == list(range(10))
    x = numtorch.ones(2, 3, dtype=numtorch.float64)
    assert numtorch.rand_like(x).dtype == numtorch.float64 and numtorch.randn_like(x).shape == (2, 3)


def test_distribution_moments():
    u = numtorch.rand(20000)
    n = numtorch.randn(20000)
    assert 0 <= u.min().item() and u.max().item() < 1 and abs(u.mean().item() - 0.5) < 0.02
    assert abs(n.mean().item()) < 0.03 and abs(n.std().item() - 1) < 0.03
    m = numtorch.normal(2.0, 3.0, size=(20000,))
    assert abs(m.mean().item() - 2) < 0.1 and abs(m.std().item() - 3) < 0.1
    t = numtorch.normal(numtorch.zeros(3), numtorch.tensor([0.0, 1.0, 2.0]))
    assert t.shape == (3,) and t[0].item() == 0.0
    b = numtorch.bernoulli(numtorch.full((20000,), 0.3))
    assert abs(b.mean().item() - 0.3) < 0.02
    idx = numtorch.multinomial(numtorch.tensor([0.0, 1.0, 3.0]), 4000, replacement=True)
    counts = numtorch.bincount(idx, minlength=3).tolist()
    assert counts[0] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03
    no_rep = numtorch.multinomial(numtorch.tensor([[1.0, 1.0, 1.0, 0.0]]), 3)
    assert sorted(no_rep[0].tolist()) == [0, 1, 2]


@pytest.mark.parametrize("fill, check", [
    (lambda t, g: t.uniform_(-2, 3, generator=g), lambda a: a.min() >= -2 and a.max() < 3 and abs(a.mean() - .5) < .1),
    (lambda t, g: t.normal_(1.0, 2.0, generator=g), lambda a: abs(a.mean() - 1) < .1 and abs(a.std() - 2) < .1),
    (lambda t, g: t.bernoulli_(0.25, generator=g), lambda a: set(np.unique(a)) <= {0, 1} and abs(a.mean() - .25) < .02),
    (lambda t, g: t.exponential_(2.0, generator=g), lambda a: a.min() >= 0 and abs(a.mean() - 0.5) < 0.03),
    (lambda t, g: t.random_(0, 4, generator=g), lambda a: set(np.unique(a)) == {0, 1, 2, 3}),
    (lambda t, g: t.random_(5, generator=g), lambda a: set(np.unique(a)) == {0, 1, 2, 3, 4}),
    (lambda t, g: t.fill_(2.5), lambda a: (a == 2.5).all()),
    (lambda t, g: t.zero_(), lambda a: (a == 0).all()),
])
def test_inplace_random_fills(fill, check):
    t = numtorch.empty(10000)
    out = fill(t, numtorch.Generator().manual_seed(1))
    assert out is t and check(t.numpy())
    a = fill(numtorch.empty(50), numtorch.Generator().manual_seed(5))
    b = fill(numtorch.empty(50), numtorch.Generator().manual_seed(5))
    assert numtorch.equal(a, b)


def test_inplace_fill_draws_from_default_generator_and_respects_leaf_rule():
    numtorch.manual_seed(11)
    a = numtorch.empty(5).uniform_()
    numtorch.manual_seed(11)
    assert numtorch.equal(numtorch.empty(5).uniform_(), a)
    w = numtorch.empty(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.normal_()
    with numtorch.no_grad():
        w.normal_()
        w.uniform_(-1, 1)
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
