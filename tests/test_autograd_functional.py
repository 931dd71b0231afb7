"""numtorch.autograd.functional against torch.autograd.functional."""
import numpy as np
import pytest
import torch

import numtorch

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))


def f_single(T, x):
    return (T.tensor(A) @ x).tanh() * x.sum()


def f_pair(T, x, y):
    return (x * y).exp().sum(), x.sin() + y


def f_scalar(T, x, y):
    return (x ** 3).sum() * y.sum() + (x * y).sum() ** 2


def _np(t):
    if isinstance(t, (tuple, list)):
        return [_np(u) for u in t]
    return t.detach().numpy()


def _close(a, b):
    if isinstance(a, list):
        assert len(a) == len(b)
        for u, w in zip(a, b):
            _close(u, w)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def _run(T, name, args, kwargs, f, v=None):
    fn = getattr(T.autograd.functional, name)
    xs = tuple(T.tensor(a) for a in args)
    func = lambda *t: f(T, *t)  # noqa: E731
    vv = None if v is None else (tuple(T.tensor(u) for u in v) if isinstance(v, tuple) else T.tensor(v))
    inputs = xs[0] if len(xs) == 1 else xs
    return fn(func, inputs, **kwargs) if v is None else fn(func, inputs, vv, **kwargs)


CASES = [
    ("jacobian", (rng.standard_normal(4),), {}, f_single, None),
    ("jacobian", (rng.standard_normal(2), rng.standard_normal(2)), {}, f_pair, None),
    ("hessian", (rng.standard_normal(3), rng.standard_normal(3)), {}, f_scalar, None),
    ("hessian", (rng.standard_normal(3),), {}, lambda T, x: (x.exp() * x).sum(), None),
    ("vjp", (rng.standard_normal(4),), {}, f_single, rng.standard_normal(3)),
    ("vjp", (rng.standard_normal(3), rng.standard_normal(3)), {}, f_scalar, None),
    ("jvp", (rng.standard_normal(4),), {}, f_single, rng.standard_normal(4)),
    ("jvp", (rng.standard_normal(2), rng.standard_normal(2)), {}, f_pair, (rng.standard_normal(2), rng.standard_normal(2))),
    ("hvp", (rng.standard_normal(3), rng.standard_normal(3)), {}, f_scalar, (rng.standard_normal(3), rng.standard_normal(3))),
    ("vhp", (rng.standard_normal(3),), {}, lambda T, x: (x.exp() * x).sum(), rng.standard_normal(3)),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_torch(case):
    name, args, kwargs, f, v = case
    _close(_np(_run(numtorch, name, args, kwargs, f, v)), _np(_run(torch, name, args, kwargs, f, v)))


def test_unused_input_gives_zeros_or_strict_error():
    f = lambda x, y: x * 2  # noqa: E731
    jx, jy = numtorch.autograd.functional.jacobian(f, (numtorch.ones(2), numtorch.ones(3)))
    assert jx.tolist() == [[2.0, 0.0], [0.0, 2.0]] and jy.shape == (2, 3) and not jy.any()
    with pytest.raises(RuntimeError, match="independent of input 1"):
        numtorch.autograd.functional.jacobian(f, (numtorch.ones(2), numtorch.ones(3)), strict=True)


def test_results_are_detached_unless_create_graph():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    j = numtorch.autograd.functional.jacobian(lambda t: t ** 2, x)
    assert not j.requires_grad and x.grad is None
    j = numtorch.autograd.functional.jacobian(lambda t: t ** 2, x, create_graph=True)
    assert j.requires_grad
    j.sum().backward()                      # d/dx of sum(diag(2x)) = 2
    assert x.grad.tolist() == [2.0, 2.0]
