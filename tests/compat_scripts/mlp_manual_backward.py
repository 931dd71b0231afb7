"""A two-layer MLP with a hand-written backward pass, checked against autograd, then trained by hand.

Course-notebook style (the classic "PyTorch: Tensors and autograd" warm-up): forward with
mm/clamp, backward by the chain rule, compare with loss.backward(), then plain gradient
descent with manual updates under torch.no_grad(). Stated result: hand-written gradients
match autograd to 1e-4 (relative), and the squared-error loss falls by more than 90%.
"""
import argparse

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=300)
parser.add_argument("--lr", type=float, default=1e-3)
args = parser.parse_args()

torch.manual_seed(0)
dtype = torch.float
N, D_in, H, D_out = 64, 100, 50, 10
x = torch.randn(N, D_in, dtype=dtype)
y = torch.randn(N, D_out, dtype=dtype)
w1 = torch.randn(D_in, H, dtype=dtype, requires_grad=True)
w2 = torch.randn(H, D_out, dtype=dtype, requires_grad=True)
with torch.no_grad():
    w1.mul_(0.1)
    w2.mul_(0.1)


def manual_grads(x, w1, w2, y):
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)
    loss = (y_pred - y).pow(2).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h_relu = grad_y_pred.mm(w2.t())
    grad_h = grad_h_relu.clone()
    grad_h[h < 0] = 0
    grad_w1 = x.t().mm(grad_h)
    return loss, grad_w1, grad_w2


# 1. hand-written backward vs autograd
with torch.no_grad():
    loss_m, g1, g2 = manual_grads(x, w1, w2, y)
loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
loss.backward()
for name, mine, auto in [("w1", g1, w1.grad), ("w2", g2, w2.grad)]:
    rel = (mine - auto).norm() / auto.norm()
    print(f"grad {name}: relative difference to autograd {rel.item():.2e}")
    assert rel.item() < 1e-4, name
    assert torch.allclose(mine, auto, rtol=1e-4, atol=1e-4)
assert abs(loss_m.item() - loss.item()) <= 1e-4 * abs(loss.item())

# 2. train with the hand-written gradients
first = None
for t in range(args.steps):
    with torch.no_grad():
        loss, grad_w1, grad_w2 = manual_grads(x, w1, w2, y)
        w1 -= args.lr * grad_w1
        w2 -= args.lr * grad_w2
    if first is None:
        first = loss.item()
    if t % 100 == 99:
        print(t, loss.item())
w1.grad.zero_()
print(f"loss {first:.2f} -> {loss.item():.2f}")
assert loss.item() < 0.1 * first, (first, loss.item())
print("RESULT ok")
