"""Small top-level helpers with PyTorch's names: is_tensor, is_floating_point, numel and friends."""
from __future__ import annotations

from .._backend import xp
from ..tensor import Tensor, _make

__all__ = ["is_tensor", "is_floating_point", "is_nonzero", "is_storage", "result_type", "promote_types",
           "can_cast", "clone_tensor_list"]


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_storage(obj) -> bool:
    return False


def is_floating_point(input: Tensor) -> bool:
    return input._data.dtype.kind == "f"


def is_nonzero(input: Tensor) -> bool:
    if input._data.size != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(()).item())


def result_type(tensor1, tensor2):
    from .. import _dtype
    from ._util import result_dtype
    a = tensor1 if isinstance(tensor1, Tensor) else tensor1
    if not isinstance(a, Tensor) and not isinstance(tensor2, Tensor):
        a = _make(xp.asarray(a))
    return _dtype.from_numpy_dtype(result_dtype(a, tensor2))


def promote_types(type1, type2):
    from .. import _dtype
    from ._util import result_dtype
    return _dtype.from_numpy_dtype(result_dtype(_make(xp.empty(1, type1.np)), _make(xp.empty(1, type2.np))))


def can_cast(from_, to) -> bool:
    from ._util import _CATEGORY
    return _CATEGORY[from_.np.kind] <= _CATEGORY[to.np.kind]


def clone_tensor_list(tensors):
    return [t.clone() for t in tensors]
