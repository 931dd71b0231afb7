"""Embedding lookup and one_hot."""
from __future__ import annotations

from ..._backend import xp
from ...autograd.function import ArrayFunction
from ...tensor import Tensor, _make

__all__ = ["embedding", "one_hot"]


def _scatter_rows(idx, rows, num: int):
    """out[v] = sum of rows[i] where idx[i] == v, for v < num.  idx (M,), rows (M, D) -> (num, D).

    Sorts the indices and sums each run with ``add.reduceat`` (no ``add.at``).
    """
    out = xp.zeros((num, rows.shape[1]), dtype=rows.dtype)
    if idx.size == 0:
        return out
    order = xp.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = xp.flatnonzero(xp.concatenate(([True], sidx[1:] != sidx[:-1])))
    out[sidx[starts]] = xp.add.reduceat(rows[order], starts, axis=0)
    return out


class Embedding(ArrayFunction):
    """out = weight[idx].  idx: integer array of any shape (*), weight (V, D) -> (*, D).

    Backward: dW[v] = sum of g rows whose index is v (zero for ``padding_idx``; divided by the index's count
    in the batch with ``scale_grad_by_freq``).
    """

    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(idx)
        ctx.cfg = (weight.shape, padding_idx, scale_grad_by_freq)
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved
        shape, padding_idx, by_freq = ctx.cfg
        flat = idx.reshape(-1)
        rows = g.reshape(-1, shape[1])
        if by_freq:
            counts = xp.bincount(flat, minlength=shape[0])
            rows = rows / counts[flat][:, None].astype(rows.dtype)
        dw = _scatter_rows(flat, rows, shape[0])
        if padding_idx is not None:
            dw[padding_idx] = 0
        return dw, None, None, None


def _renorm_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rescale (in place, outside autograd) the looked-up rows whose norm exceeds ``max_norm``."""
    w = weight._data
    rows = xp.unique(idx.reshape(-1))
    norms = xp.linalg.norm(w[rows].astype(xp.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] *= scale[:, None]
        weight._version[0] += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (V, D) at integer indices ``input`` (*) -> (*, D)."""
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for embedding)")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices (*) of dtype long -> one-hot (*, num_classes) long tensor (num_classes -1: max + 1)."""
    t = tensor._data
    if t.dtype != xp.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    elif t.size and t.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = xp.zeros(t.shape + (num_classes,), dtype=xp.int64)
    xp.put_along_axis(out, t[..., None], 1, axis=-1)
    return _make(out)
