"""Finding and loading the datasets, the train/validation split, and the batch loaders.

The data folder is found as in the tests: ``--data DIR``, else ``$NUMTORCH_DATA``, else
``~/.cache/numtorch/data`` with ``download=True``. Images are loaded once through
``numtorch.vision.datasets``, scaled to [0, 1] and normalised per channel into one float32
tensor ``(N, C, H, W)``; batches are drawn from it with ``numtorch.utils.data.DataLoader``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

import numtorch
from numtorch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset


@dataclass(frozen=True)
class DatasetInfo:
    name: str              # registry name
    cls_name: str          # class in numtorch.vision.datasets
    mean: tuple
    std: tuple
    classes: tuple


DATASETS = {
    "mnist": DatasetInfo("mnist", "MNIST", (0.1307,), (0.3081,), tuple(str(i) for i in range(10))),
    "fashion-mnist": DatasetInfo("fashion-mnist", "FashionMNIST", (0.2860,), (0.3530,), (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
    "cifar10": DatasetInfo("cifar10", "CIFAR10", (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), (
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")),
}
ALIASES = {"fashion": "fashion-mnist", "fashionmnist": "fashion-mnist", "fmnist": "fashion-mnist",
           "cifar-10": "cifar10", "cifar": "cifar10"}


class DataError(RuntimeError):
    """The dataset could not be found or read (the message is the datasets' own)."""


def canonical_dataset(name: str) -> str:
    key = name.lower().replace("_", "-")
    key = ALIASES.get(key, ALIASES.get(key.replace("-", ""), key))
    if key not in DATASETS:
        raise ValueError(f"unknown dataset '{name}'; expected one of {', '.join(DATASETS)}")
    return key


def resolve_root(data: Optional[str] = None) -> tuple[Path, bool]:
    """The data folder and whether to download: ``--data``, else ``$NUMTORCH_DATA``, else the cache (download)."""
    if data:
        return Path(data).expanduser(), False
    env = os.environ.get("NUMTORCH_DATA")
    if env:
        return Path(env).expanduser(), False
    return Path.home() / ".cache" / "numtorch" / "data", True


def _to_numpy(a) -> np.ndarray:
    if hasattr(a, "numpy"):
        return a.numpy()
    return np.asarray(a)


_CACHE: dict = {}


def load_raw(name: str, train: bool, data: Optional[str] = None) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Images ``(N, C, H, W)`` uint8, labels ``(N,)`` int64 and class names, as stored (cached per process)."""
    info = DATASETS[canonical_dataset(name)]
    root, download = resolve_root(data)
    key = (info.name, bool(train), str(root))
    if key in _CACHE:
        return _CACHE[key]
    import numtorch.vision.datasets as vds
    cls = getattr(vds, info.cls_name, None)
    if cls is None:
        raise DataError(f"numtorch.vision.datasets has no {info.cls_name}")
    try:
        ds = cls(str(root), train=train, download=download)
    except Exception as e:  # the datasets' own clear message (missing files, offline download, bad checksum)
        msg = " ".join(line.strip() for line in str(e).splitlines() if line.strip()) or type(e).__name__
        raise DataError(f"{info.cls_name} in {root}: {msg}") from None
    images = _to_numpy(ds.data)
    labels = _to_numpy(ds.targets).astype(np.int64)
    if images.ndim == 3:
        images = images[:, None]
    elif images.ndim == 4 and images.shape[-1] in (1, 3):
        images = images.transpose(0, 3, 1, 2)
    classes = tuple(getattr(ds, "classes", None) or info.classes)
    if len(classes) != len(info.classes):
        classes = info.classes
    _CACHE[key] = (images, labels, classes)
    return _CACHE[key]


def normalize(name: str, images: np.ndarray) -> np.ndarray:
    """uint8 ``(N, C, H, W)`` -> float32, scaled to [0, 1] and standardised per channel (one table look-up)."""
    info = DATASETS[canonical_dataset(name)]
    levels = np.arange(256, dtype=np.float32) / np.float32(255.0)
    out = np.empty(images.shape, dtype=np.float32)
    for c in range(images.shape[1]):
        lut = (levels - np.float32(info.mean[c])) / np.float32(info.std[c])
        out[:, c] = lut[images[:, c]]
    return out


def load_split(name: str, train: bool, data: Optional[str] = None) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Images ``(N, C, H, W)`` float32 normalised, labels ``(N,)`` int64, and class names."""
    images, labels, classes = load_raw(name, train, data)
    return normalize(name, images), labels, classes


@dataclass
class Splits:
    """Train, validation and test tensors of one dataset."""
    x_train: "numtorch.Tensor"
    y_train: "numtorch.Tensor"
    x_val: "numtorch.Tensor"
    y_val: "numtorch.Tensor"
    x_test: "numtorch.Tensor"
    y_test: "numtorch.Tensor"
    classes: tuple
    in_shape: tuple

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def load_splits(dataset: str, data: Optional[str] = None, val_size: int = 5000, limit_train: Optional[int] = None,
                limit_test: Optional[int] = None, split_seed: int = 0) -> Splits:
    """Hold out ``val_size`` training images (a fixed random choice) for validation; limit the rest if asked."""
    x, y, classes = load_raw(dataset, True, data)
    xt, yt, _ = load_raw(dataset, False, data)
    order = np.random.default_rng(split_seed).permutation(len(x))
    val_size = min(val_size, len(x) - 1)
    val_idx, train_idx = order[:val_size], order[val_size:]
    if limit_train:
        train_idx = train_idx[:limit_train]
    if limit_test:
        xt, yt = xt[:limit_test], yt[:limit_test]
    t, norm = numtorch.from_numpy, (lambda a: normalize(dataset, a))
    return Splits(t(norm(x[train_idx])), t(y[train_idx]), t(norm(x[val_idx])), t(y[val_idx]), t(norm(xt)),
                  t(np.ascontiguousarray(yt)), classes, tuple(x.shape[1:]))


def train_loader(x, y, batch_size: int, generator: "numtorch.Generator") -> DataLoader:
    """Shuffled mini-batches ``(x[idx], y[idx])``; the order comes from ``generator`` only.

    The sampler yields whole index lists (``BatchSampler``) so that each batch is one tensor
    indexing, not ``batch_size`` item look-ups and a collate.
    """
    ds = TensorDataset(x, y)
    sampler = BatchSampler(RandomSampler(ds, generator=generator), batch_size, drop_last=False)
    return DataLoader(ds, sampler=sampler, batch_size=None, generator=generator)


def eval_batches(x, y, batch_size: int = 1000) -> Iterator[tuple]:
    """Consecutive batches for evaluation (no shuffling, no randomness)."""
    for i in range(0, len(x), batch_size):
        yield x[i:i + batch_size], y[i:i + batch_size]
