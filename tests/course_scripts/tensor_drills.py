"""Tensor manipulation drills (first-week homework): every answer checked against a known value."""
import torch

x = torch.arange(12).reshape(3, 4)
assert x.dtype == torch.int64 and x.shape == (3, 4) and x.size(1) == 4 and x.size(-1) == 4
assert x.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]

# indexing and slicing
assert x[1, 2].item() == 6 and x[-1, -1].item() == 11
assert x[:, 1].tolist() == [1, 5, 9] and x[1:, ::2].tolist() == [[4, 6], [8, 10]]
assert x[[0, 2], [1, 3]].tolist() == [1, 11]
assert x[torch.tensor([2, 0])].tolist() == [[8, 9, 10, 11], [0, 1, 2, 3]]
assert x[..., None].shape == (3, 4, 1) and x[None].shape == (1, 3, 4)
assert x[x % 2 == 0].tolist() == [0, 2, 4, 6, 8, 10]
y = x.clone()
y[y > 5] = 0
assert y.sum().item() == 15 and x.sum().item() == 66
y[:, 0] = torch.tensor([7, 8, 9])
assert y[:, 0].tolist() == [7, 8, 9]
row = y[1]
row += 100  # a view: writes through
assert y[1].tolist() == [108, 105, 100, 100]

# broadcasting and dtype promotion
a = torch.tensor([[1.], [2.], [3.]])
b = torch.tensor([10., 20.])
assert (a + b).shape == (3, 2) and (a * b)[2, 1].item() == 60.0
assert (x / 2).dtype == torch.float32 and (x // 2).dtype == torch.int64
assert (x * 1.5).dtype == torch.float32 and (x + True).dtype == torch.int64
assert (x > 5).dtype == torch.bool and (x > 5).sum().item() == 6
assert (torch.ones(2, dtype=torch.float64) + torch.ones(2)).dtype == torch.float64
assert (torch.tensor(2.0, dtype=torch.float64) * torch.ones(2)).dtype == torch.float32

# view / reshape / permute / transpose
z = torch.arange(24).view(2, 3, 4)
assert z.permute(2, 0, 1).shape == (4, 2, 3) and z.transpose(0, 2).shape == (4, 3, 2)
assert not z.permute(2, 0, 1).is_contiguous() and z.permute(2, 0, 1).contiguous().is_contiguous()
assert z.permute(2, 0, 1).reshape(-1)[:4].tolist() == [0, 4, 8, 12]
assert z.view(6, -1).shape == (6, 4) and z.flatten(1).shape == (2, 12) and z.unsqueeze(1).shape == (2, 1, 3, 4)
assert torch.zeros(1, 3, 1).squeeze().shape == (3,) and torch.zeros(1, 3, 1).squeeze(-1).shape == (1, 3)
try:
    z.permute(2, 0, 1).view(-1)
    raise AssertionError("view of a non-contiguous tensor must fail")
except RuntimeError as e:
    assert "view" in str(e)

# gather, scatter, masks
scores = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
labels = torch.tensor([1, 0])
assert torch.allclose(scores.gather(1, labels.unsqueeze(1)).squeeze(1), torch.tensor([0.7, 0.5]))
assert torch.allclose(scores[torch.arange(2), labels], torch.tensor([0.7, 0.5]))
onehot = torch.zeros(2, 3).scatter_(1, labels.unsqueeze(1), 1.0)
assert onehot.tolist() == [[0., 1., 0.], [1., 0., 0.]]
assert torch.equal(torch.nn.functional.one_hot(labels, 3).float(), onehot)
mask = scores > 0.25
assert mask.tolist() == [[False, True, False], [True, True, False]]
assert scores.masked_fill(~mask, 0.).sum().item() == scores[mask].sum().item()

# cat / stack / split / chunk
p, q = torch.ones(2, 3), torch.zeros(2, 3)
assert torch.cat([p, q]).shape == (4, 3) and torch.cat([p, q], dim=1).shape == (2, 6)
assert torch.stack([p, q]).shape == (2, 2, 3) and torch.stack([p, q], dim=-1).shape == (2, 3, 2)
assert [t.shape[1] for t in torch.arange(10).view(2, 5).split(2, dim=1)] == [2, 2, 1]
assert len(torch.arange(10).chunk(3)) == 3

# reductions, argmax with keepdim, topk, sort, cumsum, where
m = torch.tensor([[3., 1., 4.], [1., 5., 9.]])
assert m.argmax().item() == 5 and m.argmax(dim=1).tolist() == [2, 2]
assert m.argmax(dim=1, keepdim=True).shape == (2, 1) and m.argmax(dim=1).dtype == torch.int64
values, indices = m.max(dim=0)
assert values.tolist() == [3., 5., 9.] and indices.tolist() == [0, 1, 1]
assert m.sum(dim=1, keepdim=True).tolist() == [[8.], [15.]] and abs(m.mean().item() - 23 / 6) < 1e-6
top = m.topk(2, dim=1)
assert top.values.tolist() == [[4., 3.], [9., 5.]] and top.indices.tolist() == [[2, 0], [2, 1]]
s, i = torch.sort(m[0], descending=True)
assert s.tolist() == [4., 3., 1.] and i.tolist() == [2, 0, 1]
assert torch.cumsum(torch.arange(5), dim=0).tolist() == [0, 1, 3, 6, 10]
assert torch.where(m > 3, m, torch.zeros_like(m)).tolist() == [[0., 0., 4.], [0., 5., 9.]]
assert torch.where(m > 3, m, 0.).sum().item() == 18.
assert torch.where(m > 3, 1, 0).dtype == torch.int64
assert (m.std(dim=1) > 0).all() and m.var(dim=1, unbiased=False).shape == (2,)
assert m.min().item() == 1. and m.max().item() == 9. and m.prod().item() == 540.

# einsum
A = torch.arange(6.).view(2, 3)
B = torch.arange(12.).view(3, 4)
assert torch.equal(torch.einsum('ij,jk->ik', A, B), A @ B)
assert torch.einsum('ij->ji', A).shape == (3, 2) and torch.einsum('ij->', A).item() == 15.
assert torch.allclose(torch.einsum('bi,bi->b', A, A), (A * A).sum(1))
assert torch.einsum('ii->i', torch.eye(3)).tolist() == [1., 1., 1.]

# pairwise distances without loops (the classic kNN exercise)
tr = torch.tensor([[0., 0.], [3., 4.]])
te = torch.tensor([[0., 0.], [6., 8.], [3., 0.]])
d2 = (te ** 2).sum(1, keepdim=True) + (tr ** 2).sum(1) - 2 * te @ tr.t()
dists = d2.clamp(min=0).sqrt()
assert torch.allclose(dists, torch.cdist(te, tr)) and dists.shape == (3, 2)
assert dists.argmin(dim=1).tolist() == [0, 1, 0]
votes = torch.bincount(torch.tensor([2, 1, 2, 0]), minlength=4)
assert votes.tolist() == [1, 1, 2, 0] and votes.argmax().item() == 2

# 0-d tensors, item, numpy round trip, Python scalars
t0 = torch.tensor(3.5)
assert t0.dim() == 0 and t0.shape == () and float(t0) == 3.5 and int(torch.tensor(7)) == 7
assert (t0 * 2).item() == 7.0 and isinstance((t0 > 3).item(), bool)
n = x.numpy()
assert n.shape == (3, 4) and torch.from_numpy(n).sum().item() == 66
assert torch.tensor([1, 2, 3]).float().mean().item() == 2.0
assert torch.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
assert str(torch.tensor([1., 2.])) == "tensor([1., 2.])"
assert repr(torch.tensor([0.1, 0.2])) == "tensor([0.1000, 0.2000])"
assert repr(torch.tensor([[1, 2], [30, 4]])) == "tensor([[ 1,  2],\n        [30,  4]])"
assert repr(torch.tensor([True, False])) == "tensor([ True, False])"
assert repr(torch.zeros(0, dtype=torch.int64)).endswith("tensor([], dtype=torch.int64)"[-8:])
print("RESULT ok")
