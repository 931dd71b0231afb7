"""Every activation layer against PyTorch (forward, input grad, parameter grad), gradcheck, in-place forms."""
import numpy as np
import pytest
import torch

import numtorch
from helpers_nn import close, compare_module, randn

nnn, tnn = numtorch.nn, torch.nn
NF, TF = numtorch.nn.functional, torch.nn.functional

LAYERS = [
    ("ReLU", (), {}), ("ReLU6", (), {}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {}),
    ("ELU", (), {}), ("ELU", (0.5,), {}), ("SELU", (), {}), ("CELU", (), {}), ("CELU", (2.0,), {}),
    ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("Mish", (), {}),
    ("Hardswish", (), {}), ("Hardsigmoid", (), {}), ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 0.5), {}),
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("Softplus", (), {}), ("Softplus", (2.0, 1.0), {}),
    ("Softsign", (), {}), ("Softmax", (), {"dim": 1}), ("Softmax", (), {"dim": -1}),
    ("LogSoftmax", (), {"dim": 1}), ("LogSoftmax", (), {"dim": 0}), ("Softmin", (), {"dim": 1}),
    ("Threshold", (0.1, -2.0), {}), ("LogSigmoid", (), {}), ("GLU", (), {}), ("Hardshrink", (), {}),
    ("Softshrink", (0.3,), {}), ("Tanhshrink", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", LAYERS, ids=[f"{n}{a}{k}" for n, a, k in LAYERS])
def test_activation_matches_torch(name, args, kwargs):
    x = randn(3, 4, 6) * 3
    x[0, 0, :3] = [-3.0, 3.0, 0.0]  # hardswish/hardsigmoid/relu kinks exactly
    compare_module(getattr(nnn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs), x)


@pytest.mark.parametrize("name,args,kwargs", [l for l in LAYERS if l[0] not in ("Threshold", "Hardshrink")],
                         ids=[f"{n}{a}{k}" for n, a, k in LAYERS if n not in ("Threshold", "Hardshrink")])
def test_activation_gradcheck_float64(name, args, kwargs):
    x = numtorch.tensor(randn(2, 4, dtype=np.float64) * 2 + 0.05, requires_grad=True)  # away from kinks
    mod = getattr(nnn, name)(*args, **kwargs)
    assert numtorch.autograd.gradcheck(mod, (x,))


def test_float64_precision_of_gelu_and_softplus():
    x = np.linspace(-9, 9, 301)
    for nm, tm in [(nnn.GELU(), tnn.GELU()), (nnn.Softplus(), tnn.Softplus()), (nnn.Mish(), tnn.Mish()),
                   (nnn.SiLU(), tnn.SiLU())]:
        compare_module(nm, tm, x, rtol=1e-10, atol=1e-12)


def test_softmax_is_stable_for_large_logits():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e4, 0.0, 1e4]], np.float32)
    close(NF.softmax(numtorch.tensor(x), dim=1), TF.softmax(torch.tensor(x), dim=1))
    close(NF.log_softmax(numtorch.tensor(x), dim=1), TF.log_softmax(torch.tensor(x), dim=1))
    assert np.isfinite(NF.log_softmax(numtorch.tensor(x), dim=1).numpy()).all()


def test_softmax_implicit_dim_warns_like_torch():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
        out = NF.softmax(numtorch.randn(2, 3))
    close(out.sum(1), np.ones(2, np.float32))
    with pytest.warns(UserWarning):
        assert nnn.Softmax()(numtorch.randn(3)).shape == (3,)
    x = randn(2, 3)
    close(NF.softmax(numtorch.tensor(x), 1, dtype=numtorch.float64),
          TF.softmax(torch.tensor(x), 1, dtype=torch.float64))


@pytest.mark.parametrize("num", [1, 3])
def test_prelu_matches_torch(num):
    compare_module(nnn.PReLU(num), tnn.PReLU(num), randn(4, 3, 5))
    compare_module(nnn.PReLU(num), tnn.PReLU(num), randn(4, 3))
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size"):
        nnn.PReLU(4)(numtorch.randn(2, 3))


@pytest.mark.parametrize("fn,args", [("relu", ()), ("leaky_relu", (0.1,)), ("elu", ()), ("hardtanh", ()),
                                     ("relu6", ()), ("selu", ()), ("silu", ()), ("threshold", (0.5, 1.0))])
def test_inplace_forms_match_out_of_place(fn, args):
    x = randn(3, 4)
    a = numtorch.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    h_a, h_b = a * 1, b * 1
    ra = getattr(NF, fn)(h_a, *args, inplace=True)
    rb = getattr(TF, fn)(h_b, *args, inplace=True)
    assert ra is h_a
    close(h_a, h_b)
    (ra * ra).sum().backward()
    (rb * rb).sum().backward()
    close(a.grad, b.grad)


def test_inplace_relu_in_module():
    x = randn(3, 4)
    compare_module(nnn.Sequential(nnn.Linear(4, 4), nnn.ReLU(inplace=True)),
                   tnn.Sequential(tnn.Linear(4, 4), tnn.ReLU(inplace=True)), x)


def test_integer_input_errors():
    with pytest.raises(NotImplementedError, match="\"leaky_relu_cpu\" not implemented for 'Long'"):
        NF.leaky_relu(numtorch.tensor([1, 2]))
    for fn in (NF.softmax, NF.log_softmax):
        with pytest.raises(NotImplementedError, match=f"\"{fn.__name__}_lastdim_kernel_impl\" not implemented "
                                                      f"for 'Byte'"):
            fn(numtorch.tensor([1, 2], dtype=numtorch.uint8), 0)


def test_relu_family_accepts_integer_tensors_like_pytorch():
    import torch
    for name, args in (("relu", ()), ("relu6", ()), ("hardtanh", ()), ("hardtanh", (-3, 4))):
        x = numtorch.tensor([-7, -1, 0, 2, 9])
        got = getattr(NF, name)(x, *args)
        want = getattr(torch.nn.functional, name)(torch.tensor([-7, -1, 0, 2, 9]), *args)
        assert got.dtype == numtorch.int64 and got.tolist() == want.tolist(), name
    x = numtorch.tensor([-2, 3])
    assert NF.relu(x, inplace=True) is x and x.tolist() == [0, 3]
    assert numtorch.nn.ReLU()(numtorch.tensor([-1, 1])).tolist() == [0, 1]


def test_gelu_bad_approximate():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        NF.gelu(numtorch.randn(2), approximate="fast")


def test_gumbel_softmax():
    logits = numtorch.tensor(np.log(np.array([[0.7, 0.2, 0.1]] * 4000, np.float32)), requires_grad=True)
    soft = NF.gumbel_softmax(logits, tau=0.5)
    close(soft.sum(-1), np.ones(4000, np.float32))
    hard = NF.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(-1) == 1)
    np.testing.assert_allclose(h.mean(0), [0.7, 0.2, 0.1], atol=0.03)  # Gumbel-max samples the softmax
    (hard * numtorch.tensor(np.array([1.0, 2.0, 3.0], np.float32))).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0


def test_rrelu():
    x = randn(50, 40)
    compare_module(nnn.RReLU(), tnn.RReLU(), x, train=False)
    xn = numtorch.tensor(x, requires_grad=True)
    y = nnn.RReLU(0.1, 0.3)(xn)
    neg = x < 0
    ratio = y.detach().numpy()[neg] / x[neg]
    assert ratio.min() >= 0.1 and ratio.max() <= 0.3 and abs(ratio.mean() - 0.2) < 0.01
    np.testing.assert_array_equal(y.detach().numpy()[~neg], x[~neg])
    y.sum().backward()
    np.testing.assert_allclose(xn.grad.numpy()[neg], ratio, rtol=1e-6)
