"""The everyday PyTorch calls course scripts make, each checked against NumPy; prints every failure.

Runs unchanged with PyTorch (`python api_surface.py`) and with numtorch (`numtorch run api_surface.py`).
"""
import sys
import traceback

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

failures = []


def check(name):
    def deco(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            failures.append(name)
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            traceback.print_exc(limit=-2, file=sys.stdout)
        return fn
    return deco


def close(t, ref, tol=1e-5):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert np.allclose(a, ref, rtol=tol, atol=tol), (a, ref)


torch.manual_seed(0)
x_np = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7 - 1


@check("device")
def _():
    use_cuda = torch.cuda.is_available()
    use_mps = torch.backends.mps.is_available()
    assert not use_cuda and not use_mps
    device = torch.device("cuda" if use_cuda else "mps" if use_mps else "cpu")
    t = torch.ones(2).to(device)
    assert t.device.type == "cpu" and str(device) == "cpu"
    torch.backends.cudnn.benchmark = True
    torch.cuda.manual_seed(1)
    m = nn.Linear(2, 2).to(device)
    assert next(m.parameters()).device == device


@check("flatten/max/eq/view_as/argmax")
def _():
    x = torch.tensor(x_np)
    close(torch.flatten(x, 1), x_np.reshape(2, -1))
    v, i = torch.max(x.view(2, -1), 1)
    close(v, x_np.reshape(2, -1).max(1))
    assert i.tolist() == list(x_np.reshape(2, -1).argmax(1))
    pred = x.view(2, -1).argmax(dim=1, keepdim=True)
    assert pred.shape == (2, 1)
    target = torch.tensor([11, 0])
    correct = pred.eq(target.view_as(pred)).sum().item()
    assert correct == 1
    _, predicted = torch.max(x.view(2, -1).data, 1)
    assert (predicted == target).sum().item() == 1


@check("keepdims alias and axis=")
def _():
    x = torch.tensor(x_np)
    close(x.sum(axis=1, keepdims=True), x_np.sum(1, keepdims=True))
    close(torch.mean(x, dim=2, keepdim=True), x_np.mean(2, keepdims=True))
    close(x.max(axis=0).values, x_np.max(0))


@check("norm/normal")
def _():
    x = torch.tensor(x_np)
    close(torch.norm(x), np.linalg.norm(x_np.ravel()))
    close(x.norm(dim=1), np.linalg.norm(x_np, axis=1))
    close(torch.norm(x, p=1), np.abs(x_np).sum())
    s = torch.normal(0.0, 0.01, size=(1000, 10))
    assert s.shape == (1000, 10) and abs(s.std().item() - 0.01) < 1e-3
    m = torch.normal(torch.zeros(5), torch.ones(5))
    assert m.shape == (5,)


@check("conv2d_weight/conv_transpose2d")
def _():
    rng = np.random.default_rng(0)
    inp = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    xi = torch.tensor(inp, requires_grad=True)
    wi = torch.tensor(w, requires_grad=True)
    out = F.conv2d(xi, wi, padding=1)
    g = torch.ones_like(out)
    out.backward(g)
    gw = torch.nn.grad.conv2d_weight(torch.tensor(inp), w.shape, g, padding=1)
    close(gw, wi.grad.numpy(), 1e-4)
    gx = torch.nn.grad.conv2d_input(inp.shape, torch.tensor(w), g, padding=1)
    close(gx, xi.grad.numpy(), 1e-4)
    # conv_transpose2d is the gradient of conv2d w.r.t. its input
    close(F.conv_transpose2d(g, torch.tensor(w), padding=1), xi.grad.numpy(), 1e-4)


@check("Subset/TensorDataset/DataLoader")
def _():
    from torch.utils.data import DataLoader, Subset, TensorDataset, random_split
    ds = TensorDataset(torch.arange(10.0).view(10, 1), torch.arange(10))
    sub = Subset(ds, range(4))
    assert len(sub) == 4
    batches = [b for b in DataLoader(sub, batch_size=3)]
    assert [len(b[1]) for b in batches] == [3, 1]
    a, b = random_split(ds, [7, 3])
    assert len(a) == 7 and len(b) == 3


@check("torchvision datasets/transforms")
def _():
    import os
    try:
        from torchvision import datasets, transforms
    except ImportError:  # plain PyTorch without torchvision installed
        print("skip torchvision checks (torchvision not installed)")
        return
    root = os.environ.get("NUMTORCH_DATA", "../data")
    t = transforms.Compose([transforms.Resize((14, 14)), transforms.ToTensor(),
                            transforms.Normalize((0.1307,), (0.3081,)), transforms.Lambda(lambda x: x * 2)])
    ds = datasets.MNIST(root, train=True, download=False, transform=t)
    img, label = ds[0]
    assert len(ds) == 60000 and label == 5 and img.shape == (1, 14, 14)
    plain = datasets.MNIST(root, train=True, transform=transforms.ToTensor())[0][0]
    assert plain.shape == (1, 28, 28) and plain.min().item() == 0 and plain.max().item() == 1
    norm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    close(datasets.MNIST(root, train=True, transform=norm)[0][0], (plain.numpy() - 0.1307) / 0.3081)
    sub = torch.utils.data.Subset(ds, [0, 1, 2])
    assert [int(sub[i][1]) for i in range(3)] == [5, 0, 4]


@check("training step")
def _():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


@check("save/load state_dict")
def _():
    import io
    m = nn.Linear(3, 2)
    buf = io.BytesIO()
    torch.save(m.state_dict(), buf)
    buf.seek(0)
    m2 = nn.Linear(3, 2)
    m2.load_state_dict(torch.load(buf, map_location="cpu"))
    close(m2.weight, m.weight.detach().numpy())


@check("no_grad/detach/item/tolist")
def _():
    w = torch.randn(3, requires_grad=True)
    with torch.no_grad():
        w -= 0.1 * torch.ones(3)
    assert w.requires_grad and w.grad is None
    assert isinstance(w.detach().sum().item(), float)
    assert torch.tensor([[1, 2]]).tolist() == [[1, 2]]


if failures:
    print(f"{len(failures)} failed: {', '.join(failures)}")
    sys.exit(1)
print("all API checks passed")
