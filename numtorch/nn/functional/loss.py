"""Loss functions (torch.nn.functional names) with reduction 'none' | 'mean' | 'sum'.

Cross-entropy is one fused op (log-softmax + NLL): forward keeps exp(x - max)
and the row sums, backward is ``scale * (softmax * Q - q)`` in one pass.
The pointwise regression/BCE/KL losses share one op, ``PointwiseLoss``,
which evaluates a per-element loss and its two partial derivatives.

Mistake detection (numtorch extra): ``cross_entropy`` warns once when its
input already looks like probabilities (a softmax applied twice), and
``nll_loss`` warns once when its input has positive values (it expects
log-probabilities). Both raise ``SuspiciousLossInputWarning`` (a UserWarning);
silence them with ``warnings.filterwarnings("ignore", category=...)`` or
``numtorch.nn.functional.set_loss_input_checks(False)``.
"""
from __future__ import annotations

import math
import warnings

from ..._backend import xp
from ... import _dtype
from ...autograd.function import ArrayFunction
from ...ops._util import unbroadcast
from ...tensor import Size, Tensor

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss",
           "margin_ranking_loss", "triplet_margin_loss", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
           "hinge_embedding_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "SuspiciousLossInputWarning", "set_loss_input_checks"]


# --------------------------------------------------------------------------- mistake detection
class SuspiciousLossInputWarning(UserWarning):
    """A loss got inputs that look like a common mistake (e.g. softmax before cross_entropy)."""


_checks = {"enabled": True, "warned": set()}


def set_loss_input_checks(enabled: bool) -> None:
    """Turn the cross_entropy / nll_loss input sanity warnings on or off (on by default; each warns once)."""
    _checks["enabled"] = bool(enabled)
    _checks["warned"].clear()


def _warn_once(key: str, message: str, stacklevel: int) -> None:
    if key in _checks["warned"]:
        return
    _checks["warned"].add(key)
    warnings.warn(message, SuspiciousLossInputWarning, stacklevel=stacklevel + 1)


_CE_PROB_MESSAGE = (
    "cross_entropy received an input whose rows are all in [0, 1] and sum to 1: it looks like probabilities, "
    "but cross_entropy expects raw, unnormalized logits because it applies log_softmax itself. Passing "
    "softmax outputs applies softmax twice (a common mistake) and gives weak gradients. Remove the softmax "
    "before the loss (or use nll_loss on log-probabilities). Silence this with "
    "numtorch.nn.functional.set_loss_input_checks(False).")

_NLL_POS_MESSAGE = (
    "nll_loss received an input with positive values, but it expects log-probabilities (all <= 0), such as the "
    "output of log_softmax. Passing raw logits or probabilities gives a meaningless loss; use cross_entropy on "
    "logits, or apply log_softmax first. Silence this with numtorch.nn.functional.set_loss_input_checks(False).")


# ----------------------------------------------------------------------------------- helpers
def _legacy_reduction(size_average, reduce, reduction: str, stacklevel: int = 3) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=stacklevel)
    return ret


def _check_reduction(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _torch_size(shape) -> str:
    return "torch.Size(" + str(list(shape)) + ")"


def _dname(dt) -> str:
    from ...ops._util import legacy_name
    return legacy_name(dt)


def _reduce(l, reduction: str):
    if reduction == "mean":
        return xp.asarray(l.mean(), dtype=l.dtype)
    if reduction == "sum":
        return xp.asarray(l.sum(), dtype=l.dtype)
    return l


def _flatten_classes(x):
    """(N, C, d1, ...) -> (N*d1*..., C) with classes last; (N, C) and (C,) pass through as 2-D."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unflatten_classes(d, shape):
    """Inverse of ``_flatten_classes`` for a gradient of shape (M, C)."""
    if len(shape) == 1:
        return d.reshape(shape)
    if len(shape) == 2:
        return d
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return xp.moveaxis(d.reshape(moved), -1, 1)


# ----------------------------------------------------------------------------- cross entropy
def _wb(w, ndim: int):
    """Class weights (C,) broadcast against (N, C) or (N, C, S)."""
    return w.reshape((1, -1) + (1,) * (ndim - 2))


def _gather(z, t):
    """z[n, t[n]] for (N, C) z, or z[n, t[n, s], s] for (N, C, S) z."""
    if z.ndim == 2:
        return z[xp.arange(z.shape[0]), t]
    return xp.take_along_axis(z, t[:, None, :], 1)[:, 0, :]


def _sub_at(d, t, v) -> None:
    """d[n, t[n]] -= v[n] (or v), in place; the (N, C, S) form likewise along axis 1."""
    if d.ndim == 2:
        d[xp.arange(d.shape[0]), t] -= v
        return
    idx = t[:, None, :]
    vv = v[:, None, :] if xp.ndim(v) else v
    xp.put_along_axis(d, idx, xp.take_along_axis(d, idx, 1) - vv, 1)


def _rowwise(reduce, a):
    """``reduce(a, axis=1, keepdims=True)``. For 2-D ``a`` with short rows (a few classes) NumPy's reduction along
    the last axis is slow; reducing a transposed copy along axis 0 runs vectorised (4-8x faster for 10 classes)."""
    if a.ndim == 2 and a.shape[1] <= 32 and a.shape[0] >= 16:
        return reduce(xp.ascontiguousarray(a.T), axis=0)[:, None]
    return reduce(a, axis=1, keepdims=True)


def _rowsum(e):
    """``e.sum(axis=1, keepdims=True)``; for 2-D ``e`` with many classes a BLAS mat-vec against ones runs ~3x
    faster than ``add.reduce`` along the rows."""
    if e.ndim == 2 and e.shape[1] > 32 and e.dtype.kind == "f":
        return xp.matmul(e, xp.ones(e.shape[1], dtype=e.dtype))[:, None]
    return _rowwise(xp.add.reduce, e)


class CrossEntropy(ArrayFunction):
    """Fused log-softmax + negative log-likelihood over the class axis 1.

    x: (N, C) or (N, C, S) logits; target: class indices (N,) / (N, S), or probabilities shaped like x;
    w: (C,) or None. For each position, with q_c the weight each class's log-probability gets
    (indices: (1-eps) w_t [c = t] + eps/C w_c;  probabilities: w_c ((1-eps) y_c + eps/C)):
        loss = -sum_c q_c log p_c,          dloss/dx = p * sum_c q_c - q.
    'mean' divides by the summed weights of non-ignored targets (indices) or by N*S (probabilities).
    Returns per-position losses (N,) / (N, S) for 'none', else a scalar.
    """

    @staticmethod
    def forward(ctx, x, target, w, ignore_index, reduction, eps, probs, rowmax):
        if probs or eps:  # PyTorch's last node: nll_loss for plain class targets, else arithmetic
            ctx.torch_name = "DivBackward1" if probs and reduction == "mean" else "AddBackward0" if eps else None
        elif x.ndim > 2:
            ctx.torch_name = "NllLoss2DBackward0" if x.ndim == 3 else "NllLossNdBackward0"
        else:
            ctx.torch_name = "NllLossBackward0"
        n_cls = x.shape[1]
        nd = x.ndim
        z = x - rowmax  # rowmax = x.max(axis=1, keepdims=True), computed by the caller
        t = valid = zt = None
        if not probs:
            t = target
            if ignore_index is not None:  # the caller passes None when no target equals ignore_index
                valid = t != ignore_index
                t = xp.where(valid, t, 0)
        fast = not (probs or eps)  # plain class indices: z is needed only at the targets, so exp overwrites it
        if fast:
            zt = _gather(z, t)
        e = xp.exp(z, out=z) if fast else xp.exp(z)
        s = _rowsum(e)
        lse = xp.log(s).squeeze(1)  # (N,) or (N, S)
        if probs:
            y = target * (1.0 - eps) + eps / n_cls if eps else target
            q = y * _wb(w, nd) if w is not None else y
            loss = lse * q.sum(axis=1) - (q * z).sum(axis=1)
            denom = lse.size
            valid = t = None
        else:
            wt = w[t] if w is not None else None
            if valid is not None:
                wt = (wt if wt is not None else xp.ones(t.shape, dtype=x.dtype)) * valid
            nll = lse - (zt if fast else _gather(z, t))
            if eps:
                wsum = w.sum() if w is not None else n_cls
                smooth = lse * wsum - ((z * _wb(w, nd)).sum(axis=1) if w is not None else z.sum(axis=1))
                if valid is not None:
                    smooth = smooth * valid
                nll_w = nll * wt if wt is not None else nll
                loss = (1.0 - eps) * nll_w + (eps / n_cls) * smooth
            else:
                loss = nll * wt if wt is not None else nll
            denom = wt.sum() if wt is not None else lse.size
        ctx.save_for_backward(e, s, target if probs else t, w, valid, z if probs else None)
        ctx.cfg = (reduction, eps, probs, denom, n_cls)
        loss = loss.astype(x.dtype, copy=False)
        if reduction == "sum":
            return xp.asarray(loss.sum(), dtype=x.dtype)
        if reduction == "mean":
            return xp.asarray(loss.sum() / denom, dtype=x.dtype)
        return loss

    @staticmethod
    def backward(ctx, g):
        e, s, t, w, valid, z = ctx.saved
        reduction, eps, probs, denom, n_cls = ctx.cfg
        nd = e.ndim
        if reduction == "none":
            scale = xp.expand_dims(g, 1)
        elif reduction == "mean":
            scale = g / denom
        else:
            scale = g
        if probs:
            dx = dt = None
            if ctx.needs_input_grad[0]:
                y = t * (1.0 - eps) + eps / n_cls if eps else t
                q = y * _wb(w, nd) if w is not None else y
                dx = ((e / s) * q.sum(axis=1, keepdims=True) - q) * scale
                dx = dx.astype(e.dtype, copy=False)
            if ctx.needs_input_grad[1]:  # d/dy of -sum_c w_c ((1-eps) y_c + eps/C) log p_c
                logp = z - xp.log(s)
                dt = -(1.0 - eps) * (logp * _wb(w, nd) if w is not None else logp) * scale
                dt = dt.astype(e.dtype, copy=False)
            return dx, dt, None, None, None, None, None, None
        if not ctx.needs_input_grad[0]:
            return None, None, None, None, None, None, None, None
        wt = w[t] if w is not None else None
        if valid is not None:
            wt = (wt if wt is not None else xp.ones(t.shape, dtype=e.dtype)) * valid
        if not eps:  # d = scale * wt * (p - onehot(t)), p = e / s: one pass over (N, C) into a new array
            coef = scale / s
            v = scale if xp.ndim(scale) == 0 else xp.squeeze(scale, 1)  # scale at the targets: () or (N,)/(N, S)
            if wt is not None:
                coef = coef * xp.expand_dims(wt, 1)
                v = v * wt
            d = e * coef.astype(e.dtype, copy=False)
            _sub_at(d, t, v)
            return d.astype(e.dtype, copy=False), None, None, None, None, None, None, None
        # label smoothing: Q = sum_c q_c = (1 - eps) w_t + eps/C * sum(w)   (times valid)
        p = e / s
        wsum = w.sum() if w is not None else n_cls
        qsum = (1.0 - eps) * (wt if wt is not None else 1.0) + (eps / n_cls) * wsum
        if valid is not None:
            qsum = qsum * valid
        d = p * (xp.expand_dims(qsum, 1) if xp.ndim(qsum) else qsum)
        _sub_at(d, t, (1.0 - eps) * (wt if wt is not None else 1.0))
        smooth_q = (_wb(w, nd) if w is not None else 1.0) * (eps / n_cls)
        d -= smooth_q * (xp.expand_dims(valid, 1) if valid is not None else 1.0)
        return (d * scale).astype(e.dtype, copy=False), None, None, None, None, None, None, None


def _check_class_target(input: Tensor, target: Tensor, name: str):
    """Shape checks first, then the dtype check, in PyTorch's order (so the first error matches)."""
    x, t = input._data, target._data
    if x.ndim == 1:
        if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != 1):  # (C,) input takes a () or (1,) target
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    else:
        if x.ndim == 2 and t.ndim != 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if t.ndim == 0 or x.shape[0] != t.shape[0]:
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                             f"({t.shape[0] if t.ndim else 0}).")
        expected = (x.shape[0],) + tuple(x.shape[2:])
        if t.shape != expected:
            raise RuntimeError(f"Expected target size {list(expected)}, got {list(t.shape)}")
    if t.dtype.kind not in "iu" or (t.dtype.kind == "u" and t.dtype.itemsize != 1) or \
            (t.dtype.kind == "i" and t.dtype.itemsize != 8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dname(t.dtype)}")


def _check_weight(weight, n_cls: int):
    if weight is not None and (weight._data.ndim != 1 or weight._data.shape[0] != n_cls):
        raise RuntimeError(f"weight tensor should be defined either for all {n_cls} classes or no classes but got "
                           f"weight tensor of shape: {list(weight._data.shape)}")


def _check_bounds(t, n_cls: int, ignore_index: int) -> bool:
    """Raise PyTorch's IndexError for a class index outside [0, C); return whether any target is ignored."""
    if t.size == 0:
        return False
    lo, hi = t.min(), t.max()
    if lo < 0 or hi >= n_cls:
        bad = t[((t < 0) | (t >= n_cls)) & (t != ignore_index)]
        if bad.size:
            raise IndexError(f"Target {int(bad[0])} is out of bounds.")
    return bool(lo <= ignore_index <= hi) and bool((t == ignore_index).any())


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean", label_smoothing: float = 0.0,
                  *, _stacklevel: int = 2) -> Tensor:
    """Cross-entropy between logits and targets (log_softmax + nll_loss, fused).

    input: (N, C), (N, C, d1, ...) or (C,) unnormalised logits.
    target: class indices (N,), (N, d1, ...) or () of dtype long, or class probabilities of input's shape.
    Returns a scalar, or per-element losses of target's shape (indices) / input's shape without C for 'none'.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("cross_entropy: input must have at least 1 dimension (got a 0-d tensor)")
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"log_softmax_lastdim_kernel_impl" not implemented for \'{_dname(x.dtype)}\'')
    n_cls = x.shape[0] if x.ndim == 1 else x.shape[1]
    # class probabilities only when the target has the input's shape (PyTorch's rule); else class indices
    probs = target._data.dtype.kind == "f" and target._data.shape == x.shape
    _check_weight(weight, n_cls)
    w = weight._data.astype(x.dtype, copy=False) if weight is not None else None
    if probs:
        if target._data.dtype != x.dtype:
            target = target.to(input.dtype)
        t = target if x.ndim == 2 else target.reshape(1, -1) if x.ndim == 1 else \
            target.reshape(x.shape[0], n_cls, -1)
        ignore = None
    else:
        _check_class_target(input, target, "cross_entropy")
        t = target._data
        t = t.reshape(1) if x.ndim == 1 else t if x.ndim == 2 else t.reshape(x.shape[0], -1)
        ignore = ignore_index if _check_bounds(t, n_cls, ignore_index) else None
    if x.ndim == 2:
        x_in = input
    elif x.ndim == 1:
        x_in = input.reshape(1, -1)
    else:
        x_in = input.reshape(x.shape[0], n_cls, -1)  # (N, C, S): classes stay on axis 1, no copy
    x2 = x_in._data
    if x2.size == 0:
        empty = input.sum() * 0 if reduction == "sum" else input.sum() * float("nan")
        return empty if reduction != "none" else input.sum(1) if x.ndim >= 2 else input.sum()
    rowmax = _rowwise(xp.maximum.reduce, x2)
    if _checks["enabled"] and "ce" not in _checks["warned"]:
        _check_probabilities(x2, rowmax, _stacklevel)
    out = CrossEntropy.apply(x_in, t, w, ignore, reduction, float(label_smoothing), probs, rowmax)
    if reduction == "none":
        out_shape = (x.shape[0],) + tuple(x.shape[2:]) if x.ndim >= 2 else ()
        if out._data.shape != out_shape:
            out = out.reshape(out_shape)
    return out


def _check_probabilities(x2, rowmax, stacklevel: int) -> None:
    """Warn when every row of logits is in [0, 1] and sums to 1 (softmax outputs passed as logits)."""
    if x2.shape[1] < 2 or rowmax.flat[0] > 1.0 or x2.flat[0] < 0.0:  # two scalar reads rule out most logits
        return
    if rowmax.max() > 1.0 or x2.min() < 0.0:
        return
    if xp.allclose(x2.sum(axis=1), 1.0, atol=1e-3):
        _warn_once("ce", _CE_PROB_MESSAGE, stacklevel + 1)


class _ClassesLast(ArrayFunction):
    """(N, C, d1, ...) -> (N*d1*..., C): move the class axis last and flatten the rest."""

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return _flatten_classes(x)

    @staticmethod
    def backward(ctx, g):
        return _unflatten_classes(g, ctx.shape)


# ------------------------------------------------------------------------------------------ NLL
class NLL(ArrayFunction):
    """loss_i = -w[t_i] * x[i, t_i] (0 where t_i == ignore_index).  x: (M, C), t: (M,) -> (M,) or scalar.

    'mean' divides by sum of w[t_i] over non-ignored rows; dx[i, t_i] = -w[t_i] * scale, zero elsewhere.
    """

    torch_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, reduction):
        m_rows = x.shape[0]
        valid = t != ignore_index
        all_valid = bool(valid.all())
        ts = t if all_valid else xp.where(valid, t, 0)
        wt = w[ts] if w is not None else xp.ones(m_rows, dtype=x.dtype)
        if not all_valid:
            wt = wt * valid
        loss = -x[xp.arange(m_rows), ts] * wt
        denom = wt.sum()
        ctx.save_for_backward(ts, wt)
        ctx.cfg = (reduction, denom, x.shape)
        if reduction == "sum":
            return xp.asarray(loss.sum(), dtype=x.dtype)
        if reduction == "mean":
            return xp.asarray(loss.sum() / denom, dtype=x.dtype)
        return loss.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        ts, wt = ctx.saved
        reduction, denom, shape = ctx.cfg
        scale = g if reduction != "mean" else g / denom
        d = xp.zeros(shape, dtype=g.dtype)
        d[xp.arange(shape[0]), ts] = -(wt * scale)
        return d, None, None, None, None


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean", *, _stacklevel: int = 2) -> Tensor:
    """Negative log-likelihood of log-probabilities.  input (N, C), (N, C, d1, ...) or (C,); target class indices."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    x = input._data
    if x.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    n_cls = x.shape[0] if x.ndim == 1 else x.shape[1]
    _check_class_target(input, target, "nll_loss")
    _check_weight(weight, n_cls)
    t = target._data.reshape(-1)
    _check_bounds(t, n_cls, ignore_index)
    if _checks["enabled"] and "nll" not in _checks["warned"] and x.size and x.max() > 0:
        _warn_once("nll", _NLL_POS_MESSAGE, _stacklevel)
    w = weight._data.astype(x.dtype, copy=False) if weight is not None else None
    x_in = input if x.ndim == 2 else input.reshape(1, -1) if x.ndim == 1 else _ClassesLast.apply(input)
    out = NLL.apply(x_in, t, w, ignore_index, reduction)
    if reduction == "none":
        out_shape = (x.shape[0],) + tuple(x.shape[2:]) if x.ndim >= 2 else ()
        if out._data.shape != out_shape:
            out = out.reshape(out_shape)
    return out


# ------------------------------------------------------------------------------ pointwise losses
def _pointwise(kind: str, x, y, p):
    """Per-element loss l(x, y) for each kind (p: its parameter)."""
    if kind == "mse":
        d = x - y
        return d * d
    if kind == "l1":
        return xp.abs(x - y)
    if kind == "smooth_l1":
        ad = xp.abs(x - y)
        if p == 0:
            return ad
        return xp.where(ad < p, 0.5 * ad * ad / p, ad - 0.5 * p)
    if kind == "huber":
        ad = xp.abs(x - y)
        return xp.where(ad <= p, 0.5 * ad * ad, p * (ad - 0.5 * p))
    if kind == "bce":
        logx = xp.maximum(xp.log(x), -100.0)
        log1mx = xp.maximum(xp.log1p(-x), -100.0)
        return -(y * logx + (1 - y) * log1mx)
    if kind == "bce_logits":
        sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))  # softplus(-x) = -log(sigmoid(x))
        if p is None:
            return (1 - y) * x + sp
        lw = 1 + (p - 1) * y
        return (1 - y) * x + lw * sp
    if kind == "kl":
        safe = xp.where(y > 0, y, 1)
        return xp.where(y > 0, y * xp.log(safe), 0) - y * x
    if kind == "kl_log":
        return xp.exp(y) * (y - x)
    raise ValueError(kind)


def _pointwise_grads(kind: str, x, y, p, need_y: bool):
    """(dl/dx, dl/dy) per element (dl/dy only when ``need_y``)."""
    dy = None
    if kind == "mse":
        dx = 2 * (x - y)
        dy = -dx if need_y else None
    elif kind == "l1":
        dx = xp.sign(x - y)
        dy = -dx if need_y else None
    elif kind == "smooth_l1":
        d = x - y
        dx = xp.sign(d) if p == 0 else xp.where(xp.abs(d) < p, d / p, xp.sign(d))
        dy = -dx if need_y else None
    elif kind == "huber":
        d = x - y
        dx = xp.where(xp.abs(d) <= p, d, p * xp.sign(d))
        dy = -dx if need_y else None
    elif kind == "bce":
        dx = (x - y) / xp.maximum((1 - x) * x, 1e-12)
        if need_y:
            dy = xp.maximum(xp.log1p(-x), -100.0) - xp.maximum(xp.log(x), -100.0)
    elif kind == "bce_logits":
        e = xp.exp(-xp.abs(x))
        sig = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))  # sigmoid(x)
        if p is None:
            dx = sig - y
        else:
            lw = 1 + (p - 1) * y
            dx = (1 - y) - lw * (1 - sig)
        if need_y:
            sp = xp.maximum(-x, 0) + xp.log1p(e)
            dy = -x if p is None else -x + (p - 1) * sp
    elif kind == "kl":
        dx = -y
        if need_y:
            safe = xp.where(y > 0, y, 1)
            dy = xp.where(y > 0, xp.log(safe) + 1, 0) - x
    elif kind == "kl_log":
        ey = xp.exp(y)
        dx = -ey
        dy = ey * (y - x + 1) if need_y else None
    else:
        raise ValueError(kind)
    return dx, dy


_POINTWISE_NODE_NAMES = {"mse": "MseLossBackward0", "smooth_l1": "SmoothL1LossBackward0",
                         "huber": "HuberLossBackward0", "bce": "BinaryCrossEntropyBackward0",
                         "bce_logits": "BinaryCrossEntropyWithLogitsBackward0"}


class PointwiseLoss(ArrayFunction):
    """reduce(w * l(x, y)) for an elementwise loss ``kind``; x and y broadcast, w broadcasts against them.

    reduction: 'none' (broadcast shape), 'mean' (over all elements), 'sum', or 'batchmean' (sum / x.shape[0]).
    """

    @staticmethod
    def forward(ctx, x, y, w, kind, p, reduction):
        ctx.torch_name = _POINTWISE_NODE_NAMES.get(kind)
        l = _pointwise(kind, x, y, p)
        if w is not None:
            l = l * w
        l = l.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, y, w)
        ctx.cfg = (kind, p, reduction, l.shape, l.size)
        if reduction == "batchmean":
            return xp.asarray(l.sum() / x.shape[0], dtype=x.dtype)
        return _reduce(l, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, w = ctx.saved
        kind, p, reduction, shape, size = ctx.cfg
        n = ctx.needs_input_grad
        dx, dy = _pointwise_grads(kind, x, y, p, n[1])
        if reduction == "mean":
            g = g / size
        elif reduction == "batchmean":
            g = g / x.shape[0]
        scale = g if w is None else g * w
        out_dx = unbroadcast(xp.broadcast_to(dx * scale, shape), x.shape).astype(x.dtype, copy=False) \
            if n[0] else None
        out_dy = unbroadcast(xp.broadcast_to(dy * scale, shape), y.shape).astype(y.dtype, copy=False) \
            if n[1] else None
        return out_dx, out_dy, None, None, None, None


def _as_operand(t, like: Tensor) -> Tensor:
    if isinstance(t, Tensor):
        return t
    from ... import creation
    return creation.tensor(t, dtype=like.dtype)


def _regression(kind: str, input: Tensor, target: Tensor, p, reduction: str, weight=None) -> Tensor:
    _check_reduction(reduction)
    target = _as_operand(target, input)
    if target._data.shape != input._data.shape:
        warnings.warn(f"Using a target size ({_torch_size(target._data.shape)}) that is different to the input size "
                      f"({_torch_size(input._data.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
        try:
            xp.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            from ...ops._util import broadcast_error
            raise broadcast_error(input._data, target._data) from None
    x, y = input, target
    if y._data.dtype != x._data.dtype:
        if x._data.dtype.kind == "f" and y._data.dtype.kind != "f":
            y = y.to(x.dtype)
        elif x._data.dtype.kind != "f" and y._data.dtype.kind == "f":
            x = x.to(y.dtype)
        else:
            dt = xp.promote_types(x._data.dtype, y._data.dtype)
            x, y = x.to(_np_to_dtype(dt)), y.to(_np_to_dtype(dt))
    w = None
    if weight is not None:
        if weight._data.shape != input._data.shape:
            raise ValueError("Weights and input must have the same size.")
        w = weight._data
    return PointwiseLoss.apply(x, y, w, kind, p, reduction)


def _np_to_dtype(dt):
    from ..._dtype import from_numpy_dtype
    return from_numpy_dtype(dt)


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """mean/sum/none of (input - target)^2 (optionally times ``weight``); shapes broadcast."""
    return _regression("mse", input, target, None, _legacy_reduction(size_average, reduce, reduction), weight)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """mean/sum/none of |input - target|."""
    return _regression("l1", input, target, None, _legacy_reduction(size_average, reduce, reduction), weight)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _regression("smooth_l1", input, target, float(beta), _legacy_reduction(size_average, reduce, reduction))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _regression("huber", input, target, float(delta), reduction, weight)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(y log x + (1 - y) log(1 - x)), logs clamped at -100 like PyTorch.  input: probabilities in [0, 1]."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_operand(target, input)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({_torch_size(target._data.shape)}) that is different to the input "
                         f"size ({_torch_size(input._data.shape)}) is deprecated. Please ensure they have the same "
                         "size.")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1 or xp.isnan(x).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if target._data.dtype != x.dtype:  # PyTorch does not cast here: a Long/Double target is an error
        raise RuntimeError(f"Found dtype {_dname(target._data.dtype)} but expected {_dname(x.dtype)}")
    w = None
    if weight is not None:
        try:
            w = xp.broadcast_to(weight._data, x.shape).astype(x.dtype, copy=False)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({weight._data.shape[-1]}) must match the size of tensor b "
                               f"({x.shape[-1]}) at non-singleton dimension {x.ndim - 1}") from None
    return PointwiseLoss.apply(input, target, w, "bce", None, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE on sigmoid(input), computed stably from logits; ``pos_weight`` (C,) scales positive targets."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _as_operand(target, input)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({_torch_size(target._data.shape)}) must be the same as input size "
                         f"({_torch_size(input._data.shape)})")
    if target._data.dtype != input._data.dtype:
        tk = target._data.dtype.kind
        if tk == "b":
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        if tk != "f":  # the result (float) cannot be written into an integer target-typed output
            raise RuntimeError(f"result type {_dname(input._data.dtype)} can't be cast to the desired output type "
                               f"{_dname(target._data.dtype)}")
        wider = xp.promote_types(input._data.dtype, target._data.dtype)  # float32 logits + float64 target -> float64
        input, target = input.to(_dtype.from_numpy_dtype(wider)), target.to(_dtype.from_numpy_dtype(wider))
    x = input._data
    w = None if weight is None else xp.broadcast_to(weight._data, x.shape).astype(x.dtype, copy=False)
    pw = None if pos_weight is None else pos_weight._data.astype(x.dtype, copy=False)
    return PointwiseLoss.apply(input, target, w, "bce_logits", pw, reduction)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input); input holds log-probabilities.

    reduction 'batchmean' divides the sum by the batch size (the mathematically correct KL).
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    target = _as_operand(target, input)
    if target._data.dtype != input._data.dtype:
        target = target.to(input.dtype)
    return PointwiseLoss.apply(input, target, None, "kl_log" if log_target else "kl", None, reduction)


# ------------------------------------------------------------------ embedding/ranking losses
def _reduce_tensor(l: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction)
    if reduction == "mean":
        return l.mean()
    if reduction == "sum":
        return l.sum()
    return l


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1.  x (N, D) or (D,); target (N,)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if input1._data.ndim not in (1, 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1._data.shape)} and {list(input2._data.shape)}.")
    eps = 1e-12  # PyTorch's EPSILON for this loss
    prod = (input1 * input2).sum(-1)
    mag1 = (input1 * input1).sum(-1) + eps
    mag2 = (input2 * input2).sum(-1) + eps
    cos = prod / (mag1 * mag2).sqrt()
    t = target._data
    pos = _const(t == 1, cos)
    neg = _const(t == -1, cos)
    l = pos * (1 - cos) + neg * (cos - margin).clamp(min=0)
    return _reduce_tensor(l, reduction)


def _const(mask, like: Tensor) -> Tensor:
    from ...tensor import _make
    return _make(mask.astype(like._data.dtype))


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (x1 - x2) + margin).  All three of shape (N,) or scalars."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not (input1._data.ndim == input2._data.ndim == target._data.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {Size(input1._data.shape)}, input2: {Size(input2._data.shape)}, "
                           f"target: {Size(target._data.shape)} ")
    l = (-target * (input1 - input2) + margin).clamp(min=0)
    return _reduce_tensor(l, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    d = x1 - x2 + eps
    if p == 2:
        return (d * d).sum(-1).sqrt()
    if p == 1:
        return d.abs().sum(-1)
    if math.isinf(p):
        return d.abs().amax(-1)
    return (d.abs() ** p).sum(-1) ** (1.0 / p)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d the p-norm pairwise distance.  Inputs (N, D) or (D,)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    nd = anchor._data.ndim
    if not (nd == positive._data.ndim == negative._data.ndim):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {nd}D, positive {positive._data.ndim}D, and negative "
                           f"{negative._data.ndim}D inputs")
    if margin <= 0:
        raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = _pairwise_distance(positive, negative, p, eps)
        from ...ops.compare import minimum
        d_neg = minimum(d_neg, d_swap)
    l = (d_pos - d_neg + margin).clamp(min=0)
    return _reduce_tensor(l, reduction)


# ----------------------------------------------------------------------------- further losses
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: exp(x) - y x (log_input) or x - y log(x + eps); ``full`` adds Stirling's
    term y log y - y + 0.5 log(2 pi y) where y > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    l = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        y = target._data
        safe = xp.where(y > 1, y, 1.0)
        stirling = xp.where(y > 1, safe * xp.log(safe) - safe + 0.5 * xp.log(2 * math.pi * safe), 0.0)
        from ...tensor import _make
        l = l + _make(stirling.astype(input._data.dtype))
    return _reduce_tensor(l, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood 0.5 (log var + (x - y)^2 / var) (+ 0.5 log 2 pi with ``full``).

    var: same shape as input, or input's shape without the last dim, or with last dim 1 (shared variance);
    values below ``eps`` are raised to eps (without affecting the gradient), as in PyTorch.
    """
    _check_reduction(reduction)
    if not isinstance(var, Tensor):
        var = _as_operand(var, input)
    in_shape, v_shape = input._data.shape, var._data.shape
    if v_shape != in_shape:
        if in_shape[:-1] == v_shape:
            var = var.unsqueeze(-1)
        elif not (in_shape[:-1] == v_shape[:-1] and v_shape[-1:] == (1,)):
            raise ValueError("var is of incorrect size")
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    from ...tensor import _make
    bump = xp.maximum(var._data, eps) - var._data  # clamp as a constant shift: gradient flows as through var
    var = var + _make(bump.astype(var._data.dtype))
    l = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        l = l + 0.5 * math.log(2 * math.pi)
    return _reduce_tensor(l, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) for targets y in {1, -1}."""
    from .activation import logsigmoid
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce_tensor(-logsigmoid(target * input), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where y == 1, max(0, margin - x) where y == -1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    y = target._data
    l = _const(y != -1, input) * input + _const(y != 1, input) * (margin - input).clamp(min=0)
    return _reduce_tensor(l, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Per sample: mean over classes of -(y log sigmoid(x) + (1 - y) log sigmoid(-x)).  input, target (N, C)."""
    from .activation import logsigmoid
    reduction = _legacy_reduction(size_average, reduce, reduction)
    l = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        l = l * weight
    l = l.sum(dim=-1) / input._data.shape[-1]
    return _reduce_tensor(l, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Per sample: sum over classes i != y of max(0, margin - x[y] + x[i])^p / C (times weight[y]).
    input (N, C) or (C,), target (N,) or ()."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.dim() == 2 else input.unsqueeze(0)
    t = target._data.reshape(-1)
    n_cls = x._data.shape[1]
    from ...tensor import _make
    xy = x.gather(1, _make(t[:, None]))
    z = (margin - xy + x).clamp(min=0)
    if p == 2:
        z = z * z
    z = z * _const(xp.arange(n_cls)[None, :] != t[:, None], x)
    if weight is not None:
        z = z * _make(weight._data[t][:, None])
    l = z.sum(1) / n_cls
    if input.dim() == 1:
        l = l.reshape(())
    return _reduce_tensor(l, reduction)
