"""BatchNorm, LayerNorm, GroupNorm, InstanceNorm, LocalResponseNorm against PyTorch: train and eval, buffers."""
import numpy as np
import pytest
import torch

import numtorch
from helpers_nn import close, compare_module, randn

nnn, tnn = numtorch.nn, torch.nn
NF, TF = numtorch.nn.functional, torch.nn.functional

BN_CONFIGS = [{}, {"momentum": None}, {"momentum": 0.3}, {"affine": False}, {"track_running_stats": False},
              {"affine": False, "track_running_stats": False}, {"eps": 1e-2}, {"bias": False}]


@pytest.mark.parametrize("kw", BN_CONFIGS, ids=[str(k) for k in BN_CONFIGS])
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm2d(kw, train):
    x = randn(4, 3, 5, 6) * 2 + 1
    nm, tm = nnn.BatchNorm2d(3, **kw), tnn.BatchNorm2d(3, **kw)
    if kw.get("affine", True):  # non-trivial affine parameters
        with torch.no_grad():
            tm.weight.uniform_(0.5, 1.5)
            if tm.bias is not None:
                tm.bias.uniform_(-1, 1)
    compare_module(nm, tm, x, train=train, steps=3, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"affine": False}])
@pytest.mark.parametrize("shape", [(8, 4), (5, 4, 3)])
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm1d(kw, shape, train):
    compare_module(nnn.BatchNorm1d(4, **kw), tnn.BatchNorm1d(4, **kw), randn(*shape) * 3 - 1, train=train, steps=3)


def test_batchnorm_running_stats_after_training_then_eval():
    nm, tm = nnn.BatchNorm2d(3), tnn.BatchNorm2d(3)
    compare_module(nm, tm, randn(6, 3, 4, 4) * 2 + 3, train=True, steps=4)
    assert nm.num_batches_tracked.item() == 4
    nm.eval(), tm.eval()
    x = randn(2, 3, 4, 4, seed=5)
    close(nm(numtorch.tensor(x)), tm(torch.tensor(x)))


def test_batchnorm_float64_gradcheck_and_errors():
    x = numtorch.tensor(randn(4, 3, 2, dtype=np.float64), requires_grad=True)
    w = numtorch.tensor(randn(3, dtype=np.float64, seed=1), requires_grad=True)
    b = numtorch.tensor(randn(3, dtype=np.float64, seed=2), requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda x, w, b: NF.batch_norm(x, None, None, w, b, True), (x, w, b))
    rm, rv = numtorch.zeros(3, dtype=numtorch.float64), numtorch.ones(3, dtype=numtorch.float64) * 2
    assert numtorch.autograd.gradcheck(lambda x, w, b: NF.batch_norm(x, rm, rv, w, b, False), (x, w, b))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r"torch.Size\(\[1, 3\]\)"):
        nnn.BatchNorm1d(3)(numtorch.randn(1, 3))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nnn.BatchNorm2d(3)(numtorch.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nnn.BatchNorm1d(3)(numtorch.randn(2, 3, 4, 4))


def test_batchnorm_output_can_be_modified_in_place():
    """A following ReLU(inplace=True) must not corrupt what batch norm saved for backward."""
    compare_module(nnn.Sequential(nnn.BatchNorm1d(3, affine=False), nnn.ReLU(inplace=True)),
                   tnn.Sequential(tnn.BatchNorm1d(3, affine=False), tnn.ReLU(inplace=True)), randn(5, 3))


@pytest.mark.parametrize("shape,norm", [((4, 6), 6), ((2, 3, 4), (3, 4)), ((2, 3, 4), 4)])
@pytest.mark.parametrize("kw", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-3}])
def test_layernorm(shape, norm, kw):
    nm, tm = nnn.LayerNorm(norm, **kw), tnn.LayerNorm(norm, **kw)
    if tm.weight is not None:
        with torch.no_grad():
            tm.weight.uniform_(0.5, 1.5)
    compare_module(nm, tm, randn(*shape) * 2 + 1)


def test_layernorm_error_and_gradcheck():
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], "
                                           r"but got input of size\[2, 3\]"):
        nnn.LayerNorm(4)(numtorch.randn(2, 3))
    m = nnn.LayerNorm(3).double()
    x = numtorch.tensor(randn(2, 3, dtype=np.float64), requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda x, w, b: NF.layer_norm(x, (3,), w, b), (x, m.weight, m.bias))


@pytest.mark.parametrize("groups,shape", [(2, (3, 4, 5)), (1, (2, 4, 3, 3)), (4, (2, 4, 3, 3)), (2, (2, 4))])
@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm(groups, shape, affine):
    nm, tm = nnn.GroupNorm(groups, 4, affine=affine), tnn.GroupNorm(groups, 4, affine=affine)
    if affine:
        with torch.no_grad():
            tm.weight.uniform_(0.5, 1.5)
            tm.bias.uniform_(-1, 1)
    compare_module(nm, tm, randn(*shape) * 2 + 1)


def test_groupnorm_errors_and_gradcheck():
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups \(2\)"):
        nnn.GroupNorm(2, 5)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups"):
        NF.group_norm(numtorch.randn(2, 5, 3), 2)
    m = nnn.GroupNorm(2, 4).double()
    x = numtorch.tensor(randn(2, 4, 3, dtype=np.float64), requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda x, w, b: NF.group_norm(x, 2, w, b), (x, m.weight, m.bias))


@pytest.mark.parametrize("kw", [{}, {"affine": True}, {"track_running_stats": True},
                                {"affine": True, "track_running_stats": True}])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5)])
def test_instancenorm2d(kw, train, shape):
    compare_module(nnn.InstanceNorm2d(3, **kw), tnn.InstanceNorm2d(3, **kw), randn(*shape) * 2 + 1, train=train,
                   steps=2)


def test_instancenorm1d():
    compare_module(nnn.InstanceNorm1d(3, affine=True), tnn.InstanceNorm1d(3, affine=True), randn(2, 3, 6))


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 3, 4), (2, 5, 7)])
def test_local_response_norm(size, shape):
    compare_module(nnn.LocalResponseNorm(size, alpha=0.5, beta=0.75, k=2.0),
                   tnn.LocalResponseNorm(size, alpha=0.5, beta=0.75, k=2.0), randn(*shape) * 2)


def test_local_response_norm_gradcheck():
    x = numtorch.tensor(randn(2, 5, 3, dtype=np.float64), requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda x: NF.local_response_norm(x, 3, alpha=0.3, k=1.5), (x,))


@pytest.mark.parametrize("shape,norm", [((4, 6), 6), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("kw", [{}, {"eps": 1e-3}, {"elementwise_affine": False}])
def test_rmsnorm(shape, norm, kw):
    nm, tm = nnn.RMSNorm(norm, **kw), tnn.RMSNorm(norm, **kw)
    assert repr(nm) == repr(tm)
    if tm.weight is not None:
        with torch.no_grad():
            tm.weight.uniform_(0.5, 1.5)
    compare_module(nm, tm, randn(*shape) * 2 + 1)
    x = numtorch.tensor(randn(*shape, dtype=np.float64), requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda x: NF.rms_norm(x, norm, eps=1e-3), (x,))


@pytest.mark.parametrize("block_bytes", [1, 700])
def test_batchnorm_blocked_passes_match_torch(monkeypatch, block_bytes):
    """Training runs its elementwise passes in batch blocks (cache-sized); tiny blocks (one or a few samples each,
    a ragged last block) must give PyTorch's output, gradients and running stats. A large mean tests that the
    centred (two-pass) variance keeps float32 accuracy."""
    monkeypatch.setattr(numtorch.nn.functional.normalization, "_BLOCK_BYTES", block_bytes)
    nm, tm = nnn.BatchNorm2d(3), tnn.BatchNorm2d(3)
    with torch.no_grad():
        tm.weight.uniform_(0.5, 1.5)
        tm.bias.uniform_(-1, 1)
    compare_module(nm, tm, randn(7, 3, 4, 5) * 0.5 + 20, train=True, steps=2, rtol=2e-4, atol=2e-4)


def test_batchnorm_eval_weight_grad_and_no_grad():
    """Eval mode: the weight gradient uses the running statistics; under no_grad nothing is kept for backward."""
    nm, tm = nnn.BatchNorm2d(3), tnn.BatchNorm2d(3)
    compare_module(nm, tm, randn(6, 3, 4, 4) * 2 + 3, train=True, steps=2)
    compare_module(nm, tm, randn(3, 3, 4, 4, seed=4), train=False)
    with numtorch.no_grad():
        out = nm(numtorch.tensor(randn(3, 3, 4, 4, seed=4)))
    close(out, tm(torch.tensor(randn(3, 3, 4, 4, seed=4))))
    assert out.grad_fn is None
