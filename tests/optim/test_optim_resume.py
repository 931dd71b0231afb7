"""Checkpoint and resume: N steps, save model/optimizer/scheduler, load into fresh objects, M more steps;
the weights equal those of an uninterrupted N+M run exactly (bit for bit)."""
import copy

import numpy as np
import pytest

import numtorch

N, M = 7, 6
S = numtorch.optim.lr_scheduler
O = numtorch.optim

SETUPS = {
    "SGD+StepLR": (lambda ps: O.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
                   lambda o: S.StepLR(o, step_size=4, gamma=0.5)),
    "Adam+OneCycleLR": (lambda ps: O.Adam(ps, lr=0.01, amsgrad=True),
                        lambda o: S.OneCycleLR(o, max_lr=0.05, total_steps=N + M)),
    "AdamW+WarmRestarts": (lambda ps: O.AdamW(ps, lr=0.01),
                           lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)),
    "RMSprop+CyclicLR": (lambda ps: O.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
                         lambda o: S.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=3)),
    "NAdam+SequentialLR": (lambda ps: O.NAdam(ps, lr=0.01),
                           lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.2, total_iters=4),
                                                        S.ExponentialLR(o, gamma=0.9)], milestones=[4])),
    "Adagrad+Plateau": (lambda ps: O.Adagrad(ps, lr=0.05, lr_decay=0.01),
                        lambda o: S.ReduceLROnPlateau(o, patience=1, factor=0.5)),
    "ASGD+LambdaLR": (lambda ps: O.ASGD(ps, lr=0.05, t0=5), lambda o: S.LambdaLR(o, lambda e: 1 / (1 + e))),
    "Rprop+MultiStepLR": (lambda ps: O.Rprop(ps, lr=0.01), lambda o: S.MultiStepLR(o, milestones=[3, 9])),
    "Adadelta+Chained": (lambda ps: O.Adadelta(ps),
                         lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=3),
                                                       S.ExponentialLR(o, gamma=0.95)])),
    "Adamax+PolynomialLR": (lambda ps: O.Adamax(ps), lambda o: S.PolynomialLR(o, total_iters=10, power=2.0)),
    "RAdam+CosineAnnealingLR": (lambda ps: O.RAdam(ps, lr=0.01), lambda o: S.CosineAnnealingLR(o, T_max=5)),
    "LBFGS": (lambda ps: O.LBFGS(ps, lr=0.5, max_iter=3, history_size=4), None),
}


def _model(seed):
    numtorch.manual_seed(seed)
    return numtorch.nn.Sequential(numtorch.nn.Linear(5, 8), numtorch.nn.Tanh(), numtorch.nn.Linear(8, 3))


def _batch(step):
    rng = np.random.default_rng(100 + step)
    return (numtorch.tensor(rng.standard_normal((16, 5)).astype(np.float32)),
            numtorch.tensor(rng.standard_normal((16, 3)).astype(np.float32)))


def _train(model, opt, sched, start, steps):
    loss_fn = numtorch.nn.MSELoss()
    for step in range(start, start + steps):
        x, y = _batch(step)

        def closure():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            return loss
        loss = opt.step(closure)
        if sched is not None:
            if isinstance(sched, S.ReduceLROnPlateau):
                sched.step(loss.item())
            else:
                sched.step()


def _fresh(name, seed):
    make_opt, make_sched = SETUPS[name]
    model = _model(seed)
    opt = make_opt(list(model.parameters()))
    return model, opt, (make_sched(opt) if make_sched else None)


def _weights(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def _resume_and_compare(name, checkpoint_round_trip):
    model, opt, sched = _fresh(name, 0)
    _train(model, opt, sched, 0, N + M)
    expected = _weights(model)

    model, opt, sched = _fresh(name, 0)
    _train(model, opt, sched, 0, N)
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict() if sched is not None else None}
    ckpt = checkpoint_round_trip(ckpt)
    del model, opt, sched

    model, opt, sched = _fresh(name, 123)  # different initial weights: everything must come from the checkpoint
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    if sched is not None:
        sched.load_state_dict(ckpt["scheduler"])
    _train(model, opt, sched, N, M)
    got = _weights(model)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
    return ckpt


@pytest.mark.parametrize("name", list(SETUPS))
def test_resume_through_numtorch_save(name, tmp_path):
    path = tmp_path / "ckpt.pt"

    def round_trip(ckpt):
        numtorch.save(ckpt, path)
        return numtorch.load(path)  # safe load: MultiStepLR's Counter of milestones round-trips too

    ckpt = _resume_and_compare(name, round_trip)
    assert isinstance(ckpt["optimizer"]["state"], dict) and ckpt["optimizer"]["param_groups"]


@pytest.mark.parametrize("name", list(SETUPS))
def test_resume_through_deepcopy(name):
    _resume_and_compare(name, copy.deepcopy)


def test_resumed_state_is_independent_of_checkpoint():
    """Loading a deep copy leaves the checkpoint untouched by later steps."""
    model, opt, sched = _fresh("SGD+StepLR", 0)
    _train(model, opt, sched, 0, 3)
    ckpt = copy.deepcopy(opt.state_dict())
    before = ckpt["state"][0]["momentum_buffer"].numpy().copy()
    model2, opt2, _ = _fresh("SGD+StepLR", 1)
    opt2.load_state_dict(copy.deepcopy(ckpt))
    _train(model2, opt2, None, 3, 2)
    np.testing.assert_array_equal(ckpt["state"][0]["momentum_buffer"].numpy(), before)


@pytest.mark.parametrize("name,kwargs", [("Adam", dict(lr=0.01, amsgrad=True)), ("SGD", dict(lr=0.05, momentum=0.9)),
                                         ("NAdam", dict(lr=0.01)), ("ASGD", dict(lr=0.05, t0=3))])
@pytest.mark.parametrize("direction", ["torch->numtorch", "numtorch->torch"])
def test_checkpoint_crosses_frameworks(name, kwargs, direction, tmp_path):
    """A PyTorch optimizer/scheduler checkpoint continues in numtorch (and back), on PyTorch's trajectory."""
    import torch
    from optim_helpers import arrays, nt_params, set_np_grads, th_params

    libs = (torch, numtorch) if direction == "torch->numtorch" else (numtorch, torch)

    def setup(lib):
        ps = th_params() if lib is torch else nt_params()
        opt = getattr(lib.optim, name)(ps, **kwargs)
        return ps, opt, lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)

    def train(lib, ps, opt, sched, steps):
        for _ in range(steps):
            set_np_grads(ps, lib)
            opt.step()
            sched.step()

    ref_ps, ref_opt, ref_sched = setup(torch)  # the uninterrupted PyTorch run
    train(torch, ref_ps, ref_opt, ref_sched, 10)

    src, dst = libs
    ps, opt, sched = setup(src)
    train(src, ps, opt, sched, 5)
    path = tmp_path / "ckpt.pt"
    ckpt = {"params": [p.detach() for p in ps], "optimizer": opt.state_dict(), "scheduler": sched.state_dict()}
    if src is torch:
        torch.save(ckpt, path)
        loaded = numtorch.load(path)
    else:
        numtorch.save(ckpt, path, format="torch")
        loaded = torch.load(path, weights_only=True)
    ps2, opt2, sched2 = setup(dst)
    for p, saved in zip(ps2, loaded["params"]):
        p.data = saved.clone() if dst is torch else saved
    opt2.load_state_dict(loaded["optimizer"])
    sched2.load_state_dict(loaded["scheduler"])
    train(dst, ps2, opt2, sched2, 5)
    assert sched2.get_last_lr() == ref_sched.get_last_lr()
    for a, b in zip(arrays(ps2), arrays(ref_ps)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
