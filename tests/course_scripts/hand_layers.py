"""CS231n-style homework: hand-written forward/backward passes checked against autograd.

Stated result: Linear, ReLU, BatchNorm (train mode), 2x2 max pooling, softmax cross-entropy and
a custom MyReLU autograd.Function all match autograd / nn.functional to 1e-5.
"""
import torch
import torch.nn.functional as F

torch.manual_seed(0)


def rel_error(x, y):
    return ((x - y).abs().max() / (x.abs() + y.abs()).clamp(min=1e-8).max()).item()


def linear_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def linear_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.t()).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).t() @ dout
    db = dout.sum(dim=0)
    return dx, dw, db


def relu_forward(x):
    return x.clamp(min=0), x


def relu_backward(dout, x):
    return dout * (x > 0)


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(dim=0)
    var = x.var(dim=0, unbiased=False)
    xhat = (x - mu) / torch.sqrt(var + eps)
    return gamma * xhat + beta, (xhat, gamma, var, eps)


def batchnorm_backward(dout, cache):
    xhat, gamma, var, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(0)
    dgamma = (dout * xhat).sum(0)
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0)) / (N * torch.sqrt(var + eps))
    return dx, dgamma, dbeta


def maxpool_forward(x):
    N, C, H, W = x.shape
    windows = x.reshape(N, C, H // 2, 2, W // 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(N, C, H // 2, W // 2, 4)
    out, idx = windows.max(dim=-1)
    return out, (x.shape, idx)


def maxpool_backward(dout, cache):
    (N, C, H, W), idx = cache
    dwin = torch.zeros(N, C, H // 2, W // 2, 4, dtype=dout.dtype)
    dwin.scatter_(-1, idx.unsqueeze(-1), dout.unsqueeze(-1))
    return dwin.reshape(N, C, H // 2, W // 2, 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(N, C, H, W)


def softmax_loss(scores, y):
    shifted = scores - scores.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    N = scores.shape[0]
    loss = -log_probs[torch.arange(N), y].mean()
    dscores = log_probs.exp()
    dscores[torch.arange(N), y] -= 1
    return loss, dscores / N


# Linear + ReLU, float64 like the assignment's numeric checks
x = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
w = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
b = torch.randn(5, dtype=torch.float64, requires_grad=True)
out, cache = linear_forward(x, w, b)
h, rcache = relu_forward(out)
dout = torch.randn_like(h)
h.backward(dout)
with torch.no_grad():
    dx, dw, db = linear_backward(relu_backward(dout, rcache), cache)
for name, mine, auto in (("dx", dx, x.grad), ("dw", dw, w.grad), ("db", db, b.grad)):
    assert mine.dtype == torch.float64 and mine.shape == auto.shape, name
    assert rel_error(mine, auto) < 1e-10, (name, rel_error(mine, auto))
assert torch.allclose(F.linear(x.reshape(4, 6), w.t(), b), out)

# BatchNorm against F.batch_norm in training mode
x = torch.randn(16, 5, requires_grad=True)
gamma = torch.rand(5, requires_grad=True)
beta = torch.randn(5, requires_grad=True)
out, cache = batchnorm_forward(x, gamma, beta)
running_mean, running_var = torch.zeros(5), torch.ones(5)
ref = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum=0.1, eps=1e-5)
assert torch.allclose(out, ref, atol=1e-5)
assert torch.allclose(running_mean, 0.1 * x.detach().mean(0), atol=1e-6)
assert torch.allclose(running_var, 0.9 + 0.1 * x.detach().var(0), atol=1e-5)  # unbiased in running stats
dout = torch.randn(16, 5)
ref.backward(dout)
with torch.no_grad():
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
assert rel_error(dx, x.grad) < 1e-5 and rel_error(dgamma, gamma.grad) < 1e-5 and rel_error(dbeta, beta.grad) < 1e-5

# max pooling against F.max_pool2d
x = torch.randn(2, 3, 4, 6, requires_grad=True)
out, cache = maxpool_forward(x.detach())
ref = F.max_pool2d(x, kernel_size=2, stride=2)
assert ref.shape == (2, 3, 2, 3) and torch.equal(out, ref.detach())
dout = torch.randn_like(ref)
ref.backward(dout)
assert torch.allclose(maxpool_backward(dout, cache), x.grad)
assert x.grad.ne(0).sum().item() == out.numel()

# softmax loss against F.cross_entropy
scores = torch.randn(8, 10, requires_grad=True)
y = torch.randint(0, 10, (8,))
loss, dscores = softmax_loss(scores.detach(), y)
ref = F.cross_entropy(scores, y)
ref.backward()
assert abs(loss.item() - ref.item()) < 1e-5 and rel_error(dscores, scores.grad) < 1e-5


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


x = torch.randn(5, 7, requires_grad=True)
x2 = x.detach().clone().requires_grad_(True)
MyReLU.apply(x).sum().backward()
F.relu(x2).sum().backward()
assert torch.equal(x.grad, x2.grad) and x.grad.dtype == torch.float32
xd = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
assert torch.autograd.gradcheck(MyReLU.apply, (xd,))

# a two-layer net: manual backprop equals loss.backward()
N, D_in, H, D_out = 16, 10, 8, 3
X = torch.randn(N, D_in)
Y = torch.randn(N, D_out)
w1 = torch.randn(D_in, H, requires_grad=True)
w2 = torch.randn(H, D_out, requires_grad=True)
h = X.mm(w1)
h_relu = h.clamp(min=0)
y_pred = h_relu.mm(w2)
loss = (y_pred - Y).pow(2).sum()
loss.backward()
with torch.no_grad():
    grad_y_pred = 2.0 * (y_pred - Y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h = grad_y_pred.mm(w2.t())
    grad_h[h < 0] = 0
    grad_w1 = X.t().mm(grad_h)
assert rel_error(grad_w1, w1.grad) < 1e-5 and rel_error(grad_w2, w2.grad) < 1e-5
print("RESULT ok")
