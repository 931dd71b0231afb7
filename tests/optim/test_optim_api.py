"""Optimizer base behaviour: parameter lists and groups, errors, zero_grad, state_dict layout, hooks, speed."""
import copy
import pickle
import time
import warnings

import numpy as np
import pytest
import torch

import numtorch
from optim_helpers import INIT, nt_params, th_params

ALL = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop",
       "Adafactor"]


def _both(make):
    """Run ``make(lib)`` for numtorch and torch; return the two exceptions (or results)."""
    out = []
    for lib in (numtorch, torch):
        try:
            out.append(make(lib))
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            out.append(e)
    return out


def _p(lib, *shape):
    return lib.nn.Parameter(lib.zeros(*shape))


BAD_PARAMS = {
    "empty": lambda lib: lib.optim.SGD([], lr=0.1),
    "tensor": lambda lib: lib.optim.SGD(_p(lib, 2), lr=0.1),
    "not a tensor": lambda lib: lib.optim.Adam([1]),
    "non-leaf": lambda lib: lib.optim.SGD([_p(lib, 2) * 2]),
    "two groups": lambda lib: (lambda a: lib.optim.SGD([{"params": [a]}, {"params": a, "lr": 1.0}]))(_p(lib, 2)),
    "set in group": lambda lib: lib.optim.SGD([{"params": {_p(lib, 2)}}]),
    "names missing": lambda lib: (lambda a: lib.optim.SGD([("w", a), _p(lib, 1)]))(_p(lib, 2)),
    "named and unnamed groups": lambda lib: lib.optim.SGD([{"params": [("w", _p(lib, 2))]}, {"params": [_p(lib, 1)]}]),
    "group not a dict": lambda lib: lib.optim.SGD([_p(lib, 1)]).add_param_group([_p(lib, 1)]),
    "lbfgs groups": lambda lib: lib.optim.LBFGS([{"params": [_p(lib, 2)]}, {"params": [_p(lib, 1)]}]),
}

BAD_HYPER = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(momentum=-1)), ("SGD", dict(weight_decay=-1e-3)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1e-3)), ("Adam", dict(betas=(1.0, 0.999))), ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(0, 0.999))), ("Adam", dict(weight_decay=-1)), ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(alpha=-0.5)), ("RMSprop", dict(momentum=-0.5)), ("RMSprop", dict(eps=-1e-8)),
    ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(initial_accumulator_value=-0.1)), ("Adagrad", dict(eps=-1)),
    ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(lr=-1)), ("Adamax", dict(betas=(0.9, 1.0))),
    ("NAdam", dict(momentum_decay=-1)), ("NAdam", dict(betas=(-0.1, 0.9))), ("RAdam", dict(eps=-1)),
    ("ASGD", dict(weight_decay=-1)), ("Rprop", dict(etas=(1.2, 0.5))), ("Rprop", dict(lr=-1)),
    ("LBFGS", dict(lr=-1)), ("Adafactor", dict(lr=-1)), ("Adafactor", dict(beta2_decay=0.5)),
    ("Adafactor", dict(eps=(-1, 1e-3))), ("Adafactor", dict(d=0.5)), ("Adafactor", dict(weight_decay=-1)),
]


@pytest.mark.parametrize("case", list(BAD_PARAMS))
def test_bad_parameter_lists_raise_like_pytorch(case):
    ours, theirs = _both(BAD_PARAMS[case])
    assert isinstance(theirs, Exception)
    assert type(ours) is type(theirs), (ours, theirs)
    assert str(ours).replace("numtorch", "torch") == str(theirs)


@pytest.mark.parametrize("name,kwargs", BAD_HYPER, ids=[f"{n}-{k}" for n, k in BAD_HYPER])
def test_bad_hyperparameters_raise_like_pytorch(name, kwargs):
    ours, theirs = _both(lambda lib: getattr(lib.optim, name)([_p(lib, 2)], **kwargs))
    assert isinstance(theirs, Exception)
    assert type(ours) is type(theirs) and str(ours) == str(theirs)


def test_error_messages_read_well():
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -0.1$"):
        numtorch.optim.SGD([_p(numtorch, 2)], lr=-0.1)
    with pytest.raises(ValueError, match=r"^Invalid beta parameter at index 0: 1.0$"):
        numtorch.optim.Adam([_p(numtorch, 2)], betas=(1.0, 0.999))
    with pytest.raises(ValueError, match=r"^optimizer got an empty parameter list$"):
        numtorch.optim.Adam(iter([]))


def test_required_hyperparameter_and_custom_optimizer():
    from numtorch.optim.optimizer import required

    class Plain(numtorch.optim.Optimizer):
        def __init__(self, params, lr=required):
            super().__init__(params, dict(lr=lr))

        @numtorch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])

    with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
        Plain([_p(numtorch, 2)])
    p = numtorch.nn.Parameter(numtorch.ones(2))
    opt = Plain([{"params": [p], "lr": 0.5}])
    p.grad = numtorch.ones(2)
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), [0.5, 0.5])


def test_duplicate_parameters_warn():
    a = _p(numtorch, 2)
    with pytest.warns(UserWarning, match="optimizer contains a parameter group with duplicate parameters"):
        numtorch.optim.SGD([a, a], lr=0.1)


def test_param_groups_defaults_and_add_param_group():
    a, b, c = _p(numtorch, 2), _p(numtorch, 3), _p(numtorch, 1)
    opt = numtorch.optim.SGD([{"params": a}, {"params": [b], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["params"] == [a] and opt.param_groups[0]["lr"] == 0.1
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[0]["momentum"] == 0
    opt.add_param_group({"params": c, "lr": 0.01})
    assert opt.param_groups[2]["dampening"] == 0 and opt.param_groups[2]["lr"] == 0.01
    c.grad = numtorch.ones(1)
    opt.step()
    np.testing.assert_allclose(c.detach().numpy(), [-0.01])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_named_parameters():
    a, b = _p(numtorch, 2), _p(numtorch, 3)
    opt = numtorch.optim.Adam([("w", a), ("b", b)])
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["params"] == [0, 1]


def test_zero_grad():
    a = _p(numtorch, 2)
    opt = numtorch.optim.SGD([a], lr=0.1)
    a.grad = numtorch.ones(2)
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g
    np.testing.assert_array_equal(g.numpy(), [0, 0])
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize("name", ALL)
def test_step_skips_missing_grads_and_bumps_version(name):
    a, b = numtorch.nn.Parameter(numtorch.ones(3)), numtorch.nn.Parameter(numtorch.ones(2))
    opt = getattr(numtorch.optim, name)([a, b])
    a.grad = numtorch.full((3,), 0.5)
    version = a._version[0]
    opt.step()
    assert a._version[0] > version
    assert not np.allclose(a.detach().numpy(), 1.0)
    np.testing.assert_array_equal(b.detach().numpy(), [1.0, 1.0])
    if name != "Adagrad":  # Adagrad creates state for every parameter at construction
        assert len(opt.state[b]) == 0


@pytest.mark.parametrize("name", ALL + ["LBFGS"])
def test_state_dict_layout_matches_pytorch(name):
    def run(lib):
        ps = nt_params() if lib is numtorch else th_params()
        opt = getattr(lib.optim, name)([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.003}]
                                       if name != "LBFGS" else ps)
        for _ in range(3):
            for i, p in enumerate(ps):
                p.grad = lib.tensor(np.full(p.shape, 0.1 * (i + 1), dtype=np.float32))
            opt.step((lambda: lib.tensor(1.0)) if name == "LBFGS" else None)
        return opt.state_dict()

    ours, theirs = run(numtorch), run(torch)
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"])

    def same(x, y, key):
        if isinstance(y, torch.Tensor):
            assert isinstance(x, numtorch.Tensor), key
            assert x.dtype.np == y.numpy().dtype and x.shape == tuple(y.shape), key
            np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-7, err_msg=key)
        elif isinstance(y, list):
            assert len(x) == len(y), key
            for xi, yi in zip(x, y):
                same(xi, yi, key)
        else:
            assert type(x) is type(y) and x == y, key

    for idx, st in theirs["state"].items():
        assert set(ours["state"][idx]) == set(st)
        for key, value in st.items():
            same(ours["state"][idx][key], value, key)


def test_load_state_dict_restores_and_validates():
    a, b = nt_params(), nt_params()
    opt_a = numtorch.optim.Adam([{"params": a[:2]}, {"params": a[2:], "lr": 0.1}], lr=0.01)
    for p in a:
        p.grad = numtorch.ones_like(p)
    opt_a.step()
    saved = copy.deepcopy(opt_a.state_dict())
    opt_b = numtorch.optim.Adam([{"params": b[:2]}, {"params": b[2:]}], lr=0.5)
    opt_b.load_state_dict(saved)
    assert opt_b.param_groups[1]["lr"] == 0.1 and opt_b.param_groups[1]["params"] == b[2:]
    assert opt_b.state[b[0]]["step"].item() == 1.0
    np.testing.assert_array_equal(opt_b.state[b[3]]["exp_avg"].numpy(), opt_a.state[a[3]]["exp_avg"].numpy())
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        numtorch.optim.Adam(b).load_state_dict(saved)
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that doesn't match"):
        numtorch.optim.Adam([{"params": b[:1]}, {"params": b[1:]}]).load_state_dict(saved)


def test_load_state_dict_casts_to_parameter_dtype_and_keeps_step():
    a = _p(numtorch, 2)
    opt = numtorch.optim.Adam([a])
    a.grad = numtorch.ones(2)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].double()
    sd["state"][0]["step"] = 7  # an old-style plain-number step
    opt2 = numtorch.optim.Adam([a])
    opt2.load_state_dict(sd)
    assert opt2.state[a]["exp_avg"].dtype == numtorch.float32
    assert isinstance(opt2.state[a]["step"], numtorch.Tensor) and opt2.state[a]["step"].item() == 7.0


def test_closure_runs_with_grad_and_step_without():
    a = numtorch.nn.Parameter(numtorch.tensor([1.0, 2.0]))
    opt = numtorch.optim.SGD([a], lr=0.1)
    seen = []

    def closure():
        seen.append(numtorch.is_grad_enabled())
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(numtorch.is_grad_enabled()))
    with numtorch.no_grad():
        loss = opt.step(closure)
    assert seen == [False, True] and loss.item() == 5.0
    np.testing.assert_allclose(a.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    assert numtorch.is_grad_enabled()


def test_step_hooks_and_state_dict_hooks():
    from numtorch.optim.optimizer import register_optimizer_step_post_hook
    a = _p(numtorch, 2)
    opt = numtorch.optim.SGD([a], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kw: calls.append("pre"))
    h2 = opt.register_step_post_hook(lambda o, args, kw: calls.append("post"))
    h3 = register_optimizer_step_post_hook(lambda o, args, kw: calls.append("global"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.step()
    h1.remove(), h2.remove(), h3.remove()
    opt.step()
    assert calls == ["pre", "post", "global"]
    assert opt.state_dict()["extra"] == 1


def test_repr_matches_pytorch():
    ours = repr(numtorch.optim.AdamW([{"params": [_p(numtorch, 1)]}, {"params": [_p(numtorch, 1)], "lr": 0.1}]))
    theirs = repr(torch.optim.AdamW([{"params": [_p(torch, 1)]}, {"params": [_p(torch, 1)], "lr": 0.1}]))
    assert ours == theirs


def test_tensor_lr_and_deepcopy_and_pickle():
    a = numtorch.nn.Parameter(numtorch.ones(2))
    opt = numtorch.optim.SGD([a], lr=numtorch.tensor(0.5), momentum=0.9)
    a.grad = numtorch.ones(2)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.5, 0.5])
    for clone in (copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))):
        assert clone.state_dict()["param_groups"][0]["momentum"] == 0.9
        assert len(clone.state) == 1
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        numtorch.optim.SGD([a], lr=numtorch.ones(2))


def test_lbfgs_needs_closure():
    opt = numtorch.optim.LBFGS([_p(numtorch, 2)])
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'closure'"):
        opt.step()  # as in PyTorch
    with pytest.raises(RuntimeError, match="LBFGS requires a closure"):
        opt.step(None)


def test_optim_namespace_like_torch():
    for name in ALL + ["LBFGS", "Optimizer"]:
        assert hasattr(numtorch.optim, name)
    import numtorch.optim.lr_scheduler as S  # importable as a submodule
    assert S.StepLR is numtorch.optim.lr_scheduler.StepLR
    with pytest.raises(AttributeError, match="numtorch does not support torch.optim.SparseAdam"):
        numtorch.optim.SparseAdam


def test_sgd_step_costs_microseconds():
    """SGD on a 4-parameter MLP: in place, no autograd graph; well under a millisecond per step."""
    ps = nt_params()
    for p in ps:
        p.grad = numtorch.ones_like(p)
    for kwargs in (dict(lr=0.01), dict(lr=0.01, momentum=0.9)):
        opt = numtorch.optim.SGD(ps, **kwargs)
        data = [p._data for p in ps]
        opt.step()
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(200):
                opt.step()
            best = min(best, (time.perf_counter() - start) / 200)
        assert best < 200e-6, f"SGD step took {best * 1e6:.1f} us"
        assert all(p._data is d for p, d in zip(ps, data))  # updated in place
        assert all(p.grad_fn is None and p.is_leaf for p in ps)
    assert not np.allclose(ps[0].detach().numpy(), INIT[0])


def test_no_warnings_in_normal_training_loop():
    ps = nt_params()
    opt = numtorch.optim.Adam(ps, lr=0.01)
    sched = numtorch.optim.lr_scheduler.StepLR(opt, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            for p in ps:
                p.grad = numtorch.ones_like(p)
            opt.step()
            sched.step()
