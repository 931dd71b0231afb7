"""Every optimizer, in several configurations, follows PyTorch's trajectory step for step.

Three views of the same claim:
* fixed gradient stream: the same random gradients fed to both (no feedback), tight tolerance,
  so any formula or operation-order difference shows at once;
* a tiny MLP whose gradients come from one float64 NumPy function (differences come from the
  optimizers only), 60 steps;
* the same MLP with each framework's own autograd (numtorch ops vs torch ops), 60 steps.
"""
import numpy as np
import pytest
import torch

import numtorch
from optim_helpers import INIT, arrays, compare_trajectories, nt_params, th_params

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.05, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.001, alpha=0.9, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.01, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.01, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),  # rho_t > 5 from step 6 on: both branches of the rectification
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.01, maximize=True)),  # never rectified
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=10, weight_decay=0.01, maximize=True)),  # averaging starts
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.001, etas=(0.3, 1.5), step_sizes=(1e-4, 0.1), maximize=True)),
    ("Adafactor", dict(lr=0.01)),
    ("Adafactor", dict(lr=0.01, beta2_decay=-0.5, eps=(1e-6, 1e-3), d=1.5, weight_decay=0.01, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in CONFIGS]


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_fixed_gradient_stream(name, kwargs):
    a, b = nt_params(), th_params()
    opt_a = getattr(numtorch.optim, name)(a, **kwargs)
    opt_b = getattr(torch.optim, name)(b, **kwargs)
    rng = np.random.default_rng(5)
    for step in range(60):
        for pa, pb in zip(a, b):
            g = rng.standard_normal(pa.shape).astype(np.float32) * np.float32(0.1 + step % 3)
            pa.grad, pb.grad = numtorch.tensor(g), torch.tensor(g)
        opt_a.step()
        opt_b.step()
        for i, (xa, xb) in enumerate(zip(arrays(a), arrays(b))):
            np.testing.assert_allclose(xa, xb, rtol=1e-5, atol=1e-6, err_msg=f"step {step}, param {i}")
    assert not np.allclose(arrays(a)[0], INIT[0])  # it moved
    # the state the optimizer keeps agrees too
    for pa, pb in zip(a, b):
        sa, sb = opt_a.state[pa], opt_b.state[pb]
        assert set(sa) == set(sb)
        for key, vb in sb.items():
            va = sa[key]
            assert isinstance(va, numtorch.Tensor) == isinstance(vb, torch.Tensor), key
            if isinstance(vb, torch.Tensor):
                assert va.shape == tuple(vb.shape) and va.dtype.np == vb.numpy().dtype, key
                np.testing.assert_allclose(va.numpy(), vb.numpy(), rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_mlp_trajectory_shared_gradients(name, kwargs):
    compare_trajectories(getattr(numtorch.optim, name), getattr(torch.optim, name), kwargs, steps=60,
                         rtol=1e-4, atol=1e-5)


OWN = [CONFIGS[i] for i in (1, 2, 5, 9, 11, 13, 15, 17, 20, 23, 25, 27, 29)]


@pytest.mark.parametrize("name,kwargs", OWN, ids=[IDS[CONFIGS.index(c)] for c in OWN])
def test_mlp_trajectory_own_autograd(name, kwargs):
    compare_trajectories(getattr(numtorch.optim, name), getattr(torch.optim, name), kwargs, steps=60,
                         rtol=1e-4, atol=2e-5, numpy_grads=False)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam"])
def test_param_groups_and_missing_grads(name):
    """Per-group hyperparameters; a parameter whose grad is None is skipped (no state, no change)."""
    kwargs = dict(lr=0.01, momentum=0.9) if name == "SGD" else dict(lr=0.01)

    def groups(ps):
        return [{"params": ps[:2], "lr": 0.05, "weight_decay": 0.1}, {"params": ps[2:]}]

    opt_a, opt_b, a, _ = compare_trajectories(getattr(numtorch.optim, name), getattr(torch.optim, name), kwargs,
                                              steps=50, rtol=1e-4, atol=1e-5, groups=groups, skip_grad=1)
    np.testing.assert_array_equal(a[1].detach().numpy(), INIT[1])
    assert a[1] not in opt_a.state or not opt_a.state[a[1]]
    assert opt_a.param_groups[0]["lr"] == 0.05 and opt_a.param_groups[1]["lr"] == 0.01


@pytest.mark.parametrize("kwargs,steps", [(dict(lr=1, max_iter=4), 3), (dict(lr=0.5, max_iter=3, history_size=2), 4),
                                          (dict(lr=1, max_iter=1, line_search_fn="strong_wolfe"), 12),
                                          (dict(lr=1, max_iter=4, history_size=3, line_search_fn="strong_wolfe"), 1)])
def test_lbfgs_mlp(kwargs, steps):
    """L-BFGS with a closure on the (non-convex) MLP: losses, parameters and iteration counts agree.

    Few steps: a quasi-Newton method on a non-convex loss amplifies float32 rounding quickly.
    """
    opt_a, opt_b, _, _ = compare_trajectories(numtorch.optim.LBFGS, torch.optim.LBFGS, kwargs, steps=steps,
                                              rtol=1e-4, atol=2e-5, use_closure=True)
    sa, sb = opt_a.state[opt_a._params[0]], opt_b.state[opt_b._params[0]]
    assert sa["func_evals"] == sb["func_evals"] and sa["n_iter"] == sb["n_iter"]
    assert len(sa["old_dirs"]) == len(sb["old_dirs"])


@pytest.mark.parametrize("kwargs", [dict(lr=1, max_iter=1, history_size=10), dict(lr=0.8, max_iter=1),
                                    dict(lr=1, max_iter=2, line_search_fn="strong_wolfe", history_size=5)])
def test_lbfgs_least_squares_50_steps(kwargs):
    """50 L-BFGS steps on a convex least-squares problem, closure computed with numtorch autograd."""
    rng = np.random.default_rng(7)
    A = rng.standard_normal((20, 6)).astype(np.float32)
    y = rng.standard_normal(20).astype(np.float32)
    w0 = (rng.standard_normal(6) * 0.1).astype(np.float32)

    def setup(lib):
        w = lib.nn.Parameter(lib.tensor(w0.copy()))
        opt = lib.optim.LBFGS([w], **kwargs)
        A_, y_ = lib.tensor(A), lib.tensor(y)

        def closure():
            opt.zero_grad()
            loss = ((A_.matmul(w) - y_) ** 2).mean()
            loss.backward()
            return loss
        return w, opt, closure

    wa, oa, ca = setup(numtorch)
    wb, ob, cb = setup(torch)
    for step in range(50):
        la, lb = oa.step(ca), ob.step(cb)
        np.testing.assert_allclose(float(la), float(lb.detach()), rtol=1e-4, atol=1e-6, err_msg=f"step {step}")
        np.testing.assert_allclose(wa.detach().numpy(), wb.detach().numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=f"step {step}")
    solution = np.linalg.lstsq(A.astype(np.float64), y.astype(np.float64), rcond=None)[0]
    np.testing.assert_allclose(wa.detach().numpy(), solution, atol=1e-3)


def test_float64_parameters():
    """Float64 parameters keep float64 state and match PyTorch to float64 precision."""
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((4, 3))
    a = numtorch.nn.Parameter(numtorch.tensor(w0))
    b = torch.nn.Parameter(torch.tensor(w0))
    opt_a, opt_b = numtorch.optim.Adam([a], lr=0.01), torch.optim.Adam([b], lr=0.01)
    for _ in range(50):
        g = rng.standard_normal((4, 3))
        a.grad, b.grad = numtorch.tensor(g), torch.tensor(g)
        opt_a.step()
        opt_b.step()
    assert a.dtype == numtorch.float64 and opt_a.state[a]["exp_avg"].dtype == numtorch.float64
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-13)


# ----------------------------------------------------------------------------- property tests
from hypothesis import given, settings, strategies as st  # noqa: E402

_floats = st.floats


@settings(max_examples=25, deadline=None)
@given(lr=_floats(1e-4, 1.0), momentum=_floats(0.0, 0.99), dampening=_floats(0.0, 0.9), nesterov=st.booleans(),
       weight_decay=_floats(0.0, 0.1), maximize=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_sgd_random_hyperparameters(lr, momentum, dampening, nesterov, weight_decay, maximize, seed):
    if nesterov:
        momentum, dampening = max(momentum, 0.1), 0.0
    _random_stream("SGD", dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                               weight_decay=weight_decay, maximize=maximize), seed)


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(["Adam", "AdamW", "NAdam", "RAdam", "Adamax"]), lr=_floats(1e-4, 0.1),
       beta1=_floats(0.0, 0.99), beta2=_floats(0.5, 0.9999), eps=_floats(1e-10, 1e-3),
       weight_decay=_floats(0.0, 0.1), seed=st.integers(0, 2 ** 16))
def test_adam_family_random_hyperparameters(name, lr, beta1, beta2, eps, weight_decay, seed):
    _random_stream(name, dict(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay), seed)


def _random_stream(name, kwargs, seed, steps=15):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,)]
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    a = [numtorch.nn.Parameter(numtorch.tensor(x.copy())) for x in init]
    b = [torch.nn.Parameter(torch.tensor(x.copy())) for x in init]
    opt_a, opt_b = getattr(numtorch.optim, name)(a, **kwargs), getattr(torch.optim, name)(b, **kwargs)
    for _ in range(steps):
        for pa, pb in zip(a, b):
            g = rng.standard_normal(pa.shape).astype(np.float32)
            pa.grad, pb.grad = numtorch.tensor(g), torch.tensor(g)
        opt_a.step()
        opt_b.step()
    for xa, xb in zip(arrays(a), arrays(b)):
        np.testing.assert_allclose(xa, xb, rtol=1e-5, atol=1e-5)
