# %% [markdown]
# # An MLP on MNIST
#
# The standard PyTorch training loop, written with `import numtorch as torch`: a dataset with
# `ToTensor`/`Normalize`, a `DataLoader`, an `nn.Sequential` MLP, `CrossEntropyLoss`, Adam,
# and an evaluation pass under `torch.no_grad()`. Quick mode trains on 3,000 images.

# %%
import os
import sys
import time
from pathlib import Path

import numtorch as torch
import numtorch.nn as nn
from numtorch.utils.data import DataLoader, Subset
from numtorch.vision import datasets, transforms

QUICK = os.environ.get("NUMTORCH_QUICK") == "1" or "--quick" in sys.argv
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # running as a notebook: the working directory is examples/
    HERE = Path.cwd().resolve()
DATA = os.environ.get("NUMTORCH_DATA") or str(HERE.parent.parent / "shared" / "data")
torch.manual_seed(0)

transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
train_set = datasets.MNIST(DATA, train=True, transform=transform)
test_set = datasets.MNIST(DATA, train=False, transform=transform)
if QUICK:
    train_set, test_set = Subset(train_set, range(3000)), Subset(test_set, range(1000))
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
test_loader = DataLoader(test_set, batch_size=1000)
print(f"{len(train_set)} training and {len(test_set)} test images")

# %%
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
print(model)


def evaluate():
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += (model(x).argmax(dim=1) == y).sum().item()
    return correct / len(test_set)


# %%
epochs = 1 if QUICK else 3
for epoch in range(epochs):
    model.train()
    t0, total = time.time(), 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    acc = evaluate()
    print(f"epoch {epoch + 1}: train loss {total / len(train_set):.4f}, test accuracy {acc:.4f} "
          f"({time.time() - t0:.1f}s)")

# %%
assert acc > (0.85 if QUICK else 0.97), acc
