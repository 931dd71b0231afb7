"""Compare numtorch with PyTorch: same inputs, same upstream gradient, forward and every input gradient."""
from __future__ import annotations

import numpy as np
import torch

import numtorch

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-7, atol=1e-9)}


def nt(array, requires_grad=False):
    return numtorch.tensor(np.array(array), requires_grad=requires_grad)


def th(array, requires_grad=False):
    return torch.tensor(np.array(array), requires_grad=requires_grad)


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy()
    if isinstance(x, numtorch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def assert_close(actual, expected, dtype=np.float32, rtol=None, atol=None, msg=""):
    tol = dict(TOL.get(np.dtype(dtype).type, TOL[np.float32]))
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    a, e = to_numpy(actual), to_numpy(expected)
    assert a.shape == e.shape, f"{msg} shape {a.shape} != {e.shape}"
    np.testing.assert_allclose(a, e, err_msg=msg, **tol)


def check_op(nt_fn, torch_fn, *arrays, grad=True, rtol=None, atol=None, seed=0):
    """Run both frameworks on copies of ``arrays``; compare outputs and, for float inputs, all input grads.

    ``arrays`` are NumPy arrays (their dtype is used as is). Non-contiguous inputs can be passed as
    transposed views. Returns the numtorch output.
    """
    wants = [grad and a.dtype.kind == "f" for a in arrays]
    nts = [numtorch.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants)]
    ths = [torch.tensor(a.copy(), requires_grad=w) for a, w in zip(arrays, wants)]
    out_n, out_t = nt_fn(*nts), torch_fn(*ths)
    outs_n = out_n if isinstance(out_n, (tuple, list)) else (out_n,)
    outs_t = out_t if isinstance(out_t, (tuple, list)) else (out_t,)
    dtype = arrays[0].dtype if arrays else np.float32
    for i, (a, b) in enumerate(zip(outs_n, outs_t)):
        assert to_numpy(a).dtype == to_numpy(b).dtype, f"output {i} dtype {to_numpy(a).dtype} != {to_numpy(b).dtype}"
        assert_close(a, b, dtype, rtol, atol, msg=f"output {i}")
    if any(wants):
        rng = np.random.default_rng(seed)
        pairs = [(a, b) for a, b in zip(outs_n, outs_t) if isinstance(b, torch.Tensor) and b.requires_grad]
        gn, gt = [], []
        for a, b in pairs:
            up = rng.standard_normal(b.shape).astype(to_numpy(b).dtype)
            gn.append(numtorch.tensor(up))
            gt.append(torch.tensor(up))
        if pairs:
            wrt = [x for x, w in zip(nts, wants) if w]  # raw gradients keep the input's dtype (no cast on the way)
            raw = numtorch.autograd.grad([p[0] for p in pairs], wrt, gn, retain_graph=True, allow_unused=True)
            for x, r in zip(wrt, raw):
                assert r is None or r.dtype == x.dtype, f"autograd.grad gave {r.dtype} for a {x.dtype} input"
            numtorch.autograd.backward([p[0] for p in pairs], gn)
            torch.autograd.backward([p[1] for p in pairs], gt)
            for i, (x, y, w) in enumerate(zip(nts, ths, wants)):
                if w:
                    expected = y.grad if y.grad is not None else torch.zeros_like(y)
                    actual = x.grad if x.grad is not None else numtorch.zeros_like(x)
                    assert_close(actual, expected, dtype, rtol, atol, msg=f"grad of input {i}")
    return out_n
