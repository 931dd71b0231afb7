"""Helpers shared by the ops: gradient un-broadcasting, PyTorch type promotion, method registration."""
from __future__ import annotations

import builtins

from .._backend import xp
from .. import _dtype
from ..autograd.grad_mode import _grad
from ..tensor import Tensor, _make
from ..autograd.function import ArrayFunction

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the one place broadcast gradients are reduced."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead:
        grad = _add_reduce(grad, axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    if axes:
        grad = _add_reduce(grad, axis=axes, keepdims=True)
    return grad if grad.shape == shape else grad.reshape(shape)


_add_reduce = xp.add.reduce  # the ufunc directly: less Python overhead than ndarray.sum


def tensor_method(*names):
    """Attach the decorated function to Tensor under each of ``names``."""
    def decorate(fn):
        for name in names:
            setattr(Tensor, name, fn)
        return fn
    return decorate


def result_dtype(a, b):
    """PyTorch's type promotion for two operands (Tensors or Python scalars); returns a NumPy dtype."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da, db = a._data.dtype, b._data.dtype
            if da == db:
                return da
            ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
            dim_a, dim_b = a._data.ndim > 0, b._data.ndim > 0
            if dim_a == dim_b:
                if ca == cb:
                    return xp.promote_types(da, db)
                return da if ca > cb else db
            if dim_a:
                return db if cb > ca else da
            return da if ca > cb else db
        return _with_scalar(a._data.dtype, b)
    return _with_scalar(b._data.dtype, a)


def _with_scalar(dt, scalar):
    kind = dt.kind
    if isinstance(scalar, builtins.bool):
        return dt
    if isinstance(scalar, builtins.float) or (hasattr(scalar, "dtype") and scalar.dtype.kind == "f"):
        return dt if kind == "f" else _dtype.get_default_dtype().np
    if isinstance(scalar, builtins.int):
        return xp.dtype(xp.int64) if kind == "b" else dt
    if isinstance(scalar, complex):
        raise TypeError("numtorch does not support complex numbers")
    return dt


def as_tensor_operand(x, dtype):
    """Turn a Tensor, scalar, list or array into a Tensor of ``dtype`` (casting through autograd)."""
    if isinstance(x, Tensor):
        return x.to_dtype_np(dtype) if x._data.dtype != dtype else x
    return _make(xp.asarray(x, dtype=dtype))


def promote(a, b):
    """Bring two operands to their common dtype; scalars stay Python scalars when that is exact."""
    dt = result_dtype(a, b)
    if isinstance(a, Tensor) and a._data.dtype != dt:
        a = as_tensor_operand(a, dt)
    elif not isinstance(a, Tensor):
        a = _scalar(a, dt)
    if isinstance(b, Tensor) and b._data.dtype != dt:
        b = as_tensor_operand(b, dt)
    elif not isinstance(b, Tensor):
        b = _scalar(b, dt)
    return a, b


def _scalar(x, dt):
    if isinstance(x, xp.generic):  # NumPy scalars act as Python scalars (np.float64(2) * t stays float32)
        x = x.item()
    if isinstance(x, (builtins.int, builtins.float, builtins.bool)):
        if dt.kind != "f" or isinstance(x, builtins.bool):
            try:
                return xp.array(x, dtype=dt)
            except OverflowError:  # PyTorch wraps out-of-range integers (uint8 + 300 == uint8 + 44)
                return xp.array(x).astype(dt)
        return x
    if hasattr(x, "__len__") or hasattr(x, "shape"):
        return _make(xp.asarray(x, dtype=dt))
    return x


def broadcast_error(a, b, opname: str = ""):
    sa = getattr(a, "shape", ())
    sb = getattr(b, "shape", ())
    for i in range(1, builtins.max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            dim = builtins.max(len(sa), len(sb)) - i
            return RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                                f"non-singleton dimension {dim}")
    return RuntimeError(f"shapes {tuple(sa)} and {tuple(sb)} are not broadcastable")


def normalize_dims(dim, ndim: int):
    """Turn an int, tuple/list of ints or None into a sorted tuple of non-negative axes (None: all)."""
    if dim is None:
        return None
    if isinstance(dim, (builtins.int, Tensor)) and not isinstance(dim, builtins.bool):
        dims = (builtins.int(dim),)
    else:
        dims = tuple(builtins.int(d) for d in dim)
        if not dims:
            return None
    n = builtins.max(ndim, 1)
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        out.append(d % n if ndim else 0)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()


def inplace(self: Tensor, result: Tensor) -> Tensor:
    """Write an op's result into ``self`` and make ``self`` that op's output, as PyTorch's in-place ops do."""
    base = self._base
    through_view = False
    if _grad.enabled:
        if self.requires_grad and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        if base is not None and (result.requires_grad or base.requires_grad):
            if base.requires_grad and base.grad_fn is None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                                   "operation.")
            through_view = True
    data = result._data
    if data.dtype != self._data.dtype:
        if _CATEGORY[data.dtype.kind] > _CATEGORY[self._data.dtype.kind]:
            raise RuntimeError(f"result type {_LEGACY[data.dtype.name]} can't be cast to the desired output "
                               f"type {_LEGACY[self._data.dtype.name]}")
        data = data.astype(self._data.dtype)
    if data.shape != self._data.shape:
        try:
            data = xp.broadcast_to(data, self._data.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                               f"{list(data.shape)}") from None
    node = result.grad_fn
    if node is not None and node.saved and any(a is self._data for a in node.saved):
        _detach_saved(node, self)
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: the tensor is a read-only (expanded or broadcast) view; "
                           "call .clone() before modifying it in place")
    if through_view:
        return _inplace_through_view(self, base, result, data)
    self._data[...] = data
    if result.requires_grad:
        self.requires_grad = True
        self.grad_fn = result.grad_fn
        self._output_nr = result._output_nr
    self._version[0] += 1
    return self


_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def legacy_name(dt) -> str:
    """PyTorch's scalar-type name in error messages: int64 -> 'Long', uint8 -> 'Byte', float32 -> 'Float'."""
    name = getattr(dt, "name", str(dt))
    return _LEGACY.get(name, name)


def _positions_in_base(view, base):
    """Flat (C-order) index into ``base`` of every element of ``view`` (which shares base's memory),
    found from byte offsets, so it works for any chain of views (slices, transposes, reshapes...)."""
    b = base._data
    start = b.__array_interface__["data"][0]
    base_offsets = xp.zeros(b.shape, xp.int64)
    for axis, stride in enumerate(b.strides):
        shape = [1] * b.ndim
        shape[axis] = b.shape[axis]
        base_offsets = base_offsets + (xp.arange(b.shape[axis], dtype=xp.int64) * stride).reshape(shape)
    v = view._data
    v_offsets = xp.full(v.shape, v.__array_interface__["data"][0] - start, xp.int64)
    for axis, stride in enumerate(v.strides):
        shape = [1] * v.ndim
        shape[axis] = v.shape[axis]
        v_offsets = v_offsets + (xp.arange(v.shape[axis], dtype=xp.int64) * stride).reshape(shape)
    flat = base_offsets.reshape(-1)
    order = xp.argsort(flat, kind="stable")
    return order[xp.searchsorted(flat[order], v_offsets)]


class _PutRegion(ArrayFunction):
    """base with the elements at flat ``pos`` replaced by ``value`` (the in-place op's result on a view)."""

    @staticmethod
    def forward(ctx, b, value, pos):
        ctx.pos, ctx.vshape = pos, value.shape
        out = b.copy()
        out.reshape(-1)[pos.reshape(-1)] = value.reshape(-1)
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        gb = gv = None
        if n[0]:
            gb = g.copy()
            gb.reshape(-1)[ctx.pos.reshape(-1)] = 0
        if n[1]:
            gv = g.reshape(-1)[ctx.pos.reshape(-1)].reshape(ctx.vshape)
        return gb, gv, None


class _TakeRegion(ArrayFunction):
    """The view's elements read back out of the (rebased) base: gradient scatters into base's shape."""

    @staticmethod
    def forward(ctx, b, pos):
        ctx.pos, ctx.shape = pos, b.shape
        return b.reshape(-1)[pos.reshape(-1)].reshape(pos.shape)

    @staticmethod
    def backward(ctx, g):
        grad = xp.zeros(ctx.shape, g.dtype)
        grad.reshape(-1)[ctx.pos.reshape(-1)] = g.reshape(-1)
        return grad, None


def _inplace_through_view(view: Tensor, base: Tensor, result: Tensor, data) -> Tensor:
    """In-place op on a view of a tensor in the graph: rebase the base (as PyTorch does), so that
    gradients flow through both the base and the view correctly."""
    pos = _positions_in_base(view, base)
    value = result if data is result._data else _make(data)
    if result.requires_grad and value is not result:
        value = result.to_dtype_np(data.dtype) if result._data.dtype != data.dtype else result
        if value._data.shape != data.shape:
            value = value.expand(data.shape)
    new_base = _PutRegion.apply(base, value, pos)
    base._data[...] = new_base._data  # the view's memory is base's memory: this updates both
    base.requires_grad = True
    base.grad_fn = new_base.grad_fn
    base._output_nr = 0
    base._version[0] += 1  # shared with the view
    regenerated = _TakeRegion.apply(base, pos)
    view.requires_grad = True
    view.grad_fn = regenerated.grad_fn
    view._output_nr = 0
    return view


def _detach_saved(node, tensor: Tensor) -> None:
    """The op about to overwrite ``tensor`` saved its old value: keep a private copy (as PyTorch's
    in-place ops save ``original_self``), and stop tracking that value's version."""
    old = tensor._data
    copied = {i for i, a in enumerate(node.saved) if a is old}
    node.saved = tuple(a.copy() if a is old else a for a in node.saved)
    if node._saved_versions:
        node._saved_versions = [v for v in node._saved_versions if v[2] not in copied] or None


def view_of(out: Tensor, base: Tensor) -> Tensor:
    """Mark ``out`` as a view of ``base`` when they share memory: one version counter for both."""
    if out._data.base is not None and xp.may_share_memory(out._data, base._data):
        out._version = base._version
        out._base = base._base if base._base is not None else base
    return out
