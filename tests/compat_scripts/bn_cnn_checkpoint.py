"""A BatchNorm CNN trained with checkpoint save and resume (the PyTorch "saving and loading a
general checkpoint" recipe), on a small synthetic image task so it runs anywhere.

Stated results: (1) training 2 epochs straight and training 1 epoch, saving a checkpoint
(model, optimizer, scheduler, epoch, loss), loading it into fresh objects and training the
second epoch give identical weights and BatchNorm running statistics; (2) eval-mode
accuracy on held-out data is above 90%.
"""
import argparse
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=512)
parser.add_argument("--ckpt-dir", default=None)
args = parser.parse_args()


def make_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    x = torch.randn(n, 1, 12, 12, generator=g) * 0.5
    # class k: a bright 4x4 block in quadrant k
    for k in range(4):
        r, c = divmod(k, 2)
        x[y == k, :, r * 6 + 1:r * 6 + 5, c * 6 + 1:c * 6 + 5] += 1.5
    return TensorDataset(x, y)


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 3 * 3, 4))


def make_training(model):
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    return optimizer, scheduler


train_set, test_set = make_data(args.n, 0), make_data(256, 1)


def run_epoch(model, optimizer, scheduler, epoch):
    model.train()
    torch.manual_seed(100 + epoch)  # the shuffle order depends on the epoch only
    total = 0.0
    for x, y in DataLoader(train_set, batch_size=32, shuffle=True):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    scheduler.step()
    return total / len(train_set)


def accuracy(model):
    model.eval()
    with torch.no_grad():
        x, y = test_set.tensors
        return (model(x).argmax(1) == y).float().mean().item()


# uninterrupted run
torch.manual_seed(0)
model_a = make_model()
opt_a, sched_a = make_training(model_a)
for epoch in range(2):
    loss_a = run_epoch(model_a, opt_a, sched_a, epoch)

# interrupted run: 1 epoch, checkpoint, resume into fresh objects
torch.manual_seed(0)
model_b = make_model()
opt_b, sched_b = make_training(model_b)
loss = run_epoch(model_b, opt_b, sched_b, 0)
ckpt_dir = args.ckpt_dir or tempfile.mkdtemp()
path = os.path.join(ckpt_dir, "checkpoint.pt")
torch.save({"epoch": 0, "model_state_dict": model_b.state_dict(), "optimizer_state_dict": opt_b.state_dict(),
            "scheduler_state_dict": sched_b.state_dict(), "loss": loss}, path)
del model_b, opt_b, sched_b

torch.manual_seed(123)  # different init: everything must come from the checkpoint
model_c = make_model()
opt_c, sched_c = make_training(model_c)
checkpoint = torch.load(path, weights_only=True)
model_c.load_state_dict(checkpoint["model_state_dict"])
opt_c.load_state_dict(checkpoint["optimizer_state_dict"])
sched_c.load_state_dict(checkpoint["scheduler_state_dict"])
start = checkpoint["epoch"] + 1
assert checkpoint["loss"] == loss and start == 1
assert abs(opt_c.param_groups[0]["lr"] - 0.025) < 1e-12
for epoch in range(start, 2):
    loss_c = run_epoch(model_c, opt_c, sched_c, epoch)

sd_a, sd_c = model_a.state_dict(), model_c.state_dict()
assert list(sd_a) == list(sd_c)
assert "1.running_mean" in sd_a and "1.num_batches_tracked" in sd_a
for k in sd_a:
    assert torch.allclose(sd_a[k].float(), sd_c[k].float(), atol=1e-6), k
assert sd_c["1.num_batches_tracked"].item() == 2 * len(train_set) // 32
print(f"resume matches the uninterrupted run (final loss {loss_a:.4f} vs {loss_c:.4f})")
acc = accuracy(model_c)
print(f"eval accuracy {acc:.3f}")
assert acc > 0.9, acc
print("RESULT ok")
