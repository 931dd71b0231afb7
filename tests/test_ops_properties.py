"""Hypothesis property tests over random (broadcastable) shapes: elementwise and reduction families
agree with PyTorch in values, dtypes and gradients."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import numtorch
from oracle import check_op

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True)
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "atan2", "hypot"]
UNARY = ["exp", "tanh", "sigmoid", "relu", "abs", "sin", "neg", "square", "log1p"]
REDUCE = ["sum", "mean", "amax", "amin", "logsumexp", "var", "std", "prod", "norm"]


def _data(shape, seed, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       name=st.sampled_from(BINARY), seed=st.integers(0, 2 ** 16), f64=st.booleans())
def test_binary_broadcasting(shapes, name, seed, f64):
    dt = np.float64 if f64 else np.float32
    a = _data(shapes.input_shapes[0], seed).astype(dt)
    b = _data(shapes.input_shapes[1], seed + 1, 0.5, 2.0).astype(dt)
    out = check_op(lambda x, y: getattr(numtorch, name)(x, y), lambda x, y: getattr(torch, name)(x, y), a, b)
    assert tuple(out.shape) == shapes.result_shape


@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), name=st.sampled_from(UNARY),
       seed=st.integers(0, 2 ** 16))
def test_unary_any_shape(shape, name, seed):
    x = _data(shape, seed).astype(np.float32)
    out = check_op(lambda t: getattr(numtorch, name)(t), lambda t: getattr(torch, name)(t), x)
    assert tuple(out.shape) == shape


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4), name=st.sampled_from(REDUCE),
       data=st.data(), keepdim=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_reductions_any_dims(shape, name, data, keepdim, seed):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                              unique_by=lambda d: d % ndim), label="dims")
    if name == "prod":
        dims = dims[:1]
    dim = dims[0] if len(dims) == 1 else tuple(dims)
    if name in ("var", "std"):
        n = np.prod([shape[d] for d in dims])
        if n < 2:
            return
    x = _data(shape, seed).astype(np.float64)
    if name == "norm":
        check_op(lambda t: t.norm(dim=dim, keepdim=keepdim), lambda t: t.norm(dim=dim, keepdim=keepdim), x)
    else:
        check_op(lambda t: getattr(t, name)(dim, keepdim=keepdim), lambda t: getattr(t, name)(dim, keepdim=keepdim), x)


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_where_and_clamp_broadcasting(shapes, seed):
    a, b, c = (_data(s, seed + i) for i, s in enumerate(shapes.input_shapes))
    check_op(lambda x, y, z: numtorch.where(z > 0, x, y), lambda x, y, z: torch.where(z > 0, x, y), a, b, c)
    lo, hi = np.minimum(b, c) - 0.1, np.maximum(b, c) + 0.1
    check_op(lambda x, l, h: numtorch.clamp(x, l, h), lambda x, l, h: torch.clamp(x, l, h), a, lo, hi)
