# %% [markdown]
# # A small hyperparameter study
#
# How the learning rate and the batch size change what an MLP learns in a fixed budget of
# steps on MNIST; the results go into a table (and a plot when matplotlib is installed).

# %%
import itertools
import os
import sys
from pathlib import Path

import numpy as np

import numtorch as torch
import numtorch.nn as nn
import numtorch.nn.functional as F
from numtorch.vision import datasets

QUICK = os.environ.get("NUMTORCH_QUICK") == "1" or "--quick" in sys.argv
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # running as a notebook: the working directory is examples/
    HERE = Path.cwd().resolve()
DATA = os.environ.get("NUMTORCH_DATA") or str(HERE.parent.parent / "shared" / "data")
n_train, n_val, steps = (2000, 500, 40) if QUICK else (20000, 5000, 400)

mnist = datasets.MNIST(DATA, train=True)
X = (mnist.data[: n_train + n_val].float().reshape(-1, 784) / 255 - 0.1307) / 0.3081
Y = mnist.targets[: n_train + n_val]
X_train, Y_train, X_val, Y_val = X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]


def run(lr: float, batch_size: int, seed: int = 0) -> float:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for step in range(steps):
        idx = torch.randint(0, n_train, (batch_size,))
        loss = F.cross_entropy(model(X_train[idx]), Y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return (model(X_val).argmax(1) == Y_val).float().mean().item()


# %%
lrs = [0.001, 0.01, 0.1, 1.0] if not QUICK else [0.001, 0.05, 2.0]
batch_sizes = [16, 64, 256] if not QUICK else [32, 128]
results = {(lr, bs): run(lr, bs) for lr, bs in itertools.product(lrs, batch_sizes)}
print("val accuracy  " + "".join(f"  bs={bs:<5}" for bs in batch_sizes))
for lr in lrs:
    print(f"lr={lr:<10}" + "".join(f"  {results[lr, bs]:.3f}   " for bs in batch_sizes))
best = max(results, key=results.get)
print(f"best: lr={best[0]}, batch size={best[1]}: {results[best]:.3f}")

# %%
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for bs in batch_sizes:
        plt.semilogx(lrs, [results[lr, bs] for lr in lrs], marker="o", label=f"batch {bs}")
    plt.xlabel("learning rate")
    plt.ylabel("validation accuracy")
    plt.legend()
    plt.savefig(os.path.join(os.environ.get("TMPDIR", "/tmp"), "hparams.png"))
except ImportError:
    pass

# %% [markdown]
# Too small a learning rate barely moves in the budget; too large diverges; the middle wins.

# %%
accs = np.array([[results[lr, bs] for bs in batch_sizes] for lr in lrs])
assert accs.max() > 0.8 and accs[0].max() < accs.max(), accs
