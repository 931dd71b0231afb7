"""Convolutions against PyTorch: F.conv1d/conv2d/conv_transpose1d/2d, the modules, nn.grad, unfold/fold."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
import numtorch.nn as nn
import numtorch.nn.functional as F
import numtorch.nn.grad  # noqa: F401  (numtorch/nn/__init__.py does not import it yet)
from numtorch.autograd import gradcheck
from oracle import assert_close, check_op

RNG = np.random.default_rng(1234)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def run_module(nt_mod, th_mod, x, rtol=1e-4, atol=1e-4, **fwd):
    """Identical weights and input: compare output, input grad and every parameter grad."""
    nt_mod.load_state_dict({k: v.detach().numpy().copy() for k, v in th_mod.state_dict().items()})
    xn, xt = numtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    on, ot = nt_mod(xn, **fwd), th_mod(xt, **fwd)
    assert_close(on, ot, rtol=rtol, atol=atol, msg="output")
    g = RNG.standard_normal(tuple(ot.shape)).astype(np.float32)
    on.backward(numtorch.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(xn.grad, xt.grad, rtol=rtol, atol=atol, msg="input grad")
    for (name, pn), (_, pt) in zip(nt_mod.named_parameters(), th_mod.named_parameters()):
        assert_close(pn.grad, pt.grad, rtol=rtol, atol=atol, msg=f"grad of {name}")
    return on


# ------------------------------------------------------------------------------------------ functional
CONV2D = [  # (input shape, weight shape, kwargs)
    ((2, 3, 9, 8), (4, 3, 3, 3), {}),
    ((2, 3, 9, 8), (4, 3, 3, 3), dict(padding=1)),
    ((2, 3, 9, 8), (4, 3, 3, 2), dict(stride=2, padding=(1, 0))),
    ((2, 3, 10, 7), (5, 3, 3, 3), dict(stride=(3, 2), padding=2, dilation=(2, 1))),
    ((1, 4, 7, 7), (6, 2, 3, 3), dict(groups=2, padding="same")),
    ((2, 4, 8, 8), (4, 1, 3, 3), dict(groups=4, padding=1)),                     # depthwise
    ((2, 4, 8, 8), (8, 1, 5, 5), dict(groups=4, padding=2, stride=2)),          # depthwise, multiplier 2
    ((2, 4, 6, 6), (3, 4, 1, 1), {}),                                              # pointwise
    ((2, 3, 8, 9), (4, 3, 4, 2), dict(padding="same", dilation=2)),             # asymmetric 'same'
    ((2, 3, 8, 9), (4, 3, 3, 3), dict(padding="valid", stride=(1, 2))),
    ((3, 7, 7), (2, 3, 3, 3), dict(padding=1)),                                    # unbatched
]


@pytest.mark.parametrize("xs,ws,kw", CONV2D)
def test_conv2d_matches_torch(xs, ws, kw):
    bias = arr(ws[0])
    check_op(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
             arr(*xs), arr(*ws), bias, rtol=1e-4, atol=1e-4)


def test_conv2d_without_bias_and_noncontiguous_input():
    x = arr(2, 8, 9, 3).transpose(0, 3, 1, 2)  # NHWC memory viewed as NCHW
    check_op(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
             x, arr(5, 3, 3, 3), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [{}, dict(stride=2, padding=1), dict(padding="same", dilation=2, groups=2),
                                dict(stride=3, dilation=2)])
def test_conv1d_matches_torch(kw):
    check_op(lambda x, w, b: F.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw),
             arr(2, 4, 13), arr(6, 4 // kw.get("groups", 1), 3), arr(6), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [{}, dict(stride=2), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=3, padding=(1, 2), dilation=2, output_padding=(2, 0)),
                                dict(groups=2, stride=(2, 1)), dict(dilation=2, output_padding=1)])
def test_conv_transpose2d_matches_torch(kw):
    g = kw.get("groups", 1)
    check_op(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
             arr(2, 4, 5, 6), arr(4, 6 // g, 3, 2), arr(6), rtol=1e-4, atol=1e-4)


def test_conv_transpose1d_matches_torch():
    kw = dict(stride=2, padding=1, output_padding=1)
    check_op(lambda x, w, b: F.conv_transpose1d(x, w, b, **kw), lambda x, w, b: TF.conv_transpose1d(x, w, b, **kw),
             arr(2, 3, 7), arr(3, 5, 3), arr(5), rtol=1e-4, atol=1e-4)


def test_conv2d_float64_dtype_and_values():
    out = check_op(lambda x, w: F.conv2d(x, w, stride=2, padding=1), lambda x, w: TF.conv2d(x, w, stride=2, padding=1),
                   arr(2, 3, 6, 6, dtype=np.float64), arr(4, 3, 3, 3, dtype=np.float64))
    assert out.dtype == numtorch.float64


@pytest.mark.parametrize("fn,x,w,nb", [
    (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2)), (2, 2, 5, 6), (3, 2, 2, 3), 3),
    (lambda x, w, b: F.conv2d(x, w, b, groups=2, padding="same"), (1, 4, 4, 5), (4, 2, 3, 2), 4),
    (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), (1, 2, 3, 4), (2, 3, 3, 3), 3),
    (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), (2, 2, 7), (3, 2, 3), 3),
    (lambda x, w, b: F.conv2d(x, w, b, dilation=(2, 1)), (2, 2, 6, 5), (3, 2, 2, 3), 3),   # dx by row shifts
])
def test_conv_gradcheck_float64(fn, x, w, nb):
    xs = numtorch.tensor(arr(*x, dtype=np.float64), requires_grad=True)
    ws = numtorch.tensor(arr(*w, dtype=np.float64), requires_grad=True)
    bs = numtorch.tensor(arr(nb, dtype=np.float64), requires_grad=True)
    assert gradcheck(fn, (xs, ws, bs))


# -------------------------------------------------------------------------------------------- modules
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv2d_module_padding_modes(mode):
    torch.manual_seed(0)
    tm = torch.nn.Conv2d(3, 4, (3, 2), stride=(1, 2), padding=(2, 1), padding_mode=mode)
    run_module(nn.Conv2d(3, 4, (3, 2), stride=(1, 2), padding=(2, 1), padding_mode=mode), tm, arr(2, 3, 7, 8))


def test_conv2d_module_same_padding_reflect_and_conv1d_modes():
    tm = torch.nn.Conv2d(2, 3, 4, padding="same", padding_mode="reflect", bias=False)
    run_module(nn.Conv2d(2, 3, 4, padding="same", padding_mode="reflect", bias=False), tm, arr(2, 2, 6, 7))
    tm = torch.nn.Conv1d(2, 4, 3, padding=2, padding_mode="circular", groups=2)
    run_module(nn.Conv1d(2, 4, 3, padding=2, padding_mode="circular", groups=2), tm, arr(3, 2, 9))


def test_conv_transpose2d_module_with_output_size():
    tm = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    nm = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    x = arr(2, 4, 5, 5)
    run_module(nm, tm, x, output_size=[10, 10])
    with pytest.raises(ValueError, match="requested an output size of"):
        nm(numtorch.tensor(x), output_size=[12, 12])


def test_module_parameters_repr_and_state_dict():
    m = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False)
    t = torch.nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=False)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight"]
    assert tuple(m.weight.shape) == (8, 2, 3, 3) and m.bias is None
    ct, ctt = nn.ConvTranspose2d(4, 6, (3, 2), groups=2, output_padding=0), torch.nn.ConvTranspose2d(4, 6, (3, 2), groups=2)
    assert tuple(ct.weight.shape) == tuple(ctt.weight.shape) == (4, 3, 3, 2)
    assert repr(ct) == repr(ctt)
    for a, b in [(nn.Conv1d(2, 3, 5, padding="same"), torch.nn.Conv1d(2, 3, 5, padding="same")),
                 (nn.Conv2d(2, 3, 3, dilation=2, padding_mode="circular"),
                  torch.nn.Conv2d(2, 3, 3, dilation=2, padding_mode="circular"))]:
        assert repr(a) == repr(b)


def test_default_init_distribution():
    numtorch.manual_seed(0)
    m = nn.Conv2d(32, 64, 3)
    fan_in = 32 * 9
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives gain*sqrt(3/fan_in) = 1/sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(b).max() <= bound and abs(w.mean()) < 0.02 * bound
    ct = nn.ConvTranspose2d(16, 8, 3)   # PyTorch's fan_in for a transposed weight is dim 1 * kernel
    assert np.abs(ct.bias.detach().numpy()).max() <= 1 / math.sqrt(8 * 9)
    numtorch.manual_seed(3)
    a = nn.Conv2d(3, 4, 3).weight.detach().numpy().copy()
    numtorch.manual_seed(3)
    assert np.array_equal(a, nn.Conv2d(3, 4, 3).weight.detach().numpy())


# --------------------------------------------------------------------------------------------- errors
def _raises(fn, exc, text):
    with pytest.raises(exc) as info:
        fn()
    if text.startswith("padding_mode must be one of {"):  # a set: its printed order depends on the hash seed
        import re
        pattern = r"padding_mode must be one of \{(.*)\}, but got (.*)"
        got, want = re.fullmatch(pattern, str(info.value)), re.fullmatch(pattern, text)
        assert sorted(got.group(1).split(", ")) == sorted(want.group(1).split(", "))
        assert got.group(2) == want.group(2)
        return
    assert str(info.value) == text, str(info.value)


def test_conv_error_messages_match_torch():
    cases = [
        lambda L: L.nn.functional.conv2d(L.zeros(8, 4, 32, 32), L.zeros(16, 3, 3, 3)),
        lambda L: L.nn.functional.conv2d(L.zeros(1, 3, 2, 2), L.zeros(16, 3, 3, 3)),
        lambda L: L.nn.functional.conv2d(L.zeros(3, 2), L.zeros(16, 3, 3, 3)),
        lambda L: L.nn.functional.conv2d(L.zeros(4, 3, 8, 8), L.zeros(16, 3, 3, 3), stride=2, padding="same"),
        lambda L: L.nn.functional.conv2d(L.zeros(4, 3, 8, 8), L.zeros(16, 3, 3, 3), padding="foo"),
        lambda L: L.nn.functional.conv2d(L.zeros(4, 4, 8, 8), L.zeros(6, 2, 3, 3), groups=3),
        lambda L: L.nn.functional.conv2d(L.zeros(4, 6, 8, 8), L.zeros(5, 2, 3, 3), groups=3),
        lambda L: L.nn.functional.conv2d(L.zeros(4, 3, 8, 8), L.zeros(16, 3, 3, 3), L.zeros(5)),
        lambda L: L.nn.functional.conv2d(L.zeros(4, 3, 8, 8, dtype=L.float64), L.zeros(16, 3, 3, 3)),
        lambda L: L.nn.functional.conv1d(L.zeros(4, 3, 2), L.zeros(5, 3, 3)),
        lambda L: L.nn.functional.conv_transpose2d(L.zeros(4, 3, 8, 8), L.zeros(4, 5, 3, 3)),
        lambda L: L.nn.functional.conv2d(L.zeros(4, 3, 8, 8), L.zeros(16, 3, 3, 3), stride=0),
        lambda L: L.nn.functional.conv2d(L.zeros(4, 3, 8, 8), L.zeros(16, 3, 3, 3), padding=-1),
        lambda L: L.nn.functional.conv_transpose2d(L.zeros(4, 3, 8, 8), L.zeros(3, 5, 3, 3), output_padding=2),
        lambda L: L.nn.Conv2d(3, 4, 3, groups=2),
        lambda L: L.nn.Conv2d(4, 3, 3, groups=2),
        lambda L: L.nn.Conv2d(4, 4, 3, padding_mode="foo"),
        lambda L: L.nn.Conv2d(4, 4, 3, stride=2, padding="same"),
        lambda L: L.nn.functional.unfold(L.zeros(1, 3, 2, 2), 3),
        lambda L: L.nn.functional.fold(L.zeros(1, 12, 10), (5, 5), 3),
    ]
    for case in cases:
        with pytest.raises(Exception) as expected:
            case(torch)
        _raises(lambda: case(numtorch), type(expected.value), str(expected.value))


def test_issue_example_message():
    conv = nn.Conv2d(3, 16, 3)
    _raises(lambda: conv(numtorch.zeros(8, 4, 32, 32)), RuntimeError,
            "Given groups=1, weight of size [16, 3, 3, 3], expected input[8, 4, 32, 32] to have 3 channels, "
            "but got 4 channels instead")


# ------------------------------------------------------------------------------------ nn.grad, fold
def test_nn_grad_conv2d_input_and_weight():
    x, w, g = arr(2, 4, 7, 6), arr(6, 2, 3, 3), arr(2, 6, 4, 3)
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    expect_in = torch.nn.grad.conv2d_input(x.shape, torch.tensor(w), torch.tensor(g), **kw)
    expect_w = torch.nn.grad.conv2d_weight(torch.tensor(x), w.shape, torch.tensor(g), **kw)
    assert_close(numtorch.nn.grad.conv2d_input(x.shape, numtorch.tensor(w), numtorch.tensor(g), **kw), expect_in,
                 rtol=1e-4, atol=1e-4)
    assert_close(numtorch.nn.grad.conv2d_weight(numtorch.tensor(x), w.shape, numtorch.tensor(g), **kw), expect_w,
                 rtol=1e-4, atol=1e-4)
    x1, w1, g1 = arr(2, 3, 9), arr(4, 3, 3), arr(2, 4, 9)
    assert_close(numtorch.nn.grad.conv1d_weight(numtorch.tensor(x1), w1.shape, numtorch.tensor(g1), padding=1),
                 torch.nn.grad.conv1d_weight(torch.tensor(x1), w1.shape, torch.tensor(g1), padding=1),
                 rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=(2, 3), padding=1, stride=2),
                                dict(kernel_size=3, dilation=2, padding=(0, 1))])
def test_unfold_fold_match_torch(kw):
    x = arr(2, 3, 7, 8)
    cols = check_op(lambda x: F.unfold(x, **kw), lambda x: TF.unfold(x, **kw), x)
    check_op(lambda c: F.fold(c, (7, 8), **kw), lambda c: TF.fold(c, (7, 8), **kw), arr(*cols.shape))
    assert repr(nn.Unfold(**kw)) == repr(torch.nn.Unfold(**kw))


def test_unfold_gradcheck():
    x = numtorch.tensor(arr(1, 2, 4, 5, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t: F.unfold(t, (2, 3), padding=1, stride=(1, 2)), (x,))
    c = numtorch.tensor(arr(1, 12, 6, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t: F.fold(t, (4, 5), (2, 3), stride=(2, 1)), (c,))


def test_frozen_weight_and_no_grad_paths():
    m = nn.Conv2d(2, 3, 3, padding=1)
    m.weight.requires_grad_(False)
    x = numtorch.tensor(arr(2, 2, 5, 5), requires_grad=True)
    m(x).sum().backward()
    assert m.weight.grad is None and m.bias.grad is not None and x.grad is not None
    with numtorch.no_grad():
        y = m(x)
    assert y.grad_fn is None and not y.requires_grad


def test_small_cnn_matches_torch_end_to_end():
    """Conv-ReLU-Pool x2 + Linear with identical weights: loss, every parameter gradient."""
    def build(L):
        n = L.nn
        return n.Sequential(n.Conv2d(1, 4, 3, padding=1), n.ReLU(), n.MaxPool2d(2), n.Conv2d(4, 6, 3, padding=1),
                            n.ReLU(), n.MaxPool2d(2), n.Flatten(), n.Linear(6 * 3 * 3, 5))
    tm, nm = build(torch), build(numtorch)
    nm.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})
    x, y = arr(4, 1, 12, 12), RNG.integers(0, 5, 4)
    ln = numtorch.nn.functional.cross_entropy(nm(numtorch.tensor(x)), numtorch.tensor(y))
    lt = torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(y))
    ln.backward()
    lt.backward()
    assert_close(ln, lt, rtol=1e-5, atol=1e-6)
    for (name, pn), (_, pt) in zip(nm.named_parameters(), tm.named_parameters()):
        assert_close(pn.grad, pt.grad, rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.parametrize("kw,ws", [(dict(padding=1), (6, 4, 3, 3)), (dict(stride=2, padding=1, groups=2), (6, 2, 3, 3)),
                                   (dict(dilation=2, padding=(0, 1)), (6, 4, 3, 2)),
                                   ({}, (6, 4, 3, 3)), (dict(dilation=(2, 1)), (6, 4, 3, 2)),
                                   (dict(stride=(1, 2), dilation=(1, 2)), (6, 4, 2, 3))])
@pytest.mark.parametrize("budget", [20000, 60000])
def test_conv2d_blocked_over_batch_matches_torch(monkeypatch, kw, ws, budget):
    """A batch whose col exceeds the cache budget runs in blocks of images (one or several per block:
    the row-shift gradients read across image boundaries); results must not change."""
    import numtorch.nn._im2col as K
    monkeypatch.setattr(K, "COL_BUDGET", budget)
    check_op(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
             arr(7, 4, 9, 8), arr(*ws), arr(6), rtol=1e-4, atol=1e-4)
    check_op(lambda x, w: F.conv2d(x, w, None, **kw), lambda x, w: TF.conv2d(x, w, None, **kw),
             arr(5, 4, 9, 8), arr(*ws), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("ws,kw", [((16, 1, 3, 3), dict(padding=1)), ((32, 3, 3, 3), dict(stride=2, padding=1)),
                                   ((8, 4, 1, 1), {}), ((12, 1, 2, 3), dict(stride=(2, 1), padding=(0, 2), dilation=2))])
def test_conv2d_image_major_path_matches_torch(ws, kw):
    """Output-dominated convolutions (KH*KW*C <= O: first layers, 1x1) take the image-major path."""
    import numtorch.nn._im2col as K
    x = arr(3, ws[1], 9, 8)
    g = K.ConvGeometry(x.shape, ws, (1, 1), (0, 0, 0, 0), (1, 1), 1)
    assert K.is_thin(g)
    check_op(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
             x, arr(*ws), arr(ws[0]), rtol=1e-4, atol=1e-4)
    check_op(lambda x, w: F.conv2d(x, w, **kw), lambda x, w: TF.conv2d(x, w, **kw), x, arr(*ws), rtol=1e-4, atol=1e-4)
    xs = numtorch.tensor(arr(2, ws[1], 6, 7, dtype=np.float64), requires_grad=True)
    w64 = numtorch.tensor(arr(*ws, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda a, b: F.conv2d(a, b, **kw), (xs, w64))


try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    @settings(max_examples=25, deadline=None)
    @given(st.integers(1, 3), st.sampled_from([1, 2, 4]), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2),
           st.integers(1, 3), st.integers(1, 2), st.integers(1, 2), st.booleans(), st.integers(0, 1000))
    def test_conv2d_random_configs_match_torch(batch, groups, kh, kw, pad, stride, dil, ocpg, bias, seed):
        """Random geometry (all three internal paths: image-major, channel-major flat and 2-D) against PyTorch."""
        rng = np.random.default_rng(seed)
        cin, h, w = 2 * groups, int(rng.integers(5, 10)), int(rng.integers(5, 10))
        if (h + 2 * pad) < dil * (kh - 1) + 1 or (w + 2 * pad) < dil * (kw - 1) + 1:
            return
        x = rng.standard_normal((batch, cin, h, w)).astype(np.float32)
        wt = rng.standard_normal((ocpg * groups * (1 + 4 * (seed % 2)), 2, kh, kw)).astype(np.float32)
        kw_ = dict(stride=stride, padding=pad, dilation=dil, groups=groups)
        args = [x, wt] + ([rng.standard_normal(wt.shape[0]).astype(np.float32)] if bias else [])
        check_op(lambda *a: F.conv2d(*a, **kw_), lambda *a: TF.conv2d(*a, **kw_), *args, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("ws,kw", [((16, 1, 3, 3), dict(padding=1)),
                                   ((12, 1, 2, 3), dict(stride=(2, 1), dilation=2))])
def test_conv2d_image_major_blocked_and_no_grad_match_torch(monkeypatch, ws, kw):
    """A large batch on the image-major path runs in blocks (dW rebuilt per block); no_grad keeps no col."""
    import numtorch.nn._im2col as K
    monkeypatch.setattr(K, "COL_BUDGET", 3000)
    x, w, b = arr(7, ws[1], 9, 8), arr(*ws), arr(ws[0])
    assert K._thin_chunk(K.ConvGeometry(x.shape, ws, (1, 1), (0, 0, 0, 0), (1, 1), 1), 4) < 7
    check_op(lambda x, w, b: F.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
             x, w, b, rtol=1e-4, atol=1e-4)
    with numtorch.no_grad():
        yn = F.conv2d(numtorch.tensor(x), numtorch.tensor(w, requires_grad=True), numtorch.tensor(b), **kw)
    assert_close(yn, TF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [dict(padding=1), {}, dict(padding=(2, 1), dilation=(2, 1))])
def test_conv2d_blocked_weight_grad_only_matches_torch(monkeypatch, kw):
    """Input without grad (first layer): dW/db alone through the blocked row-shift path."""
    import numtorch.nn._im2col as K
    monkeypatch.setattr(K, "COL_BUDGET", 60000)
    x, w, b = arr(7, 4, 9, 8), arr(6, 4, 3, 3), arr(6)
    wn, bn = numtorch.tensor(w, requires_grad=True), numtorch.tensor(b, requires_grad=True)
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    F.conv2d(numtorch.tensor(x), wn, bn, **kw).square().sum().backward()
    TF.conv2d(torch.tensor(x), wt, bt, **kw).square().sum().backward()
    assert_close(wn.grad, wt.grad, rtol=1e-4, atol=1e-3)
    assert_close(bn.grad, bt.grad, rtol=1e-4, atol=1e-3)
