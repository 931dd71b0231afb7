"""Shared helpers for the nn layer tests: run a numtorch module and its PyTorch twin with identical weights."""
from __future__ import annotations

import numpy as np
import torch

import numtorch


def copy_weights(nt_mod, th_mod) -> None:
    """Load the PyTorch module's state_dict (parameters and buffers) into the numtorch module."""
    sd = {k: v.detach().numpy().copy() for k, v in th_mod.state_dict().items()}
    nt_mod.load_state_dict(sd)


def _np(x):
    return x.detach().numpy() if isinstance(x, (torch.Tensor, numtorch.Tensor)) else np.asarray(x)


def close(a, b, rtol=1e-4, atol=1e-5, msg=""):
    a, b = _np(a), _np(b)
    assert a.shape == b.shape, f"{msg}: shape {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=msg)


def compare_module(nt_mod, th_mod, *arrays, train=True, rtol=1e-4, atol=1e-5, grad=True, steps=1, seed=0):
    """Same weights, same inputs: compare outputs, input grads, parameter grads and buffers with PyTorch.

    ``arrays`` are NumPy inputs (float ones get requires_grad). ``steps`` > 1 repeats forward/backward to exercise
    running statistics. Returns the numtorch output of the last step.
    """
    copy_weights(nt_mod, th_mod)
    nt_mod.train(train)
    th_mod.train(train)
    rng = np.random.default_rng(seed)
    out_n = None
    for _ in range(steps):
        wants = [grad and a.dtype.kind == "f" for a in arrays]
        xn = [numtorch.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants)]
        xt = [torch.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants)]
        out_n, out_t = nt_mod(*xn), th_mod(*xt)
        close(out_n, out_t, rtol, atol, "forward output")
        assert _np(out_n).dtype == _np(out_t).dtype, "output dtype"
        if grad and out_t.requires_grad:
            up = rng.standard_normal(tuple(out_t.shape)).astype(_np(out_t).dtype)
            out_n.backward(numtorch.tensor(up))
            out_t.backward(torch.tensor(up))
            for i, (a, b, w) in enumerate(zip(xn, xt, wants)):
                if w:
                    close(a.grad, b.grad, rtol, atol, f"grad of input {i}")
            pn = dict(nt_mod.named_parameters())
            for name, p in th_mod.named_parameters():
                assert name in pn, f"missing parameter {name}"
                if p.grad is None:
                    assert pn[name].grad is None or np.all(_np(pn[name].grad) == 0), name
                else:
                    assert pn[name].grad is not None, f"no grad for {name}"
                    close(pn[name].grad, p.grad, rtol, atol, f"grad of {name}")
            nt_mod.zero_grad()
            th_mod.zero_grad()
    bn = dict(nt_mod.named_buffers())
    for name, b in th_mod.named_buffers():
        close(bn[name], b, rtol, atol, f"buffer {name}")
        assert _np(bn[name]).dtype == _np(b).dtype, f"buffer {name} dtype"
    assert list(nt_mod.state_dict().keys()) == list(th_mod.state_dict().keys())
    return out_n


def randn(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
