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
    as_np = lambda t: None if t is None else t.detach().numpy()
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


def _setitem_case(T, x):
    z = x * 2.0
    z[1] = 0.5
    z[:, 0] = x[:, 1] ** 2
    return z * x


def _copy_case(T, x, y):
    z = x * 1.0
    z.copy_(y * y)
    return z * x + (x * 1.0).fill_(2.0) * x


def _view_inplace_case(T, x):
    z = x * 1.0
    v = z[:, 1]
    v.mul_(x[:, 0])
    return z * x + (v * v).sum()


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
    "clamp_tensor_bounds": (lambda T, a, lo, hi: a.clamp(lo * lo - 1, hi * hi) * a * lo * hi,
                            [_normal(3, 4), _normal(4), _normal(3, 1)]),
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
    # statistics, extrema, cumulative ops
    "var_dim": (lambda T, a: a.var(1) * a.sum(1), [_normal(3, 4)]),
    "std_all_biased": (lambda T, a: a.std(unbiased=False) * a, [_normal(3, 4)]),
    "var_keepdim_tuple": (lambda T, a: a.var(dim=(0, 2), keepdim=True) ** 2, [_normal(2, 3, 2)]),
    "logsumexp": (lambda T, a: T.logsumexp(a * a, 1), [_normal(3, 4)]),
    "norm_2_dim": (lambda T, a: a.norm(2, dim=1) ** 3, [_normal(3, 4)]),
    "norm_3": (lambda T, a: a.norm(3) * a, [_normal(3, 4)]),
    "norm_1_inf": (lambda T, a: a.norm(1, dim=0) * a.norm(float("inf"), dim=0), [_normal(3, 4)]),
    "prod_dim": (lambda T, a: a.prod(1), [_positive(3, 4)]),
    "prod_all_with_zero": (lambda T, a: a.prod() * a, [np.array([[1.5, 0.0], [-2.0, 0.7]])]),
    "prod_dim_with_zero": (lambda T, a: a.prod(0, keepdim=True) ** 2, [np.array([[1.5, 0.0, 2.0], [0.0, 0.7, 1.2]])]),
    "max_dim": (lambda T, a: a.max(1)[0] ** 2, [_normal(3, 4)]),
    "min_dim_keepdim": (lambda T, a: a.min(0, keepdim=True)[0] * a, [_normal(3, 4)]),
    "max_all": (lambda T, a: a.max() * a, [_normal(3, 4)]),
    "amax": (lambda T, a: a.amax(dim=(0, 1)) * a.amin(1).sum(), [_normal(3, 4)]),
    "cumsum": (lambda T, a: a.cumsum(1) ** 2, [_normal(3, 4)]),
    "cumprod": (lambda T, a: a.cumprod(0), [_positive(4, 2)]),
    "cumprod_with_zero": (lambda T, a: a.cumprod(1) * a, [np.array([[1.5, 0.0, 2.0, -1.1], [0.3, 0.7, 0.0, 1.2]])]),
    "flip": (lambda T, a: a.flip(1) * a, [_normal(3, 4)]),
    # activations
    "hardswish": (lambda T, a: T.nn.functional.hardswish(a * 3) * a, [_normal(8)]),
    # PyTorch has no double backward for hardsigmoid: compare with its definition relu6(x + 3) / 6
    "hardsigmoid": (lambda T, a: (T.nn.functional.hardsigmoid(a * 3) if T is numtorch else (a * 3 + 3).clamp(0, 6) / 6)
                    * a, [_normal(8)]),
    "softsign": (lambda T, a: T.nn.functional.softsign(a), [_normal(8)]),
    "threshold": (lambda T, a: T.nn.functional.threshold(a, 0.1, -2.0) * a, [_normal(8)]),
    "shrinks": (lambda T, a: T.nn.functional.hardshrink(a, 0.3) * T.nn.functional.softshrink(a, 0.2), [_normal(8)]),
    "prelu": (lambda T, a, w: T.nn.functional.prelu(a, w) ** 2, [_normal(2, 3, 4), _normal(3)]),
    "prelu_shared": (lambda T, a, w: T.nn.functional.prelu(a, w) * a, [_normal(2, 3), _normal(1)]),
    "softmin": (lambda T, a: T.nn.functional.softmin(a, 1), [_normal(3, 4)]),
    # losses
    "nll_loss": (lambda T, a: T.nn.functional.nll_loss(T.log_softmax(a, 1), T.tensor([0, 3, 1])), [_normal(3, 4)]),
    "nll_loss_weight_ignore_2d": (lambda T, a: T.nn.functional.nll_loss(
        T.log_softmax(a * a, 1), T.tensor([[0, 2], [1, -100]]), weight=T.tensor([0.5, 2.0, 1.5], dtype=T.float64)),
        [_normal(2, 3, 2)]),
    "nll_loss_none": (lambda T, a: T.nn.functional.nll_loss(-(a * a), T.tensor([2, 0]), reduction="none"),
                      [_normal(2, 3)]),
    "cross_entropy_weight_smoothing": (lambda T, a: T.nn.functional.cross_entropy(
        a * a, T.tensor([1, 0, 3]), weight=T.tensor([0.5, 2.0, 1.0, 1.5], dtype=T.float64), label_smoothing=0.2),
        [_normal(3, 4)]),
    "cross_entropy_weight_ignore_2d": (lambda T, a: T.nn.functional.cross_entropy(
        a * a, T.tensor([[1, -100], [2, 0]]), weight=T.tensor([0.5, 2.0, 1.5], dtype=T.float64), reduction="none"),
        [_normal(2, 3, 2)]),
    "cross_entropy_weight_probs": (lambda T, a, b: T.nn.functional.cross_entropy(
        a * a, T.softmax(b, 1).detach(), weight=T.tensor([0.5, 2.0, 1.0, 1.5], dtype=T.float64), label_smoothing=0.1),
        [_normal(3, 4), _normal(3, 4)]),
    "bce": (lambda T, a, b: T.nn.functional.binary_cross_entropy(T.sigmoid(a), T.sigmoid(b)),
            [_normal(3, 4), _normal(3, 4)]),
    "bce_logits": (lambda T, a, b: T.nn.functional.binary_cross_entropy_with_logits(a, T.sigmoid(b)),
                   [_normal(3, 4), _normal(3, 4)]),
    "bce_logits_pos_weight": (lambda T, a, b: T.nn.functional.binary_cross_entropy_with_logits(
        a * a, T.sigmoid(b), pos_weight=T.tensor([0.5, 1.0, 2.0, 3.0], dtype=T.float64), reduction="sum"),
        [_normal(3, 4), _normal(3, 4)]),
    "smooth_l1": (lambda T, a, b: T.nn.functional.smooth_l1_loss(a * a, b, beta=0.5), [_normal(3, 4), _normal(3, 4)]),
    "huber": (lambda T, a, b: T.nn.functional.huber_loss(a * a, b, delta=0.7), [_normal(3, 4), _normal(3, 4)]),
    "kl_div": (lambda T, a, b: T.nn.functional.kl_div(T.log_softmax(a, 1), T.softmax(b, 1), reduction="batchmean"),
               [_normal(3, 4), _normal(3, 4)]),
    "kl_div_log_target": (lambda T, a, b: T.nn.functional.kl_div(T.log_softmax(a, 1), T.log_softmax(b, 1),
                                                                  reduction="sum", log_target=True),
                          [_normal(3, 4), _normal(3, 4)]),
    # lookups, pooling, normalisation, resampling
    "embedding_padding_idx": (lambda T, w: T.nn.functional.embedding(T.tensor([[1, 0, 3], [3, 3, 2]]), w,
                                                                      padding_idx=0) ** 3, [_normal(5, 3)]),
    "embedding_scale_grad_by_freq": (lambda T, w: T.nn.functional.embedding(
        T.tensor([1, 4, 1, 1]), w, scale_grad_by_freq=True) ** 2, [_normal(5, 3)]),
    "adaptive_avg_pool2d": (lambda T, a: T.nn.functional.adaptive_avg_pool2d(a * a, (3, 2)),
                            [_normal(2, 2, 5, 4)]),
    "avg_pool_tiles": (lambda T, a: T.nn.functional.avg_pool2d(a * a, 2) * T.nn.functional.adaptive_avg_pool2d(a, 1),
                       [_normal(2, 2, 4, 6)]),
    "adaptive_avg_pool1d": (lambda T, a: T.nn.functional.adaptive_avg_pool1d(a, 3) ** 2, [_normal(2, 2, 7)]),
    "adaptive_max_pool2d": (lambda T, a: T.nn.functional.adaptive_max_pool2d(a, (3, 2)) ** 2,
                            [_normal(2, 2, 5, 4)]),
    "rms_norm": (lambda T, a, w: T.nn.functional.rms_norm(a, (4,), w, eps=1e-5), [_normal(3, 4), _normal(4)]),
    "rms_norm_no_weight": (lambda T, a: T.nn.functional.rms_norm(a, (2, 3)), [_normal(2, 2, 3)]),
    "local_response_norm": (lambda T, a: T.nn.functional.local_response_norm(a, 3, alpha=0.5, k=1.5),
                            [_normal(2, 5, 3)]),
    "pad_constant": (lambda T, a: T.nn.functional.pad(a, (1, 2, -1, 0), value=0.5) ** 2, [_normal(2, 3, 4)]),
    "pad_reflect": (lambda T, a: T.nn.functional.pad(a, (2, 1, 1, 2), mode="reflect") ** 2, [_normal(1, 2, 4, 3)]),
    "pad_replicate": (lambda T, a: T.nn.functional.pad(a, (2, 1), mode="replicate") ** 2, [_normal(2, 2, 4)]),
    "pad_circular": (lambda T, a: T.nn.functional.pad(a, (1, 2, 2, 1), mode="circular") ** 2, [_normal(1, 2, 3, 4)]),
    "interpolate_nearest": (lambda T, a: T.nn.functional.interpolate(a, scale_factor=2, mode="nearest") ** 2,
                            [_normal(1, 2, 3, 2)]),
    "interpolate_bilinear": (lambda T, a: T.nn.functional.interpolate(a, size=(5, 3), mode="bilinear",
                                                                      align_corners=False) ** 2, [_normal(1, 2, 3, 2)]),
    "unfold_fold": (lambda T, a: T.nn.functional.fold(T.nn.functional.unfold(a, 2, padding=1) ** 2, (3, 4), 2,
                                                      padding=1), [_normal(1, 2, 3, 4)]),
    # indexing, layout, unary table, einsum, in-place writes
    "sort_topk": (lambda T, x: x.sort(1).values ** 2 * x.topk(4, 1, largest=False).values, [_normal(3, 4)]),
    "gather": (lambda T, x: x.gather(1, T.tensor([[0, 1], [2, 2], [3, 0]])) ** 2, [_normal(3, 4)]),
    "index_select_add": (lambda T, x, y: x.index_add(0, T.tensor([2, 0, 2]), y.index_select(0, T.tensor([1, 1, 0]))
                                                      ** 2) ** 2, [_normal(3, 4), _normal(2, 4)]),
    "maximum_minimum": (lambda T, x, y: T.maximum(x, y) ** 2 * T.minimum(x, y), [_normal(3, 4), _normal(4)]),
    "roll": (lambda T, x: x.roll(1, 0) * x.roll(2), [_normal(3, 4)]),
    "tril_triu": (lambda T, x: x.tril() ** 2 * x.triu(1), [_normal(3, 3)]),
    "unary_table": (lambda T, x: x.atan() * x.sinh() * x.cosh() * x.tan() * (x * 0.3).asin() * (x * 0.3).acos(),
                    [_normal(3, 3)]),
    "unbind": (lambda T, x: x.unbind(0)[0] * x.unbind(1)[2], [_normal(3, 3)]),
    "diagonal_embed": (lambda T, x: T.diag_embed(x.diagonal(1) ** 2, 1) * 2, [_normal(3, 4)]),
    "repeat_interleave": (lambda T, x: x.repeat_interleave(2, 1) ** 2 * (x.repeat_interleave(T.tensor([1, 3, 0]), 0)
                                                                  ** 2).sum(), [_normal(3, 2)]),
    "setitem": (_setitem_case, [_normal(3, 4)]),
    "copy_fill": (_copy_case, [_normal(3, 4), _normal(4)]),
    "einsum_attention": (lambda T, a, b: T.einsum("bhqd,bhkd->bhqk", a, b).softmax(-1),
                         [_normal(1, 2, 3, 4), _normal(1, 2, 3, 4)]),
    "einsum_trace_sumout": (lambda T, a, b: T.einsum("ii->", a * a) * T.einsum("ij,k->i", a, b) ** 2,
                            [_normal(3, 3), _normal(2)]),
    "cummax_cummin": (lambda T, x: x.cummax(1)[0] ** 2 * x.cummin(0).values, [_normal(3, 4)]),
    "bilinear": (lambda T, a, b, w, c: T.tanh(T.nn.functional.bilinear(a, b, w, c)),
                 [_normal(3, 2), _normal(3, 4), _normal(5, 2, 4), _normal(5)]),
    "nan_to_num_round": (lambda T, x: T.nan_to_num(x.log()) * x + x.round() * x, [_normal(6)]),
    "atan2": (lambda T, a, b: T.atan2(a * a, b), [_normal(3, 4), _normal(4)]),
    "tensor_unfold": (lambda T, x: x.unfold(1, 3, 2) ** 2, [_normal(2, 7)]),
    "inverse_det": (lambda T, a: T.linalg.inv(a) * T.linalg.det(a)[:, None, None], [_normal(2, 3, 3) + 3 * np.eye(3)]),
    "index_put_accumulate": (lambda T, x, v: x.index_put((T.tensor([0, 2, 0]),), v * v, accumulate=True) ** 2,
                             [_normal(3, 2), _normal(3, 2)]),
    "scatter": (lambda T, x, y: x.scatter(1, T.tensor([[0, 2], [3, 1]]), y[:, 1:] * y[:, 1:]) ** 2 +
                x.scatter_add(1, T.tensor([[1, 1], [0, 3]]), y[:, :2]) * x, [_normal(2, 4), _normal(2, 3)]),
    "inplace_on_view": (_view_inplace_case, [_normal(3, 4)]),
    "pixel_shuffle": (lambda T, a: T.nn.functional.pixel_unshuffle(T.nn.functional.pixel_shuffle(a * a, 2), 2)
                      * T.nn.functional.pixel_shuffle(a, 2).sum(), [_normal(1, 8, 2, 3)]),
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
                                  "matmul_batched_vec", "var_dim", "logsumexp", "norm_3", "prod_dim_with_zero",
                                  "cumprod_with_zero", "embedding_padding_idx", "rms_norm", "bce_logits"])
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
    x = numtorch.randn(1, 1, 4, requires_grad=True)
    y, i = numtorch.nn.functional.max_pool1d(x, 2, return_indices=True)
    y = numtorch.nn.functional.max_unpool1d(y, i, 2).sum()
    with pytest.raises(NotImplementedError, match="create_graph=True .* through MaxUnpoolBackward0"):
        numtorch.autograd.grad(y, x, create_graph=True)


def test_grads_without_create_graph_have_no_graph():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    (g,) = numtorch.autograd.grad((x ** 2).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


def test_grad_runs_only_what_leads_to_the_inputs():
    """autograd.grad w.r.t. an intermediate tensor does not run (nor need rules for) the ops before it."""
    x = numtorch.randn(4, requires_grad=True)
    h = numtorch.nn.functional.max_unpool1d(*numtorch.nn.functional.max_pool1d(x.reshape(1, 1, 4), 2,
                                                                              return_indices=True), 2).reshape(4)
    h = h + x  # max_unpool has no create_graph rule: it must not be reached
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
    "conv2d_groups": lambda T: T.nn.Conv2d(2, 4, 3, padding=1, groups=2),
    "conv_transpose2d": lambda T: T.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1),
    "conv_transpose2d_groups": lambda T: T.nn.ConvTranspose2d(2, 4, 2, groups=2, dilation=2),
    "conv_transpose1d": lambda T: T.nn.ConvTranspose1d(2, 3, 3, stride=2),
    "adaptive_avgpool": lambda T: T.nn.Sequential(T.nn.Conv2d(2, 2, 1), T.nn.AdaptiveAvgPool2d((4, 3))),
    "adaptive_maxpool": lambda T: T.nn.Sequential(T.nn.Conv2d(2, 2, 1), T.nn.AdaptiveMaxPool2d((4, 3))),
    "prelu_channels": lambda T: T.nn.Sequential(T.nn.Conv2d(2, 2, 1), T.nn.PReLU(2)),
    "hardswish_lrn_1d": lambda T: T.nn.Sequential(T.nn.Conv1d(2, 2, 1), T.nn.Hardswish(), T.nn.LocalResponseNorm(2)),
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


def test_rrelu_training_second_derivative_uses_the_same_slopes():
    x = numtorch.randn(50, dtype=numtorch.float64, requires_grad=True)
    y = numtorch.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    (gx,) = numtorch.autograd.grad((y * y).sum(), x, create_graph=True)
    (hx,) = numtorch.autograd.grad(gx.sum(), x)
    slope = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(hx.numpy(), 2 * slope ** 2)


def test_third_derivative_through_new_rules():
    """Rules built from ops that have rules can be differentiated again (here: prod and cumprod with a zero)."""
    x = numtorch.tensor([1.5, 0.0, -2.0], dtype=numtorch.float64, requires_grad=True)
    t = torch.tensor([1.5, 0.0, -2.0], dtype=torch.float64, requires_grad=True)
    res = []
    for T, v in ((numtorch, x), (torch, t)):
        y = (v.prod() * v.cumprod(0)).sum()
        (d1,) = T.autograd.grad(y, v, create_graph=True)
        (d2,) = T.autograd.grad((d1 * d1).sum(), v, create_graph=True)
        (d3,) = T.autograd.grad(d2.sum(), v)
        res.append([d.detach().numpy() for d in (d1, d2, d3)])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_scatter_with_a_larger_source_gradgradcheck():
    """(PyTorch's own double backward gets the source's shape wrong here, so central differences are the oracle.)"""
    x = numtorch.tensor(_normal(2, 4), requires_grad=True)
    y = numtorch.tensor(_normal(2, 3), requires_grad=True)
    index = numtorch.tensor([[0, 2], [3, 1]])
    assert numtorch.autograd.gradgradcheck(lambda a, b: a.scatter(1, index, b * b) ** 2, (x, y))
