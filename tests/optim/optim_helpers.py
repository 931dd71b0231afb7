"""Shared problem for the optimizer tests: a tiny tanh MLP on fixed data, in numtorch and in PyTorch."""
from __future__ import annotations

import numpy as np
import torch

import numtorch

RNG = np.random.default_rng(1234)
X = RNG.standard_normal((16, 5)).astype(np.float32)
Y = RNG.standard_normal((16, 3)).astype(np.float32)
INIT = [RNG.standard_normal((8, 5)).astype(np.float32) * 0.5, RNG.standard_normal(8).astype(np.float32) * 0.1,
        RNG.standard_normal((3, 8)).astype(np.float32) * 0.5, RNG.standard_normal(3).astype(np.float32) * 0.1]


def nt_params():
    return [numtorch.nn.Parameter(numtorch.tensor(a.copy())) for a in INIT]


def th_params():
    return [torch.nn.Parameter(torch.tensor(a.copy())) for a in INIT]


def nt_loss(ps):
    w1, b1, w2, b2 = ps
    x, y = numtorch.tensor(X), numtorch.tensor(Y)
    h = (x.matmul(w1.T) + b1).tanh()
    return ((h.matmul(w2.T) + b2 - y) ** 2).mean()


def th_loss(ps):
    w1, b1, w2, b2 = ps
    x, y = torch.tensor(X), torch.tensor(Y)
    h = (x.matmul(w1.T) + b1).tanh()
    return ((h.matmul(w2.T) + b2 - y) ** 2).mean()


def np_loss_and_grads(arrays):
    """The same loss in float64 NumPy with hand-written gradients (identical for both frameworks)."""
    w1, b1, w2, b2 = (a.astype(np.float64) for a in arrays)
    x, y = X.astype(np.float64), Y.astype(np.float64)
    h = np.tanh(x @ w1.T + b1)
    r = h @ w2.T + b2 - y
    loss = (r ** 2).mean()
    dout = 2 * r / r.size
    dh = dout @ w2 * (1 - h ** 2)
    grads = [dh.T @ x, dh.sum(0), dout.T @ h, dout.sum(0)]
    return np.float32(loss), [g.astype(np.float32) for g in grads]


def set_np_grads(ps, lib, sign=1.0):
    """Compute loss and gradients with ``np_loss_and_grads`` and store them in ``p.grad``.

    ``sign=-1`` gives the gradients of ``-loss`` (for optimizers run with ``maximize=True``).
    """
    loss, grads = np_loss_and_grads([p.detach().numpy() for p in ps])
    for p, g in zip(ps, grads):
        p.grad = lib.tensor(g * np.float32(sign))
    return lib.tensor(loss * np.float32(sign))


def make_closure(opt, ps, loss_fn):
    def closure():
        opt.zero_grad()
        if loss_fn in (numtorch, torch):
            return set_np_grads(ps, loss_fn)
        loss = loss_fn(ps)
        loss.backward()
        return loss
    return closure


def arrays(ps):
    return [p.detach().numpy().copy() for p in ps]


def compare_trajectories(nt_cls, th_cls, kwargs, steps=50, rtol=2e-5, atol=2e-6, groups=None, skip_grad=None,
                         use_closure=False, numpy_grads=True):
    """Step both optimizers ``steps`` times from the same weights; assert equal parameters after every step.

    With ``numpy_grads`` both sides get their gradients from the same float64 NumPy function, so any
    difference comes from the optimizers alone; otherwise each framework runs its own autograd.
    ``groups(params)`` may turn the parameter list into group dicts; ``skip_grad`` names a parameter
    index whose gradient is set to None (skipped by the optimizer) on every step.
    """
    a, b = nt_params(), th_params()
    opt_a = nt_cls(groups(a) if groups else a, **kwargs)
    opt_b = th_cls(groups(b) if groups else b, **kwargs)
    for step in range(steps):
        if use_closure:
            la = opt_a.step(make_closure(opt_a, a, numtorch if numpy_grads else nt_loss))
            lb = opt_b.step(make_closure(opt_b, b, torch if numpy_grads else th_loss))
            np.testing.assert_allclose(float(la), float(lb.detach()), rtol=1e-4, atol=1e-6)
        else:
            for opt, ps, fn, lib in ((opt_a, a, nt_loss, numtorch), (opt_b, b, th_loss, torch)):
                opt.zero_grad()
                if numpy_grads:
                    set_np_grads(ps, lib, -1.0 if kwargs.get("maximize") else 1.0)
                else:
                    fn(ps).backward()
                if skip_grad is not None:
                    ps[skip_grad].grad = None
            opt_a.step()
            opt_b.step()
        for i, (pa, pb) in enumerate(zip(arrays(a), arrays(b))):
            np.testing.assert_allclose(pa, pb, rtol=rtol, atol=atol, err_msg=f"step {step}, param {i}")
    return opt_a, opt_b, a, b
