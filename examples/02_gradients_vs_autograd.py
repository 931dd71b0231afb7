# %% [markdown]
# # Gradients by hand against autograd
#
# A two-layer network `x -> Linear -> ReLU -> Linear -> softmax cross-entropy`, its gradients
# derived by hand, compared with `loss.backward()`, and both checked with
# `numtorch.autograd.gradcheck` (float64 central differences).

# %%
import os
import sys

import numtorch as torch
import numtorch.nn.functional as F

QUICK = os.environ.get("NUMTORCH_QUICK") == "1" or "--quick" in sys.argv
torch.manual_seed(0)
N, D, H, C = (8, 10, 16, 5) if QUICK else (64, 100, 50, 10)

x = torch.randn(N, D, dtype=torch.float64)
y = torch.randint(0, C, (N,))
W1 = (torch.randn(D, H, dtype=torch.float64) * 0.1).requires_grad_()
b1 = torch.zeros(H, dtype=torch.float64, requires_grad=True)
W2 = (torch.randn(H, C, dtype=torch.float64) * 0.1).requires_grad_()
b2 = torch.zeros(C, dtype=torch.float64, requires_grad=True)

# %% [markdown]
# ## Forward and the hand-written backward

# %%
h = x @ W1 + b1                         # (N, H)
a = h.clamp(min=0)                      # ReLU
scores = a @ W2 + b2                    # (N, C)
loss = F.cross_entropy(scores, y)

with torch.no_grad():
    p = torch.softmax(scores, dim=1)    # d loss / d scores = (softmax - onehot) / N
    dscores = p.clone()
    dscores[torch.arange(N), y] -= 1
    dscores /= N
    dW2 = a.t() @ dscores
    db2 = dscores.sum(0)
    da = dscores @ W2.t()
    dh = da * (h > 0)
    dW1 = x.t() @ dh
    db1 = dh.sum(0)

loss.backward()
for name, mine, auto in [("W1", dW1, W1.grad), ("b1", db1, b1.grad), ("W2", dW2, W2.grad), ("b2", db2, b2.grad)]:
    err = ((mine - auto).abs().max() / auto.abs().max().clamp(min=1e-12)).item()
    print(f"d{name}: max relative difference to autograd {err:.1e}")
    assert err < 1e-10

# %% [markdown]
# ## gradcheck: autograd against central differences

# %%
def net(x, W1, b1, W2, b2):
    return F.cross_entropy(torch.relu(x @ W1 + b1) @ W2 + b2, y)


xs = x[:4].clone().requires_grad_()
y = y[:4]
assert torch.autograd.gradcheck(net, (xs, W1, b1, W2, b2))
print("gradcheck passed")

# %% [markdown]
# ## Second derivatives: `create_graph=True`
#
# With `create_graph=True` the gradient is itself part of a graph, so it can be differentiated again:
# curvature along a direction (a Hessian-vector product) without ever forming the Hessian, checked here
# against the full Hessian from `torch.autograd.functional.hessian`.

# %%
def loss_of(W2_):
    return F.cross_entropy(torch.relu(xs.detach() @ W1.detach() + b1.detach()) @ W2_ + b2.detach(), y)


W = W2.detach().clone().requires_grad_()
v = torch.randn_like(W)
(g,) = torch.autograd.grad(loss_of(W), W, create_graph=True)
(hv,) = torch.autograd.grad((g * v).sum(), W)              # H v in two backward passes
hess = torch.autograd.functional.hessian(loss_of, W)       # shape W.shape + W.shape
hv_full = (hess.reshape(W.numel(), W.numel()) @ v.reshape(-1)).reshape(W.shape)
err = ((hv - hv_full).abs().max() / hv_full.abs().max()).item()
print(f"Hessian-vector product vs full Hessian: max relative difference {err:.1e}")
assert err < 1e-10
