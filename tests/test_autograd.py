"""Autograd engine features: backward/grad, retain_graph, hooks, grad modes, custom Functions,
in-place rules and version counters, deep graphs, and memory staying flat."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

import numtorch
from numtorch.autograd import Function


def test_backward_accumulates_and_retain_graph():
    x = numtorch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0, 12.0]
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    x.grad = None
    (x * 2).backward(numtorch.ones(3))
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_second_backward_message_matches_pytorch():
    t = torch.tensor([1.0], requires_grad=True)
    yt = t.exp().sum()
    yt.backward()
    with pytest.raises(RuntimeError) as expected:
        yt.backward()
    x = numtorch.tensor([1.0], requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError) as actual:
        y.backward()
    assert str(actual.value) == str(expected.value)


def test_autograd_grad_and_allow_unused():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    z = numtorch.tensor([1.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = numtorch.autograd.grad(y, x, retain_graph=True)
    assert g.tolist() == [3.0, 12.0] and x.grad is None
    gx, gz = numtorch.autograd.grad([y], [x, z], allow_unused=True)
    assert gz is None and gx.tolist() == [3.0, 12.0]
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        numtorch.autograd.grad((x * 2).sum(), [x, z])
    out = x * 2
    (g,) = numtorch.autograd.grad(out, x, grad_outputs=numtorch.tensor([1.0, 10.0]))
    assert g.tolist() == [2.0, 20.0]


def test_grad_implicit_only_for_scalars():
    x = numtorch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()


def test_hooks_and_retain_grad():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g * 2)  # doubles what flows on
    y.sum().backward()
    assert seen == [[6.0, 6.0]] and x.grad.tolist() == [6.0, 6.0]
    assert y.grad.tolist() == [1.0, 1.0] and y.retains_grad
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert seen == [[6.0, 6.0]]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        numtorch.ones(1).register_hook(lambda g: g)


def test_leaf_flags_and_detach():
    x = numtorch.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad and y.grad_fn is not None
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and np.shares_memory(d.numpy(), y.detach().numpy())
    assert numtorch.ones(2).requires_grad_().requires_grad
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        numtorch.ones(2, dtype=numtorch.int64).requires_grad_()


@pytest.mark.parametrize("mode", ["with", "decorator", "bare_decorator"])
@pytest.mark.parametrize("switch", ["no_grad", "inference_mode"])
def test_no_grad_forms(switch, mode):
    cm = getattr(numtorch, switch)
    x = numtorch.ones(2, requires_grad=True)
    if mode == "with":
        with cm():
            y = x * 2
    elif mode == "decorator":
        y = cm()(lambda: x * 2)()
    else:
        y = cm(lambda: x * 2)()
    assert not y.requires_grad and y.grad_fn is None and numtorch.is_grad_enabled()


def test_enable_grad_and_set_grad_enabled():
    x = numtorch.ones(2, requires_grad=True)
    with numtorch.no_grad():
        with numtorch.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
        assert numtorch.enable_grad()(lambda: (x * 2).requires_grad)()
    with numtorch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert numtorch.is_grad_enabled()
    numtorch.set_grad_enabled(False)
    assert not numtorch.is_grad_enabled()
    numtorch.set_grad_enabled(True)
    assert numtorch.set_grad_enabled(False)(lambda: numtorch.is_grad_enabled())() is False
    assert numtorch.is_grad_enabled()
    with numtorch.inference_mode():
        assert numtorch.is_inference_mode_enabled()
    with numtorch.inference_mode(False):
        assert (x * 2).requires_grad


def test_custom_function():
    class MulConst(Function):
        @staticmethod
        def forward(ctx, x, k, w):
            ctx.k = k
            ctx.save_for_backward(x, w)
            assert ctx.needs_input_grad == (True, False, False)
            return x * k * w

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * ctx.k * w, None, None

    class ArgMaxAndMax(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, idx)
            return x.max(), idx

        @staticmethod
        def backward(ctx, g, _):
            x, idx = ctx.saved_tensors
            out = numtorch.zeros_like(x)
            out[idx] = g
            return out

    x = numtorch.tensor([1.0, 3.0, 2.0], requires_grad=True)
    y = MulConst.apply(x, 2.0, numtorch.tensor([1.0, 2.0, 3.0]))
    assert "MulConstBackward" in y.grad_fn.name()
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    x.grad = None
    m, i = ArgMaxAndMax.apply(x)
    assert not i.requires_grad and m.requires_grad
    (m * 5).backward()
    assert x.grad.tolist() == [0.0, 5.0, 0.0]


def test_custom_function_saving_its_output_is_freed():
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    x = numtorch.randn(3, requires_grad=True)
    gc.disable()
    try:
        y = Exp.apply(x)
        ref = weakref.ref(y.grad_fn)
        y.sum().backward()
        assert np.allclose(x.grad.numpy(), np.exp(x.detach().numpy()))
        del y
        assert ref() is None, "the custom node was kept alive by a reference cycle"
    finally:
        gc.enable()


def test_graph_nodes_freed_without_gc():
    gc.disable()
    try:
        w = numtorch.randn(4, 4, requires_grad=True)
        y = ((w @ w).relu() * 2 + w[0]).sum()
        refs = [weakref.ref(y.grad_fn)]
        node = y.grad_fn
        while node.next_functions and node.next_functions[0][0] is not None:
            node = node.next_functions[0][0]
            refs.append(weakref.ref(node))
        del node
        y.backward()
        del y
        assert all(r() is None for r in refs[:-1])
    finally:
        gc.enable()


def test_inplace_on_leaf_requires_no_grad():
    w = numtorch.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w -= 1
    (w * w).sum().backward()
    before = w.detach().clone()
    with numtorch.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
    assert w.is_leaf and w.requires_grad
    assert np.allclose(w.detach().numpy(), before.numpy() * 0.8)
    assert w.grad.abs().sum().item() == 0


def test_version_counter_error():
    x = numtorch.randn(3, requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    a = numtorch.randn(3, requires_grad=True) * 1
    b = a.sigmoid()
    a.mul_(2)  # sigmoid saved its output, not its input: still fine
    b.sum().backward()
    c = numtorch.randn(3, requires_grad=True) * 1
    d = c * c
    c[0] = 0.0
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        d.sum().backward()


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_", "clamp_", "masked_fill_", "setitem", "iadd",
                                "imul", "copy_", "zero_", "fill_", "pow_", "exp_"])
def test_inplace_ops_in_graph_match_pytorch(op):
    data = np.array([[0.5, -1.0, 2.0], [1.5, -0.2, 0.3]])

    def run(T):
        x = T.tensor(data, requires_grad=True)
        other = T.tensor([2.0, 3.0, 4.0], requires_grad=True)
        y = x * 1.5
        if op == "clamp_":
            y.clamp_(-0.5, 1.0)
        elif op == "masked_fill_":
            y.masked_fill_(y > 1, 0.0)
        elif op == "setitem":
            y[0, 1:] = other[:2] * 2
        elif op == "iadd":
            y += other
        elif op == "imul":
            y *= other
        elif op == "copy_":
            y[1].copy_(other) if T is torch else y.copy_(T.stack([y[0], other]))
        elif op in ("zero_", "exp_"):
            getattr(y, op)()
            y = y + other
        elif op == "fill_":
            y.fill_(2.0)
            y = y * other
        elif op == "pow_":
            y.pow_(2)
        else:
            getattr(y, op)(other)
        (y * T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
        return y.detach().numpy(), x.grad.numpy(), (other.grad.numpy() if other.grad is not None else None)

    ours, theirs = run(numtorch), run(torch)
    for a, b in zip(ours, theirs):
        if b is None:
            assert a is None or not a.any()
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_setitem_variants_and_grad():
    x = numtorch.zeros(3, 4)
    x[0] = 1.0
    x[:, 1] = numtorch.tensor([1.0, 2.0, 3.0])
    x[x > 2] = -1.0
    x[[1, 2], [3, 3]] = 5.0
    x[..., -1:] += 1
    t = torch.zeros(3, 4)
    t[0] = 1.0
    t[:, 1] = torch.tensor([1.0, 2.0, 3.0])
    t[t > 2] = -1.0
    t[[1, 2], [3, 3]] = 5.0
    t[..., -1:] += 1
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_deep_chain_no_recursion_error():
    x = numtorch.ones(2, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    del y  # freeing a 100k-deep graph must not overflow the stack either


def _training_step(w, b, x, target):
    out = (x @ w + b).relu()
    loss = ((out - target) ** 2).mean()
    loss.backward()
    with numtorch.no_grad():
        w -= 0.01 * w.grad
        b -= 0.01 * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return loss.item()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_memory_flat_over_10000_iterations():
    """With the cyclic GC off, anything kept alive by a reference cycle would pile up."""
    w = numtorch.randn(8, 4, requires_grad=True)
    b = numtorch.zeros(4, requires_grad=True)
    x, target = numtorch.randn(16, 8), numtorch.randn(16, 4)
    for _ in range(300):
        _training_step(w, b, x, target)
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        for _ in range(300):
            _training_step(w, b, x, target)
        first, _ = tracemalloc.get_traced_memory()
        for _ in range(300):
            _training_step(w, b, x, target)
        second, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert second - first < 20_000, f"traced memory grew by {second - first} bytes over 300 iterations"
        rss = _rss_bytes()
        for _ in range(10_000):
            _training_step(w, b, x, target)
        growth = _rss_bytes() - rss
    finally:
        gc.enable()
    assert growth < 4_000_000, f"RSS grew by {growth} bytes over 10,000 iterations"


def test_anomaly_mode_names_the_op():
    x = numtorch.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning):
        with numtorch.autograd.detect_anomaly():
            y = (x.sqrt() * 0).sum()
            with pytest.raises(RuntimeError, match="SqrtBackward0"):
                y.backward()


VIEW_INPLACE = {
    "row_add_": lambda T, h, o: h[0].add_(1), "col_mul_": lambda T, h, o: h[:, 1].mul_(o),
    "t_copy_": lambda T, h, o: h.t()[1].copy_(o), "strided_zero_": lambda T, h, o: h[1:, ::2].zero_(),
    "view_setitem": lambda T, h, o: h[0].__setitem__(slice(1, 3), o[:2] * 3),
    "reshape_clamp_": lambda T, h, o: h.view(12)[3:6].clamp_(max=5),
    "masked_fill_": lambda T, h, o: h[2].masked_fill_(h[2] > 18, 0.0),
    "iadd_on_slice": lambda T, h, o: h[1].__iadd__(o.repeat(2)[:4]),
}


@pytest.mark.parametrize("name", sorted(VIEW_INPLACE))
def test_inplace_on_views_of_graph_tensors(name):
    def run(T):
        a = T.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
        o = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        h = a * 2
        VIEW_INPLACE[name](T, h, o)
        (h * T.arange(12.0).reshape(3, 4)).sum().backward()
        return h.detach().numpy(), a.grad.numpy(), (o.grad.numpy() if o.grad is not None else np.zeros(3))

    for x, y in zip(run(numtorch), run(torch)):
        np.testing.assert_allclose(x, y)


def test_inplace_on_view_of_leaf_raises():
    w = numtorch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0].add_(1)
    with numtorch.no_grad():
        w[0].add_(1)
    assert w[0, 0].item() == 2.0


@pytest.mark.parametrize("expr", [
    "a * 2", "a.sum()", "a.mean()", "a.view(-1)", "a.reshape(4)", "a.flatten()", "a[0]", "a[:, 1]", "a[0:1]",
    "a[[0, 1]]", "a @ b", "a[0] @ b[0]", "a.double()", "a.max()", "a.max(0)[0]", "a.min(1)[0]",
    "F.linear(a, b)", "F.linear(a, b, b[0])", "F.cross_entropy(a, T.tensor([0, 1]))",
    "F.cross_entropy(a, T.tensor([0, 1]), reduction='none')", "F.nll_loss(a.log_softmax(1), T.tensor([0, 1]))",
    "F.mse_loss(a, b)", "F.binary_cross_entropy_with_logits(a, b)", "F.binary_cross_entropy(a.sigmoid(), b.sigmoid())",
    "F.smooth_l1_loss(a, b)",
])
def test_grad_fn_names_match_pytorch(expr):
    """What ``print(loss)`` shows (``grad_fn=<NllLossBackward0>``) for the nodes tutorials print."""
    import torch
    names = []
    for T in (torch, numtorch):
        a = T.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
        b = T.tensor([[1.0, 0.5], [0.0, 1.0]])
        out = eval(expr, {"T": T, "F": T.nn.functional, "a": a, "b": b})
        names.append(out.grad_fn.name())
    assert names[1] == names[0]


def test_integer_then_advanced_index_gradient_and_assignment():
    """x[0, :, [1, 3]] selects the integer first (PyTorch), not NumPy's advanced-dims-first layout."""
    import torch
    a = np.arange(24.0).reshape(2, 3, 4)
    ours = numtorch.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    w = np.arange(6.0).reshape(3, 2)
    (ours[0, :, [1, 3]] * numtorch.tensor(w)).sum().backward()
    (theirs[0, :, [1, 3]] * torch.tensor(w)).sum().backward()
    assert np.array_equal(ours.grad.numpy(), theirs.grad.numpy())
    z, t = numtorch.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    z[1, :, [0, 2]] = numtorch.tensor(w, dtype=numtorch.float32)
    t[1, :, [0, 2]] = torch.tensor(w, dtype=torch.float32)
    assert np.array_equal(z.numpy(), t.numpy())


def test_integer_indexed_element_is_a_view():
    """x[0].add_(1) / w[i].zero_() under no_grad write into x, as in PyTorch (x[0] is a 0-d view)."""
    x = numtorch.zeros(3)
    x[0].add_(1)
    x[2].fill_(7.0)
    y = numtorch.zeros(2, 3)
    y[1, 2].copy_(numtorch.tensor(4.0))
    y[0][1].add_(2)
    assert x.tolist() == [1.0, 0.0, 7.0] and y.tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 4.0]]
    w = numtorch.ones(3, requires_grad=True)
    with numtorch.no_grad():
        w[0].mul_(5)
    assert w.tolist() == [5.0, 1.0, 1.0] and w.is_leaf and w.requires_grad
    a = numtorch.ones(3, requires_grad=True)
    b = a * 2
    b[1].mul_(3)  # in-place on a 0-d view of a graph tensor: the gradient sees it
    b.sum().backward()
    assert a.grad.tolist() == [2.0, 6.0, 2.0]


def test_grad_unused_input_names_its_index():
    w = numtorch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^The differentiated Tensor at index 1 appears to not have been used"):
        numtorch.autograd.grad((w * w).sum(), [w, numtorch.ones(2, requires_grad=True)])


def test_relu_backward_reuses_only_gradients_nobody_else_holds():
    """ReLU masks its incoming gradient in place when only the engine holds it; never a user's or shared one."""
    data = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)  # large enough to be reused
    mask = (data > 0).astype(np.float32)
    x = numtorch.tensor(data, requires_grad=True)
    upstream = numtorch.ones(64, 64)
    numtorch.relu(x).backward(upstream)                      # the user's gradient tensor
    assert (upstream.numpy() == 1).all()
    np.testing.assert_array_equal(x.grad.numpy(), mask)
    x.grad = None
    r = numtorch.relu(x * 3)
    r.retain_grad()
    seen = []
    r.register_hook(lambda g: seen.append(g))
    (r * 2).sum().backward()
    assert (r.grad.numpy() == 2).all() and (seen[0].numpy() == 2).all()  # not masked afterwards
    np.testing.assert_array_equal(x.grad.numpy(), 6 * mask)
    x.grad = None
    z = numtorch.relu(x)
    (gz,) = numtorch.autograd.grad((z + z).sum(), z, retain_graph=True)
    assert (gz.numpy() == 2).all()
    (z * 5).sum().backward()                                 # the fresh gradient is reused: same result
    np.testing.assert_array_equal(x.grad.numpy(), 5 * mask)


def test_dropout_backward_leaves_the_users_gradient_alone():
    x = numtorch.randn(64, 64, requires_grad=True)
    y = numtorch.nn.functional.dropout(x, 0.5, training=True)
    upstream = numtorch.ones(64, 64)
    y.backward(upstream)
    assert (upstream.numpy() == 1).all()
    kept = y.detach().numpy() != 0
    np.testing.assert_array_equal(x.grad.numpy(), np.where(kept, 2.0, 0.0).astype(np.float32))


@pytest.mark.parametrize("make_loss", [
    lambda F, x, t, c: x.sum(), lambda F, x, t, c: x.mean(), lambda F, x, t, c: x.prod(),
    lambda F, x, t, c: x.std(), lambda F, x, t, c: x.var(), lambda F, x, t, c: x.norm(),
    lambda F, x, t, c: x.max(), lambda F, x, t, c: x.amin(), lambda F, x, t, c: x.logsumexp((0, 1)),
    lambda F, x, t, c: x[0] @ x[1], lambda F, x, t, c: F.cross_entropy(x, c), lambda F, x, t, c: F.nll_loss(-x.abs(), c),
    lambda F, x, t, c: F.mse_loss(x, t), lambda F, x, t, c: F.l1_loss(x, t), lambda F, x, t, c: F.smooth_l1_loss(x, t),
    lambda F, x, t, c: F.huber_loss(x, t), lambda F, x, t, c: F.kl_div(x, t.abs(), reduction="batchmean"),
    lambda F, x, t, c: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()),
    lambda F, x, t, c: F.binary_cross_entropy_with_logits(x, t.sigmoid()),
    lambda F, x, t, c: F.soft_margin_loss(x, t.sign()), lambda F, x, t, c: F.hinge_embedding_loss(x, t.sign()),
    lambda F, x, t, c: F.multilabel_soft_margin_loss(x, (t > 0).float()), lambda F, x, t, c: F.multi_margin_loss(x, c),
    lambda F, x, t, c: F.poisson_nll_loss(x, t.abs()), lambda F, x, t, c: F.gaussian_nll_loss(x, t, x.exp().detach()),
    lambda F, x, t, c: F.cosine_embedding_loss(x, t, c.float() * 0 + 1), lambda F, x, t, c: F.margin_ranking_loss(x[0], x[1], t[0].sign()),
    lambda F, x, t, c: F.triplet_margin_loss(x, t, t.flip(0)),
])
def test_scalar_loss_backward_from_the_shared_unit_seed(make_loss):
    """loss.backward() seeds with a read-only 1: no op's backward may write into it, and results match PyTorch."""
    rng = np.random.default_rng(1)
    xs, ts = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    cs = np.array([0, 3, 1, 4])
    grads = []
    for T in (numtorch, torch):
        x = T.tensor(xs, requires_grad=True)
        make_loss(T.nn.functional, x, T.tensor(ts), T.tensor(cs)).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-9)


def test_grad_mode_is_thread_local():
    """As in PyTorch: no_grad in one thread does not affect another; new threads start with grad enabled."""
    import threading
    inside, release, seen = threading.Event(), threading.Event(), {}

    def worker():
        seen["at_start"] = numtorch.is_grad_enabled()
        with numtorch.no_grad():
            inside.set()
            release.wait(5)
            seen["in_no_grad"] = numtorch.is_grad_enabled()

    x = numtorch.ones(3, requires_grad=True)
    with numtorch.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        inside.wait(5)
    y = x * 2                                   # the worker is inside no_grad right now
    release.set()
    t.join(5)
    assert y.requires_grad and y.grad_fn is not None
    assert seen == {"at_start": True, "in_no_grad": False}


def test_node_hook_sees_the_gradient_before_relu_reuses_it():
    x = numtorch.randn(64, 64, requires_grad=True)
    y = numtorch.relu(x)
    seen = []
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(grad_outputs[0].numpy().copy()))
    (y * 3).sum().backward()
    assert (seen[0] == 3).all()


def test_module_backward_hook_grad_output_survives_relu_reuse():
    m = numtorch.nn.ReLU()
    seen = {}
    m.register_full_backward_hook(lambda mod, gin, gout: seen.update(gout=gout[0].numpy().copy(),
                                                                      gin=gin[0].numpy().copy()))
    x = numtorch.randn(64, 64, requires_grad=True)
    (m(x) * 3).sum().backward()
    assert (seen["gout"] == 3).all()
    np.testing.assert_array_equal(seen["gin"], np.where(x.detach().numpy() > 0, 3.0, 0.0).astype(np.float32))


def test_custom_function_may_modify_grad_output_in_place():
    class Double(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            g.mul_(2)                       # allowed in PyTorch; the seed of loss.backward() is read-only here
            return g

    x = numtorch.tensor(3.0, requires_grad=True)
    Double.apply(x).backward()
    assert x.grad.item() == 2.0
    y = numtorch.ones(2, requires_grad=True)
    Double.apply(y).sum().backward()
    assert y.grad.tolist() == [2.0, 2.0]


def test_hooks_may_modify_the_seed_gradient_in_place():
    x = numtorch.tensor(3.0, requires_grad=True)
    x.register_hook(lambda g: g.mul_(5))
    x.backward()                             # the seed goes straight to the leaf's hook
    assert x.grad.item() == 5.0
    y = numtorch.tensor(2.0, requires_grad=True)
    z = y * 1.0
    z.register_hook(lambda g: g.add_(1))
    z.backward()
    assert y.grad.item() == 2.0
