"""swa_utils: AveragedModel (SWA and EMA), SWALR and update_bn agree with PyTorch."""
import copy

import numpy as np
import pytest
import torch

import numtorch


def _models():
    """The same small BatchNorm model in both frameworks (numtorch's weights copied into torch's)."""
    numtorch.manual_seed(0)
    ours = numtorch.nn.Sequential(numtorch.nn.Linear(4, 6), numtorch.nn.BatchNorm1d(6), numtorch.nn.ReLU(),
                                  numtorch.nn.Linear(6, 2))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                                 torch.nn.Linear(6, 2))
    theirs.load_state_dict({k: torch.tensor(v.numpy().copy()) for k, v in ours.state_dict().items()})
    return ours, theirs


def _perturb(ours, theirs, rng):
    """Give both models the same new weights and run one training-mode batch (moves BN buffers)."""
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        new = (p.detach().numpy() + rng.standard_normal(p.shape) * 0.1).astype(np.float32)
        p.data = numtorch.tensor(new)
        q.data = torch.tensor(new)
    x = rng.standard_normal((8, 4)).astype(np.float32)
    ours(numtorch.tensor(x))
    theirs(torch.tensor(x))


def _compare(avg_ours, avg_theirs, rtol=1e-6, atol=1e-7):
    sd_o, sd_t = avg_ours.state_dict(), avg_theirs.state_dict()
    assert list(sd_o) == list(sd_t)
    for key, value in sd_t.items():
        np.testing.assert_allclose(sd_o[key].numpy(), value.numpy(), rtol=rtol, atol=atol, err_msg=key)


@pytest.mark.parametrize("kind", ["swa", "ema_multi", "ema_fn", "swa_fn", "ema_buffers"])
def test_averaged_model_matches_pytorch(kind):
    ours, theirs = _models()

    def make(lib, model):
        su = lib.optim.swa_utils
        if kind == "swa":
            return su.AveragedModel(model)
        if kind == "ema_multi":
            return su.AveragedModel(model, multi_avg_fn=su.get_ema_multi_avg_fn(0.9))
        if kind == "ema_fn":
            return su.AveragedModel(model, avg_fn=su.get_ema_avg_fn(0.8))
        if kind == "swa_fn":
            return su.AveragedModel(model, avg_fn=su.get_swa_avg_fn())
        return su.AveragedModel(model, multi_avg_fn=su.get_ema_multi_avg_fn(0.9), use_buffers=True)

    avg_o, avg_t = make(numtorch, ours), make(torch, theirs)
    rng = np.random.default_rng(0)
    for _ in range(8):
        _perturb(ours, theirs, rng)
        avg_o.update_parameters(ours)
        avg_t.update_parameters(theirs)
        _compare(avg_o, avg_t)
    assert avg_o.n_averaged.item() == 8
    assert not np.allclose(avg_o.module[0].weight.detach().numpy(), ours[0].weight.detach().numpy())
    x = rng.standard_normal((3, 4)).astype(np.float32)
    avg_o.eval(), avg_t.eval()
    np.testing.assert_allclose(avg_o(numtorch.tensor(x)).detach().numpy(), avg_t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_swa_is_the_mean_of_the_snapshots():
    ours, _ = _models()
    avg = numtorch.optim.swa_utils.AveragedModel(ours)
    snapshots = []
    rng = np.random.default_rng(1)
    for _ in range(5):
        w = rng.standard_normal((6, 4)).astype(np.float32)
        ours[0].weight.data = numtorch.tensor(w)
        snapshots.append(w)
        avg.update_parameters(ours)
    np.testing.assert_allclose(avg.module[0].weight.detach().numpy(), np.mean(snapshots, 0), rtol=1e-5, atol=1e-6)


def test_update_bn_matches_pytorch():
    ours, theirs = _models()
    rng = np.random.default_rng(2)
    batches = [rng.standard_normal((5, 4)).astype(np.float32) * (i + 1) for i in range(4)]
    ours.eval(), theirs.eval()
    numtorch.optim.swa_utils.update_bn([(numtorch.tensor(b), 0) for b in batches], ours)
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], theirs)
    assert not ours.training and ours[1].momentum == 0.1
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(getattr(ours[1], name).numpy(), getattr(theirs[1], name).numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=name)


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.01, anneal_epochs=5), dict(swa_lr=[0.02, 0.005], anneal_epochs=0),
                                    dict(swa_lr=0.05, anneal_epochs=7, anneal_strategy="linear")])
def test_swalr_sequence_matches_pytorch(kwargs):
    seqs = []
    for lib in (numtorch, torch):
        a, b = lib.nn.Parameter(lib.zeros(2)), lib.nn.Parameter(lib.zeros(2))
        opt = lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.2}], lr=0.1)
        sched = lib.optim.swa_utils.SWALR(opt, **kwargs)
        out = [sched.get_last_lr()]
        for i in range(30):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
            if i == 10:  # state_dict round trip midway
                state = copy.deepcopy(sched.state_dict())
                sched = lib.optim.swa_utils.SWALR(opt, **kwargs)
                sched.load_state_dict(state)
        seqs.append(out)
    assert seqs[0] == seqs[1]


def test_swa_errors():
    su = numtorch.optim.swa_utils
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5 provided. Please provide a value in \[0,1\] range."):
        su.get_ema_multi_avg_fn(1.5)
    opt = numtorch.optim.SGD([numtorch.nn.Parameter(numtorch.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got exp"):
        su.SWALR(opt, swa_lr=0.01, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        su.SWALR(opt, swa_lr=0.01, anneal_epochs=-1)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
        su.AveragedModel(numtorch.nn.Linear(2, 2), avg_fn=su.get_swa_avg_fn(), multi_avg_fn=su.get_swa_multi_avg_fn())
