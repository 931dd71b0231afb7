"""Benchmark (not a test): one MNIST training epoch, ToTensor + Normalize, batch 64, shuffled.

numtorch (vectorised batch path) against PyTorch's DataLoader with per-item transforms written in torch ops
(torchvision is not installed) and, closer to torchvision, per-item PIL images. Runs interleaved in one
process: ``python tests/vision/bench_mnist_loader.py [rounds]``.
"""
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

from numtorch.utils.data import DataLoader
from numtorch.vision import datasets, transforms

ROOT = os.environ.get("NUMTORCH_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
MEAN, STD = 0.1307, 0.3081


class TorchMNIST(torch.utils.data.Dataset):
    """Per item: uint8 (28, 28) -> float (1, 28, 28) / 255 -> normalised, in torch ops."""

    def __init__(self, data, targets, pil=False):
        self.data, self.targets, self.pil = torch.from_numpy(data), torch.from_numpy(targets), pil
        self.mean, self.std = torch.tensor([MEAN]).view(-1, 1, 1), torch.tensor([STD]).view(-1, 1, 1)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        img, target = self.data[i], int(self.targets[i])
        if self.pil:  # what torchvision does: a PIL image, then ToTensor on it
            pic = Image.fromarray(img.numpy(), mode="L")
            img = torch.from_numpy(np.array(pic, np.uint8, copy=True)).view(28, 28, 1).permute(2, 0, 1).contiguous()
        else:
            img = img.unsqueeze(0)
        x = img.float().div(255)
        return x.sub_(self.mean).div_(self.std), target


def epoch(loader):
    t0 = time.perf_counter()
    n = 0
    for x, y in loader:
        n += len(y)
    assert n == 60000
    return time.perf_counter() - t0


def main(rounds=3):
    torch.set_num_threads(1)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    ds = datasets.MNIST(ROOT, train=True, transform=tf)
    ours = DataLoader(ds, batch_size=64, shuffle=True)
    data, targets = ds.data.numpy(), ds.targets.numpy()
    theirs = torch.utils.data.DataLoader(TorchMNIST(data, targets), batch_size=64, shuffle=True)
    theirs_pil = torch.utils.data.DataLoader(TorchMNIST(data, targets, pil=True), batch_size=64, shuffle=True)
    times = {"numtorch": [], "torch": [], "torch+PIL": []}
    for _ in range(rounds):
        times["numtorch"].append(epoch(ours))
        times["torch"].append(epoch(theirs))
        times["torch+PIL"].append(epoch(theirs_pil))
    best = {k: min(v) for k, v in times.items()}
    for k, v in best.items():
        print(f"{k:10s} epoch {v:7.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times[k])})")
    print(f"speed-up vs torch per-item tensors: {best['torch'] / best['numtorch']:.1f}x; "
          f"vs per-item PIL: {best['torch+PIL'] / best['numtorch']:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
