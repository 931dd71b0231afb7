"""numtorch.testing.assert_close: same verdicts and messages as torch.testing.assert_close."""
import numpy as np
import pytest
import torch

import numtorch
from numtorch.testing import assert_close

CASES = [
    ([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], {}),
    ([1.0, 2.0], [1.0, 2.0 + 1e-6], {}),
    ([1.0], [1.0, 2.0], {}),
    ([1, 2], [1, 3], {}),
    ([1.0, float("nan")], [1.0, float("nan")], {}),
    ([1.0, float("nan")], [1.0, float("nan")], {"equal_nan": True}),
    ([1.0, 2.0], [1.1, 2.0], {"rtol": 0.2, "atol": 0.0}),
]


def _run(fn, *args, **kw):
    try:
        fn(*args, **kw)
        return None
    except AssertionError as e:
        return str(e).replace("torch.", "").replace("numtorch.", "")


@pytest.mark.parametrize("a,b,kw", CASES)
def test_matches_torch(a, b, kw):
    ours = _run(assert_close, numtorch.tensor(a), numtorch.tensor(b), **kw)
    theirs = _run(torch.testing.assert_close, torch.tensor(a), torch.tensor(b), **kw)
    assert (ours is None) == (theirs is None)
    if theirs is not None:
        assert ours.splitlines()[:3] == theirs.splitlines()[:3]


def test_dtype_containers_scalars_and_errors():
    with pytest.raises(AssertionError, match="attribute 'dtype' do not match: torch.float32 != torch.float64"):
        assert_close(numtorch.ones(2), numtorch.ones(2, dtype=numtorch.float64))
    assert_close(numtorch.ones(2), numtorch.ones(2, dtype=numtorch.float64), check_dtype=False)
    with pytest.raises(AssertionError, match=r"The failure occurred for item \['a'\]\[1\]"):
        assert_close({"a": [numtorch.ones(1), numtorch.ones(1)]}, {"a": [numtorch.ones(1), numtorch.zeros(1)]})
    with pytest.raises(AssertionError, match="Scalars are not close"):
        assert_close(1.0, 1.5)
    with pytest.raises(ValueError, match="but got no atol"):
        assert_close(numtorch.ones(1), numtorch.ones(1), rtol=1e-3)
    assert_close(numtorch.ones(3), np.ones(3, dtype=np.float32))


def test_make_tensor():
    from numtorch.testing import make_tensor
    t = make_tensor(3, 4, dtype=numtorch.float64, low=-1, high=1)
    assert t.shape == (3, 4) and t.dtype == numtorch.float64 and -1 <= t.min().item() and t.max().item() < 1
    i = make_tensor((5,), dtype=numtorch.int64, low=0, high=3)
    assert i.dtype == numtorch.int64 and set(i.tolist()) <= {0, 1, 2}
