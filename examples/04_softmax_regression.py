# %% [markdown]
# # Softmax regression from scratch, and the double-softmax mistake
#
# Part 1 builds softmax regression by hand (softmax, cross-entropy, SGD) on Fashion-MNIST.
# Part 2 shows a classic bug: applying `softmax` in the model *and* using `F.cross_entropy`,
# which applies `log_softmax` itself. numtorch warns about it, and the numbers show the harm:
# the loss can no longer go below ~1.46 and gradients shrink.

# %%
import os
import sys
import warnings
from pathlib import Path

import numtorch as torch
import numtorch.nn.functional as F
from numtorch.utils.data import DataLoader, Subset
from numtorch.vision import datasets, transforms

QUICK = os.environ.get("NUMTORCH_QUICK") == "1" or "--quick" in sys.argv
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # running as a notebook: the working directory is examples/
    HERE = Path.cwd().resolve()
DATA = os.environ.get("NUMTORCH_DATA") or str(HERE.parent.parent / "shared" / "data")
torch.manual_seed(0)
train = datasets.FashionMNIST(DATA, train=True, transform=transforms.ToTensor())
test = datasets.FashionMNIST(DATA, train=False, transform=transforms.ToTensor())
n_train, n_test = (4000, 1000) if QUICK else (60000, 10000)
train_iter = DataLoader(Subset(train, range(n_train)), batch_size=256, shuffle=True)
test_iter = DataLoader(Subset(test, range(n_test)), batch_size=1000)

# %% [markdown]
# ## Part 1: by hand

# %%
W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
b = torch.zeros(10, requires_grad=True)


def softmax(X):                                   # X: (N, C) -> rows summing to 1
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(dim=1, keepdim=True)


def net(X):                                       # X: (N, 1, 28, 28) -> (N, 10) probabilities
    return softmax(X.reshape(-1, 784) @ W + b)


def cross_entropy(y_hat, y):                      # mean of -log p[y]
    return -torch.log(y_hat[torch.arange(len(y_hat)), y]).mean()


def accuracy(model):
    with torch.no_grad():
        right = sum((model(X).argmax(dim=1) == y).sum().item() for X, y in test_iter)
    return right / n_test


lr = 0.2
for epoch in range(2 if QUICK else 5):
    for X, y in train_iter:
        loss = cross_entropy(net(X), y)
        loss.backward()
        with torch.no_grad():
            W -= lr * W.grad
            b -= lr * b.grad
            W.grad.zero_()
            b.grad.zero_()
    print(f"epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {accuracy(net):.3f}")
acc_scratch = accuracy(net)
assert acc_scratch > 0.7

# %% [markdown]
# ## Part 2: softmax twice
# `F.cross_entropy` expects logits. Feeding it probabilities squashes every input into [0, 1]:
# the best achievable loss is `-log(e / (e + 9)) ~ 1.46` and learning slows down.

# %%
def train_linear(double_softmax: bool, steps: int):
    torch.manual_seed(0)
    model = torch.nn.Linear(784, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    it = iter(train_iter)
    for _ in range(steps):
        try:
            X, y = next(it)
        except StopIteration:
            it = iter(train_iter)
            X, y = next(it)
        out = model(X.reshape(-1, 784))
        if double_softmax:
            out = torch.softmax(out, dim=1)       # the mistake
        loss = F.cross_entropy(out, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item(), accuracy(lambda X: model(X.reshape(-1, 784)))


steps = 60 if QUICK else 300
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    bad_loss, bad_acc = train_linear(True, steps)
good_loss, good_acc = train_linear(False, steps)
print(f"logits:        loss {good_loss:.3f}, accuracy {good_acc:.3f}")
print(f"double softmax: loss {bad_loss:.3f}, accuracy {bad_acc:.3f}  (loss floor ~1.46)")
for w in {str(w.message) for w in caught}:
    print("warning:", w)
assert bad_loss > 1.4 and good_loss < bad_loss and good_acc > bad_acc
assert any("logits" in str(w.message) for w in caught), "no double-softmax warning"
