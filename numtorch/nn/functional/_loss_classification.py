"""Class-index losses: cross_entropy and nll_loss (torch.nn.functional names).

Cross-entropy is one fused op (log-softmax + NLL): forward keeps exp(x - max)
and the row sums, backward is ``scale * (softmax * Q - q)`` in one pass.
Both warn once on inputs that look like a mistake (see ``_loss_common``).
"""
from __future__ import annotations

from ..._backend import xp
from ...autograd.function import ArrayFunction
from ...tensor import Tensor
from ._loss_common import _check_reduction, _checks, _dname, _legacy_reduction, _warn_once


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


_CACHE = {}  # small constant arrays reused across calls (row indices, vectors of ones), read-only


def _rows(n: int):
    """arange(n), cached: every (N, C) loss call indexes its rows."""
    key = ("rows", n)
    r = _CACHE.get(key)
    if r is None:
        r = _CACHE[key] = xp.arange(n)
        r.flags.writeable = False
    return r


def _ones(n: int, dtype):
    key = ("ones", n, dtype)
    r = _CACHE.get(key)
    if r is None:
        r = _CACHE[key] = xp.ones(n, dtype=dtype)
        r.flags.writeable = False
    return r


def _gather(z, t):
    """z[n, t[n]] for (N, C) z, or z[n, t[n, s], s] for (N, C, S) z."""
    if z.ndim == 2:
        return z[_rows(z.shape[0]), t]
    return xp.take_along_axis(z, t[:, None, :], 1)[:, 0, :]


def _sub_at(d, t, v) -> None:
    """d[n, t[n]] -= v[n] (or v), in place; the (N, C, S) form likewise along axis 1."""
    if d.ndim == 2:
        d[_rows(d.shape[0]), t] -= v
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
    """``e.sum(axis=1, keepdims=True)``; for 2-D float ``e`` a BLAS mat-vec against a vector of ones: one call,
    and faster than ``add.reduce`` along short or long rows."""
    if e.ndim == 2 and e.dtype.kind == "f":
        return xp.matmul(e, _ones(e.shape[1], e.dtype))[:, None]
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
    def forward(ctx, x, target, w, rowmax, cfg):
        ignore_index, reduction, eps, probs = cfg
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
        if loss.dtype != x.dtype:
            loss = loss.astype(x.dtype)
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
            return dx, dt, None, None, None
        if not ctx.needs_input_grad[0]:
            return None, None, None, None, None
        wt = w[t] if w is not None else None
        if valid is not None:
            wt = (wt if wt is not None else xp.ones(t.shape, dtype=e.dtype)) * valid
        if not eps:  # d = scale * wt * (p - onehot(t)), p = e / s: one pass over (N, C) into a new array
            coef = scale / s
            v = scale if xp.ndim(scale) == 0 else xp.squeeze(scale, 1)  # scale at the targets: () or (N,)/(N, S)
            if wt is not None:
                coef = coef * xp.expand_dims(wt, 1)
                v = v * wt
            d = e * (coef if coef.dtype == e.dtype else coef.astype(e.dtype))
            _sub_at(d, t, v)
            return (d if d.dtype == e.dtype else d.astype(e.dtype)), None, None, None, None
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
        return (d * scale).astype(e.dtype, copy=False), None, None, None, None


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
    if t.dtype == xp.int64:  # one pass in the common case: read as unsigned, negatives become huge
        if xp.maximum.reduce(t.view(xp.uint64), axis=None) < n_cls:
            return 0 <= ignore_index < n_cls and bool((t == ignore_index).any())
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
    out = CrossEntropy.apply(x_in, t, w, rowmax, (ignore, reduction, float(label_smoothing), probs))
    if reduction == "none":
        out_shape = (x.shape[0],) + tuple(x.shape[2:]) if x.ndim >= 2 else ()
        if out._data.shape != out_shape:
            out = out.reshape(out_shape)
    return out


def _check_probabilities(x2, rowmax, stacklevel: int) -> None:
    """Warn when every row of logits is in [0, 1] and sums to 1 (softmax outputs passed as logits)."""
    if x2.shape[1] < 2 or rowmax.item(0) > 1.0 or x2.item(0) < 0.0:  # two scalar reads rule out most logits
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
