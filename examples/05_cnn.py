# %% [markdown]
# # A convolutional network on MNIST
#
# Conv -> BatchNorm -> ReLU -> MaxPool twice, then a linear classifier; SGD with momentum and a
# StepLR schedule; a checkpoint saved with `torch.save` and loaded back with `torch.load`.
# Quick mode trains on 2,000 images for one epoch.

# %%
import os
import sys
import tempfile
import time
from pathlib import Path

import numtorch as torch
import numtorch.nn as nn
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
transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
train_set = datasets.MNIST(DATA, train=True, transform=transform)
test_set = datasets.MNIST(DATA, train=False, transform=transform)
if QUICK:
    train_set, test_set = Subset(train_set, range(2000)), Subset(test_set, range(500))
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
test_loader = DataLoader(test_set, batch_size=500)


# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)     # (N, 1, 28, 28) -> (N, 8, 28, 28)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)    # (N, 8, 14, 14) -> (N, 16, 14, 14)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)


def evaluate(m):
    m.eval()
    with torch.no_grad():
        correct = sum((m(x).argmax(1) == y).sum().item() for x, y in test_loader)
    return correct / len(test_set)


# %%
for epoch in range(1 if QUICK else 3):
    model.train()
    t0 = time.time()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    scheduler.step()
    acc = evaluate(model)
    print(f"epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {acc:.3f} ({time.time() - t0:.1f}s)")

# %% [markdown]
# ## Save and load a checkpoint

# %%
path = os.path.join(tempfile.mkdtemp(), "cnn.pt")
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
restored = Net()
restored.load_state_dict(torch.load(path)["model"])
assert evaluate(restored) == acc
print(f"checkpoint {os.path.getsize(path) / 1024:.0f} KiB, restored accuracy {acc:.3f}")
assert acc > (0.85 if QUICK else 0.98), acc
