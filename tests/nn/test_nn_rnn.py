"""RNN, LSTM, GRU and their cells against PyTorch with identical weights: outputs, states, every gradient."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch
import numtorch.nn as nn

MODES = {"rnn_tanh": ("RNN", {}), "rnn_relu": ("RNN", {"nonlinearity": "relu"}), "lstm": ("LSTM", {}),
         "gru": ("GRU", {})}


def _pair(mode, *args, **kwargs):
    name, extra = MODES[mode]
    kw = {**extra, **kwargs}
    th = getattr(torch.nn, name)(*args, **kw)
    ntm = getattr(nn, name)(*args, **kw)
    ntm.load_state_dict(th.state_dict())
    return ntm, th


def _states(h):
    return list(h) if isinstance(h, tuple) else [h]


def _run_both(ntm, th, x, h0, rng):
    """Forward both, backprop sum(out*R) + sum(h_n*S) (+ c_n), return (nt tensors, torch tensors)."""
    xn = numtorch.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    hn_in = ht_in = None
    if h0 is not None:
        hn_in = tuple(numtorch.tensor(a, requires_grad=True) for a in h0)
        ht_in = tuple(torch.tensor(a, requires_grad=True) for a in h0)
        if len(h0) == 1:
            hn_in, ht_in = hn_in[0], ht_in[0]
    on, hn = ntm(xn, hn_in)
    ot, ht = th(xt, ht_in)
    outs_n, outs_t = [on] + _states(hn), [ot] + _states(ht)
    weights = [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in outs_t]
    sum(((o * numtorch.tensor(w)).sum() for o, w in zip(outs_n, weights)), numtorch.tensor(0.0)).backward()
    sum(((o * torch.tensor(w)).sum() for o, w in zip(outs_t, weights)), torch.tensor(0.0)).backward()
    return outs_n, outs_t, xn, xt, hn_in, ht_in


def _close(a, b, msg):
    a = a.detach().numpy() if hasattr(a, "detach") else a
    b = b.detach().numpy()
    assert a.shape == b.shape, f"{msg}: shape {a.shape} vs {b.shape}"
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=msg)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("batch_first,layers,bidir,with_h0", [(False, 1, False, False), (True, 2, True, True),
                                                              (False, 2, True, False), (True, 1, False, True)])
def test_rnn_matches_torch(mode, batch_first, layers, bidir, with_h0):
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    L, N, I, H = 5, 3, 4, 6
    ntm, th = _pair(mode, I, H, num_layers=layers, batch_first=batch_first, bidirectional=bidir)
    x = rng.standard_normal((N, L, I) if batch_first else (L, N, I)).astype(np.float32)
    D = 2 if bidir else 1
    h0 = None
    if with_h0:
        n_states = 2 if mode == "lstm" else 1
        h0 = [rng.standard_normal((D * layers, N, H)).astype(np.float32) for _ in range(n_states)]
    outs_n, outs_t, xn, xt, hn_in, ht_in = _run_both(ntm, th, x, h0, rng)
    for i, (a, b) in enumerate(zip(outs_n, outs_t)):
        _close(a, b, f"output {i}")
    _close(xn.grad, xt.grad, "input grad")
    if with_h0:
        for a, b in zip(_states(hn_in), _states(ht_in)):
            _close(a.grad, b.grad, "h0 grad")
    tp = dict(th.named_parameters())
    names = [n for n, _ in ntm.named_parameters()]
    assert names == list(tp)
    for name, p in ntm.named_parameters():
        _close(p.grad, tp[name].grad, f"grad of {name}")


@pytest.mark.parametrize("mode", list(MODES))
def test_unbatched_and_no_bias(mode):
    rng = np.random.default_rng(1)
    ntm, th = _pair(mode, 3, 4, num_layers=2, bias=False, bidirectional=True)
    assert [n for n, _ in ntm.named_parameters()] == [n for n, _ in th.named_parameters()]
    x = rng.standard_normal((5, 3)).astype(np.float32)
    outs_n, outs_t, xn, xt, _, _ = _run_both(ntm, th, x, None, rng)
    for a, b in zip(outs_n, outs_t):
        _close(a, b, "unbatched output")
    _close(xn.grad, xt.grad, "unbatched input grad")


def test_state_dict_init_and_repr():
    torch.manual_seed(0)
    for mode in MODES:
        kw = dict(num_layers=2, bidirectional=True, batch_first=True, dropout=0.25)
        ntm, th = _pair(mode, 7, 5, **kw)
        sd_n, sd_t = ntm.state_dict(), th.state_dict()
        assert list(sd_n) == list(sd_t)
        assert all(tuple(sd_n[k].shape) == tuple(sd_t[k].shape) for k in sd_t)
        assert repr(ntm) == repr(th)
        fresh = type(ntm)(7, 5, **kw)
        bound = 1 / np.sqrt(5)
        allw = np.concatenate([p.detach().numpy().ravel() for p in fresh.parameters()])
        assert np.abs(allw).max() <= bound and allw.std() > bound / 3   # U(-1/sqrt(H), 1/sqrt(H))
        assert fresh.weight_ih_l0.dtype == numtorch.float32
    # load the other way: numtorch -> torch
    ntm = nn.GRU(3, 4)
    th = torch.nn.GRU(3, 4)
    th.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ntm.state_dict().items()})
    x = np.ones((2, 1, 3), np.float32)
    _close(ntm(numtorch.tensor(x))[0], th(torch.tensor(x))[0], "reverse load")
    assert len(ntm.all_weights) == 1 and len(ntm.all_weights[0]) == 4
    ntm.flatten_parameters()


def test_dropout_between_layers():
    rng = np.random.default_rng(2)
    x = numtorch.tensor(rng.standard_normal((4, 2, 3)).astype(np.float32))
    m = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    m.eval()
    a, b = m(x)[0].detach(), m(x)[0].detach()
    np.testing.assert_array_equal(a.numpy(), b.numpy())          # eval: deterministic
    m.train()
    numtorch.manual_seed(0)
    c = m(x)[0].detach()
    assert not np.allclose(a.numpy(), c.numpy())                 # train: layer-0 output dropped out
    # p=1 drops everything: layer 1 sees zeros, same as PyTorch
    ntm, th = _pair("gru", 3, 4, num_layers=2, dropout=1.0)
    _close(ntm(x)[0], th(torch.tensor(x.numpy()))[0], "dropout=1")
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.RNN(3, 4, dropout=0.2)


@pytest.mark.parametrize("cell,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                                     ("GRUCell", {}), ("GRUCell", {"bias": False})])
@pytest.mark.parametrize("batched,with_h", [(True, True), (False, False)])
def test_cells_match_torch(cell, kw, batched, with_h):
    rng = np.random.default_rng(3)
    th = getattr(torch.nn, cell)(4, 5, **kw)
    ntm = getattr(nn, cell)(4, 5, **kw)
    ntm.load_state_dict(th.state_dict())
    assert repr(ntm) == repr(th)
    shape = (3,) if batched else ()
    x = rng.standard_normal(shape + (4,)).astype(np.float32)
    xn, xt = numtorch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hn = ht = None
    if with_h:
        hs = [rng.standard_normal(shape + (5,)).astype(np.float32) for _ in range(2 if cell == "LSTMCell" else 1)]
        hn = tuple(numtorch.tensor(h, requires_grad=True) for h in hs)
        ht = tuple(torch.tensor(h, requires_grad=True) for h in hs)
        if cell != "LSTMCell":
            hn, ht = hn[0], ht[0]
    on, ot = _states(ntm(xn, hn)), _states(th(xt, ht))
    for a, b in zip(on, ot):
        _close(a, b, f"{cell} output")
    sum(o.sum() * (i + 1) for i, o in enumerate(on)).backward()
    sum(o.sum() * (i + 1) for i, o in enumerate(ot)).backward()
    _close(xn.grad, xt.grad, "input grad")
    if with_h:
        for a, b in zip(_states(hn), _states(ht)):
            _close(a.grad, b.grad, "hidden grad")
    tp = dict(th.named_parameters())
    for name, p in ntm.named_parameters():
        _close(p.grad, tp[name].grad, f"grad of {name}")


def test_gradcheck_float64():
    numtorch.manual_seed(0)
    for m in (nn.LSTM(2, 3, num_layers=2, bidirectional=True, batch_first=True), nn.GRU(2, 3, bidirectional=True),
              nn.RNN(2, 3, bidirectional=True, bias=False)):
        m = m.double()
        x = numtorch.randn(2, 3, 2, dtype=numtorch.float64, requires_grad=True)
        assert numtorch.autograd.gradcheck(lambda inp: m(inp)[0], (x,))
    cell = nn.RNNCell(2, 3).double()
    x = numtorch.randn(2, 2, dtype=numtorch.float64, requires_grad=True)
    h = numtorch.randn(2, 3, dtype=numtorch.float64, requires_grad=True)
    assert numtorch.autograd.gradcheck(cell, (x, h))


def test_errors_match_torch_wording():
    m = nn.LSTM(4, 5, num_layers=2)
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size. Expected 4, got 3"):
        m(numtorch.zeros(2, 1, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 1, 5\), got \[1, 1, 5\]"):
        m(numtorch.zeros(2, 1, 4), (numtorch.zeros(1, 1, 5), numtorch.zeros(2, 1, 5)))
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        m(numtorch.zeros(1, 2, 1, 4))
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 1D tensor instead"):
        nn.RNN(4, 5)(numtorch.zeros(4))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        nn.GRU(4, 5)(numtorch.zeros(2, 1, 4), numtorch.zeros(1, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 1, 5\), got \[1, 2, 5\]"):
        nn.GRU(4, 5)(numtorch.zeros(2, 1, 4), numtorch.zeros(1, 2, 5))
    with pytest.raises(ValueError, match="RNN input dtype"):
        nn.GRU(4, 5)(numtorch.zeros(2, 1, 4, dtype=numtorch.float64))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(4, 5, nonlinearity="gelu")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(4, 5, proj_size=2)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(4, 5, proj_size=2)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(4, 5, dropout=1.5)
    with pytest.raises(ValueError, match="GRUCell: Expected input to be 1D or 2D, got 3D instead"):
        nn.GRUCell(4, 5)(numtorch.zeros(1, 1, 4))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 3 expected 4"):
        nn.LSTMCell(4, 5)(numtorch.zeros(2, 3))
    with pytest.raises(RuntimeError, match="Input batch size 3 doesn't match hidden1 batch size 2"):
        nn.LSTMCell(4, 5)(numtorch.zeros(3, 4), (numtorch.zeros(3, 5), numtorch.zeros(2, 5)))
    with pytest.raises(RuntimeError, match="hidden0 has inconsistent hidden_size: got 6, expected 5"):
        nn.GRUCell(4, 5)(numtorch.zeros(3, 4), numtorch.zeros(3, 6))


@settings(max_examples=15, deadline=None)
@given(mode=st.sampled_from(["RNN", "LSTM", "GRU"]), L=st.integers(1, 4), N=st.integers(1, 3),
       I=st.integers(1, 4), H=st.integers(1, 4), reverse=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_fused_layer_equals_stepping_the_cell(mode, L, N, I, H, reverse, seed):
    """Property: the fused whole-sequence layer == its Cell applied step by step (values and gradients)."""
    numtorch.manual_seed(seed)
    layer = getattr(nn, mode)(I, H, bidirectional=reverse)
    cell = getattr(nn, mode + "Cell")(I, H)
    sfx = "_l0_reverse" if reverse else "_l0"
    cell.load_state_dict({k: getattr(layer, k + sfx) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
    x = numtorch.randn(L, N, I, requires_grad=True)
    out, _ = layer(x)
    out = out[..., H:] if reverse else out
    state = None
    steps = {}
    for t in (range(L - 1, -1, -1) if reverse else range(L)):
        state = cell(x[t], state)
        steps[t] = state[0] if mode == "LSTM" else state
    ref = numtorch.stack([steps[t] for t in range(L)], 0)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    (gx1,) = numtorch.autograd.grad(out.sum(), x)
    (gx2,) = numtorch.autograd.grad(ref.sum(), x)
    np.testing.assert_allclose(gx1.numpy(), gx2.numpy(), rtol=1e-4, atol=1e-5)
