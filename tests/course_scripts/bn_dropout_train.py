"""Homework: an MLP with BatchNorm and Dropout, train/eval modes, a learning-rate schedule, checkpointing.

Stated result: on a synthetic 3-class spiral the training loss falls below 0.5 and training accuracy
exceeds 0.85; eval mode is deterministic; a reloaded checkpoint reproduces the outputs exactly and
resumes training identically to the uninterrupted run.
"""
import copy
import math
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)
N, K = 200, 3
t = torch.linspace(0, 1, N)
X, y = [], []
for k in range(K):
    r = t
    theta = k * 2 * math.pi / K + t * 4 + 0.2 * torch.randn(N)
    X.append(torch.stack([r * torch.sin(theta), r * torch.cos(theta)], dim=1))
    y.append(torch.full((N,), k, dtype=torch.long))
X, y = torch.cat(X), torch.cat(y)
assert X.shape == (600, 2) and y.dtype == torch.int64 and y.bincount().tolist() == [200, 200, 200]


class Net(nn.Module):
    def __init__(self, hidden=64, p=0.2):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(p)
        self.fc2 = nn.Linear(hidden, hidden)
        self.bn2 = nn.BatchNorm1d(hidden)
        self.out = nn.Linear(hidden, K)

    def forward(self, x):
        x = self.drop(F.relu(self.bn1(self.fc1(x))))
        x = self.drop(F.relu(self.bn2(self.fc2(x))))
        return self.out(x)


model = Net()
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
assert n_params == 2 * 64 + 64 + 2 * 64 + 64 * 64 + 64 + 2 * 64 + 64 * 3 + 3, n_params
sd = model.state_dict()
assert list(sd)[:7] == ['fc1.weight', 'fc1.bias', 'bn1.weight', 'bn1.bias', 'bn1.running_mean',
                        'bn1.running_var', 'bn1.num_batches_tracked']
assert sd['bn1.num_batches_tracked'].dtype == torch.int64 and sd['bn1.running_var'].sum().item() == 64

optimizer = optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.5)
criterion = nn.CrossEntropyLoss()


def train_epoch(model, optimizer, scheduler, gen):
    model.train()
    perm = torch.randperm(len(X), generator=gen)
    total = 0.0
    for i in range(0, len(X), 100):
        idx = perm[i:i + 100]
        optimizer.zero_grad()
        loss = criterion(model(X[idx]), y[idx])
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    scheduler.step()
    return total / len(X)


gen = torch.Generator().manual_seed(1)
losses = [train_epoch(model, optimizer, scheduler, gen) for _ in range(40)]
assert losses[-1] < 0.5 and losses[-1] < losses[0], losses[::10]
assert math.isclose(scheduler.get_last_lr()[0], 5e-3) and optimizer.param_groups[0]['lr'] == scheduler.get_last_lr()[0]
assert model.bn1.num_batches_tracked.item() == 240

model.eval()
assert not model.training and not model.drop.training
with torch.no_grad():
    out1, out2 = model(X), model(X)
    acc = (out1.argmax(dim=1) == y).float().mean().item()
assert torch.equal(out1, out2) and acc > 0.85, acc
assert not out1.requires_grad
model.train()
with torch.no_grad():
    assert not torch.equal(model(X[:50]), model(X[:50]))  # dropout is active in train mode

# checkpoint: save, reload into a fresh model, compare outputs; then resume training identically
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, 'ckpt.pt')
    torch.save({'epoch': 40, 'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                'scheduler': scheduler.state_dict(), 'losses': losses}, path)
    ckpt = torch.load(path)
    restored = Net()
    restored.load_state_dict(ckpt['model'])
    opt2 = optim.Adam(restored.parameters(), lr=1e-2, weight_decay=1e-4)
    opt2.load_state_dict(ckpt['optimizer'])
    sch2 = optim.lr_scheduler.StepLR(opt2, step_size=30, gamma=0.5)
    sch2.load_state_dict(ckpt['scheduler'])
assert ckpt['epoch'] == 40 and ckpt['losses'] == losses
model.eval()
restored.eval()
with torch.no_grad():
    assert torch.equal(model(X), restored(X))
snapshot = copy.deepcopy(model.state_dict())
g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
torch.manual_seed(3)
a = train_epoch(model, optimizer, scheduler, g1)
torch.manual_seed(3)
b = train_epoch(restored, opt2, sch2, g2)
assert a == b and torch.equal(model.out.weight, restored.out.weight), (a, b)
assert not torch.equal(snapshot['out.weight'], model.out.weight)
missing = restored.load_state_dict({k: v for k, v in snapshot.items() if not k.startswith('out.')}, strict=False)
assert sorted(missing.missing_keys) == ['out.bias', 'out.weight'] and missing.unexpected_keys == []
print("RESULT ok")
