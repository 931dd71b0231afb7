"""create_graph=True: second derivatives of every op with a graph rule, against PyTorch and central differences."""
import numpy as np
import pytest
import torch

import numtorch

rng = np.random.default_rng(0)


def _pair(a, requires_grad=True):
    a = np.asarray(a, dtype=np.float64)
    return (numtorch.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad))


def _second_order(T, f, xs, v, u):
    """g = d<f(xs), v>/dxs (with a graph), then h = d<g, u>/dxs; returns (g, h) as NumPy arrays."""
    y = f(T, *xs)
    gs = T.autograd.grad(y, xs, T.tensor(v), create_graph=True, allow_unused=True)
    s = sum((g * T.tensor(uu)).sum() for g, uu in zip(gs, u) if g is not None)
    hs = T.autograd.grad(s, xs, allow_unused=True) if s.requires_grad else [None] * len(xs)
    as_np = lambda t: None if t is None else t.detach().numpy()  # noqa: E731
    return [as_np(g) for g in gs], [as_np(h) for h in hs]


def _same(a, b, shape, rtol=1e-9):
    """Equal gradients, where None (no path in the graph) counts as zeros on either side."""
    a = np.zeros(shape) if a is None else a
    b = np.zeros(shape) if b is None else b
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)


def _positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


def _normal(*shape):
    return rng.standard_normal(shape)


CASES = {
    # name: (f(T, *xs), list of input arrays)
    "add_broadcast": (lambda T, a, b: (a + b) * (a + b), [_normal(3, 4), _normal(4)]),
    "sub": (lambda T, a, b: (a - b) ** 2, [_normal(3, 4), _normal(3, 1)]),
    "mul": (lambda T, a, b: a * b * a, [_normal(3, 4), _normal(4)]),
    "div": (lambda T, a, b: a / b, [_normal(3, 4), _positive(3, 4)]),
    "rdiv_scalar": (lambda T, a: 2.0 / a, [_positive(5)]),
    "neg": (lambda T, a: -(a * a), [_normal(5)]),
    "pow_scalar": (lambda T, a: a ** 3, [_normal(5)]),
    "pow_tensor": (lambda T, a, b: a ** b, [_positive(4), _normal(4)]),
    "exp": (lambda T, a: a.exp(), [_normal(5)]),
    "log": (lambda T, a: a.log(), [_positive(5)]),
    "sin_cos": (lambda T, a: a.sin() * a.cos(), [_normal(5)]),
    "tanh": (lambda T, a: a.tanh(), [_normal(5)]),
    "sigmoid": (lambda T, a: T.sigmoid(a), [_normal(5)]),
    "sqrt": (lambda T, a: a.sqrt(), [_positive(5)]),
    "abs": (lambda T, a: a.abs() * a, [_normal(5)]),
    "relu": (lambda T, a: T.relu(a) * a, [_normal(6)]),
    "leaky_relu": (lambda T, a: T.nn.functional.leaky_relu(a, 0.1) * a, [_normal(6)]),
    "where": (lambda T, a, b: T.where(a > 0, a * a, b * a), [_normal(6), _normal(6)]),
    "clamp": (lambda T, a: a.clamp(-0.5, 0.5) * a, [_normal(6)]),
    "sum_dim": (lambda T, a: a.sum(1) ** 2, [_normal(3, 4)]),
    "sum_all_keepdim": (lambda T, a: a.sum(dim=(0, 1), keepdim=True) * a, [_normal(3, 4)]),
    "mean": (lambda T, a: a.mean(0) ** 2, [_normal(3, 4)]),
    "matmul_2d": (lambda T, a, b: (a @ b) ** 2, [_normal(3, 4), _normal(4, 2)]),
    "matmul_batched_vec": (lambda T, a, b: (a @ b) ** 2, [_normal(2, 3, 4), _normal(4)]),
    "dot": (lambda T, a, b: (a @ b) * a, [_normal(4), _normal(4)]),
    "linear": (lambda T, x, w, b: T.tanh(T.nn.functional.linear(x, w, b)), [_normal(3, 4), _normal(2, 4), _normal(2)]),
    "permute_reshape": (lambda T, a: a.permute(1, 0).reshape(-1) ** 2, [_normal(3, 4)]),
    "transpose_view": (lambda T, a: a.t().contiguous().view(2, 6) ** 3, [_normal(3, 4)]),
    "expand": (lambda T, a: a.expand(3, 4) ** 2, [_normal(1, 4)]),
    "getitem_basic": (lambda T, a: a[1:, ::2] ** 2, [_normal(3, 4)]),
    "getitem_repeated": (lambda T, a: a[[0, 0, 2]] ** 2, [_normal(3, 4)]),
    "cat_stack": (lambda T, a, b: T.cat([a, b * b]) * T.stack([a, b]).sum(0).repeat(2), [_normal(4), _normal(4)]),
    "cast": (lambda T, a: a.float().double() ** 2, [_normal(4)]),
    "softmax": (lambda T, a: T.softmax(a, 1), [_normal(3, 4)]),
    "log_softmax": (lambda T, a: T.log_softmax(a, 1), [_normal(3, 4)]),
    "mse_loss": (lambda T, a, b: T.nn.functional.mse_loss(a * a, b), [_normal(3, 4), _normal(3, 4)]),
    "l1_loss": (lambda T, a, b: T.nn.functional.l1_loss(a * a, b, reduction="sum"), [_normal(3, 4), _normal(3, 4)]),
    "elu": (lambda T, a: T.nn.functional.elu(a, 0.7), [_normal(8)]),
    "selu": (lambda T, a: T.nn.functional.selu(a), [_normal(8)]),
    "celu": (lambda T, a: T.nn.functional.celu(a, 1.5), [_normal(8)]),
    "gelu": (lambda T, a: T.nn.functional.gelu(a), [_normal(8)]),
    "gelu_tanh": (lambda T, a: T.nn.functional.gelu(a, approximate="tanh"), [_normal(8)]),
    "silu": (lambda T, a: T.nn.functional.silu(a), [_normal(8)]),
    "mish": (lambda T, a: T.nn.functional.mish(a), [_normal(8)]),
    "softplus": (lambda T, a: T.nn.functional.softplus(a * 8, beta=0.5, threshold=3), [_normal(8)]),
    "logsigmoid": (lambda T, a: T.nn.functional.logsigmoid(a * 5), [_normal(8)]),
    "hardtanh": (lambda T, a: T.nn.functional.hardtanh(a) * a, [_normal(8)]),
    "log1p_expm1": (lambda T, a: a.log1p() * a.expm1(), [_positive(5)]),
    "erf": (lambda T, a: T.erf(a), [_normal(6)]),
    "layer_norm": (lambda T, a, w, b: T.nn.functional.layer_norm(a, (4,), w, b), [_normal(3, 4), _normal(4), _normal(4)]),
    "group_norm": (lambda T, a, w, b: T.nn.functional.group_norm(a, 2, w, b), [_normal(2, 4, 3), _normal(4), _normal(4)]),
    "instance_norm": (lambda T, a: T.nn.functional.instance_norm(a), [_normal(2, 3, 5)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_second_derivative_matches_torch(name):
    f, arrays = CASES[name]
    nt_xs, pt_xs = zip(*[_pair(a) for a in arrays])
    out_shape = tuple(f(torch, *pt_xs).shape)
    v = rng.standard_normal(out_shape)
    u = [rng.standard_normal(a.shape) for a in arrays]
    g_nt, h_nt = _second_order(numtorch, f, list(nt_xs), v, u)
    g_pt, h_pt = _second_order(torch, f, list(pt_xs), v, u)
    rtol = 1e-6 if name == "gelu" else 1e-9  # numtorch's erf is a 1e-7 approximation (docs/differences.md)
    for a, b, x in zip(g_nt + h_nt, g_pt + h_pt, arrays + arrays):
        _same(a, b, x.shape, rtol)


@pytest.mark.parametrize("name", ["mul", "div", "pow_tensor", "tanh", "linear", "softmax", "getitem_repeated",
                                  "matmul_batched_vec"])
def test_gradgradcheck(name):
    f, arrays = CASES[name]
    xs = [numtorch.tensor(a, requires_grad=True) for a in arrays]
    assert numtorch.autograd.gradgradcheck(lambda *t: f(numtorch, *t), tuple(xs))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_second_derivative(reduction):
    x = _normal(4, 5)
    t = np.array([0, 3, 1, 4])
    w = _normal(5, 5)
    res = []
    for T in (numtorch, torch):
        logits, weight = T.tensor(x, requires_grad=True), T.tensor(w, requires_grad=True)
        loss = T.nn.functional.cross_entropy(logits @ weight, T.tensor(t), reduction=reduction).sum()
        (gw,) = T.autograd.grad(loss, weight, create_graph=True)
        penalty = (gw ** 2).sum()
        res.append([gw.detach().numpy()] + [g.numpy() for g in T.autograd.grad(penalty, (logits, weight))])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_gradient_penalty_on_an_mlp_matches_torch():
    """WGAN-GP style: penalise the input gradient's norm, then step on the weights."""
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    net = numtorch.nn.Sequential(numtorch.nn.Linear(4, 8), numtorch.nn.Tanh(), numtorch.nn.Linear(8, 1)).double()
    net.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x = _normal(6, 4)
    grads = []
    for T, model in ((numtorch, net), (torch, ref)):
        inp = T.tensor(x, requires_grad=True)
        (gx,) = T.autograd.grad(model(inp).sum(), inp, create_graph=True)
        penalty = ((gx.norm(2, dim=1) - 1) ** 2).mean() if T is torch else (((gx * gx).sum(1).sqrt() - 1) ** 2).mean()
        model.zero_grad()
        penalty.backward()
        grads.append([None if p.grad is None else p.grad.numpy() for p in model.parameters()])
    for a, b, p in zip(*grads, ref.parameters()):
        _same(a, b, tuple(p.shape))


def test_backward_create_graph_makes_grad_differentiable():
    x = numtorch.tensor([0.5, 1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 * np.array([0.5, 1.0, 2.0]) ** 2)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([0.5, 1.0, 2.0]))


def test_third_derivative():
    x = numtorch.tensor(1.5, requires_grad=True)
    y = x ** 4
    (d1,) = numtorch.autograd.grad(y, x, create_graph=True)
    (d2,) = numtorch.autograd.grad(d1, x, create_graph=True)
    (d3,) = numtorch.autograd.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == pytest.approx((4 * 1.5 ** 3, 12 * 1.5 ** 2, 24 * 1.5))


def test_custom_function_backward_is_differentiated():
    class Cube(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = numtorch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = numtorch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0])


def test_graph_is_kept_by_default_with_create_graph():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    numtorch.autograd.grad(y, x, create_graph=True)
    numtorch.autograd.grad(y, x)  # retain_graph defaults to create_graph: the graph is still there
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        numtorch.autograd.grad(y, x)


def test_op_without_rule_names_itself():
    x = numtorch.randn(4, requires_grad=True)
    y = numtorch.cumsum(x, 0).sum()
    with pytest.raises(NotImplementedError, match="create_graph=True .* through CumsumBackward0"):
        numtorch.autograd.grad(y, x, create_graph=True)


def test_grads_without_create_graph_have_no_graph():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = numtorch.autograd.grad((x ** 2).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


def test_grad_runs_only_what_leads_to_the_inputs():
    """autograd.grad w.r.t. an intermediate tensor does not run (nor need rules for) the ops before it."""
    x = numtorch.randn(4, requires_grad=True)
    h = numtorch.cumsum(x, 0)             # no create_graph rule: must not be reached
    y = (h.exp() * h).sum()
    (gh,) = numtorch.autograd.grad(y, h, create_graph=True)
    (hh,) = numtorch.autograd.grad(gh.sum(), h)
    hv = h.detach().numpy()
    np.testing.assert_allclose(gh.detach().numpy(), np.exp(hv) * (1 + hv), rtol=1e-6)
    np.testing.assert_allclose(hh.numpy(), np.exp(hv) * (2 + hv), rtol=1e-5)
    assert x.grad is None


def test_grad_skips_branches_that_do_not_reach_the_inputs():
    calls = []

    class Spy(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * 2

    a = numtorch.randn(3, requires_grad=True)
    b = numtorch.randn(3, requires_grad=True)
    y = (Spy.apply(a) + b * b).sum()
    (gb,) = numtorch.autograd.grad(y, b)
    np.testing.assert_allclose(gb.numpy(), 2 * b.detach().numpy(), rtol=1e-6)
    assert calls == []


LAYER_CASES = {
    "conv2d_stride_pad": lambda T: T.nn.Conv2d(2, 3, 3, stride=2, padding=1),
    "conv2d_dilation": lambda T: T.nn.Conv2d(2, 3, 2, dilation=2),
    "conv1d": lambda T: T.nn.Conv1d(2, 3, 3, padding=1),
    "batchnorm_train": lambda T: T.nn.BatchNorm2d(2),
    "maxpool_2": lambda T: T.nn.Sequential(T.nn.Conv2d(2, 2, 1), T.nn.MaxPool2d(2)),
    "maxpool_3_s2_p1_ceil": lambda T: T.nn.Sequential(T.nn.Conv2d(2, 2, 1), T.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
    "avgpool_2": lambda T: T.nn.Sequential(T.nn.Conv2d(2, 2, 1), T.nn.AvgPool2d(2)),
    "avgpool_3_s2_p1_ceil": lambda T: T.nn.Sequential(T.nn.Conv2d(2, 2, 1),
                                                      T.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)),
    "maxpool1d": lambda T: T.nn.Sequential(T.nn.Conv1d(2, 2, 1), T.nn.MaxPool1d(2)),
    "batchnorm_eval": lambda T: T.nn.BatchNorm2d(2).eval(),
}


@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_layer_gradient_penalty_matches_torch(name):
    """Second derivatives through a layer: penalise the input gradient, differentiate w.r.t. input and weights."""
    torch.manual_seed(0)
    ref = LAYER_CASES[name](torch).double()
    lay = LAYER_CASES[name](numtorch).double()
    if name == "batchnorm_eval":
        for m in (ref, lay):
            m.running_mean.fill_(0.3)
            m.running_var.fill_(2.0)
    with torch.no_grad():
        for p in ref.parameters():
            p.uniform_(-1.0, 1.0)
    lay.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    shape = (3, 2, 6) if name.endswith("1d") else (3, 2, 6, 5)
    x = rng.standard_normal(shape)
    results = []
    for T, m in ((numtorch, lay), (torch, ref)):
        inp = T.tensor(x, requires_grad=True)
        out = m(inp)
        (gx,) = T.autograd.grad((out * out.detach().sin()).sum(), inp, create_graph=True)
        penalty = (gx * gx).sum()
        params = [p for p in m.parameters()]
        grads = T.autograd.grad(penalty, [inp] + params, allow_unused=True)
        results.append([gx.detach().numpy()] + [None if g is None else g.numpy() for g in grads])
    for a, b, ref_shape in zip(*results, [x.shape, x.shape] + [tuple(p.shape) for p in ref.parameters()]):
        _same(a, b, ref_shape)


def test_dropout_second_derivative_uses_the_same_mask():
    x = numtorch.randn(200, dtype=numtorch.float64, requires_grad=True)
    y = numtorch.nn.functional.dropout(x, 0.5, training=True)
    (gx,) = numtorch.autograd.grad((y * y).sum(), x, create_graph=True)
    (hx,) = numtorch.autograd.grad(gx.sum(), x)
    kept = (y.detach().numpy() != 0).astype(float)
    np.testing.assert_allclose(hx.numpy(), 2 * kept * 4.0)  # d2/dx2 of (2x * mask)^2 / 2 ... = 2 * (mask * 2)^2
