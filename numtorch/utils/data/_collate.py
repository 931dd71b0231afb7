"""``default_collate`` and ``default_convert``: how a list of samples becomes one batch (PyTorch's rules).

Tensors are stacked along a new first dimension; NumPy arrays and NumPy scalars become tensors and are
stacked; Python floats become a float64 tensor, ints an int64 tensor (bools a bool tensor); strings stay a
list; dicts, namedtuples, tuples and lists are collated field by field (tuples come back as lists).
"""
from __future__ import annotations

import collections.abc
from typing import Any

from ..._backend import xp
from ...tensor import Tensor, _make

__all__ = ["default_collate", "default_convert"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _np_to_tensor(a):
    if a.dtype.kind in "SaUO":
        raise TypeError(_ERR.format(a.dtype))
    return _make(xp.asarray(a))


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays (recursively inside mappings and sequences) into tensors; leave the rest."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (xp.ndarray, xp.generic)) and not isinstance(data, (xp.str_, xp.bytes_)):
        if data.dtype.kind in "SaUO":
            return data
        return _make(xp.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        try:
            return type(data)({k: default_convert(v) for k, v in data.items()})
        except TypeError:
            return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch: list) -> Any:
    """Collate a list of N samples into a batch.

    Tensors of shape S -> tensor (N, *S); arrays of shape S -> tensor (N, *S); floats -> float64 (N,);
    ints -> int64 (N,); str -> list; dict -> dict of collated fields; tuple/list of k fields -> list of k
    collated fields (namedtuples keep their type).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        from ...ops import stack
        return stack(list(batch), 0)
    if isinstance(elem, xp.ndarray) and not isinstance(elem, (xp.str_, xp.bytes_)):
        if elem.dtype.kind in "SaUO":
            raise TypeError(_ERR.format(elem.dtype))
        shapes = {b.shape for b in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(batch[0].shape)} at "
                               f"entry 0 and {list(next(b.shape for b in batch if b.shape != elem.shape))} at "
                               f"entry {next(i for i, b in enumerate(batch) if b.shape != elem.shape)}")
        return _make(xp.stack(batch, 0))
    if isinstance(elem, xp.generic) and not isinstance(elem, (xp.str_, xp.bytes_)):
        return _make(xp.asarray(batch))
    if isinstance(elem, bool):
        return _make(xp.asarray(batch, dtype=xp.bool_))
    if isinstance(elem, float):
        return _make(xp.asarray(batch, dtype=xp.float64))
    if isinstance(elem, int):
        return _make(xp.asarray(batch, dtype=xp.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            return type(elem)([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(_ERR.format(type(elem)))
