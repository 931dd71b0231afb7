"""MNIST for the benchmarks, read with NumPy alone from the original IDX .gz files.

Every framework gets the very same arrays (float32, normalised with MNIST's
mean 0.1307 and std 0.3081, NCHW), built once per worker before timing.
Where the files are missing (a checkout without ../shared/data) the suite uses
random data of the same shapes and says so.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

MEAN, STD = 0.1307, 0.3081
_FILES = {True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
          False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def data_root() -> Path:
    """The folder holding mnist/: $NUMTORCH_DATA, else ../shared/data beside the repository."""
    env = os.environ.get("NUMTORCH_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def mnist_dir() -> Optional[Path]:
    d = data_root() / "mnist"
    return d if all((d / f).is_file() for f in _FILES[True] + _FILES[False]) else None


def _idx(path: Path, n: Optional[int] = None) -> np.ndarray:
    """An IDX file (its first ``n`` items), decompressed straight into its array: no transient copies."""
    with gzip.open(path, "rb") as f:
        head = f.read(4)
        ndim = head[3]
        shape = tuple(int.from_bytes(f.read(4), "big") for _ in range(ndim))
        if n is not None:
            shape = (min(n, shape[0]),) + shape[1:]
        out = np.empty(shape, dtype=np.uint8)
        view, filled = memoryview(out).cast("B"), 0
        while filled < out.nbytes:
            got = f.readinto(view[filled:filled + (1 << 20)])  # 1 MiB at a time
            if not got:
                raise EOFError(f"{path} is truncated")
            filled += got
    return out


def raw_mnist(train: bool, n: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray, str]:
    """uint8 images (N, 28, 28), int64 labels (N,), and where they came from."""
    d = mnist_dir()
    if d is None:
        count = n or (60000 if train else 10000)
        rng = np.random.default_rng(0)
        return (rng.integers(0, 256, (count, 28, 28), dtype=np.uint8), rng.integers(0, 10, count).astype(np.int64),
                "random (MNIST files not found)")
    return _idx(d / _FILES[train][0], n), _idx(d / _FILES[train][1], n).astype(np.int64), str(d)


def mnist(train: bool, n: Optional[int] = None, seed: int = 0) -> Tuple[np.ndarray, np.ndarray, str]:
    """Normalised float32 images (N, 1, 28, 28) and int64 labels (N,), in one fixed shuffled order."""
    images, labels, source = raw_mnist(train, n)
    order = np.random.default_rng(seed).permutation(len(labels)) if train else np.arange(len(labels))
    x = np.empty((len(labels), 1, 28, 28), dtype=np.float32)
    for i in range(0, len(labels), 8192):  # in chunks: no full-size temporary
        chunk = x[i:i + 8192, 0]
        np.multiply(images[order[i:i + 8192]], np.float32(1 / 255), out=chunk, casting="unsafe")
        chunk -= np.float32(MEAN)
        chunk /= np.float32(STD)
    return x, np.ascontiguousarray(labels[order]), source
