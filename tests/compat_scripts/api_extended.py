"""More of the PyTorch surface that course notebooks and example programs use; prints every failure.

Runs unchanged with PyTorch and with `numtorch run`; each check compares with NumPy or with a
property that must hold.
"""
import sys
import traceback

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

failures = []


def check(name):
    def deco(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            failures.append(name)
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            traceback.print_exc(limit=-1, file=sys.stdout)
        return fn
    return deco


def close(t, ref, tol=1e-5):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert a.shape == np.shape(ref), (a.shape, np.shape(ref))
    assert np.allclose(a, ref, rtol=tol, atol=tol), (a, ref)


torch.manual_seed(0)
A = np.arange(12, dtype=np.float32).reshape(3, 4) / 5 - 1


@check("custom autograd.Function")
def _():
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = torch.tensor(A, requires_grad=True)
    Cube.apply(x).sum().backward()
    close(x.grad, 3 * A ** 2)


@check("init and apply")
def _():
    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
            torch.nn.init.xavier_uniform_(m.weight)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    net.apply(init_weights)
    assert float(net[0].bias.detach().abs().sum()) == 0
    assert sum(p.numel() for p in net.parameters() if p.requires_grad) == 4 * 8 + 8 + 8 * 2 + 2


@check("tensor ops: cat/stack/where/einsum/topk/sort/cumsum")
def _():
    x = torch.tensor(A)
    close(torch.cat([x, x], dim=0), np.concatenate([A, A]))
    close(torch.stack([x, x], dim=1), np.stack([A, A], 1))
    close(torch.where(x > 0, x, torch.zeros_like(x)), np.where(A > 0, A, 0))
    close(torch.einsum("ij,kj->ik", x, x), A @ A.T)
    v, i = torch.topk(x, 2, dim=1)
    close(v, -np.sort(-A, 1)[:, :2])
    s, _ = torch.sort(x, dim=0, descending=True)
    close(s, -np.sort(-A, 0))
    close(torch.cumsum(x, dim=1), np.cumsum(A, 1))
    close(x.clamp(-0.5, 0.5), np.clip(A, -0.5, 0.5))
    close(torch.tril(torch.ones(3, 3)), np.tril(np.ones((3, 3))))
    close(x.masked_fill(x < 0, 0.0), np.where(A < 0, 0, A))
    assert torch.unique(torch.tensor([3, 1, 3])).tolist() == [1, 3]
    assert torch.bincount(torch.tensor([0, 2, 2])).tolist() == [1, 0, 2]
    a, b = torch.chunk(x, 2, dim=1)
    assert a.shape == (3, 2) and len(torch.split(x, [1, 2], dim=0)) == 2
    gx, gy = torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ij")
    assert gx.shape == (2, 3)
    close(torch.bmm(torch.ones(2, 3, 4), torch.ones(2, 4, 5)), np.full((2, 3, 5), 4.0))


@check("functional extras: one_hot/pad/interpolate/normalize")
def _():
    assert F.one_hot(torch.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    close(F.pad(torch.ones(1, 1, 2, 2), (1, 1, 1, 1)), np.pad(np.ones((1, 1, 2, 2)), ((0, 0), (0, 0), (1, 1), (1, 1))))
    up = F.interpolate(torch.ones(1, 1, 2, 2), scale_factor=2, mode="nearest")
    assert up.shape == (1, 1, 4, 4)
    close(F.normalize(torch.tensor([[3.0, 4.0]]), dim=1), [[0.6, 0.8]])


@check("nn extras: Embedding/Dropout/LayerNorm/AdaptiveAvgPool2d")
def _():
    emb = nn.Embedding(10, 3)
    assert emb(torch.tensor([[1, 2]])).shape == (1, 2, 3)
    ln = nn.LayerNorm(4)
    y = ln(torch.tensor(A))
    close(y.mean(-1), np.zeros(3), 1e-5)
    assert nn.AdaptiveAvgPool2d((1, 1))(torch.ones(2, 3, 5, 5)).shape == (2, 3, 1, 1)
    d = nn.Dropout(0.5)
    d.eval()
    close(d(torch.tensor(A)), A)


@check("schedulers and clip_grad_norm_")
def _():
    p = nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([p], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    for _ in range(5):
        opt.zero_grad()
        (p ** 2).sum().backward()
        total = torch.nn.utils.clip_grad_norm_([p], max_norm=1.0)
        assert abs(p.grad.norm().item() - 1.0) < 1e-5 and total.item() > 1
        opt.step()
        sched.step()
    assert abs(sched.get_last_lr()[0] - 0.05) < 1e-9
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    plateau.step(1.0)
    plateau.step(2.0)
    assert opt.param_groups[0]["lr"] < 0.05


@check("attention: scaled_dot_product_attention / MultiheadAttention")
def _():
    q = torch.randn(2, 4, 8)
    out = F.scaled_dot_product_attention(q, q, q)
    ref = torch.softmax(q @ q.transpose(-2, -1) / 8 ** 0.5, dim=-1) @ q
    close(out, ref.detach().numpy(), 1e-4)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    o, w = mha(q, q, q)
    assert o.shape == (2, 4, 8) and w.shape == (2, 4, 4)


@check("recurrent: nn.LSTM / nn.GRU / nn.RNN")
def _():
    lstm = nn.LSTM(input_size=3, hidden_size=5, batch_first=True)
    out, (h, c) = lstm(torch.randn(2, 7, 3))
    assert out.shape == (2, 7, 5) and h.shape == (1, 2, 5)


@check("inference_mode/no_grad decorator/set_printoptions")
def _():
    @torch.no_grad()
    def f(x):
        return x * 2
    assert not f(torch.ones(1, requires_grad=True)).requires_grad
    with torch.inference_mode():
        assert not (torch.ones(1, requires_grad=True) * 2).requires_grad
    torch.set_printoptions(precision=3)
    torch.set_printoptions(profile="default")


@check("random: randperm/multinomial/Generator/bernoulli")
def _():
    assert sorted(torch.randperm(5).tolist()) == [0, 1, 2, 3, 4]
    g = torch.Generator().manual_seed(3)
    a = torch.rand(3, generator=g)
    g.manual_seed(3)
    assert torch.equal(a, torch.rand(3, generator=g))
    assert torch.multinomial(torch.tensor([0.0, 1.0]), 2, replacement=True).tolist() == [1, 1]
    assert torch.bernoulli(torch.ones(3)).tolist() == [1, 1, 1]


if failures:
    print(f"{len(failures)} failed: {', '.join(failures)}")
    sys.exit(1)
print("all API checks passed")
