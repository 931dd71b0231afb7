"""scaled_dot_product_attention and MultiheadAttention against PyTorch (weights copied, masks, layouts)."""
import numpy as np
import pytest
import torch

import numtorch
from helpers_nn import close, copy_weights, randn

NF, TF = numtorch.nn.functional, torch.nn.functional


def _pair(arrays):
    return ([numtorch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays],
            [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays])


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3}, {"mask": "bool"}, {"mask": "float"}])
def test_sdpa_matches_torch(kw):
    q, k, v = randn(2, 3, 5, 4), randn(2, 3, 6, 4, seed=1), randn(2, 3, 6, 7, seed=2)
    extra = {}
    kw = dict(kw)
    mask = kw.pop("mask", None)
    if mask == "bool":
        m = np.random.default_rng(0).random((5, 6)) > 0.3
        m[:, 0] = True
        extra = {"attn_mask": m}
    elif mask == "float":
        extra = {"attn_mask": randn(5, 6, seed=3)}
    if kw.get("is_causal"):
        k, v = k[:, :, :5], v[:, :, :5]
    (qn, kn, vn), (qt, kt, vt) = _pair([q, k, v])
    on = NF.scaled_dot_product_attention(qn, kn, vn, **kw, **{a: numtorch.tensor(b) for a, b in extra.items()})
    ot = TF.scaled_dot_product_attention(qt, kt, vt, **kw, **{a: torch.tensor(b) for a, b in extra.items()})
    close(on, ot)
    g = randn(*ot.shape, seed=4)
    on.backward(numtorch.tensor(g))
    ot.backward(torch.tensor(g))
    for a, b in ((qn, qt), (kn, kt), (vn, vt)):
        close(a.grad, b.grad)


CONFIGS = [dict(), dict(batch_first=True), dict(bias=False), dict(kdim=3, vdim=5), dict(add_bias_kv=True),
           dict(add_zero_attn=True), dict(add_bias_kv=True, add_zero_attn=True, batch_first=True)]


@pytest.mark.parametrize("cfg", CONFIGS, ids=[str(c) for c in CONFIGS])
@pytest.mark.parametrize("masks", ["none", "both", "float"])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_matches_torch(cfg, masks, average):
    E, H, L, S, N = 8, 2, 4, 5, 3
    nm, tm = numtorch.nn.MultiheadAttention(E, H, **cfg), torch.nn.MultiheadAttention(E, H, **cfg)
    assert list(nm.state_dict()) == list(tm.state_dict()) and repr(nm) == repr(tm)
    copy_weights(nm, tm)
    kd, vd = cfg.get("kdim", E), cfg.get("vdim", E)
    bf = cfg.get("batch_first", False)
    shp = (lambda s, d: (N, s, d)) if bf else (lambda s, d: (s, N, d))
    arrays = [randn(*shp(L, E)), randn(*shp(S, kd), seed=1), randn(*shp(S, vd), seed=2)]
    kwargs_n, kwargs_t = {"average_attn_weights": average}, {"average_attn_weights": average}
    if masks in ("both", "float"):
        am = np.random.default_rng(0).random((L, S)) > 0.7 if masks == "both" else randn(L, S, seed=5)
        kpm = np.zeros((N, S), bool)
        kpm[0, -1] = kpm[2, 1] = True
        if masks == "float":
            kpm = np.where(kpm, -2.0, 0.0).astype(np.float32)
        kwargs_n.update(attn_mask=numtorch.tensor(am), key_padding_mask=numtorch.tensor(kpm))
        kwargs_t.update(attn_mask=torch.tensor(am), key_padding_mask=torch.tensor(kpm))
    (qn, kn, vn), (qt, kt, vt) = _pair(arrays)
    on, wn = nm(qn, kn, vn, **kwargs_n)
    ot, wt = tm(qt, kt, vt, **kwargs_t)
    close(on, ot)
    close(wn, wt)
    g = randn(*ot.shape, seed=7)
    on.backward(numtorch.tensor(g))
    ot.backward(torch.tensor(g))
    for a, b in ((qn, qt), (kn, kt), (vn, vt)):
        close(a.grad, b.grad)
    pn = dict(nm.named_parameters())
    for name, p in tm.named_parameters():
        close(pn[name].grad, p.grad, msg=name)


def test_multihead_attention_unbatched_and_no_weights():
    nm, tm = numtorch.nn.MultiheadAttention(6, 3), torch.nn.MultiheadAttention(6, 3)
    copy_weights(nm, tm)
    x = randn(4, 6)
    on, wn = nm(numtorch.tensor(x), numtorch.tensor(x), numtorch.tensor(x), need_weights=False)
    ot, _ = tm(torch.tensor(x), torch.tensor(x), torch.tensor(x), need_weights=False)
    assert wn is None
    close(on, ot)


def test_multihead_attention_init_and_errors():
    m = numtorch.nn.MultiheadAttention(16, 4)
    bound = np.sqrt(6 / (16 + 48))
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.all(m.in_proj_bias.detach().numpy() == 0)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        numtorch.nn.MultiheadAttention(10, 3)
