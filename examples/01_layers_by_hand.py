# %% [markdown]
# # Layers by hand, with their checks
#
# Course-style layers in plain NumPy: `forward(x)` computes the output and caches what backward
# needs; `backward(dout)` returns `dx` and stores the parameter gradients (`dW`, `db`).
# `numtorch.testing.check_layer` compares every gradient with float64 central differences (and
# with numtorch autograd when given a reference) and prints a report. Wrong layers are caught
# and the report names the wrong gradient, with a hint at the mistake.
#
# Run: `python examples/01_layers_by_hand.py [--quick]` (also opens as a notebook with jupytext).

# %%
import os
import sys

import numpy as np

import numtorch
from numtorch.testing import check_layer

QUICK = os.environ.get("NUMTORCH_QUICK") == "1" or "--quick" in sys.argv
rng = np.random.default_rng(0)


# %% [markdown]
# ## An affine layer: out = x W + b

# %%
class Affine:
    def __init__(self, D, M):
        self.W = rng.standard_normal((D, M)) * 0.1   # (D, M)
        self.b = np.zeros(M)                          # (M,)

    def forward(self, x):                             # x: (N, D) -> (N, M)
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):                         # dout: (N, M) -> dx: (N, D)
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


report = check_layer(Affine(5, 3), rng.standard_normal((4, 5)), params={"W": "dW", "b": "db"},
                     reference=lambda x, W, b: x @ W + b)
print(report)
assert report.passed


# %% [markdown]
# ## Batch normalisation (training mode)
# The backward must follow the gradient through the batch mean and variance too.

# %%
class BatchNorm:
    def __init__(self, D, eps=1e-5):
        self.gamma, self.beta, self.eps = np.ones(D), np.zeros(D), eps

    def forward(self, x):                             # x: (N, D) -> (N, D)
        self.std = np.sqrt(x.var(axis=0) + self.eps)
        self.xhat = (x - x.mean(axis=0)) / self.std
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma = (dout * self.xhat).sum(axis=0)
        self.dbeta = dout.sum(axis=0)
        dxhat = dout * self.gamma
        return (dxhat - dxhat.mean(0) - self.xhat * (dxhat * self.xhat).mean(0)) / self.std


class BatchNormWrong(BatchNorm):
    def backward(self, dout):                         # the classic mistake: mean and variance as constants
        super().backward(dout)
        return dout * self.gamma / self.std


x = rng.standard_normal((8, 4)) * 2 + 1
print(check_layer(BatchNorm(4), x))
wrong = check_layer(BatchNormWrong(4), x)
print(wrong)
assert wrong.failed == ["dx"] and "mean and the variance" in wrong["dx"].hint


# %% [markdown]
# ## 2x2 max pooling: the gradient goes to the maximum of each window

# %%
class MaxPool:
    def forward(self, x):                             # x: (N, C, H, W) -> (N, C, H/2, W/2)
        N, C, H, W = x.shape
        win = x.reshape(N, C, H // 2, 2, W // 2, 2)
        out = win.max(axis=(3, 5))
        self.shape, self.mask = x.shape, win == out[:, :, :, None, :, None]
        return out

    def backward(self, dout):
        return (self.mask * dout[:, :, :, None, :, None]).reshape(self.shape)


class MaxPoolWrong(MaxPool):
    def backward(self, dout):                         # mistake: always the top-left element
        g = np.zeros(self.mask.shape)
        g[:, :, :, 0, :, 0] = dout
        return g.reshape(self.shape)


x = rng.standard_normal((2, 3, 4, 4))
print(check_layer(MaxPool(), x))
wrong = check_layer(MaxPoolWrong(), x)
print(wrong)
assert wrong.failed == ["dx"] and "wrong elements" in wrong["dx"].hint

# %% [markdown]
# ## The same check from the command line
# `numtorch check examples/01_layers_by_hand.py:Affine --input 4,5 --kwargs '{"D": 5, "M": 3}'`
# builds the layer, feeds random inputs of the given shapes and prints the same report.
