"""Dropout family (statistics, eval identity, reproducibility, gradients) and Embedding / one_hot."""
import math

import numpy as np
import pytest
import torch

import numtorch
from helpers_nn import close, compare_module, randn

nnn, tnn = numtorch.nn, torch.nn
NF, TF = numtorch.nn.functional, torch.nn.functional


@pytest.mark.parametrize("cls", ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout"])
def test_dropout_inactive_in_eval(cls):
    shape = (4, 3, 5) if cls == "Dropout1d" else (4, 3, 5, 5)
    compare_module(getattr(nnn, cls)(0.5), getattr(tnn, cls)(0.5), randn(*shape), train=False)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_gradient(p):
    x = numtorch.ones(200, 200, requires_grad=True)
    y = NF.dropout(x, p)
    v = y.detach().numpy()
    kept = v != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(v[kept], 1 / (1 - p), rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), v)  # gradient = mask / (1 - p)
    assert NF.dropout(x, 0.0) is x and NF.dropout(x, p, training=False) is x
    assert np.all(NF.dropout(x, 1.0).detach().numpy() == 0)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        nnn.Dropout(1.5)


def test_dropout_reproducible_with_manual_seed():
    numtorch.manual_seed(3)
    a = NF.dropout(numtorch.ones(50), 0.5).numpy().copy()
    numtorch.manual_seed(3)
    b = NF.dropout(numtorch.ones(50), 0.5).numpy()
    np.testing.assert_array_equal(a, b)


def test_dropout2d_zeroes_whole_channels():
    x = numtorch.ones(8, 16, 3, 3, requires_grad=True)
    y = nnn.Dropout2d(0.5)(x)
    v = y.detach().numpy().reshape(8, 16, 9)
    assert np.all((v == 0).all(-1) | (v == 2).all(-1))
    assert 0.2 < (v[..., 0] == 0).mean() < 0.8
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().reshape(8, 16, 9), v)


def test_alpha_dropout_keeps_selu_statistics():
    x = numtorch.randn(400, 400)
    y = NF.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    a = 1 / math.sqrt((1.7580993408473766 ** 2 * 0.2 + 1) * 0.8)
    dropped = -1.7580993408473766 * a * 0.8  # every dropped unit lands on SELU's saturation value, rescaled
    assert np.isclose(y, dropped, atol=1e-6).mean() == pytest.approx(0.2, abs=0.01)
    xg = numtorch.randn(10, 10, requires_grad=True)
    NF.alpha_dropout(xg, 0.3, training=True).sum().backward()
    g = xg.grad.numpy()
    a = 1 / math.sqrt((1.7580993408473766 ** 2 * 0.3 + 1) * 0.7)
    assert np.all(np.isclose(g, 0) | np.isclose(g, a)) and np.isclose(g, 0).any()


def test_inplace_dropout():
    x = numtorch.ones(10, 10)
    y = NF.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 0}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                {"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0}])
def test_embedding_matches_torch(kw):
    idx = np.array([[0, 2, 2, 9], [4, 2, 0, 1]])
    nm, tm = nnn.Embedding(10, 3, **kw), tnn.Embedding(10, 3, **kw)
    compare_module(nm, tm, idx, grad=True)
    close(nm.weight, tm.weight)  # max_norm renormalises looked-up rows in place, as PyTorch does


def test_embedding_default_init_padding_row_and_errors():
    e = nnn.Embedding(2000, 8, padding_idx=3)
    w = e.weight.detach().numpy()
    assert np.all(w[3] == 0)
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02
    with pytest.raises(IndexError, match="index out of range in self"):
        e(numtorch.tensor([2000]))
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following"):
        e(numtorch.tensor([1.0]))
    pre = nnn.Embedding.from_pretrained(numtorch.eye(3))
    assert not pre.weight.requires_grad and pre(numtorch.tensor([1])).tolist() == [[0.0, 1.0, 0.0]]


def test_embedding_gradcheck():
    w = numtorch.tensor(randn(6, 3, dtype=np.float64), requires_grad=True)
    idx = numtorch.tensor([[1, 1, 5], [0, 1, 3]])
    assert numtorch.autograd.gradcheck(lambda w: NF.embedding(idx, w), (w,))
    assert numtorch.autograd.gradcheck(lambda w: NF.embedding(idx, w, padding_idx=2, scale_grad_by_freq=False), (w,))


def test_one_hot():
    t = numtorch.tensor([[0, 2], [1, 3]])
    out = NF.one_hot(t)
    assert out.dtype == numtorch.int64
    np.testing.assert_array_equal(out.numpy(), TF.one_hot(torch.tensor([[0, 2], [1, 3]])).numpy())
    assert NF.one_hot(t, 6).shape == (2, 2, 6)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        NF.one_hot(t, 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        NF.one_hot(numtorch.tensor([1.0]))
