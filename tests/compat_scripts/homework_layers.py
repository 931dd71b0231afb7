"""Homework-style NumPy layers (forward caches, backward returns dx and stores dW/db), right and wrong.

Used by tests/test_testing_check_layer.py and the `numtorch check` CLI test; the wrong ones
carry the typical mistakes check_layer must catch and name.
"""
import numpy as np


class Affine:
    """out = x @ W + b; x (N, D), W (D, M), b (M,)."""

    def __init__(self, D=5, M=3, seed=0):
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((D, M)) * 0.5
        self.b = rng.standard_normal(M) * 0.1

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(0)
        return dout @ self.W.T


class AffineTransposedGrad(Affine):
    """Mistake: dW computed as dout.T @ x (the transpose of the right gradient)."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = dout.T @ self.x
        return dx


class AffineSquareTransposed(AffineTransposedGrad):
    def __init__(self, D=4, seed=0):
        super().__init__(D, D, seed)


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class BatchNorm:
    """Training-mode batch norm over axis 0 of (N, D), with params dict/grads dict (CS231n style)."""

    def __init__(self, D=4, eps=1e-5, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"gamma": 1 + 0.1 * rng.standard_normal(D), "beta": 0.1 * rng.standard_normal(D)}
        self.grads = {}
        self.eps = eps

    def forward(self, x):
        mu = x.mean(0)
        var = x.var(0)
        self.std = np.sqrt(var + self.eps)
        self.xhat = (x - mu) / self.std
        return self.params["gamma"] * self.xhat + self.params["beta"]

    def backward(self, dout):
        self.grads["gamma"] = (dout * self.xhat).sum(0)
        self.grads["beta"] = dout.sum(0)
        dxhat = dout * self.params["gamma"]
        return (dxhat - dxhat.mean(0) - self.xhat * (dxhat * self.xhat).mean(0)) / self.std


class BatchNormNoStatsGrad(BatchNorm):
    """Mistake: treats the batch mean and variance as constants in backward."""

    def backward(self, dout):
        super().backward(dout)
        return dout * self.params["gamma"] / self.std


class MaxPool2x2:
    """2x2 max pooling with stride 2 on (N, C, H, W), H and W even."""

    def forward(self, x):
        N, C, H, W = x.shape
        self.x = x
        win = x.reshape(N, C, H // 2, 2, W // 2, 2)
        out = win.max(axis=(3, 5))
        self.mask = win == out[:, :, :, None, :, None]
        return out

    def backward(self, dout):
        N, C, H, W = self.x.shape
        g = self.mask * dout[:, :, :, None, :, None]
        return g.reshape(N, C, H, W)


class MaxPoolWrongRouting(MaxPool2x2):
    """Mistake: sends each window's gradient to its top-left element instead of its maximum."""

    def backward(self, dout):
        N, C, H, W = self.x.shape
        g = np.zeros((N, C, H // 2, 2, W // 2, 2))
        g[:, :, :, 0, :, 0] = dout
        return g.reshape(N, C, H, W)


class Conv3x3:
    """3x3 convolution, stride 1, padding 1: x (N, C, H, W) -> (N, F, H, W)."""

    def __init__(self, C=2, F=3, seed=0):
        rng = np.random.default_rng(seed)
        self.w = rng.standard_normal((F, C, 3, 3)) * 0.3
        self.b = rng.standard_normal(F) * 0.1

    def _cols(self, x):
        N, C, H, W = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        return np.stack([xp[:, :, i:i + H, j:j + W] for i in range(3) for j in range(3)], axis=2)  # N,C,9,H,W

    def forward(self, x):
        self.x = x
        self.cols = self._cols(x)
        return np.einsum("nckhw,fck->nfhw", self.cols, self.w.reshape(self.w.shape[0], -1, 9)) \
            + self.b[None, :, None, None]

    def backward(self, dout):
        N, C, H, W = self.x.shape
        F = self.w.shape[0]
        self.dw = np.einsum("nckhw,nfhw->fck", self.cols, dout).reshape(self.w.shape)
        self.db = dout.sum((0, 2, 3))
        dcols = np.einsum("nfhw,fck->nckhw", dout, self.w.reshape(F, C, 9))
        dxp = np.zeros((N, C, H + 2, W + 2))
        for k in range(9):
            i, j = divmod(k, 3)
            dxp[:, :, i:i + H, j:j + W] += dcols[:, :, k]
        return dxp[:, :, 1:-1, 1:-1]


class Dropout:
    """Inverted dropout drawing its mask from np.random (check_layer reseeds before each forward)."""

    def __init__(self, p=0.5):
        self.p = p

    def forward(self, x):
        self.mask = (np.random.rand(*x.shape) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(0)


class SoftmaxLoss:
    """A loss layer: forward(scores, y) -> scalar mean cross-entropy; backward() -> dscores."""

    def forward(self, scores, y):
        shifted = scores - scores.max(1, keepdims=True)
        self.p = np.exp(shifted) / np.exp(shifted).sum(1, keepdims=True)
        self.y = y
        return -np.log(self.p[np.arange(len(y)), y]).mean()

    def backward(self):
        d = self.p.copy()
        d[np.arange(len(self.y)), self.y] -= 1
        return d / len(self.y)


class Float32Affine(Affine):
    """Mistake for the float64 check: casts its output to float32."""

    def forward(self, x):
        return super().forward(x).astype(np.float32)
