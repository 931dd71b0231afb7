"""The six workloads, written once against PyTorch's API and run with ``T = torch`` or ``T = numtorch``.

Each workload's ``make(T, units)`` does the untimed set-up (model, optimizer,
data already in memory) and returns ``run(units)``, which performs that many
units of work (batches, steps, iterations): the harness calls it once with a
few units to warm up, then times full runs.

FLOPs are counted analytically from the layer shapes (2 per multiply-add of
the Linear/Conv layers; elementwise work is not counted). Training counts the
forward pass, every weight gradient, and the input gradients of all layers but
the first (whose input needs no gradient).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np

from . import data as mnist_data

SEED = 0
LR, MOMENTUM = 0.01, 0.9


# ---------------------------------------------------------------- FLOP counting
def _linear(n_in: int, n_out: int) -> int:
    return n_in * n_out


def _conv(c_in: int, c_out: int, k: int, h_out: int, w_out: int) -> int:
    return c_in * c_out * k * k * h_out * w_out


MLP_MACS = [_linear(784, 128), _linear(128, 10)]
SMALL_CNN_MACS = [_conv(1, 16, 3, 28, 28), _conv(16, 32, 3, 14, 14), _linear(32 * 7 * 7, 10)]
CLASSIC_CNN_MACS = [_conv(1, 32, 3, 26, 26), _conv(32, 64, 3, 24, 24), _linear(9216, 128), _linear(128, 10)]


def train_flops_per_sample(macs: List[int]) -> int:
    """Forward + weight gradients + input gradients (all layers but the first)."""
    return 2 * (sum(macs) + sum(macs) + sum(macs[1:]))


def infer_flops_per_sample(macs: List[int]) -> int:
    return 2 * sum(macs)


# ---------------------------------------------------------------- models (PyTorch's API)
def mlp(T):
    nn = T.nn
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def small_cnn(T):
    """Conv 1->16 3x3, ReLU, pool 2, Conv 16->32 3x3, ReLU, pool 2, Linear 1568->10 (padding 1)."""
    nn = T.nn

    class SmallCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(32 * 7 * 7, 10)

        def forward(self, x):
            x = self.pool(self.relu(self.conv1(x)))
            x = self.pool(self.relu(self.conv2(x)))
            return self.fc(x.reshape(x.shape[0], -1))

    return SmallCNN()


def classic_cnn(T):
    """The pytorch/examples MNIST network: conv 32, conv 64, pool, dropout, 9216->128->10."""
    nn = T.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)
            self.relu = nn.ReLU()
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            x = self.relu(self.conv1(x))
            x = self.pool(self.relu(self.conv2(x)))
            x = self.dropout1(x)
            x = x.reshape(x.shape[0], -1)
            x = self.dropout2(self.relu(self.fc1(x)))
            return self.fc2(x)

    return Net()


MODELS = {"mlp": (mlp, MLP_MACS), "small_cnn": (small_cnn, SMALL_CNN_MACS), "classic_cnn": (classic_cnn, CLASSIC_CNN_MACS)}


# ---------------------------------------------------------------- workload makers
def _train(model_name: str, batch: int, flat: bool):
    def make(T, units: int, quick: bool = False) -> Callable[[int], int]:
        T.manual_seed(SEED)
        model = MODELS[model_name][0](T)
        model.train()
        opt = T.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        loss_fn = T.nn.CrossEntropyLoss()
        x, y, _ = mnist_data.mnist(train=True, n=min(60000, units * batch))
        if flat:
            x = x.reshape(len(x), 784)
        X, Y = T.from_numpy(x), T.from_numpy(y)
        n = len(y)
        starts = [(i * batch) % n for i in range(max(units, 1))]

        def run(k: int) -> int:
            items = 0
            for s in starts[:k]:
                xb, yb = X[s:s + batch], Y[s:s + batch]
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
                items += len(yb)
            float(loss.item())
            return items
        return run
    return make


def _mlp_floor(batch: int):
    """The MLP workload with PyTorch on one side and, on numtorch's side, the same step in bare NumPy (no
    framework: hand-written forward, backward and SGD update, in place where possible). numtorch's time can
    not go below this floor, so its ratio against PyTorch is the best any NumPy framework could show."""
    torch_side = _train("mlp", batch, True)

    def make(T, units: int, quick: bool = False) -> Callable[[int], int]:
        if T.__name__ == "torch":
            return torch_side(T, units, quick)
        T.manual_seed(SEED)
        params = [p.detach().numpy().copy() for p in MODELS["mlp"][0](T).parameters()]  # numtorch's init
        w1, b1, w2, b2 = params
        bufs = [np.zeros_like(p) for p in params]
        x, y, _ = mnist_data.mnist(train=True, n=min(60000, units * batch))
        x = x.reshape(len(x), 784)
        n = len(y)
        starts = [(i * batch) % n for i in range(max(units, 1))]

        def step(xb, yb):
            rows = np.arange(len(yb))
            h = xb @ w1.T
            h += b1
            a = np.maximum(h, 0)
            z = a @ w2.T
            z += b2
            z -= z.max(1, keepdims=True)
            e = np.exp(z)
            p = e / e.sum(1, keepdims=True)          # softmax; loss = -log p[rows, yb].mean()
            p[rows, yb] -= 1
            p /= len(yb)                             # dL/dz
            da = p @ w2
            da *= h > 0
            grads = (da.T @ xb, da.sum(0), p.T @ a, p.sum(0))
            for prm, buf, g in zip(params, bufs, grads):  # SGD with momentum, PyTorch's order
                buf *= MOMENTUM
                buf += g
                prm -= LR * buf

        def run(k: int) -> int:
            items = 0
            for s in starts[:k]:
                yb = y[s:s + batch]
                step(x[s:s + batch], yb)
                items += len(yb)
            return items
        return run
    return make


def _infer(model_name: str, batch_size: int):
    def make(T, units: int, quick: bool = False) -> Callable[[int], int]:
        T.manual_seed(SEED)
        model = MODELS[model_name][0](T)
        model.eval()
        batch = 100 if quick else batch_size  # --quick: smoke runs only
        x, _, _ = mnist_data.mnist(train=False, n=min(10000, units * batch))
        X = T.from_numpy(x)
        n = len(x)

        def run(k: int) -> int:
            items = 0
            with T.no_grad():
                for i in range(k):
                    s = (i * batch) % n
                    xb = X[s:s + batch]
                    int(model(xb).argmax(1).sum().item())
                    items += len(xb)
            return items
        return run
    return make


def _torch_mnist_dataset(T, images: np.ndarray, labels: np.ndarray):
    """The PyTorch side of workload 5: MNIST as uint8 tensors, ToTensor + Normalize done per item on tensors."""
    class TensorMNIST(T.utils.data.Dataset):
        def __init__(self):
            self.data = T.from_numpy(images)
            self.targets = T.from_numpy(labels)
            self.mean = T.tensor([mnist_data.MEAN]).view(1, 1, 1)
            self.std = T.tensor([mnist_data.STD]).view(1, 1, 1)

        def __len__(self):
            return len(self.data)

        def __getitem__(self, i):
            img = self.data[i].to(T.float32).div_(255).unsqueeze_(0)  # ToTensor: (1, 28, 28) in [0, 1]
            img = img.sub_(self.mean).div_(self.std)                   # Normalize
            return img, int(self.targets[i])
    return TensorMNIST()


def _numtorch_mnist_dataset(T, root: str):
    """The numtorch side of workload 5: numtorch.vision's MNIST with ToTensor + Normalize."""
    from numtorch.vision import datasets, transforms
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mnist_data.MEAN,), (mnist_data.STD,))])
    errors = []
    for r in (root, str(mnist_data.data_root())):  # numtorch's MNIST reads .../mnist/ under the given root
        try:
            return datasets.MNIST(r, train=True, download=False, transform=tf)
        except Exception as e:  # noqa: BLE001 - try the next layout
            errors.append(f"{r}: {type(e).__name__}: {e}")
    raise RuntimeError("numtorch.vision.datasets.MNIST could not read the data: " + "; ".join(errors))


def _dataloader(batch: int):
    def make(T, units: int, quick: bool = False) -> Callable[[int], int]:
        T.manual_seed(SEED)
        if T.__name__ == "torch":
            images, labels, _ = mnist_data.raw_mnist(train=True, n=units * batch if quick else None)
            ds = _torch_mnist_dataset(T, np.ascontiguousarray(images), labels)
        else:
            ds = _numtorch_mnist_dataset(T, str(mnist_data.data_root() / "mnist"))
        loader = T.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=0)

        def run(k: int) -> int:
            items = 0
            for i, (xb, yb) in enumerate(loader):
                items += len(yb)
                if i + 1 >= k:
                    break
            assert tuple(xb.shape[1:]) == (1, 28, 28) and xb.dtype == T.float32, (xb.shape, xb.dtype)
            return items
        return run
    return make


def _small_ops(size: int):
    def make(T, units: int, quick: bool = False) -> Callable[[int], int]:
        T.manual_seed(SEED)
        x = T.randn(size)
        w = T.randn(size, requires_grad=True)
        b = T.randn(size, requires_grad=True)

        def run(k: int) -> int:
            for _ in range(k):
                y = (x * w + b).relu()
                loss = (y * y).sum()
                loss.backward()
            w.grad = None
            b.grad = None
            return k
        return run
    return make


LAYERS = {
    # name: (title, input shape, builder(T) -> callable, forward MACs per step)
    "conv2d": ("Conv2d 16->32 3x3 pad 1", (64, 16, 28, 28), lambda T: T.nn.Conv2d(16, 32, 3, padding=1),
               _conv(16, 32, 3, 28, 28) * 64),
    "maxpool2d": ("MaxPool2d 2", (64, 32, 28, 28), lambda T: T.nn.MaxPool2d(2), 0),
    "batchnorm2d": ("BatchNorm2d 32 (train)", (64, 32, 28, 28), lambda T: T.nn.BatchNorm2d(32), 0),
    "cross_entropy": ("CrossEntropyLoss 512x1000", (512, 1000), None, 0),
}


def _layer(name: str):
    """Forward + backward of one layer on random data: the hot paths of CNN training, one at a time."""
    def make(T, units: int, quick: bool = False) -> Callable[[int], int]:
        T.manual_seed(SEED)
        _, shape, build, _ = LAYERS[name]
        rng = np.random.default_rng(SEED)
        x = T.from_numpy(rng.standard_normal(shape).astype(np.float32)).requires_grad_()
        if build is None:
            target = T.from_numpy(rng.integers(0, shape[1], shape[0]))
            layer = lambda inp: T.nn.functional.cross_entropy(inp, target)  # noqa: E731
        else:
            layer = build(T)
        out = layer(x)
        grad = T.ones_like(out)

        def run(k: int) -> int:
            for _ in range(k):
                x.grad = None
                layer(x).backward(grad)
            return k
        return run
    return make


@dataclass
class Workload:
    name: str
    title: str
    make: Callable         # make(T, units, quick) -> run(units) -> items processed
    units: int             # units (batches, steps, iterations) in one timed run
    quick_units: int
    unit: str
    item: str              # what run() counts: "image" or "iteration"
    flops_per_item: float = 0.0
    target: Optional[float] = None
    repeats: int = 5
    warmup_units: int = 3
    notes: str = ""


MNIST_TRAIN = 60000


def _epoch_batches(batch: int) -> int:
    return -(-MNIST_TRAIN // batch)


def workloads() -> List[Workload]:
    mlp_train = train_flops_per_sample(MLP_MACS)
    return [
        Workload("mlp_b64", "MLP 784-128-10 train, batch 64, 1 epoch", _train("mlp", 64, True),
                 _epoch_batches(64), 10, "batch", "image", mlp_train, 0.8, 5, 20),
        Workload("mlp_b256", "MLP 784-128-10 train, batch 256, 1 epoch", _train("mlp", 256, True),
                 _epoch_batches(256), 4, "batch", "image", mlp_train, 0.8, 5, 10),
        Workload("mlp_b64_numpy", "Bare NumPy MLP step (the floor), batch 64, 1 epoch", _mlp_floor(64),
                 _epoch_batches(64), 10, "batch", "image", mlp_train, None, 5, 20,
                 "numtorch column: no framework, the step hand-written in NumPy; PyTorch column: mlp_b64"),
        Workload("mlp_b256_numpy", "Bare NumPy MLP step (the floor), batch 256, 1 epoch", _mlp_floor(256),
                 _epoch_batches(256), 4, "batch", "image", mlp_train, None, 5, 10,
                 "numtorch column: no framework, the step hand-written in NumPy; PyTorch column: mlp_b256"),
        Workload("small_cnn_train", "Small CNN train, batch 64, 200 steps", _train("small_cnn", 64, False),
                 200, 2, "step", "image", train_flops_per_sample(SMALL_CNN_MACS), 1.2, 3, 5),
        Workload("classic_cnn_train", "Classic MNIST CNN train, batch 64, 50 steps", _train("classic_cnn", 64, False),
                 50, 1, "step", "image", train_flops_per_sample(CLASSIC_CNN_MACS), 1.2, 3, 3),
        Workload("small_cnn_infer", "Small CNN inference, batch 1000, 10 batches", _infer("small_cnn", 1000),
                 10, 1, "batch", "image", infer_flops_per_sample(SMALL_CNN_MACS), 1.0, 5, 2),
        Workload("classic_cnn_infer", "Classic CNN inference, batch 1000, 5 batches", _infer("classic_cnn", 1000),
                 5, 1, "batch", "image", infer_flops_per_sample(CLASSIC_CNN_MACS), 1.0, 3, 1),
        Workload("dataloader", "DataLoader MNIST epoch, ToTensor+Normalize, batch 64", _dataloader(64),
                 _epoch_batches(64), 5, "batch", "image", 0.0, None, 3, 20,
                 "PyTorch side: a Dataset of uint8 tensors doing /255 and normalize per item (no torchvision)"),
        Workload("small_ops", "Small-op autograd loop (5 ops fwd+bwd on 16 floats), 2000 iters", _small_ops(16),
                 2000, 20, "iteration", "iteration", 0.0, 1.0, 5, 100),
    ] + [
        Workload(f"layer_{name}", f"{title}, forward+backward, 50 steps", _layer(name), 50, 2, "step", "step",
                 3 * macs * 2 if macs else 0.0, None, 5, 3, "one layer on random float32 data")
        for name, (title, _, _, macs) in LAYERS.items()
    ]


def by_name() -> Dict[str, Workload]:
    return {w.name: w for w in workloads()}
