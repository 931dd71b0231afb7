"""'Learning PyTorch with Examples': fit sin(x) with a cubic, four ways.

Stated result: manual gradients, autograd, nn + optim and a custom autograd.Function each reach
a loss below the stated bound, and the manual and autograd gradients agree to 1e-5.
"""
import math

import torch

torch.manual_seed(0)
dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

# 1. tensors and hand-written gradients
a, b, c, d = (torch.randn((), dtype=dtype) for _ in range(4))
learning_rate = 1e-6
for t in range(1000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum().item()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()
    a -= learning_rate * grad_a
    b -= learning_rate * grad_b
    c -= learning_rate * grad_c
    d -= learning_rate * grad_d
assert isinstance(loss, float) and loss < 300, loss
grad_y_pred = 2.0 * (a + b * x + c * x ** 2 + d * x ** 3 - y)
manual = torch.stack([grad_y_pred.sum(), (grad_y_pred * x).sum(), (grad_y_pred * x ** 2).sum(),
                      (grad_y_pred * x ** 3).sum()])

# 2. the same step with autograd: gradients must equal the hand-written ones
pa, pb, pc, pd = (v.clone().requires_grad_(True) for v in (a, b, c, d))
y_pred = pa + pb * x + pc * x ** 2 + pd * x ** 3
(y_pred - y).pow(2).sum().backward()
auto = torch.stack([pa.grad, pb.grad, pc.grad, pd.grad])
assert torch.allclose(manual, auto, rtol=1e-5, atol=1e-3), (manual, auto)
assert pa.grad.shape == () and pa.is_leaf and not y_pred.is_leaf

a = torch.randn((), dtype=dtype, requires_grad=True)
b = torch.randn((), dtype=dtype, requires_grad=True)
c = torch.randn((), dtype=dtype, requires_grad=True)
d = torch.randn((), dtype=dtype, requires_grad=True)
for t in range(1000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
assert loss.item() < 300 and loss.requires_grad and loss.grad_fn is not None

# 3. nn.Sequential + optim.RMSprop
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
assert xx.shape == (2000, 3) and xx.dtype == torch.float32
model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
loss_fn = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
for t in range(500):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
assert y_pred.shape == (2000,) and loss.item() < 1000, loss.item()
linear_layer = model[0]
assert linear_layer.weight.shape == (1, 3) and linear_layer.bias.shape == (1,)
print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x')


# 4. a custom nn.Module and a custom autograd.Function
class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'


model = Polynomial3()
assert len(list(model.parameters())) == 4 and [n for n, _ in model.named_parameters()] == ['a', 'b', 'c', 'd']
criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
for t in range(1000):
    loss = criterion(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
assert loss.item() < 300, loss.item()
print(model.string())


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
learning_rate = 5e-6
first = None
for t in range(1000):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    first = loss.item() if first is None else first
    loss.backward()
    with torch.no_grad():
        for v in (a, b, c, d):
            v -= learning_rate * v.grad
            v.grad = None
assert loss.item() < first and loss.item() < 60, (first, loss.item())
xd = torch.randn(5, dtype=torch.double, requires_grad=True)
assert torch.autograd.gradcheck(LegendrePolynomial3.apply, (xd,), eps=1e-6, atol=1e-4)
print("RESULT ok")
