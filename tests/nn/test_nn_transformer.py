"""Transformer layers against PyTorch with identical weights (dropout=0): outputs, input and parameter grads."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import numtorch
import numtorch.nn as nn


def _compare(ntm, th, arrays, call_nt=None, call_th=None, **masks):
    ntm.load_state_dict(th.state_dict())
    assert list(ntm.state_dict()) == list(th.state_dict())
    xn = [numtorch.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    mn = {k: numtorch.tensor(v) for k, v in masks.items()}
    mt = {k: torch.tensor(v) for k, v in masks.items()}
    on, ot = ntm(*xn, **mn), th(*xt, **mt)
    np.testing.assert_allclose(on.detach().numpy(), ot.detach().numpy(), rtol=1e-4, atol=1e-5)
    w = np.random.default_rng(5).standard_normal(tuple(ot.shape)).astype(np.float32)
    (on * numtorch.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    for a, b in zip(xn, xt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-3, atol=1e-4)
    tp = dict(th.named_parameters())
    for name, p in ntm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-3, atol=1e-4, err_msg=name)


@pytest.mark.parametrize("batch_first,norm_first,activation", [(False, False, "relu"), (True, True, "gelu")])
def test_encoder_matches_torch(batch_first, norm_first, activation):
    rng = np.random.default_rng(0)
    kw = dict(dim_feedforward=16, dropout=0.0, activation=activation, batch_first=batch_first, norm_first=norm_first)
    th = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw), 2, norm=torch.nn.LayerNorm(8),
                                     enable_nested_tensor=False)
    ntm = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kw), 2, norm=nn.LayerNorm(8))
    x = rng.standard_normal((2, 5, 8) if batch_first else (5, 2, 8)).astype(np.float32)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5).numpy()
    pad = np.where(np.array([[False] * 5, [False] * 3 + [True] * 2]), -np.inf, 0).astype(np.float32)
    _compare(ntm, th, [x], mask=mask, src_key_padding_mask=pad)


def test_decoder_and_full_transformer_match_torch():
    rng = np.random.default_rng(1)
    torch.manual_seed(0)
    th = torch.nn.Transformer(8, 2, 1, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    ntm = nn.Transformer(8, 2, 1, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    src = rng.standard_normal((2, 4, 8)).astype(np.float32)
    tgt = rng.standard_normal((2, 3, 8)).astype(np.float32)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(tgt_mask.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(3).numpy())
    _compare(ntm, th, [src, tgt], tgt_mask=tgt_mask.numpy(),
             memory_key_padding_mask=np.array([[False, False, False, True], [False] * 4]))
    # decoder layer alone, unbatched, norm_first
    thl = torch.nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, norm_first=True)
    ntl = nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0, norm_first=True)
    _compare(ntl, thl, [tgt[0], src[0]])


def test_init_and_errors():
    m = nn.Transformer(8, 2, 1, 1, dim_feedforward=16)
    w = m.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6 / (8 + 16))                                   # xavier_uniform_ on every dim>1 parameter
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound / 2
    assert m.encoder.layers[0].dropout.p == 0.1 and m.encoder.layers[0].linear1.out_features == 16
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        m(numtorch.zeros(3, 2, 8), numtorch.zeros(3, 1, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        m(numtorch.zeros(3, 2, 8), numtorch.zeros(3, 2, 4))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
