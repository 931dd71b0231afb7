"""Linear layers as functions: ``linear`` (one fused op, forward and backward) and ``bilinear``."""
from __future__ import annotations

from ..._backend import xp
from ...autograd.function import ArrayFunction, _apply_array_function
from ...tensor import Tensor

__all__ = ["linear", "bilinear"]

_DTYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _dname(dt) -> str:
    return _DTYPE_NAMES.get(dt.name, dt.name)


class LinearFunction(ArrayFunction):
    """y = x @ W.T + b, for x of shape (*, in), W (out, in), b (out,) or None; y (*, out).

    Backward (with g = dL/dy flattened to (M, out) and x to (M, in)):
    dx = g @ W,  dW = g.T @ x,  db = g.sum(0).
    """

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        ctx.torch_name = ("AddmmBackward0" if b is not None else "MmBackward0") if x.ndim == 2 else "ViewBackward0"
        if x.ndim == 2:
            out = x @ w.T
        elif x.ndim == 1:
            out = w @ x
        else:
            out = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        n = ctx.needs_input_grad
        if x.ndim == 1:
            return (g @ w if n[0] else None,
                    xp.outer(g, x) if n[1] else None,
                    g if n[2] else None)
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        dx = dw = db = None
        if n[0]:
            dx = g2 @ w
            if x.ndim != 2:
                dx = dx.reshape(x.shape)
        if n[1]:
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            dw = g2.T @ x2
        if n[2]:
            db = g2.sum(0)
        return dx, dw, db


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias.  input (*, in), weight (out, in), bias (out,) -> (*, out)."""
    x, w = input._data, weight._data
    if x.ndim == 2 and w.ndim == 2 and x.shape[1] == w.shape[1] and x.dtype == w.dtype and w.dtype.kind == "f" \
            and (bias is None or (bias._data.dtype == w.dtype and bias._data.shape == (w.shape[0],))):
        return _apply_array_function(LinearFunction, (input, weight, bias), None)  # the common case, checked in one go
    if w.ndim != 2 or x.ndim == 0:
        out = input.matmul(weight.t() if w.ndim == 2 else weight)
        return out if bias is None else out + bias
    if x.shape[-1] != w.shape[1]:
        rows = x.size // x.shape[-1] if x.shape[-1] else (x.shape[0] if x.ndim > 1 else 1)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                           f"{w.shape[1]}x{w.shape[0]})")
    if x.dtype != w.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_dname(x.dtype)} and "
                           f"{_dname(w.dtype)}")
    if w.dtype.kind != "f":
        raise RuntimeError(f'"addmm_impl_cpu_" not implemented for \'{_dname(w.dtype)}\'')
    if bias is not None:
        b = bias._data
        if b.dtype != w.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_dname(b.dtype)} and "
                               f"{_dname(w.dtype)}")
        if b.ndim > 1 or (b.ndim == 1 and b.shape[0] not in (1, w.shape[0])):
            target = list(x.shape[:-1]) + [w.shape[0]]
            raise RuntimeError(f"The expanded size of the tensor ({w.shape[0]}) must match the existing size "
                               f"({b.shape[-1]}) at non-singleton dimension {len(target) - 1}.  Target sizes: "
                               f"{target}.  Tensor sizes: {list(b.shape)}")
    return LinearFunction.apply(input, weight, bias)


class BilinearFunction(ArrayFunction):
    """y[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j] + b[o].  x1 (N, in1), x2 (N, in2), W (out, in1, in2)."""

    @staticmethod
    def forward(ctx, x1, x2, w, b):
        out_f, in1, in2 = w.shape
        t = (x1 @ w.transpose(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)  # (N, out, in2)
        ctx.save_for_backward(x1, x2, w, t)
        out = xp.matmul(t, x2[:, :, None])[:, :, 0]
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x1, x2, w, t = ctx.saved
        n = ctx.needs_input_grad
        out_f, in1, in2 = w.shape
        dx1 = dx2 = dw = db = None
        if n[0] or n[2]:
            gx2 = g[:, :, None] * x2[:, None, :]  # (N, out, in2)
            if n[0]:
                dx1 = gx2.reshape(len(g), -1) @ w.transpose(0, 2, 1).reshape(out_f * in2, in1)
            if n[2]:
                dw = (x1.T @ gx2.reshape(len(g), -1)).reshape(in1, out_f, in2).transpose(1, 0, 2)
        if n[1]:
            dx2 = xp.matmul(g[:, None, :], t)[:, 0, :]
        if n[3]:
            db = g.sum(0)
        return dx1, dx2, dw, db


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x1^T W x2 + b.  input1 (*, in1), input2 (*, in2), weight (out, in1, in2) -> (*, out)."""
    a, c, w = input1._data, input2._data, weight._data
    if a.shape[:-1] != c.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(a.shape[:-1])} and "
                           f"{list(c.shape[:-1])}")
    if a.shape[-1] != w.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {a.shape[-1]} but "
                           f"expected {w.shape[1]}")
    if c.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {c.shape[-1]} but "
                           f"expected {w.shape[2]}")
    lead = a.shape[:-1]
    x1 = input1.reshape(-1, a.shape[-1]) if a.ndim != 2 else input1
    x2 = input2.reshape(-1, c.shape[-1]) if c.ndim != 2 else input2
    out = BilinearFunction.apply(x1, x2, weight, bias)
    return out.reshape(*lead, w.shape[0]) if a.ndim != 2 else out
