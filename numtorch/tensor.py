"""The Tensor: an array, plus what autograd needs to know about it.

Ops live in ``numtorch/ops`` and attach themselves as methods; this file holds
the state, conversions, autograd entry points and printing.
"""
from __future__ import annotations

import builtins
import warnings

from . import _dtype
from ._backend import xp
from ._dtype import dtype as _dtype_cls, from_numpy_dtype
from .autograd import engine
from .autograd.function import _add_pre_hook
from .autograd.grad_mode import _grad
from .device import device as _device, _CPU


class Tensor:
    """A multi-dimensional array with PyTorch's interface and autograd.

    ``_data`` holds the NumPy array. ``_version`` is a one-element list shared
    with views, bumped by every in-place change so that autograd can tell when
    a value it saved was overwritten.
    """

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_version", "__weakref__", "__dict__")
    # rarely-set state: class-level defaults, so that making a tensor (every op does) writes less
    _output_nr = 0
    _acc = None  # weak reference to the leaf's AccumulateGrad node
    _hooks = None
    _retains_grad = False
    _base = None  # the tensor this one is a view of
    __array_priority__ = 1000  # make ndarray <op> Tensor defer to Tensor's reflected operators

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        return self

    def __init__(self, *args, dtype=None, device=None, requires_grad: bool = False) -> None:
        """``Tensor(data)`` copies data as float32; ``Tensor(d0, d1, ...)`` allocates that shape."""
        if len(args) == 1 and not isinstance(args[0], (int, tuple)) or (args and isinstance(args[0], list)):
            data = xp.array(args[0].numpy() if isinstance(args[0], Tensor) else args[0],
                            dtype=_dtype.get_default_dtype().np)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            data = xp.empty(tuple(int(s) for s in shape), dtype=_dtype.get_default_dtype().np)
        _init(self, data, requires_grad, None)

    # ------------------------------------------------------------------ basics
    @property
    def data(self) -> "Tensor":
        """A tensor sharing this one's storage, outside the graph (as ``torch.Tensor.data``)."""
        t = _make(self._data, False, None)
        t._version = self._version
        return t

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else xp.asarray(value)

    @property
    def shape(self) -> "Size":
        return Size(self._data.shape)

    @property
    def dtype(self) -> _dtype_cls:
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _device:
        return _CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def T(self) -> "Tensor":
        n = self._data.ndim
        if n == 0:
            warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                          UserWarning, stacklevel=2)
        elif n != 2:
            warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                          "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                          "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                          "tensor.", UserWarning, stacklevel=2)
        return self.permute(*range(n - 1, -1, -1))

    @property
    def mT(self) -> "Tensor":
        return self.transpose(-2, -1)

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def layout(self):
        return "torch.strided"

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version_number(self) -> int:
        return self._version[0]

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def get_device(self) -> int:
        return -1

    # ------------------------------------------------------------ conversions
    def numpy(self, *, force: bool = False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and xp.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self) -> float:
        return builtins.float(self._scalar_for_python())

    def __int__(self) -> int:
        return builtins.int(self._scalar_for_python())

    def _scalar_for_python(self):
        if self._data.size != 1:  # float(t)/int(t) raise ValueError in PyTorch, unlike item()
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self._data.reshape(()).item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __contains__(self, element) -> bool:
        return builtins.bool((self._data == (element._data if isinstance(element, Tensor) else element)).any())

    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``; returns self when nothing changes."""
        target = kwargs.get("dtype")
        copy = kwargs.get("copy", False)
        for a in args:
            if isinstance(a, _dtype_cls):
                target = a
            elif isinstance(a, Tensor):
                target = a.dtype
            else:
                _device(a)  # validates, raising for devices numtorch does not have
        if "device" in kwargs and kwargs["device"] is not None:
            _device(kwargs["device"])
        if target is None or target.np == self._data.dtype:
            return self.clone() if copy else self
        return self._cast(target)

    def _cast(self, target: _dtype_cls) -> "Tensor":
        if not target.is_floating_point:  # integer/bool results never carry gradient
            return _make(self._data.astype(target.np), False, None)
        return self.to_dtype_np(target.np)  # attached by numtorch.ops.arithmetic

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        if dtype is None:
            return _TYPE_NAMES.get(self._data.dtype.name, "torch.Tensor")
        if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), _dtype_cls):
            dtype = dtype.dtype  # a legacy type: t.type(torch.FloatTensor)
        if isinstance(dtype, str):
            if dtype not in _TYPE_NAMES.values():
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = {v: k for k, v in _TYPE_NAMES.items()}.get(dtype)
            dtype = getattr(_dtype, dtype) if dtype != "bool" else _dtype.bool_
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def float(self) -> "Tensor":
        return self.to(_dtype.float32)

    def double(self) -> "Tensor":
        return self.to(_dtype.float64)

    def half(self) -> "Tensor":
        return self.to(_dtype.float16)

    def long(self) -> "Tensor":
        return self.to(_dtype.int64)

    def int(self) -> "Tensor":
        return self.to(_dtype.int32)

    def short(self) -> "Tensor":
        return self.to(_dtype.int16)

    def byte(self) -> "Tensor":
        return self.to(_dtype.uint8)

    def char(self) -> "Tensor":
        return self.to(_dtype.int8)

    def bool(self) -> "Tensor":
        return self.to(_dtype.bool_)

    def cpu(self, *args, **kwargs) -> "Tensor":
        return self

    def cuda(self, *args, **kwargs):
        raise AssertionError("Torch not compiled with CUDA enabled (numtorch runs on the CPU only)")

    def pin_memory(self) -> "Tensor":
        return self

    def share_memory_(self) -> "Tensor":
        return self

    # --------------------------------------------------------------- autograd
    def detach(self) -> "Tensor":
        t = _make(self._data, False, None)
        t._version = self._version
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        self._retains_grad = True
        import weakref
        ref = weakref.ref(self)

        def store(grad):
            t = ref()
            if t is not None:
                t.grad = grad.clone() if t.grad is None else _make(t.grad._data + grad._data, False, None)
        _add_pre_hook(self.grad_fn, self._output_nr, store)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return _add_pre_hook(self.grad_fn, self._output_nr, hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        from .autograd.function import _RemovableHandle
        return _RemovableHandle(self._hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    # ------------------------------------------------------------- in-place core
    def _bump(self) -> None:
        self._version[0] += 1

    def _check_inplace(self) -> None:
        if _grad.enabled and self.requires_grad and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")

    # ----------------------------------------------------------------- printing
    def __repr__(self) -> str:
        return _format_tensor(self)

    def __str__(self) -> str:
        return _format_tensor(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:  # as PyTorch: a 0-d tensor formats as its Python number (f"{t}" -> "0.5")
            return format(self.item(), spec)
        return str(self)

    # ---------------------------------------------------------------- pickling
    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (self._data, self.requires_grad, type(self)))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        new = _rebuild_tensor(self._data.copy(), self.requires_grad, type(self))
        if self.grad is not None:
            new.grad = _make(self.grad._data.copy(), False, None)
        memo[id(self)] = new
        return new


def _init(t: Tensor, data, requires_grad: bool, grad_fn, output_nr: int = 0) -> None:
    t._data = data
    t.requires_grad = requires_grad
    t.grad = None
    t.grad_fn = grad_fn
    t._output_nr = output_nr
    t._version = [0]
    t._acc = None
    t._hooks = None
    t._retains_grad = False
    t._base = None


def _make(data, requires_grad: bool = False, grad_fn=None, output_nr: int = 0) -> Tensor:
    """Wrap an array without copying: the fast constructor every op uses."""
    t = _new(Tensor)
    t._data = data
    t.requires_grad = requires_grad
    t.grad = None
    t.grad_fn = grad_fn
    t._version = [0]
    if output_nr:
        t._output_nr = output_nr
    return t


_new = object.__new__


def _rebuild_tensor(data, requires_grad, cls=Tensor):
    t = object.__new__(cls)
    _init(t, data, requires_grad, None)
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


class Size(tuple):
    """``numtorch.Size``: a tuple of ints, printed as PyTorch prints ``torch.Size``."""

    def __repr__(self) -> str:
        return f"numtorch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):  # Size + tuple, tuple + Size and Size * n stay Sizes, as in PyTorch
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__


_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
               "int64": "torch.LongTensor", "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
               "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor"}


def _format_tensor(t: Tensor) -> str:
    from ._printing import format_tensor
    return format_tensor(t)


def _bind() -> None:
    """Give the autograd modules (imported before Tensor existed) direct references to Tensor and _make."""
    from .autograd import engine as _engine, function as _function, higher_order as _higher_order
    _function._bind_tensor(Tensor, _make)
    _engine._bind_tensor(Tensor, _make)
    _higher_order._bind_tensor(Tensor, _make)


_bind()
