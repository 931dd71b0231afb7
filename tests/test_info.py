"""numtorch.finfo / iinfo against torch.finfo / iinfo."""
from __future__ import annotations

import pytest
import torch

import numtorch
from numtorch._info import finfo, iinfo

FLOATS = ["float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS)
def test_finfo_fields_and_repr(name):
    n, t = finfo(getattr(numtorch, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(n, field) == getattr(t, field), field
        assert type(getattr(n, field)) is type(getattr(t, field)), field
    assert repr(n) == repr(t)


def test_finfo_default_dtype_follows_set_default_dtype():
    assert finfo().dtype == "float32" and finfo() == finfo(numtorch.float32)
    numtorch.set_default_dtype(numtorch.float64)
    try:
        assert finfo().eps == torch.finfo(torch.float64).eps
    finally:
        numtorch.set_default_dtype(numtorch.float32)


@pytest.mark.parametrize("name", INTS)
def test_iinfo(name):
    n, t = iinfo(getattr(numtorch, name)), torch.iinfo(getattr(torch, name))
    assert (n.bits, n.max, n.min, n.dtype) == (t.bits, t.max, t.min, t.dtype)
    assert type(n.max) is int and repr(n) == repr(t)


def test_errors_match_torch():
    with pytest.raises(TypeError, match=r"torch.finfo\(\) requires a floating point input type"):
        finfo(numtorch.int32)
    with pytest.raises(TypeError, match=r"torch.iinfo\(\) requires an integer input type"):
        iinfo(numtorch.float32)
    with pytest.raises(TypeError, match="torch.bool is not supported by torch.iinfo"):
        iinfo(numtorch.bool)
    with pytest.raises(TypeError, match="must be torch.dtype, not str"):
        finfo("float32")
    with pytest.raises(TypeError, match="must be torch.dtype, not NoneType"):
        finfo(numtorch.bfloat16)  # None in numtorch; must not silently mean the default dtype
