"""Softmax regression on a Fashion-MNIST subset with nn.Linear, CrossEntropyLoss, SGD and DataLoader.

Stated result: after 3 epochs on 2,000 training images, accuracy on 1,000 test images > 0.70,
and the per-class confusion matrix sums to the test size.
"""
import argparse
import gzip
import os

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

parser = argparse.ArgumentParser()
parser.add_argument("--data", default=os.environ.get("NUMTORCH_DATA", "../data"))
parser.add_argument("--epochs", type=int, default=3)
args = parser.parse_args()
CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')


class FashionSubset(Dataset):
    def __init__(self, root, train, n):
        prefix = 'train' if train else 't10k'
        with gzip.open(os.path.join(root, 'fashion-mnist', f'{prefix}-images-idx3-ubyte.gz')) as f:
            self.images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:n].copy()
        with gzip.open(os.path.join(root, 'fashion-mnist', f'{prefix}-labels-idx1-ubyte.gz')) as f:
            self.labels = np.frombuffer(f.read(), np.uint8, offset=8)[:n].copy()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = torch.from_numpy(self.images[i]).float().div(255).unsqueeze(0)
        x = (x - 0.2860) / 0.3530
        return x, int(self.labels[i])


torch.manual_seed(0)
train_ds = FashionSubset(args.data, True, 2000)
test_ds = FashionSubset(args.data, False, 1000)
x0, y0 = train_ds[0]
assert x0.shape == (1, 28, 28) and x0.dtype == torch.float32 and isinstance(y0, int)
train_loader = DataLoader(train_ds, batch_size=64, shuffle=True, drop_last=True)
test_loader = DataLoader(test_ds, batch_size=250)
xb, yb = next(iter(train_loader))
assert xb.shape == (64, 1, 28, 28) and yb.shape == (64,) and yb.dtype == torch.int64
assert len(train_loader) == 31

model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
nn.init.normal_(model[1].weight, std=0.01)
nn.init.zeros_(model[1].bias)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
print(model)


def train_loop(dataloader, model, loss_fn, optimizer):
    model.train()
    running = []
    for batch, (X, y) in enumerate(dataloader):
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        running.append(loss.item())
    return sum(running) / len(running)


def test_loop(dataloader, model, loss_fn):
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0
    confusion = torch.zeros(10, 10, dtype=torch.int64)
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
            confusion += torch.bincount(y * 10 + pred.argmax(1), minlength=100).view(10, 10)
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct, test_loss, confusion


history = []
for t in range(args.epochs):
    print(f"Epoch {t + 1}\n-------------------------------")
    history.append(train_loop(train_loader, model, loss_fn, optimizer))
acc, test_loss, confusion = test_loop(test_loader, model, loss_fn)
assert history[-1] < history[0], history
assert acc > 0.70 and test_loss < 1.0, (acc, test_loss)
assert confusion.sum().item() == 1000 and confusion.diag().sum().item() == round(acc * 1000)
per_class = confusion.diag().float() / confusion.sum(1).clamp(min=1).float()
best = CLASSES[per_class.argmax().item()]
print("best class:", best, f"{per_class.max().item():.2f}")
probs = torch.softmax(model(xb), dim=1)
assert torch.allclose(probs.sum(dim=1), torch.ones(64)) and probs.shape == (64, 10)
print("RESULT ok")
