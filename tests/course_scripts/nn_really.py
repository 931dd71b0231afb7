"""'What is torch.nn really?': MNIST logistic regression, refactored step by step.

Stated result: each stage lowers the loss on a 2,000-image training subset, and the final
model reaches accuracy > 0.80 on 1,000 held-out images.
"""
import argparse
import gzip
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--data", default=os.environ.get("NUMTORCH_DATA", "../data"))
args = parser.parse_args()


def read_idx(name, offset):
    with gzip.open(os.path.join(args.data, "mnist", name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


images = read_idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784)[:3000].astype(np.float32) / 255.0
labels = read_idx("train-labels-idx1-ubyte.gz", 8)[:3000].astype(np.int64)
x_train, y_train, x_valid, y_valid = map(torch.tensor, (images[:2000], labels[:2000], images[2000:], labels[2000:]))
n, c = x_train.shape
assert (n, c) == (2000, 784) and x_train.dtype == torch.float32 and y_train.dtype == torch.int64
assert y_train.min() == 0 and y_train.max() == 9

torch.manual_seed(0)
weights = torch.randn(784, 10) / math.sqrt(784)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)
assert weights.is_leaf and weights.requires_grad


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


bs = 64
xb, yb = x_train[0:bs], y_train[0:bs]
preds = model(xb)
assert preds.shape == (64, 10) and preds.grad_fn is not None
assert torch.allclose(preds.exp().sum(1), torch.ones(64), atol=1e-5)
loss_func = nll
start_loss = loss_func(preds, yb).item()
assert 1.5 < start_loss < 4.0, start_loss
assert torch.allclose(F.log_softmax(xb @ weights + bias, dim=1), preds, atol=1e-5)

lr, epochs = 0.5, 2
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
stage1 = loss_func(model(x_train), y_train).item()
assert stage1 < start_loss and accuracy(model(x_valid), y_valid).item() > 0.8, stage1
assert torch.all(weights.grad == 0) and weights.grad.shape == (784, 10)

# refactor: F.cross_entropy
loss_func = F.cross_entropy
assert abs(loss_func(xb @ weights + bias, yb).item() - nll(model(xb), yb).item()) < 1e-5


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def get_model():
    model = Mnist_Logistic()
    return model, optim.SGD(model.parameters(), lr=lr)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
    return val_loss


model, opt = get_model()
first = loss_func(model(x_valid), y_valid).item()
train_ds = TensorDataset(x_train, y_train)
valid_ds = TensorDataset(x_valid, y_valid)
assert len(train_ds) == 2000 and train_ds[0][0].shape == (784,) and train_ds[3][1].dim() == 0
train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)
valid_dl = DataLoader(valid_ds, batch_size=bs * 2)
assert len(train_dl) == 32 and len(valid_dl) == 8
val_loss = fit(epochs, model, loss_func, opt, train_dl, valid_dl)
assert val_loss < first and val_loss < 0.7, (first, val_loss)

# nn.Sequential with a Lambda-free view via nn.Flatten and a small MLP
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
val_loss = fit(epochs, model, loss_func, opt, train_dl, valid_dl)
with torch.no_grad():
    acc = accuracy(model(x_valid), y_valid).item()
print(f"validation loss {val_loss:.3f} accuracy {acc:.3f}")
assert isinstance(val_loss, float) and acc > 0.8, (val_loss, acc)
print("RESULT ok")
