"""Higher-order gradients: each node's backward as differentiable Tensor ops (``create_graph=True``).

Built-in ops compute their backward on arrays (fast, but the result has no graph). With
``create_graph=True`` the engine calls ``graph_backward`` instead, which runs the op's rule (see ``_rules``;
the rules live in ``_graph_rules_math`` and ``_graph_rules_nn``) on Tensors with grad mode on, so the
gradients it returns are recorded like any other computation and can be differentiated again
(``torch.autograd.grad(..., create_graph=True)``, gradient penalties, Hessian-vector products). A user's
``autograd.Function`` already has a Tensor backward and is called as is.

Each rule ``rule(ctx, g)`` returns one gradient (or None) per forward argument, like the op's array
backward, whose formula it repeats. ``_input(ctx, j, value)`` turns what the op saved for its j-th argument
back into a Tensor at that argument's place in the graph (the leaf itself, or a tensor whose ``grad_fn``
is the producing node); ``_output(ctx, value)`` does the same for the op's own output. Values that are
piecewise constant (ReLU's mask, a sign) enter as constants, as in PyTorch.

Ops without a rule raise ``NotImplementedError`` naming the node.
"""
from __future__ import annotations

from .._backend import xp
from .function import FREED_MESSAGE, AccumulateGrad
from .grad_mode import enable_grad

Tensor = _make = None  # bound by numtorch.tensor (see _bind_tensor)


def _bind_tensor(tensor_cls, make) -> None:
    global Tensor, _make
    Tensor, _make = tensor_cls, make


def graph_backward(node, grads):
    """Run ``node``'s backward on the Tensor gradients ``grads`` (one per output), recording a graph."""
    if node.saved is None:
        raise RuntimeError(FREED_MESSAGE)
    if node._saved_versions:
        from .engine import _check_saved_versions
        _check_saved_versions(node)
    if all(g is None for g in grads):
        return (None,) * len(node.next_edges)
    if node._out_meta is not None:  # several outputs: the unused ones get zeros
        grads = [_make(xp.zeros(m[0], m[1])) if g is None else g for g, m in zip(grads, node._out_meta)]
    with enable_grad():
        if node._array_backward:
            rule = _rules().get(type(node))
            if rule is None:
                raise NotImplementedError(f"numtorch does not support create_graph=True (higher-order gradients) "
                                          f"through {node.name()} yet")
            result = rule(node, *grads)
        else:
            result = type(node).backward(node, *grads)
    result = result if type(result) is tuple else (result,)
    if len(result) != len(node.next_edges):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(node.next_edges)}, got {len(result)})")
    return tuple(r if r is None or isinstance(r, Tensor) else _make(xp.asarray(r)) for r in result)


# ------------------------------------------------------------------------------------------ helpers


def _input(ctx, j: int, value):
    """The j-th forward argument as a Tensor in the graph (a constant when it needs no gradient)."""
    edge = ctx.next_edges[j]
    if edge is None:
        return _make(value) if isinstance(value, xp.ndarray) else value
    node, nr = edge
    if type(node) is AccumulateGrad:
        return node.variable
    return _make(value, True, node, nr)


def _output(ctx, value, k: int = 0):
    """The op's k-th output as a Tensor in the graph (its grad_fn is ``ctx`` itself)."""
    return _make(value, True, ctx, k)


def _const(value):
    return _make(xp.asarray(value))


def _sum_to(t, shape):
    """Tensor version of ``unbroadcast``: sum ``t`` down to ``shape``."""
    shape = tuple(shape)
    if tuple(t.shape) == shape:
        return t
    lead = t.dim() - len(shape)
    if lead:
        t = t.sum(dim=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and t.shape[i] != 1)
    if axes:
        t = t.sum(dim=axes, keepdim=True)
    return t if tuple(t.shape) == shape else t.reshape(shape)


def _shape(value):
    return getattr(value, "shape", ())


def _needs(ctx, j: int) -> bool:
    return bool(ctx.needs_input_grad[j])


def _via_composite(ctx, g, values, fn):
    """Rule for an op whose forward is ``fn`` of its first ``len(values)`` arguments, written here with Tensor
    ops that have rules: rebuild it on the arguments' graph tensors (``values`` give their values, None for
    an absent argument) and differentiate it with create_graph. Only this small graph is walked (``grad``
    stops at the arguments)."""
    from .engine import grad
    ins = [_input(ctx, j, v) if v is not None else None for j, v in enumerate(values)]
    wanted = [j for j, t in enumerate(ins) if t is not None and _needs(ctx, j)]
    out = fn(*ins)
    grads = grad(out, [ins[j] for j in wanted], g, create_graph=True, allow_unused=True)
    result = [None] * len(ctx.next_edges)
    for j, gj in zip(wanted, grads):
        result[j] = gj
    return tuple(result)


_RULE_TABLE = None


def _rules():
    """{op class: rule}, built on first use (the op modules import autograd, so not at import time).
    The rules live in ``_graph_rules_math`` (core ops), ``_graph_rules_nn`` and ``_graph_rules_nn2`` (nn ops)."""
    global _RULE_TABLE
    if _RULE_TABLE is None:
        from ..nn.functional import _loss_classification, _loss_pointwise, conv, pooling
        from ..nn.functional import activation as Act
        from ..nn.functional import normalization as Norm
        from ..nn.functional.dropout import MaskMul
        from ..nn.functional.embedding import Embedding
        from ..nn.functional.linear import BilinearFunction, LinearFunction
        from ..nn.functional.padding import BorderPad, ConstantPad
        from ..nn.functional.sampling import PixelShuffle, Resample
        from ..ops import _util as U
        from ..ops import arithmetic as A
        from ..ops import compare as C
        from ..ops import elementwise as E
        from ..ops import extra as X
        from ..ops import indexing as I
        from ..ops import layout as L
        from ..ops import pointwise as P
        from ..ops import reduction as R
        from ..ops import shape as S
        from ..ops import sorting as So
        from ..ops import statistics as St
        from ..ops.inplace import Copy, Overwrite
        from ..ops.linalg import Einsum
        from ..ops.scatter import Gather, IndexAdd, IndexSelect, Scatter
        from . import _graph_rules_math as m
        from . import _graph_rules_nn as n
        from . import _graph_rules_nn2 as n2
        _RULE_TABLE = {
            A.Add: m._add, A.Sub: m._sub, A.Mul: m._mul, A.Div: m._div, A.Neg: m._neg, A.Pow: m._pow,
            A.Cast: m._cast, A.MatMul: m._matmul, E.Exp: m._exp, E.Expm1: m._expm1, E.Log: m._log,
            E.Log1p: m._log1p, E.Sin: m._sin, E.Cos: m._cos, P.Erf: m._erf, E.Tanh: m._tanh,
            E.Sigmoid: m._sigmoid, E.Sqrt: m._sqrt, E.Abs: m._abs, E.Relu: m._relu, C.Where: m._where,
            P.Clamp: m._clamp, R.Sum: m._sum, R.Mean: m._mean, S.Permute: m._permute, S.Reshape: m._reshape,
            S.Clone: m._clone, L.Expand: m._expand, L.Repeat: m._repeat, I.GetItem: m._getitem, S.Cat: m._cat,
            P.Softmax: m._softmax, P.LogSoftmax: m._log_softmax,
            LinearFunction: n._linear, conv.ConvNd: n._conv, conv.Unfold: n._unfold, conv.Fold: n._fold,
            pooling.MaxPool: n._max_pool, pooling.AvgPool: n._avg_pool, Norm.BatchNorm: n._batch_norm,
            Norm.NormAffine: n._norm_affine, MaskMul: n._mask_mul, Act.LeakyRelu: n._leaky_relu,
            Act.Hardtanh: n._hardtanh, Act.Elu: n._elu, Act.Gelu: n._gelu, Act.Silu: n._silu, Act.Mish: n._mish,
            Act.Softplus: n._softplus, Act.LogSigmoid: n._log_sigmoid,
            _loss_classification.CrossEntropy: n._cross_entropy, conv.ConvTransposeNd: n._conv_transpose,
            # statistics, extrema, cumulative ops
            St.Var: m._var, St.LogSumExp: m._logsumexp, St.Norm: m._norm, St.Prod: m._prod,
            R.MaxMinAll: m._max_min_all, R.MaxMinDim: m._max_min_dim, R.AmaxAmin: m._amax_amin, L.Flip: m._flip,
            So.CumSum: m._cumsum, So.CumProd: m._cumprod,
            # indexing, layout, unary table
            So.TakeAlong: m._take_along, Gather: m._gather, IndexSelect: m._index_select,
            IndexAdd: m._index_add, I.SetItem: m._setitem, L.Diagonal: m._diagonal, L.DiagEmbed: m._diag_embed,
            C.MaximumMinimum: m._maximum_minimum, L.Roll: m._roll, L._Triangle: m._triangle, L.Tril: m._triangle,
            L.Triu: m._triangle, L.Unbind: m._unbind, L.RepeatInterleave: m._repeat_interleave, P._Unary: m._unary,
            So.Sort: m._take_along, So.Topk: m._take_along, Einsum: n2._einsum, Copy: n2._copy,
            Overwrite: n2._overwrite, So._CumExtreme: n2._cum_extreme, BilinearFunction: n2._bilinear,
            P.ZeroGrad: n2._zero_grad, P.NanToNum: n2._nan_to_num, P._Atan2: n2._atan2, X.Unfold: n2._tensor_unfold,
            X.Inverse: n2._inverse, X.Det: n2._det, X._IndexAccumulate: n2._index_accumulate,
            Scatter: n2._scatter, U._PutRegion: n2._put_region, U._TakeRegion: n2._take_region,
            # more nn ops (_graph_rules_nn2)
            Embedding: n2._embedding, pooling.AdaptiveAvgPool: n2._adaptive_avg_pool,
            pooling.AdaptiveMaxPool: n2._adaptive_max_pool, Act.Threshold: n2._threshold, Act.Shrink: n2._shrink,
            Act.Hardsigmoid: n2._hardsigmoid, Act.Hardswish: n2._hardswish, Act.Softsign: n2._softsign,
            Act.PRelu: n2._prelu, Act.RandomLeakyRelu: n2._random_leaky_relu,
            _loss_classification._ClassesLast: n2._classes_last, _loss_classification.NLL: n2._nll,
            _loss_pointwise.PointwiseLoss: n2._pointwise_loss, Norm.RMSNorm: n2._rms_norm,
            Norm.LocalResponseNorm: n2._local_response_norm, ConstantPad: n2._constant_pad,
            BorderPad: n2._border_pad, Resample: n2._resample, PixelShuffle: n2._pixel_shuffle,
        }
    return _RULE_TABLE
