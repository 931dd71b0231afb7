"""Shape ops: reshape/view, transpose/permute, squeeze/unsqueeze, flatten, expand, clone, cat, stack.

View-producing ops share the input's version counter, as PyTorch views do.
"""
from __future__ import annotations

import builtins
import math

from .._backend import xp
from ..autograd.function import ArrayFunction, apply_unary
from ..tensor import _make, _wrap_dim
from ._util import tensor_method, view_of

__all__ = ["reshape", "flatten", "transpose", "swapaxes", "swapdims", "permute", "squeeze", "unsqueeze",
           "clone", "cat", "concat", "concatenate", "stack", "t"]


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(builtins.int(s) for s in shape)


def _infer_shape(shape, numel, original):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in shape if s != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(ArrayFunction):
    torch_name = "ViewBackward0"  # view, reshape and flatten all record a view node in PyTorch

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


def reshape(input, *shape):
    shape = _infer_shape(_shape_arg(shape), input._data.size, input._data.shape)
    if shape == input._data.shape:
        return view_of(apply_unary(Reshape, input, shape), input)
    return view_of(apply_unary(Reshape, input, shape), input)


def view(self, *shape):
    """Like reshape, but never copies: raises where the strides don't allow a view (as PyTorch does)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, builtins.int)):
        target = shape[0]
        if target.np == self._data.dtype:
            return self
        return _make(self._data.view(target.np))
    shape = _infer_shape(_shape_arg(shape), self._data.size, self._data.shape)
    try:
        new = self._data.view()
        new.shape = shape  # raises AttributeError when a copy would be needed
    except AttributeError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    return view_of(apply_unary(Reshape, self, shape), self)


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    shape = input._data.shape
    if input._data.ndim == 0:
        return reshape(input, 1)
    s = _wrap_dim(start_dim, len(shape))
    e = _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    new = shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:]
    return reshape(input, new)


class Permute(ArrayFunction):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        return g.transpose(inverse), None


def permute(input, *dims):
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal to "
                           f"len(dims) = {len(dims)}")
    axes = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(axes)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return view_of(apply_unary(Permute, input, axes), input)


def transpose(input, dim0: int, dim1: int):
    n = input._data.ndim
    if n < 2 and n == 0:
        return input
    axes = list(range(n))
    a, b = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    axes[a], axes[b] = axes[b], axes[a]
    return view_of(apply_unary(Permute, input, tuple(axes)), input)


swapaxes = swapdims = transpose


def t(input):
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, builtins.int) else tuple(dim)
        axes = {_wrap_dim(d, len(shape)) for d in dims} if shape else set()
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return view_of(apply_unary(Reshape, input, new), input)


def unsqueeze(input, dim: int):
    n = input._data.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    d = dim % n
    shape = input._data.shape
    return view_of(apply_unary(Reshape, input, shape[:d] + (1,) + shape[d:]), input)


class Clone(ArrayFunction):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def clone(input, *, memory_format=None):
    return apply_unary(Clone, input)


def contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    return apply_unary(Clone, self)


class Cat(ArrayFunction):
    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in xs]
        return xp.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        splits = list(_cumsum(ctx.sizes))[:-1]
        return (None,) + tuple(xp.split(g, splits, axis=ctx.axis))


def _cumsum(sizes):
    total = 0
    for s in sizes:
        total += s
        yield total


def cat(tensors, dim: int = 0, *, out=None, axis=None):
    if axis is not None:
        dim = axis
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    from ._util import result_dtype
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)] or tensors[:1]
    dt = tensors[0]._data.dtype
    for other in tensors[1:]:
        dt = result_dtype(_make(xp.empty((1,), dt)), other)
    tensors = [x if x._data.dtype == dt else x.to_dtype_np(dt) for x in tensors]
    ref = tensors[0]._data
    d = _wrap_dim(dim, ref.ndim)
    for i, x in enumerate(tensors):
        if x._data.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {x._data.ndim}")
        for k in range(ref.ndim):
            if k != d and x._data.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {x._data.shape[k]} for tensor number {i} in the list.")
    return Cat.apply(d, *tensors)


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(x._data.shape)} at entry {i}")
    n = len(shape) + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return cat([unsqueeze(x, dim % n) for x in tensors], dim % n)


tensor_method("reshape")(reshape)
tensor_method("view")(view)
tensor_method("view_as")(lambda self, other: view(self, other._data.shape))
tensor_method("reshape_as")(lambda self, other: reshape(self, other._data.shape))
tensor_method("flatten")(flatten)
tensor_method("permute")(permute)
tensor_method("transpose", "swapaxes", "swapdims")(transpose)
tensor_method("t")(t)
tensor_method("squeeze")(squeeze)
tensor_method("unsqueeze")(unsqueeze)
tensor_method("clone")(clone)
tensor_method("contiguous")(contiguous)
