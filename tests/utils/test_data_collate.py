"""default_collate / default_convert on every documented structure, against torch's."""
import collections

import numpy as np
import pytest
import torch
from torch.utils.data import default_collate as t_collate, default_convert as t_convert

import numtorch
from numtorch.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def _to_torch_sample(s):
    if isinstance(s, numtorch.Tensor):
        return torch.from_numpy(s.numpy().copy())
    if isinstance(s, dict):
        return {k: _to_torch_sample(v) for k, v in s.items()}
    if isinstance(s, Point):
        return Point(*(_to_torch_sample(v) for v in s))
    if isinstance(s, (list, tuple)):
        return type(s)(_to_torch_sample(v) for v in s)
    return s


def _same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, numtorch.Tensor)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and ours.keys() == theirs.keys()
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


SAMPLES = {
    "tensors": lambda i: numtorch.full((2, 3), float(i)),
    "int_tensors": lambda i: numtorch.tensor([i, i + 1]),
    "numpy": lambda i: np.full((2,), i, dtype=np.float64),
    "numpy_uint8": lambda i: np.full((2, 2), i, dtype=np.uint8),
    "numpy_scalar": lambda i: np.float32(i),
    "floats": lambda i: float(i) / 3,
    "ints": lambda i: i,
    "bools": lambda i: i % 2 == 0,
    "strings": lambda i: f"s{i}",
    "tuple": lambda i: (numtorch.tensor([float(i)]), i),
    "list": lambda i: [i, float(i)],
    "dict": lambda i: {"img": numtorch.zeros(2) + i, "label": i, "name": str(i)},
    "namedtuple": lambda i: Point(i, float(i)),
    "nested": lambda i: {"a": [(i, {"b": np.array([i, i])})], "c": (f"x{i}", numtorch.tensor(i))},
}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_default_collate_matches_torch(kind):
    batch = [SAMPLES[kind](i) for i in range(3)]
    _same(default_collate(batch), t_collate([_to_torch_sample(s) for s in batch]))


@pytest.mark.parametrize("kind", ["numpy", "dict", "tuple", "ints", "nested"])
def test_default_convert_matches_torch(kind):
    sample = SAMPLES[kind](2)
    _same(default_convert(sample), t_convert(_to_torch_sample(sample)))


def test_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
