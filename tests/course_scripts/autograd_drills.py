"""Autograd drills: leaves, retain_grad, accumulation, hooks, no_grad/detach, torch.autograd.grad,
higher-order gradients, in-place updates of slices, and the errors students meet."""
import torch

torch.manual_seed(0)
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * x
z = y.sum()
assert x.is_leaf and not y.is_leaf and y.grad_fn is not None and x.grad_fn is None
y.retain_grad()
z.backward()
assert x.grad.tolist() == [2.0, 4.0, 6.0] and y.grad.tolist() == [1.0, 1.0, 1.0]
(x * 3).sum().backward()  # gradients accumulate
assert x.grad.tolist() == [5.0, 7.0, 9.0]
x.grad.zero_()
assert x.grad.tolist() == [0.0, 0.0, 0.0]

# backward through a non-scalar output needs a gradient argument
out = x * 2
try:
    out.backward()
    raise AssertionError("non-scalar backward must fail")
except RuntimeError as e:
    assert "grad can be implicitly created only for scalar outputs" in str(e)
out.backward(torch.tensor([1.0, 0.1, 0.01]))
assert torch.allclose(x.grad, torch.tensor([2.0, 0.2, 0.02]))

# a second backward through freed buffers fails; retain_graph keeps them
w = torch.randn(3, requires_grad=True)
loss = (w.exp() * x).sum()
loss.backward(retain_graph=True)
g1 = w.grad.clone()
loss.backward()
assert torch.allclose(w.grad, 2 * g1)
try:
    loss.backward()
    raise AssertionError("third backward must fail")
except RuntimeError as e:
    assert "backward through the graph a second time" in str(e)

# no_grad, detach, requires_grad flags
with torch.no_grad():
    u = x * 2
assert not u.requires_grad and u.grad_fn is None
assert not x.detach().requires_grad and x.detach().data_ptr() == x.data_ptr()
assert torch.is_grad_enabled()
with torch.set_grad_enabled(False):
    assert not (x * 2).requires_grad


@torch.no_grad()
def evaluate(t):
    return t * 2


assert not evaluate(x).requires_grad

# torch.autograd.grad leaves .grad alone
a = torch.tensor(2.0, requires_grad=True)
b = torch.tensor(1.0, requires_grad=True)
f = a ** 3 + a * b
df, dfb = torch.autograd.grad(f, (a, b))
assert df.item() == 13.0 and dfb.item() == 2.0 and a.grad is None and not df.requires_grad

# second derivatives: create_graph=True keeps the gradient differentiable
f = a ** 3 + a * b
(df,) = torch.autograd.grad(f, a, create_graph=True)      # 3a^2 + b = 13
(d2f,) = torch.autograd.grad(df, a, create_graph=True)    # 6a = 12
(d3f,) = torch.autograd.grad(d2f, a)                      # 6
assert (df.item(), d2f.item(), d3f.item()) == (13.0, 12.0, 6.0) and df.requires_grad
s = torch.linspace(-2, 2, 5, requires_grad=True)
(ds,) = torch.autograd.grad(torch.sin(s).sum(), s, create_graph=True)
ds.sum().backward()                                        # d/ds cos(s) = -sin(s)
assert torch.allclose(s.grad, -torch.sin(s.detach()), atol=1e-6)

# hooks
seen = []
h = x.register_hook(lambda g: seen.append(g.clone()) or g * 10)
x.grad = None
(x * 1.0).sum().backward()
assert x.grad.tolist() == [10.0, 10.0, 10.0] and seen[0].tolist() == [1.0, 1.0, 1.0]
h.remove()

# in-place update of a slice of a leaf under no_grad, and the error outside it
p = torch.zeros(4, requires_grad=True)
with torch.no_grad():
    p[1:3] += 1.0
    p[0] = 5.0
assert p.tolist() == [5.0, 1.0, 1.0, 0.0] and p.requires_grad and p.is_leaf
try:
    p[0] = 1.0
    raise AssertionError("in-place on a leaf requiring grad must fail")
except RuntimeError as e:
    assert "a leaf Variable that requires grad" in str(e)
try:
    p.numpy()
    raise AssertionError("numpy() on a tensor requiring grad must fail")
except RuntimeError as e:
    assert "detach" in str(e)
assert p.detach().numpy().tolist() == [5.0, 1.0, 1.0, 0.0]

# modifying a saved tensor in place is caught at backward
q = torch.randn(3, requires_grad=True)
s = q.sigmoid()
r = s * 2
s.mul_(2)
try:
    r.sum().backward()
    s.sum().backward()
    raise AssertionError("version check must fail")
except RuntimeError as e:
    assert "modified by an inplace operation" in str(e)

# gradient of an indexing expression and of a masked reduction
v = torch.arange(6.0).view(2, 3).requires_grad_()
(v[:, 1].sum() + v[v > 3].sum() * 2).backward()
assert v.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 3.0, 2.0]]

# grads of max, where, clamp and abs follow PyTorch's conventions at ties / boundaries
m = torch.tensor([1.0, 3.0, 3.0], requires_grad=True)
m.max().backward()
assert m.grad.tolist() == [0.0, 0.5, 0.5]
c = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
(c.clamp(min=0).sum() + c.abs().sum() + torch.where(c > 0, c, torch.zeros_like(c)).sum()).backward()
assert c.grad.tolist() == [-1.0, 1.0, 3.0]
print("RESULT ok")
