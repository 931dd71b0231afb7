"""Every loss against PyTorch: reductions, weights, ignore_index, label smoothing, spatial inputs, errors."""
import warnings

import numpy as np
import pytest
import torch

import numtorch
from helpers_nn import close, randn

nnn, tnn = numtorch.nn, torch.nn
NF, TF = numtorch.nn.functional, torch.nn.functional


@pytest.fixture(autouse=True)
def _quiet_input_checks():
    """These tests feed arbitrary values; the mistake-detection warnings have their own tests."""
    NF.set_loss_input_checks(False)
    yield
    NF.set_loss_input_checks(True)


def run_loss(name, args, kwargs, arrays, grad_mask=None, rtol=1e-4, atol=1e-5, ctor_tensors=()):
    """Build the loss module in both libraries (tensor ctor args from numpy), compare value and input grads."""
    def conv(lib, v):
        return lib.tensor(v) if isinstance(v, np.ndarray) else v
    nm = getattr(nnn, name)(*args, **{k: conv(numtorch, v) for k, v in kwargs.items()})
    tm = getattr(tnn, name)(*args, **{k: conv(torch, v) for k, v in kwargs.items()})
    grad_mask = grad_mask or [a.dtype.kind == "f" for a in arrays]
    xn = [numtorch.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad_mask)]
    xt = [torch.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad_mask)]
    ln, lt = nm(*xn), tm(*xt)
    close(ln, lt, rtol, atol, f"{name} value")
    assert ln.dtype == numtorch.float64 if lt.dtype == torch.float64 else ln.dtype == numtorch.float32
    up = np.random.default_rng(1).standard_normal(tuple(lt.shape)).astype(lt.detach().numpy().dtype)
    ln.backward(numtorch.tensor(up))
    lt.backward(torch.tensor(up))
    for i, (a, b, g) in enumerate(zip(xn, xt, grad_mask)):
        if g:
            close(a.grad, b.grad, rtol, atol, f"{name} grad of input {i}")
    return ln


REDUCTIONS = ["mean", "sum", "none"]
W5 = np.array([0.2, 1.0, 2.0, 0.5, 1.5], np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"weight": W5}, {"ignore_index": 1}, {"label_smoothing": 0.1},
                                {"weight": W5, "ignore_index": 2, "label_smoothing": 0.25}],
                         ids=["plain", "weight", "ignore", "smooth", "all"])
def test_cross_entropy_class_indices(reduction, kw):
    x = randn(6, 5) * 2
    t = np.array([0, 1, 2, 3, 4, 1])
    run_loss("CrossEntropyLoss", (), dict(kw, reduction=reduction), [x, t])
    xs = randn(2, 5, 3, 2)  # (N, C, d1, d2)
    ts = np.random.default_rng(0).integers(0, 5, (2, 3, 2))
    run_loss("CrossEntropyLoss", (), dict(kw, reduction=reduction), [xs, ts])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_many_rows_few_classes(dtype):
    """Batches of >= 16 rows with few classes take the transposed row-max / row-sum path."""
    x = randn(40, 10, dtype=dtype) * 3
    x[0, 3] = 80.0     # one dominant logit
    x[1] = -50.0       # a constant row far below the others
    x[2, :5] = -np.inf  # masked-out classes
    t = np.random.default_rng(4).integers(5, 10, 40)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else {}
    run_loss("CrossEntropyLoss", (), {}, [x, t], **tol)
    run_loss("CrossEntropyLoss", (), {"reduction": "none", "label_smoothing": 0.1}, [x[3:], t[3:]], **tol)
    p = np.random.default_rng(5).dirichlet(np.ones(3), 20).astype(dtype)
    run_loss("CrossEntropyLoss", (), {}, [randn(20, 3, dtype=dtype), p], **tol)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"weight": W5}, {"label_smoothing": 0.2}, {"weight": W5, "label_smoothing": 0.3}])
def test_cross_entropy_probabilities(reduction, kw):
    x = randn(4, 5)
    p = np.random.default_rng(2).dirichlet(np.ones(5), 4).astype(np.float32)
    run_loss("CrossEntropyLoss", (), dict(kw, reduction=reduction), [x, p])
    ps = np.random.default_rng(3).dirichlet(np.ones(5), (2, 3)).transpose(0, 2, 1).astype(np.float32).copy()
    run_loss("CrossEntropyLoss", (), dict(kw, reduction=reduction), [randn(2, 5, 3), ps])


def test_cross_entropy_unbatched_float64_and_all_ignored():
    run_loss("CrossEntropyLoss", (), {}, [randn(5, dtype=np.float64), np.array(3)], rtol=1e-10, atol=1e-12)
    x, t = numtorch.randn(3, 4), numtorch.tensor([1, 1, 1])
    assert np.isnan(NF.cross_entropy(x, t, ignore_index=1).item())
    assert NF.cross_entropy(x, t, ignore_index=1, reduction="sum").item() == 0


def test_cross_entropy_gradcheck():
    x = numtorch.tensor(randn(4, 3, 2, dtype=np.float64), requires_grad=True)
    t = numtorch.tensor([[0, 1], [2, 2], [1, 0], [2, 1]])
    w = numtorch.tensor([0.5, 1.0, 2.0], dtype=numtorch.float64)
    assert numtorch.autograd.gradcheck(lambda x: NF.cross_entropy(x, t, weight=w, ignore_index=0,
                                                                  label_smoothing=0.2), (x,))
    p = numtorch.tensor(np.random.default_rng(0).dirichlet(np.ones(3), 4), requires_grad=True)
    x2 = numtorch.tensor(randn(4, 3, dtype=np.float64), requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda x: NF.cross_entropy(x, p.detach(), label_smoothing=0.1), (x2,))


def test_cross_entropy_errors():
    x = numtorch.randn(3, 5)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target batch_size \(4\)"):
        NF.cross_entropy(x, numtorch.tensor([1, 2, 3, 4]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        NF.cross_entropy(x, numtorch.tensor([1, 2, 7]))
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte, but got Int"):
        NF.cross_entropy(x, numtorch.tensor([1, 2, 3], dtype=numtorch.int32))
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 4\], got \[2, 3\]"):
        NF.cross_entropy(numtorch.randn(2, 5, 4), numtorch.zeros(2, 3, dtype=numtorch.int64))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 5 classes"):
        NF.cross_entropy(x, numtorch.tensor([1, 2, 3]), weight=numtorch.ones(4))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        NF.cross_entropy(x, numtorch.tensor([1, 2, 3]), reduction="foo")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"weight": W5}, {"ignore_index": 0}, {"weight": W5, "ignore_index": 4}])
def test_nll_loss(reduction, kw):
    lp = torch.log_softmax(torch.tensor(randn(6, 5)), 1).numpy()
    run_loss("NLLLoss", (), dict(kw, reduction=reduction), [lp, np.array([0, 1, 2, 3, 4, 4])])
    lps = torch.log_softmax(torch.tensor(randn(2, 5, 3)), 1).numpy()
    run_loss("NLLLoss", (), dict(kw, reduction=reduction), [lps, np.array([[0, 1, 4], [4, 4, 2]])])


def test_log_softmax_plus_nll_equals_cross_entropy():
    x = numtorch.tensor(randn(5, 4))
    t = numtorch.tensor([0, 3, 1, 2, 2])
    close(NF.nll_loss(NF.log_softmax(x, 1), t), NF.cross_entropy(x, t))


PAIRS = [("MSELoss", (), {}), ("L1Loss", (), {}), ("SmoothL1Loss", (), {}), ("SmoothL1Loss", (), {"beta": 0.5}),
         ("SmoothL1Loss", (), {"beta": 0.0}), ("HuberLoss", (), {}), ("HuberLoss", (), {"delta": 0.3})]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,args,kw", PAIRS, ids=[f"{n}{k}" for n, _, k in PAIRS])
def test_regression_losses(name, args, kw, reduction):
    run_loss(name, args, dict(kw, reduction=reduction), [randn(4, 3), randn(4, 3, seed=1)])


def test_regression_broadcast_warns_like_torch():
    with pytest.warns(UserWarning, match="Using a target size .* that is different to the input size"):
        l = run_loss("MSELoss", (), {}, [randn(3, 1), randn(3, seed=1)])
    assert l.shape == ()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce(reduction, weighted):
    p = (np.random.default_rng(0).random((4, 3)) * 0.98 + 0.01).astype(np.float32)
    p[0, 0], p[0, 1] = 0.0, 1.0  # log clamps at -100 like PyTorch
    y = np.random.default_rng(1).random((4, 3)).astype(np.float32)
    kw = {"weight": np.array([1.0, 2.0, 0.5], np.float32)} if weighted else {}
    run_loss("BCELoss", (), dict(kw, reduction=reduction), [p, y], grad_mask=[True, False], rtol=1e-3)
    p2 = p[1:]
    run_loss("BCELoss", (), dict(kw, reduction=reduction), [p2, y[1:]])  # target gradient too
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        NF.binary_cross_entropy(numtorch.tensor([1.5]), numtorch.tensor([1.0]))
    with pytest.raises(ValueError, match="is deprecated. Please ensure they have the same size"):
        NF.binary_cross_entropy(numtorch.rand(3, 1), numtorch.rand(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"pos_weight": np.array([1.0, 3.0, 0.5], np.float32)},
                                {"weight": np.array([2.0, 1.0, 0.5], np.float32)}])
def test_bce_with_logits(reduction, kw):
    x = randn(4, 3) * 30  # extreme logits must stay finite
    y = (np.random.default_rng(1).random((4, 3)) > 0.5).astype(np.float32)
    run_loss("BCEWithLogitsLoss", (), dict(kw, reduction=reduction), [x, y])
    run_loss("BCEWithLogitsLoss", (), dict(kw, reduction=reduction), [randn(4, 3), randn(4, 3, seed=2)])
    with pytest.raises(ValueError, match=r"Target size \(torch.Size\(\[3\]\)\) must be the same as input size"):
        NF.binary_cross_entropy_with_logits(numtorch.rand(3, 1), numtorch.rand(3))


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    lp = torch.log_softmax(torch.tensor(randn(4, 5)), 1).numpy()
    q = torch.softmax(torch.tensor(randn(4, 5, seed=1)), 1).numpy()
    t = np.log(q + 1e-3).astype(np.float32) if log_target else q
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_loss("KLDivLoss", (), {"reduction": reduction, "log_target": log_target}, [lp, t])
        q[0, 0] = 0.0  # 0 * log 0 = 0 (PyTorch's target gradient is nan there, so only the input's is compared)
        run_loss("KLDivLoss", (), {"reduction": reduction}, [lp, q], grad_mask=[True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_and_margin_ranking(reduction, margin):
    t = np.array([1, -1, 1, -1], np.float32)
    run_loss("CosineEmbeddingLoss", (), {"margin": margin, "reduction": reduction},
             [randn(4, 6), randn(4, 6, seed=1), t], grad_mask=[True, True, False])
    run_loss("MarginRankingLoss", (), {"margin": margin, "reduction": reduction},
             [randn(4), randn(4, seed=1), t], grad_mask=[True, True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"margin": 0.5, "p": 1.0}, {"swap": True}, {"p": 3.0}])
def test_triplet_margin(reduction, kw):
    run_loss("TripletMarginLoss", (), dict(kw, reduction=reduction), [randn(5, 4), randn(5, 4, seed=1),
                                                                       randn(5, 4, seed=2)])


def test_legacy_size_average_reduce_args():
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        m = nnn.MSELoss(size_average=False)
    assert m.reduction == "sum"
    with pytest.warns(UserWarning):
        assert NF.l1_loss(numtorch.ones(2), numtorch.zeros(2), reduce=False).shape == (2,)


def test_losses_gradcheck_float64():
    a = numtorch.tensor(randn(3, 4, dtype=np.float64), requires_grad=True)
    b = numtorch.tensor(randn(3, 4, dtype=np.float64, seed=1), requires_grad=True)
    prob = numtorch.tensor(np.random.default_rng(0).random((3, 4)) * 0.8 + 0.1, requires_grad=True)
    for fn in (NF.mse_loss, NF.l1_loss, NF.smooth_l1_loss, NF.huber_loss, NF.binary_cross_entropy_with_logits,
               lambda x, y: NF.kl_div(x, y, reduction="batchmean", log_target=True)):
        assert numtorch.autograd.gradcheck(fn, (a, b))
    assert numtorch.autograd.gradcheck(lambda p, y: NF.binary_cross_entropy(p, y.sigmoid()), (prob, b))
    t = numtorch.tensor([1.0, -1.0, 1.0])
    assert numtorch.autograd.gradcheck(lambda x, y: NF.cosine_embedding_loss(x, y, t, margin=0.1), (a, b))
    assert numtorch.autograd.gradcheck(lambda x, y: NF.triplet_margin_loss(x, y, y * 0.5 + 1), (a, b))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_further_losses(reduction):
    x, y = randn(4, 3), randn(4, 3, seed=1)
    sign = np.where(randn(4, 3, seed=2) > 0, 1.0, -1.0).astype(np.float32)
    counts = np.random.default_rng(0).poisson(3.0, (4, 3)).astype(np.float32)
    r = {"reduction": reduction}
    run_loss("PoissonNLLLoss", (), r, [x, counts], grad_mask=[True, False])
    run_loss("PoissonNLLLoss", (), dict(r, log_input=False, full=True), [np.abs(x) + 0.1, counts],
             grad_mask=[True, False])
    var = np.abs(randn(4, 3, seed=3)) + 0.05
    var[0, 0] = 1e-8  # clamped to eps
    run_loss("GaussianNLLLoss", (), r, [x, y, var])
    run_loss("GaussianNLLLoss", (), dict(r, full=True), [x, y, np.abs(randn(4, 1, seed=4)) + 0.1])
    run_loss("SoftMarginLoss", (), r, [x, sign], grad_mask=[True, False])
    run_loss("HingeEmbeddingLoss", (), dict(r, margin=0.5), [x, sign], grad_mask=[True, False])
    multi = (randn(4, 3, seed=5) > 0).astype(np.float32)
    run_loss("MultiLabelSoftMarginLoss", (), r, [x, multi], grad_mask=[True, False])
    run_loss("MultiLabelSoftMarginLoss", (), dict(r, weight=np.array([1.0, 2.0, 0.5], np.float32)), [x, multi],
             grad_mask=[True, False])
    t = np.array([0, 2, 1, 2])
    run_loss("MultiMarginLoss", (), r, [x, t])
    run_loss("MultiMarginLoss", (), dict(r, p=2, margin=0.7, weight=np.array([1.0, 2.0, 0.5], np.float32)), [x, t])


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("xs,ts,tdtype", [((4, 3), (4,), "float32"), ((4, 3), (4, 5), "float32"),
                                          ((4, 3), (5,), "int32"), ((4, 3, 2), (4, 2), "float32"),
                                          ((4, 3, 2), (4, 3), "int64"), ((3,), (1,), "int64")])
def test_class_target_checks_in_pytorch_order(fn, xs, ts, tdtype):
    """Shape errors before dtype errors, and a float target is probabilities only with the input's shape."""
    def run(T):
        return getattr(T.nn.functional, fn)(T.zeros(*xs).log_softmax(-1), T.zeros(*ts, dtype=getattr(T, tdtype)))
    try:
        want = run(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)) as ours:
            run(numtorch)
        assert str(ours.value) == str(e)
    else:
        assert abs(run(numtorch).item() - want.item()) < 1e-6


def test_bce_target_dtype_like_pytorch():
    x = numtorch.rand(3)
    with pytest.raises(RuntimeError, match="^Found dtype Long but expected Float$"):
        NF.binary_cross_entropy(x, numtorch.ones(3, dtype=numtorch.int64))
    with pytest.raises(RuntimeError, match="^Found dtype Double but expected Float$"):
        NF.binary_cross_entropy(x, numtorch.ones(3, dtype=numtorch.float64))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        NF.binary_cross_entropy_with_logits(x, numtorch.ones(3, dtype=numtorch.int64))
    logits = numtorch.randn(3, requires_grad=True)
    loss = NF.binary_cross_entropy_with_logits(logits, numtorch.ones(3, dtype=numtorch.float64))
    loss.backward()
    assert loss.dtype == numtorch.float64 and logits.grad.dtype == numtorch.float32
    want = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(logits.detach().numpy()),
                                                                torch.ones(3, dtype=torch.float64))
    assert abs(loss.item() - want.item()) < 1e-6 and want.dtype == torch.float64


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"weight": "w"}, {"ignore_index": 3}, {"weight": "w", "ignore_index": 3}],
                         ids=["plain", "weight", "ignore", "both"])
def test_cross_entropy_many_classes(reduction, kw):
    """40 classes: row sums go through a BLAS mat-vec and exp overwrites the shifted logits in place."""
    rng = np.random.default_rng(3)
    kw = {k: (rng.uniform(0.2, 2.0, 40).astype(np.float32) if v == "w" else v) for k, v in kw.items()}
    t = rng.integers(0, 40, 9)
    t[:3] = 3
    run_loss("CrossEntropyLoss", (), dict(kw, reduction=reduction), [randn(9, 40) * 3 + 50, t])


def test_cross_entropy_backward_twice_keeps_inputs():
    """retain_graph: a second backward gives the same gradient; neither the logits nor the incoming gradient
    array are written to."""
    x = numtorch.tensor(randn(4, 40), requires_grad=True)
    x0 = x.detach().numpy().copy()
    t = numtorch.tensor(np.array([0, 5, 39, 7]))
    loss = NF.cross_entropy(x, t, reduction="none")
    up = numtorch.tensor(randn(4, seed=2))
    up0 = up.numpy().copy()
    loss.backward(up, retain_graph=True)
    g1 = x.grad.numpy().copy()
    x.grad = None
    loss.backward(up)
    np.testing.assert_array_equal(x.grad.numpy(), g1)
    np.testing.assert_array_equal(x.detach().numpy(), x0)
    np.testing.assert_array_equal(up.numpy(), up0)
    xt = torch.tensor(x0, requires_grad=True)
    TF.cross_entropy(xt, torch.tensor(t.numpy()), reduction="none").backward(torch.tensor(up0))
    close(x.grad, xt.grad)


@pytest.mark.parametrize("make", [
    lambda: numtorch.nn.MSELoss(reduce=False),                      # _Loss.__init__ inherited
    lambda: numtorch.nn.CrossEntropyLoss(size_average=False),       # through _WeightedLoss
    lambda: numtorch.nn.functional.mse_loss(numtorch.ones(2), numtorch.zeros(2), reduce=False),
    lambda: numtorch.nn.functional.cross_entropy(numtorch.zeros(2, 3), numtorch.tensor([0, 1]), size_average=False),
])
def test_legacy_reduction_warning_names_the_callers_line(make):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated") as rec:
        make()
    assert rec[0].filename == __file__
