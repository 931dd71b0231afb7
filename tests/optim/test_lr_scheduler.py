"""Learning-rate schedulers: the lr (and momentum) sequences equal PyTorch's exactly, also across a
state_dict round-trip; construction-time behaviour and warnings as in PyTorch."""
import copy
import math
import warnings

import numpy as np
import pytest
import torch

import numtorch

STEPS = 120


def _opt(lib, kind="sgd"):
    """An optimizer with two param groups (lrs 0.1 and 0.05) over small parameters."""
    a = lib.nn.Parameter(lib.zeros(3))
    b = lib.nn.Parameter(lib.zeros(2))
    groups = [{"params": [a]}, {"params": [b], "lr": 0.05}]
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


def _metric(i):
    """A plateauing, noisy 'validation loss' for ReduceLROnPlateau."""
    return 1.0 / (1 + i) ** 0.5 + 0.05 * math.sin(i * 1.7) if i < 60 else 0.3 + 0.01 * (i % 7)


SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 80], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=25, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-4),
    "CosineAnnealingWarmRestarts-1": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lr_lambda=[lambda e: 0.95 ** e, lambda e: 1 / (1 + e)]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.98),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=30),
    "LinearLR-down": lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=50),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=20),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=80, power=2.0),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS + 1),
    "OneCycleLR-3phase-linear": lambda S, o: S.OneCycleLR(o, max_lr=0.5, epochs=11, steps_per_epoch=11,
                                                          three_phase=True, anneal_strategy="linear"),
    "CyclicLR": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10),
    "CyclicLR-triangular2": lambda S, o: S.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=10,
                                                    step_size_down=5, mode="triangular2"),
    "CyclicLR-exp_range": lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=8, mode="exp_range",
                                                  gamma=0.99),
    "SequentialLR": lambda S, o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=10),
                                                    S.ExponentialLR(o, gamma=0.9),
                                                    S.CosineAnnealingLR(o, T_max=20)], milestones=[10, 40]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.1, total_iters=5),
                                                         S.ExponentialLR(o, gamma=0.95)]),
}


def _record(opt, sched, steps, start=0, plateau=False):
    """Step optimizer then scheduler ``steps`` times; return (last_lr, group lr, momentum/beta1) per step."""
    out = []
    for i in range(start, start + steps):
        opt.step()
        if plateau:
            sched.step(_metric(i))
        else:
            sched.step()
        groups = opt.param_groups
        out.append((list(sched.get_last_lr()), [g["lr"] for g in groups],
                    [g["betas"][0] if "betas" in g else g["momentum"] for g in groups]))
    return out


def _run(lib, name, steps, kind="sgd"):
    opt = _opt(lib, kind)
    sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
    first = (list(sched.get_last_lr()), getattr(sched, "last_epoch", None))
    return opt, sched, first, _record(opt, sched, steps)


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_sequence_equals_pytorch(name):
    _, _, first_n, seq_n = _run(numtorch, name, STEPS)
    _, _, first_t, seq_t = _run(torch, name, STEPS)
    assert first_n == first_t  # construction: the initial step
    assert seq_n == seq_t  # exact float equality, lr and momentum, every step


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR"])
def test_beta1_cycling_with_adam(name):
    seq_n = _run(numtorch, name, 60, kind="adam")[3]
    seq_t = _run(torch, name, 60, kind="adam")[3]
    assert seq_n == seq_t
    assert len({m[2][0] for m in seq_n}) > 10  # beta1 actually moves


def test_reduce_lr_on_plateau_equals_pytorch():
    seqs = []
    for lib in (numtorch, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=3, cooldown=2, threshold=0.01,
                                                         min_lr=[1e-3, 2e-3])
        seqs.append(_record(opt, sched, STEPS, plateau=True))
    assert seqs[0] == seqs[1]
    assert seqs[0][-1][1][0] < 0.1  # it did reduce


@pytest.mark.parametrize("mode,threshold_mode", [("max", "abs"), ("max", "rel"), ("min", "abs")])
def test_reduce_lr_on_plateau_modes(mode, threshold_mode):
    seqs = []
    for lib in (numtorch, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=mode, threshold_mode=threshold_mode, patience=2)
        out = []
        for i in range(100):
            sched.step(_metric(i) * (-1 if mode == "max" else 1))
            out.append((sched.get_last_lr(), sched.num_bad_epochs, sched.best))
        seqs.append(out)
    assert seqs[0] == seqs[1]


@pytest.mark.parametrize("name", list(SCHEDULERS) + ["ReduceLROnPlateau"])
def test_state_dict_round_trip_midway(name):
    """Save optimizer+scheduler state at step 50, restore into fresh objects, continue: same as PyTorch."""
    plateau = name == "ReduceLROnPlateau"

    def make(lib):
        opt = _opt(lib)
        S = lib.optim.lr_scheduler
        return opt, (S.ReduceLROnPlateau(opt, factor=0.5, patience=3) if plateau else SCHEDULERS[name](S, opt))

    opt_t, sched_t = make(torch)
    expected = _record(opt_t, sched_t, STEPS, plateau=plateau)

    opt, sched = make(numtorch)
    head = _record(opt, sched, 50, plateau=plateau)
    opt_state = copy.deepcopy(opt.state_dict())
    sched_state = copy.deepcopy(sched.state_dict())
    assert "optimizer" not in sched_state
    opt2, sched2 = make(numtorch)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert getattr(sched2, "last_epoch", None) == getattr(sched, "last_epoch", None)
    tail = _record(opt2, sched2, STEPS - 50, start=50, plateau=plateau)
    assert head + tail == expected


def test_state_dict_keys_match_pytorch():
    for name in ["StepLR", "CosineAnnealingLR", "OneCycleLR", "LambdaLR", "SequentialLR", "CyclicLR"]:
        sd_n = _run(numtorch, name, 3)[1].state_dict()
        sd_t = _run(torch, name, 3)[1].state_dict()
        assert set(sd_n) == set(sd_t), name
        for key in ("last_epoch", "base_lrs", "_last_lr", "_step_count"):
            if key in sd_t:
                assert sd_n[key] == sd_t[key], (name, key)


def test_construction_sets_initial_lr_and_last_epoch():
    opt = _opt(numtorch)
    sched = numtorch.optim.lr_scheduler.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0 and sched._step_count == 1
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.base_lrs == [0.1, 0.05] and sched.get_last_lr() == [0.1, 0.05]
    # LinearLR applies its start factor at construction
    opt = _opt(numtorch)
    numtorch.optim.lr_scheduler.LinearLR(opt, start_factor=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.025]


def test_resume_with_last_epoch_needs_initial_lr():
    opt = _opt(numtorch)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        numtorch.optim.lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)


def test_warning_scheduler_before_optimizer():
    opt = _opt(numtorch)
    sched = numtorch.optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()
    # the right order does not warn
    opt = _opt(numtorch)
    sched = numtorch.optim.lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
        sched.step()


def test_warning_optimizer_step_overridden():
    opt = _opt(numtorch)
    sched = numtorch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden"):
        sched.step()


def test_get_lr_outside_step_warns():
    sched = numtorch.optim.lr_scheduler.StepLR(_opt(numtorch), step_size=2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_epoch_argument_uses_closed_form():
    results = []
    for lib in (numtorch, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        opt.step()
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
            sched.step(7)
        results.append((sched.get_last_lr(), sched.last_epoch))
    assert results[0] == results[1]


def test_warm_restarts_fractional_epochs():
    results = []
    for lib in (numtorch, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in np.arange(0, 40, 0.37):
                opt.step()
                sched.step(float(epoch))
                out.append(sched.get_last_lr())
        results.append(out)
    assert results[0] == results[1]


def test_tensor_lr_is_updated_in_place():
    p = numtorch.nn.Parameter(numtorch.zeros(2))
    lr = numtorch.tensor(0.1)
    opt = numtorch.optim.SGD([p], lr=lr)
    sched = numtorch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert abs(lr.item() - 0.05) < 1e-8


@pytest.mark.parametrize("make,exc,match", [
    (lambda S, o: S.StepLR(object(), 2), TypeError, "object is not an Optimizer"),
    (lambda S, o: S.ConstantLR(o, factor=1.5), ValueError, "Constant multiplicative factor expected"),
    (lambda S, o: S.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
    (lambda S, o: S.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda S, o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda S, o: S.ReduceLROnPlateau(o, mode="avg"), ValueError, "mode avg is unknown!"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "Expected positive integer T_0, but got 0"),
    (lambda S, o: S.OneCycleLR(o, max_lr=0.1), ValueError, "You must define either total_steps OR"),
    (lambda S, o: S.OneCycleLR(o, max_lr=[0.1], total_steps=5), ValueError, "max_lr must have the same length"),
    (lambda S, o: S.CyclicLR(o, 0.1, 0.2, mode="bad"), ValueError, "mode is invalid and scale_fn is None"),
    (lambda S, o: S.SequentialLR(o, [S.StepLR(o, 2)], milestones=[3]), ValueError,
     "expects number of schedulers provided to be one more"),
    (lambda S, o: S.ChainedScheduler([]), ValueError, "expects at least one scheduler to be chained"),
])
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make(numtorch.optim.lr_scheduler, _opt(numtorch))


def test_one_cycle_too_many_steps():
    opt = _opt(numtorch)
    sched = numtorch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        sched.step()


def test_cyclic_momentum_needs_momentum_optimizer():
    p = numtorch.nn.Parameter(numtorch.zeros(2))
    opt = numtorch.optim.Adagrad([p], lr=0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        numtorch.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)


def test_user_defined_scheduler_subclass():
    """A user's LRScheduler subclass (warm-up then inverse square root) behaves as under PyTorch."""
    seqs = []
    for lib in (numtorch, torch):
        class WarmupInvSqrt(lib.optim.lr_scheduler.LRScheduler):
            def __init__(self, optimizer, warmup, last_epoch=-1):
                self.warmup = warmup
                super().__init__(optimizer, last_epoch)

            def get_lr(self):
                e = max(self.last_epoch, 1)
                scale = min(e / self.warmup, (self.warmup / e) ** 0.5)
                return [base_lr * scale for base_lr in self.base_lrs]

        opt = _opt(lib)
        seqs.append(_record(opt, WarmupInvSqrt(opt, warmup=10), 50))
    assert seqs[0] == seqs[1]


def test_resume_with_last_epoch_argument():
    """Re-creating a scheduler with last_epoch=k continues the closed-form schedules where they were."""
    seqs = []
    for lib in (numtorch, torch):
        opt = _opt(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30)
        _record(opt, sched, 12)
        sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30, last_epoch=sched.last_epoch)
        seqs.append(_record(opt, sched, 20))
    assert seqs[0] == seqs[1]
