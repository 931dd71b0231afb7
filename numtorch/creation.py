"""Tensor creation: ``tensor``, ``zeros``, ``arange``, the random constructors and the ``*_like`` family."""
from __future__ import annotations

import builtins
import math

from ._backend import xp
from . import _dtype
from .device import device as _device
from .random import _gen
from .tensor import Tensor, _make

__all__ = ["tensor", "as_tensor", "from_numpy", "asarray", "zeros", "ones", "full", "empty", "arange", "range",
           "linspace", "logspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like", "rand", "randn",
           "randint", "randperm", "normal", "rand_like", "randn_like", "randint_like", "bernoulli",
           "multinomial", "scalar_tensor",
           "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
           "CharTensor", "ByteTensor", "BoolTensor"]


def _np_dtype(dtype, default=None):
    if dtype is None:
        return default
    return _dtype.to_numpy_dtype(dtype)


def _finish(data, requires_grad: bool, device=None) -> Tensor:
    if device is not None:
        _device(device)
    t = _make(data)
    if requires_grad:
        if data.dtype.kind != "f":  # the factories' wording differs from Tensor.requires_grad_'s
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(True)
    return t


def _infer(data, exact: bool = False):
    """Convert Python data to an array with PyTorch's dtype inference (floats -> default float). With ``exact``
    Python floats stay float64, for a caller about to cast to an explicitly requested dtype."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, xp.ndarray):
        return data.copy()
    if isinstance(data, (list, tuple)):
        data = _unwrap_nested(data)
    try:
        arr = xp.array(data)
    except ValueError:
        raise ValueError(_ragged_message(data)) from None
    if arr.dtype.kind == "f" and not exact and not _has_numpy_floats(data):
        arr = arr.astype(_dtype.get_default_dtype().np)
    elif arr.dtype.kind == "U" or arr.dtype.kind == "O":
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    return arr


def _ragged_message(data, dim: int = 0) -> str:
    """PyTorch's wording for nested lists of unequal lengths."""
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)):
        n = len(data[0])
        for item in data:
            if not isinstance(item, (list, tuple)) or len(item) != n:
                got = len(item) if isinstance(item, (list, tuple)) else type(item).__name__
                return f"expected sequence of length {n} at dim {dim + 1} (got {got})"
        for item in data:
            msg = _ragged_message(item, dim + 1)
            if msg:
                return msg
    return "" if dim else "could not convert the data to a tensor (ragged nested sequence)"


def _unwrap_nested(data):
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(d) for d in data]
    if isinstance(data, Tensor):
        return data._data
    return data


def _has_numpy_floats(data) -> bool:
    if isinstance(data, (list, tuple)):
        return bool(data) and _has_numpy_floats(data[0])
    return isinstance(data, xp.ndarray) and data.dtype.kind == "f" or isinstance(data, xp.floating) \
        and type(data) is not builtins.float


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Copy ``data`` into a new tensor. Python floats become float32, ints int64, bools bool."""
    arr = _infer(data, exact=dtype is not None)  # Python floats go straight to the requested dtype
    if dtype is not None:
        arr = arr.astype(_np_dtype(dtype))
    if arr.dtype not in _dtype._BY_NP:
        arr = arr.astype(_dtype.from_numpy_dtype(arr.dtype).np)
    return _finish(arr, requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or Tensor when no conversion is needed."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, xp.ndarray):
        _dtype.from_numpy_dtype(data.dtype)
        target = _np_dtype(dtype, data.dtype)
        return _finish(data if target == data.dtype else data.astype(target), False, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, xp.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return _make(ndarray)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (builtins.int, xp.integer)) and not (isinstance(s, Tensor) and s.numel() == 1):
            raise TypeError(f"expected a sequence of integers or a single integer, got '{s!r}'")
    size = tuple(builtins.int(s) for s in size)
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _default(dtype):
    return _np_dtype(dtype, _dtype.get_default_dtype().np)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None) -> Tensor:
    return _finish(xp.zeros(_size(size), _default(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None) -> Tensor:
    return _finish(xp.ones(_size(size), _default(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad: bool = False, out=None, layout=None,
          memory_format=None, pin_memory: bool = False) -> Tensor:
    return _finish(xp.empty(_size(size), _default(dtype)), requires_grad, device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    if dtype is None:
        dtype = _scalar_dtype(fill_value)
    return _finish(xp.full(_size((size,)), fill_value, _np_dtype(dtype)), requires_grad, device)


def _scalar_dtype(value):
    if isinstance(value, builtins.bool):
        return _dtype.bool_
    if isinstance(value, builtins.int):
        return _dtype.int64
    return _dtype.get_default_dtype()


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(xp.asarray(s, _default(dtype)), requires_grad, device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    if end is None:
        start, end = 0, start
    start, end, step = (s.item() if isinstance(s, Tensor) else s for s in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_int = all(isinstance(v, (builtins.int, xp.integer)) for v in (start, end, step))
        dtype = _dtype.int64 if is_int else _dtype.get_default_dtype()
    n = math.ceil((end - start) / step)
    data = (start + xp.arange(n, dtype=xp.float64) * step).astype(_np_dtype(dtype)) \
        if _np_dtype(dtype).kind == "f" else xp.arange(start, end, step, dtype=_np_dtype(dtype))
    return _finish(data, requires_grad, device)


def range(start, end, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    n = builtins.int(math.floor((end - start) / step)) + 1
    data = (start + xp.arange(n, dtype=xp.float64) * step).astype(_default(dtype))
    return _finish(data, requires_grad, device)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    return _finish(xp.linspace(start, end, steps, dtype=xp.float64).astype(_default(dtype)), requires_grad, device)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    return _finish(xp.logspace(start, end, steps, base=base).astype(_default(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    return _finish(xp.eye(n, m, dtype=_default(dtype)), requires_grad, device)


def _like_dtype(input, dtype):
    return _np_dtype(dtype, input._data.dtype)


def zeros_like(input, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None,
               layout=None) -> Tensor:
    return _finish(xp.zeros(input._data.shape, _like_dtype(input, dtype)), requires_grad, device)


def ones_like(input, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None,
              layout=None) -> Tensor:
    return _finish(xp.ones(input._data.shape, _like_dtype(input, dtype)), requires_grad, device)


def empty_like(input, *, dtype=None, device=None, requires_grad: bool = False, memory_format=None,
               layout=None) -> Tensor:
    return _finish(xp.empty(input._data.shape, _like_dtype(input, dtype)), requires_grad, device)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    return _finish(xp.full(input._data.shape, fill_value, _like_dtype(input, dtype)), requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    """Uniform samples on [0, 1)."""
    dt = _default(dtype)
    return _finish(_gen(generator).random(_size(size), dtype=xp.float64).astype(dt), requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False, out=None) -> Tensor:
    """Standard normal samples."""
    dt = _default(dtype)
    data = _gen(generator).standard_normal(_size(size), dtype=dt if dt in (xp.float32, xp.float64) else xp.float64)
    return _finish(data.astype(dt, copy=False), requires_grad, device)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing 1 required positional argument: 'size'")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    data = _gen(generator).integers(low, high, size=_size((size,)), dtype=xp.int64)
    return _finish(data.astype(_np_dtype(dtype, xp.int64)), requires_grad, device)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(_gen(generator).permutation(n).astype(_np_dtype(dtype, xp.int64)), requires_grad, device)


def rand_like(input, *, dtype=None, generator=None, **kwargs) -> Tensor:
    return rand(*input._data.shape, dtype=_like_dtype(input, dtype), generator=generator,
                requires_grad=kwargs.get("requires_grad", False))


def randn_like(input, *, dtype=None, generator=None, **kwargs) -> Tensor:
    return randn(*input._data.shape, dtype=_like_dtype(input, dtype), generator=generator,
                 requires_grad=kwargs.get("requires_grad", False))


def randint_like(input, low=0, high=None, *, dtype=None, generator=None, **kwargs) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=_like_dtype(input, dtype), generator=generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, out=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Samples from N(mean, std**2); mean and std may be tensors (broadcast) or floats with ``size``."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if isinstance(s, (builtins.int, builtins.float)) and s < 0 or hasattr(s, "min") and xp.size(s) and s.min() < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {s if xp.ndim(s) == 0 else s.min()}")
    if size is not None:
        shape = _size((size,))
    else:
        shape = xp.broadcast_shapes(xp.shape(m), xp.shape(s))
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        dt = (mean if isinstance(mean, Tensor) else std)._data.dtype
    else:
        dt = _default(dtype)
    data = (m + s * _gen(generator).standard_normal(shape)).astype(dt)
    return _finish(data, requires_grad, device)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    prob = input._data if p is None else xp.full(input._data.shape, p)
    if xp.any((prob < 0) | (prob > 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    return _make((_gen(generator).random(prob.shape) < prob).astype(input._data.dtype))


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Sample indices from each row of non-negative weights (rows need not sum to 1)."""
    probs = input._data.astype(xp.float64)
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if xp.any(probs < 0) or not xp.all(xp.isfinite(probs)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    totals = rows.sum(axis=1)
    if xp.any(totals <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = _gen(generator)
    n_rows, n_cat = rows.shape
    if replacement:  # inverse CDF for all rows at once: row r's CDF is shifted by r, so one sorted array
        cdf = xp.cumsum(rows / totals[:, None], axis=1)
        cdf[:, -1] = 1.0
        shift = xp.arange(n_rows)[:, None]
        u = g.random((n_rows, num_samples))
        idx = xp.searchsorted((cdf + shift).ravel(), (u + shift).ravel(), side="right").reshape(n_rows, num_samples)
        result = xp.minimum(idx - shift * n_cat, n_cat - 1)
    else:  # Efraimidis-Spirakis: the num_samples largest keys log(u) / w, zero weights never drawn
        with xp.errstate(divide="ignore"):
            keys = xp.where(rows > 0, xp.log(g.random((n_rows, n_cat))) / xp.where(rows > 0, rows, 1.0), -xp.inf)
        result = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    result = result.astype(xp.int64)
    return _make(result.reshape(num_samples) if probs.ndim == 1 else result)


def _new(self, fn, *args, **kwargs):
    kwargs.setdefault("dtype", self.dtype)
    return fn(*args, **kwargs)


Tensor.new_zeros = lambda self, *size, **kw: _new(self, zeros, *size, **kw)
Tensor.new_ones = lambda self, *size, **kw: _new(self, ones, *size, **kw)
Tensor.new_empty = lambda self, *size, **kw: _new(self, empty, *size, **kw)
Tensor.new_full = lambda self, size, fill_value, **kw: _new(self, full, size, fill_value, **kw)
Tensor.new_tensor = lambda self, data, **kw: _new(self, tensor, data, **kw)
Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: multinomial(
    self, num_samples, replacement, generator=generator)


# ------------------------------------------------------------------ legacy typed constructors
class _LegacyTensorType(type):
    """``torch.FloatTensor`` and friends: ``isinstance(t, torch.FloatTensor)`` checks the dtype."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _legacy_new(cls, *args, device=None):
    """``FloatTensor(data)`` copies data; ``FloatTensor(d0, d1, ...)`` / ``FloatTensor(size)`` allocates."""
    if device is not None:
        _device(device)
    if not args:
        return _make(xp.empty((0,), cls.dtype.np))
    if len(args) == 1 and not isinstance(args[0], (int, tuple)):
        src = args[0]
        data = src._data if isinstance(src, Tensor) else src
        return _make(xp.array(data, dtype=cls.dtype.np))
    shape = tuple(args[0]) if len(args) == 1 and isinstance(args[0], tuple) else args
    return _make(xp.zeros(tuple(int(s) for s in shape), cls.dtype.np))


def _legacy_type(name: str, dt):
    return _LegacyTensorType(name, (), {"dtype": dt, "__new__": _legacy_new, "__module__": "torch",
                                        "__doc__": f"Legacy constructor for {dt} tensors (``torch.{name}``)."})


FloatTensor = _legacy_type("FloatTensor", _dtype.float32)
DoubleTensor = _legacy_type("DoubleTensor", _dtype.float64)
HalfTensor = _legacy_type("HalfTensor", _dtype.float16)
LongTensor = _legacy_type("LongTensor", _dtype.int64)
IntTensor = _legacy_type("IntTensor", _dtype.int32)
ShortTensor = _legacy_type("ShortTensor", _dtype.int16)
CharTensor = _legacy_type("CharTensor", _dtype.int8)
ByteTensor = _legacy_type("ByteTensor", _dtype.uint8)
BoolTensor = _legacy_type("BoolTensor", _dtype.bool_)
