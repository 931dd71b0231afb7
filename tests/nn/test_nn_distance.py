"""nn.CosineSimilarity / nn.PairwiseDistance against PyTorch (forward and input gradients)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import numtorch
import numtorch.nn as nn


def _compare(nt_mod, th_mod, a, b):
    xn = [numtorch.tensor(v, requires_grad=True) for v in (a, b)]
    xt = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    on, ot = nt_mod(*xn), th_mod(*xt)
    np.testing.assert_allclose(on.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = np.random.default_rng(9).standard_normal(tuple(ot.shape)).astype(np.float32)
    (on * numtorch.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    for gn, gt in zip(xn, xt):
        np.testing.assert_allclose(gn.grad.numpy(), gt.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kw,shapes", [({}, ((4, 5), (4, 5))), ({"dim": 0}, ((3, 2), (3, 2))),
                                       ({"dim": -1, "eps": 1e-3}, ((2, 3, 4), (1, 3, 4)))])
def test_cosine_similarity(kw, shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    _compare(nn.CosineSimilarity(**kw), torch.nn.CosineSimilarity(**kw), a, b)


@pytest.mark.parametrize("kw", [{}, {"p": 1.0}, {"p": 3.0, "keepdim": True}, {"eps": 0.1}])
def test_pairwise_distance(kw):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 4, 5)).astype(np.float32)
    _compare(nn.PairwiseDistance(**kw), torch.nn.PairwiseDistance(**kw), a, b)


def test_defaults_and_repr():
    assert nn.CosineSimilarity().dim == 1 and nn.CosineSimilarity().eps == 1e-8
    pd = nn.PairwiseDistance()
    assert (pd.norm, pd.eps, pd.keepdim) == (2.0, 1e-6, False)
    assert repr(nn.PairwiseDistance()) == repr(torch.nn.PairwiseDistance())
    assert repr(nn.CosineSimilarity()) == repr(torch.nn.CosineSimilarity())
