"""nn.utils (clipping, vector conversion) and the vector functional helpers (normalize, cosine_similarity)."""
import pytest
import torch

import numtorch
from helpers_nn import close, copy_weights, randn

NF, TF = numtorch.nn.functional, torch.nn.functional


def _models_with_grads():
    tm = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    nm = numtorch.nn.Sequential(numtorch.nn.Linear(4, 5), numtorch.nn.ReLU(), numtorch.nn.Linear(5, 3))
    copy_weights(nm, tm)
    x = randn(6, 4)
    (tm(torch.tensor(x)) ** 2).sum().backward()
    (nm(numtorch.tensor(x)) ** 2).sum().backward()
    return nm, tm


@pytest.mark.parametrize("max_norm,norm_type", [(0.5, 2.0), (100.0, 2.0), (0.3, 1.0), (0.2, float("inf")),
                                                (1.0, 3.0)])
def test_clip_grad_norm(max_norm, norm_type):
    nm, tm = _models_with_grads()
    tn = numtorch.nn.utils.clip_grad_norm_(nm.parameters(), max_norm, norm_type)
    tt = torch.nn.utils.clip_grad_norm_(tm.parameters(), max_norm, norm_type)
    close(tn, tt)
    for a, b in zip(nm.parameters(), tm.parameters()):
        close(a.grad, b.grad)


def test_clip_grad_norm_nonfinite_and_empty():
    p = numtorch.nn.Parameter(numtorch.ones(2))
    p.grad = numtorch.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        numtorch.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert numtorch.nn.utils.clip_grad_norm_([numtorch.nn.Parameter(numtorch.ones(1))], 1.0).item() == 0


def test_clip_grad_value():
    nm, tm = _models_with_grads()
    numtorch.nn.utils.clip_grad_value_(nm.parameters(), 0.1)
    torch.nn.utils.clip_grad_value_(tm.parameters(), 0.1)
    for a, b in zip(nm.parameters(), tm.parameters()):
        close(a.grad, b.grad)


def test_parameters_vector_round_trip():
    nm, tm = _models_with_grads()
    v = numtorch.nn.utils.parameters_to_vector(nm.parameters())
    close(v, torch.nn.utils.parameters_to_vector(tm.parameters()))
    numtorch.nn.utils.vector_to_parameters(v * 2, nm.parameters())
    close(nm[0].weight, tm[0].weight * 2)
    assert isinstance(nm[0].weight, numtorch.nn.Parameter)
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        numtorch.nn.utils.vector_to_parameters([1.0], nm.parameters())


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1)])
def test_normalize(p, dim):
    x = randn(4, 5)
    x[0] = 0  # an all-zero row stays finite
    a = numtorch.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ya, yb = NF.normalize(a, p, dim), TF.normalize(b, p, dim)
    close(ya, yb)
    w = randn(4, 5, seed=1)
    (ya * numtorch.tensor(w)).sum().backward()
    (yb * torch.tensor(w)).sum().backward()
    close(a.grad, b.grad)


@pytest.mark.parametrize("shape1,shape2,dim", [((4, 5), (4, 5), 1), ((3, 4), (1, 4), -1), ((2, 3, 4), (2, 3, 4), 0)])
def test_cosine_similarity_and_pairwise_distance(shape1, shape2, dim):
    x1, x2 = randn(*shape1), randn(*shape2, seed=1)
    a, b = numtorch.tensor(x1, requires_grad=True), torch.tensor(x1, requires_grad=True)
    c, d = numtorch.tensor(x2, requires_grad=True), torch.tensor(x2, requires_grad=True)
    ya, yb = NF.cosine_similarity(a, c, dim), TF.cosine_similarity(b, d, dim)
    close(ya, yb)
    ya.sum().backward()
    yb.sum().backward()
    close(a.grad, b.grad)
    close(c.grad, d.grad)
    close(NF.pairwise_distance(numtorch.tensor(x1), numtorch.tensor(x2)),
          TF.pairwise_distance(torch.tensor(x1), torch.tensor(x2)))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    seqs = [randn(3, 2), randn(5, 2, seed=1), randn(1, 2, seed=2)]
    sn = [numtorch.tensor(s, requires_grad=True) for s in seqs]
    st = [torch.tensor(s, requires_grad=True) for s in seqs]
    pn = numtorch.nn.utils.rnn.pad_sequence(sn, batch_first, -1.0, side)
    pt = torch.nn.utils.rnn.pad_sequence(st, batch_first, -1.0, side)
    close(pn, pt)
    w = randn(*pt.shape, seed=3)
    (pn * numtorch.tensor(w)).sum().backward()
    (pt * torch.tensor(w)).sum().backward()
    for a, b in zip(sn, st):
        close(a.grad, b.grad)
    back = numtorch.nn.utils.rnn.unpad_sequence(pn, numtorch.tensor([3, 5, 1]), batch_first) if side == "right" \
        else None
    if back is not None:
        for a, s in zip(back, seqs):
            close(a, s)
