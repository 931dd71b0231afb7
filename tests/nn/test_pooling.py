"""Pooling against PyTorch: max/avg 1-D and 2-D, adaptive avg/max, max_unpool, modules, errors, gradcheck."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
import numtorch.nn as nn
import numtorch.nn.functional as F
from numtorch.autograd import gradcheck
from oracle import assert_close, check_op

RNG = np.random.default_rng(99)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2)),
    dict(kernel_size=3, stride=2, dilation=2, padding=1),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 1), stride=1),
]


@pytest.mark.parametrize("kw", MAX2D)
def test_max_pool2d_matches_torch(kw):
    check_op(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), arr(2, 3, 9, 7))
    x = arr(2, 3, 9, 7)
    vn, in_ = F.max_pool2d(numtorch.tensor(x), return_indices=True, **kw)
    vt, it = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    assert in_.dtype == numtorch.int64 and np.array_equal(in_.numpy(), it.numpy())
    assert_close(vn, vt)


def test_max_pool_ties_route_gradient_like_torch():
    x = np.maximum(arr(2, 4, 8, 8), 0)   # many zero windows: ties everywhere
    x[0, 0, :2, :2] = 1.0
    check_op(lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), x)
    check_op(lambda t: F.max_pool2d(t, 3, 1, 1), lambda t: TF.max_pool2d(t, 3, 1, 1), x)


def test_max_pool_unbatched_and_module():
    check_op(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), arr(3, 6, 6))
    m, t = nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)
    assert repr(m) == repr(t)
    check_op(m, t, arr(2, 2, 7, 7))
    m, t = nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True)
    (a, ia), (b, ib) = m(numtorch.tensor(arr(1, 2, 4, 4))), t(torch.tensor(arr(1, 2, 4, 4)))
    assert ia.shape == ib.shape


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=2, dilation=3, stride=1)])
def test_max_pool1d_matches_torch(kw):
    check_op(lambda x: F.max_pool1d(x, **kw), lambda x: TF.max_pool1d(x, **kw), arr(2, 3, 11))
    assert repr(nn.MaxPool1d(**kw)) == repr(torch.nn.MaxPool1d(**kw))


AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 3), stride=(2, 1), divisor_override=4),
    dict(kernel_size=2, ceil_mode=True),
]


@pytest.mark.parametrize("kw", AVG2D)
def test_avg_pool2d_matches_torch(kw):
    check_op(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), arr(2, 3, 9, 7))
    check_op(nn.AvgPool2d(**kw), torch.nn.AvgPool2d(**kw), arr(3, 5, 6))


@pytest.mark.parametrize("kw", [dict(kernel_size=3), dict(kernel_size=4, stride=2, padding=2, ceil_mode=True),
                                dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)])
def test_avg_pool1d_matches_torch(kw):
    check_op(lambda x: F.avg_pool1d(x, **kw), lambda x: TF.avg_pool1d(x, **kw), arr(2, 3, 11))
    assert repr(nn.AvgPool1d(**kw)) == repr(torch.nn.AvgPool1d(**kw))


@pytest.mark.parametrize("size", [1, (1, 1), 3, (2, 4), (None, 3), (5, 7), (10, 9)])
def test_adaptive_pool2d_matches_torch(size):
    x = arr(2, 3, 7, 8)
    check_op(lambda t: F.adaptive_avg_pool2d(t, size), lambda t: TF.adaptive_avg_pool2d(t, size), x)
    check_op(lambda t: F.adaptive_max_pool2d(t, size), lambda t: TF.adaptive_max_pool2d(t, size), x)
    a, ia = F.adaptive_max_pool2d(numtorch.tensor(x), size, return_indices=True)
    b, ib = TF.adaptive_max_pool2d(torch.tensor(x), size, return_indices=True)
    assert np.array_equal(ia.numpy(), ib.numpy())
    check_op(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), arr(3, 7, 8))


@pytest.mark.parametrize("size", [1, 3, 4, 9])
def test_adaptive_pool1d_matches_torch(size):
    check_op(lambda t: F.adaptive_avg_pool1d(t, size), lambda t: TF.adaptive_avg_pool1d(t, size), arr(2, 3, 7))
    check_op(lambda t: F.adaptive_max_pool1d(t, size), lambda t: TF.adaptive_max_pool1d(t, size), arr(2, 3, 7))


def test_max_unpool2d_roundtrip_matches_torch():
    x = arr(2, 3, 8, 6)
    _, ia = F.max_pool2d(numtorch.tensor(x), 2, return_indices=True)
    _, ib = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    check_op(lambda v: F.max_unpool2d(v, ia, 2), lambda v: TF.max_unpool2d(v, ib, 2), arr(2, 3, 4, 3))
    check_op(lambda v: nn.MaxUnpool2d(2)(v, ia, output_size=(9, 7)),
             lambda v: torch.nn.MaxUnpool2d(2)(v, ib, output_size=(9, 7)), arr(2, 3, 4, 3))
    assert repr(nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    x1 = arr(2, 3, 8)
    _, i1 = F.max_pool1d(numtorch.tensor(x1), 2, return_indices=True)
    _, j1 = TF.max_pool1d(torch.tensor(x1), 2, return_indices=True)
    check_op(lambda v: F.max_unpool1d(v, i1, 2), lambda v: TF.max_unpool1d(v, j1, 2), arr(2, 3, 4))


@pytest.mark.parametrize("fn", [
    lambda t: F.max_pool2d(t, 3, stride=2, padding=1, ceil_mode=True),
    lambda t: F.avg_pool2d(t, 3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
    lambda t: F.adaptive_avg_pool2d(t, (2, 3)),
    lambda t: F.adaptive_max_pool2d(t, (2, 3)),
    lambda t: F.max_pool1d(t.flatten(2), 3, 2, dilation=2),
])
def test_pooling_gradcheck_float64(fn):
    x = numtorch.tensor(RNG.permutation(60).reshape(1, 2, 5, 6).astype(np.float64) / 7, requires_grad=True)
    assert gradcheck(fn, (x,))


def test_pooling_error_messages_match_torch():
    cases = [
        lambda L: L.nn.functional.max_pool2d(L.zeros(1, 1, 4, 4), 3, padding=2),
        lambda L: L.nn.functional.max_pool2d(L.zeros(1, 1, 2, 2), 3),
        lambda L: L.nn.functional.max_pool2d(L.zeros(4, 4), 2, 2),
        lambda L: L.nn.functional.avg_pool2d(L.zeros(1, 1, 2, 2), 3),
        lambda L: L.nn.functional.max_pool1d(L.zeros(1, 1, 2), 3),
        lambda L: L.nn.functional.adaptive_avg_pool2d(L.zeros(4, 4, 4, 4, 4), 2),
        lambda L: L.nn.functional.max_unpool2d(L.zeros(1, 1, 2, 2), L.zeros(1, 1, 2, 2, dtype=L.long) + 100, 2),
        lambda L: L.nn.functional.max_unpool2d(L.zeros(1, 1, 2, 2), L.zeros(1, 1, 2, 2, dtype=L.long), 2,
                                               output_size=(9, 9)),
        lambda L: L.nn.MaxPool2d(2)(L.zeros(1, 1, 1, 1)),
    ]
    for case in cases:
        with pytest.raises(Exception) as expected:
            case(torch)
        with pytest.raises(type(expected.value)) as got:
            case(numtorch)
        assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("k,s", [((2, 1), (2, 1)), ((3, 1), (1, 1)), ((2, 2), None), ((3, 3), (2, 2))])
def test_max_pool2d_backward_grads_stay_independent(k, s):
    """Backward reuses a scratch buffer for its intermediate: earlier gradients must not change."""
    xs = [np.random.default_rng(i).standard_normal((2, 3, 8, 6)).astype(np.float32) for i in range(2)]
    grads = []
    for lib, fn in ((numtorch, F), (torch, TF)):
        a, b = (lib.tensor(x, requires_grad=True) for x in xs)
        (fn.max_pool2d(a * 2, k, s).sum() + fn.max_pool2d(b * 3, k, s).sum()).backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for gn, gt in zip(*grads):
        np.testing.assert_array_equal(gn, gt)


@pytest.mark.parametrize("kw", MAX2D)
def test_max_pool2d_no_grad_path_matches_torch(kw):
    """Without grad, max pooling takes plain window maxima (no winning offsets); NaN and -inf as in PyTorch."""
    x = arr(2, 3, 9, 7)
    x[0, 0, 1, 1], x[1, 2, 4, :] = np.nan, -np.inf
    with numtorch.no_grad():
        yn = F.max_pool2d(numtorch.tensor(x, requires_grad=True), **kw)
    yt = TF.max_pool2d(torch.tensor(x), **kw)
    assert yn.grad_fn is None and yn.shape == tuple(yt.shape)
    np.testing.assert_array_equal(yn.numpy(), yt.numpy())
    np.testing.assert_array_equal(F.max_pool1d(numtorch.tensor(x[0]), 2).numpy(),
                                  TF.max_pool1d(torch.tensor(x[0]), 2).numpy())
