"""check_layer: compare a hand-written layer's forward/backward with central differences and autograd.

The layer is homework-style: ``out = layer.forward(*inputs)`` caches what it needs and
``dx = layer.backward(dout)`` returns the input gradient(s) and stores parameter gradients
(``layer.dW`` for ``layer.W``, or ``layer.grads["W"]`` for ``layer.params["W"]``).
All arithmetic is float64: parameters are temporarily replaced by float64 copies.
The scalar being differentiated is ``L = sum(out * dout)`` for a random ``dout``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

_MISSING = object()


# --------------------------------------------------------------------------- report
@dataclass
class GradCheck:
    """One comparison: ``name`` (e.g. ``dW``) of the layer against ``against`` (numerical/autograd)."""
    name: str
    against: str
    max_abs: float
    max_rel: float
    passed: bool
    worst: list = field(default_factory=list)  # (index, layer value, expected value)
    note: str = ""
    hint: str = ""

    def line(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        return (f"  {mark} {self.name:<16} vs {self.against:<9}  max abs {self.max_abs:9.2e}  "
                f"max rel {self.max_rel:9.2e}")


@dataclass
class LayerReport:
    """What ``check_layer`` found; ``print(report)`` shows a table, ``report.passed`` the verdict."""
    layer: str
    checks: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    atol: float = 1e-6
    rtol: float = 1e-5

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks) and bool(self.checks)

    @property
    def failed(self) -> list:
        """Names of the failing checks, e.g. ``['dx']``."""
        names = []
        for c in self.checks:
            if not c.passed and c.name not in names:
                names.append(c.name)
        return names

    def __getitem__(self, name: str) -> GradCheck:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r}; checks: {[c.name for c in self.checks]}")

    def __str__(self) -> str:
        ok = sum(c.passed for c in self.checks)
        verdict = "PASSED" if self.passed else "FAILED: " + ", ".join(self.failed)
        lines = [f"check_layer({self.layer}): {ok}/{len(self.checks)} checks passed -- {verdict}",
                 f"  (pass: |layer - expected| <= {self.atol:g} + {self.rtol:g} * |expected| everywhere)"]
        for c in self.checks:
            lines.append(c.line() + (f"  [{c.note}]" if c.note else ""))
            if not c.passed:
                for idx, got, want in c.worst:
                    lines.append(f"         at {idx}: layer {got:.6g}, expected {want:.6g}")
                if c.hint:
                    lines.append(f"       hint: {c.hint}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    __repr__ = __str__

    def raise_if_failed(self) -> "LayerReport":
        if not self.passed:
            raise AssertionError(str(self))
        return self


# --------------------------------------------------------------------------- parameter access
def _get(layer, name: str, store: str):
    if hasattr(layer, name) and not callable(getattr(layer, name)):
        return getattr(layer, name)
    d = getattr(layer, store, None)
    if isinstance(d, dict) and name in d:
        return d[name]
    return _MISSING


def _set(layer, name: str, value, store: str) -> None:
    d = getattr(layer, store, None)
    if isinstance(d, dict) and name in d and not hasattr(layer, name):
        d[name] = value
    else:
        setattr(layer, name, value)


def _auto_params(layer) -> dict:
    """Find ``W``/``dW`` attribute pairs and ``params``/``grads`` dict entries after one backward."""
    found = {}
    for k, v in list(vars(layer).items()):
        g = vars(layer).get("d" + k)
        if isinstance(v, np.ndarray) and v.dtype.kind == "f" and isinstance(g, np.ndarray):
            found[k] = "d" + k
    p, g = getattr(layer, "params", None), getattr(layer, "grads", None)
    if isinstance(p, dict) and isinstance(g, dict):
        for k in p:
            if k in g:
                found[k] = k
    return found


def _backward_takes_dout(layer) -> bool:
    import inspect
    try:
        sig = inspect.signature(layer.backward)
    except (TypeError, ValueError):
        return True
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    return any(p.kind in kinds for p in sig.parameters.values())


def _to_array(x) -> np.ndarray:
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        x = x.detach().numpy()
    return np.asarray(x)


# --------------------------------------------------------------------------- hints
def _hint(name: str, got: np.ndarray, want: np.ndarray, x: np.ndarray | None) -> str:
    """A guess at the mistake behind a wrong gradient."""
    if got.shape != want.shape:
        if got.ndim == 2 and got.T.shape == want.shape and np.allclose(got.T, want, rtol=1e-4, atol=1e-6):
            return f"{name} has the transposed shape and {name}.T matches: the gradient is transposed"
        return f"{name} has shape {got.shape} but should have shape {want.shape}"
    scale = float(np.abs(want).max()) or 1.0
    tol = 1e-4 * scale + 1e-8
    if got.ndim == 2 and got.shape[0] == got.shape[1] and np.allclose(got.T, want, atol=tol):
        return f"{name}.T matches the expected gradient: the gradient is transposed"
    if np.allclose(-got, want, atol=tol):
        return "the sign is flipped"
    if not np.any(got):
        return "the gradient is all zeros (not computed or not stored?)"
    dot = float((got * want).sum())
    if dot and np.any(want):
        c = dot / float((got * got).sum())
        if np.allclose(c * got, want, atol=tol):
            return f"off by a constant factor: expected = {c:.4g} x layer (a missing or extra 1/N or scale?)"
    zg, zw = np.abs(got) <= tol, np.abs(want) <= tol
    if (zg != zw).any() and math.isclose(float(got.sum()), float(want.sum()), rel_tol=1e-4, abs_tol=tol):
        n1, n2 = int((~zg & zw).sum()), int((zg & ~zw).sum())
        return (f"same total but different entries receive it ({n1} nonzero where expected 0, {n2} zero where "
                "expected nonzero): the gradient is routed to the wrong elements (e.g. not the max of each "
                "pooling window, or a wrong mask)")
    if x is not None and x.shape == got.shape and x.ndim >= 2:
        axes = _affine_residual_axes(want - got, x)
        if axes is not None:
            return ("the error is, within each normalisation group (axes " + str(axes) + "), an affine function of "
                    "the input: the backward ignores the gradient paths through the mean and the variance "
                    "(dx must include -mean(dxhat) and -xhat*mean(dxhat*xhat) terms)")
    return ""


def _affine_residual_axes(r: np.ndarray, x: np.ndarray):
    """Axes over which ``r`` is, per remaining index, ``a + b*x`` (the trace of a missed mean/var path)."""
    nd = x.ndim
    candidates = [(0,) + tuple(range(2, nd)), tuple(range(1, nd)), (nd - 1,)]
    for axes in dict.fromkeys(candidates):
        keep = [a for a in range(nd) if a not in axes]
        xs = np.moveaxis(x, keep, list(range(len(keep)))).reshape(-1, math.prod(x.shape[a] for a in axes))
        rs = np.moveaxis(r, keep, list(range(len(keep)))).reshape(xs.shape)
        if xs.shape[1] < 3:
            continue
        xc = xs - xs.mean(1, keepdims=True)
        rc = rs - rs.mean(1, keepdims=True)
        b = (xc * rc).sum(1, keepdims=True) / np.maximum((xc * xc).sum(1, keepdims=True), 1e-300)
        resid = rc - b * xc
        if np.abs(rs).max() > 0 and np.abs(resid).max() <= 1e-3 * np.abs(rs).max():
            return axes
    return None


def _compare(name: str, against: str, got, want, atol: float, rtol: float, x=None, note: str = "",
             mask=None, worst_k: int = 3) -> GradCheck:
    if got is None:
        return GradCheck(name, against, math.inf, math.inf, False, note=note,
                         hint=f"the layer returned/stored no {name}")
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return GradCheck(name, against, math.inf, math.inf, False, note=note, hint=_hint(name, got, want, x))
    g, w = (got[mask], want[mask]) if mask is not None else (got.ravel(), want.ravel())
    diff = np.abs(g - w)
    rel = diff / np.maximum(np.maximum(np.abs(g), np.abs(w)), 1e-12)
    bad = diff > atol + rtol * np.abs(w)
    nan = ~np.isfinite(g)
    passed = not bad.any() and not nan.any()
    order = np.argsort(-np.where(np.isfinite(diff), diff, np.inf))[:worst_k]
    flat = np.flatnonzero(mask.ravel()) if mask is not None else np.arange(got.size)
    worst = [(tuple(int(i) for i in np.unravel_index(flat[j], got.shape)), float(g[j]), float(w[j])) for j in order]
    chk = GradCheck(name, against, float(diff.max()) if diff.size else 0.0,
                    float(rel.max()) if rel.size else 0.0, passed, worst, note)
    if not passed:
        chk.hint = "the layer produced NaN/Inf" if nan.any() else _hint(name, got, want, x) if mask is None else \
            _hint(name, got * mask, want * mask, x)
    return chk


# --------------------------------------------------------------------------- the check
def check_layer(layer: Any, *inputs, params: dict | None = None, reference: Callable | None = None,
                grad_inputs: Sequence[int] | None = None, names: Sequence[str] | None = None,
                eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-5, max_entries: int = 2000,
                seed: int = 0, dout=None) -> LayerReport:
    """Check ``layer.forward``/``layer.backward`` against float64 central differences (and ``reference``).

    inputs: arrays (or tensors), e.g. x of shape (N, C, H, W); copied to float64.
    params: ``{"W": "dW", "b": "db"}``, parameter name -> gradient name (attributes, or keys of
        ``layer.params``/``layer.grads``); found automatically when omitted.
    reference: optional ``reference(*inputs, **params) -> Tensor`` written with numtorch ops; its
        output and autograd gradients are compared with the layer's.
    grad_inputs: indices of inputs with gradients (default: every floating input).
    names: names of the inputs, e.g. ``("x", "w", "b")`` to report ``dx``, ``dw``, ``db``.
    Returns a LayerReport (print it; ``.passed``, ``.failed``, ``report["dW"]``).
    """
    rng = np.random.default_rng(seed)
    xs = [_to_array(x).astype(np.float64) if _to_array(x).dtype.kind == "f" else _to_array(x) for x in inputs]
    if grad_inputs is None:
        grad_inputs = [i for i, x in enumerate(xs) if x.dtype.kind == "f"]
    lname = type(layer).__name__
    report = LayerReport(lname, atol=atol, rtol=rtol)

    def forward():
        np.random.seed(seed)  # a layer drawing masks with np.random sees the same ones each time
        raw = layer.forward(*xs)
        if isinstance(raw, tuple):
            raise TypeError(f"check_layer: {lname}.forward returned a tuple; it must return one array")
        if getattr(raw, "dtype", None) is not None and raw.dtype.kind == "f" and raw.dtype.itemsize < 8:
            msg = (f"forward returned {raw.dtype} although its inputs and parameters were float64: central "
                   "differences need float64 throughout (does the layer cast with astype(np.float32)?)")
            if msg not in report.warnings:
                report.warnings.append(msg)
        return np.asarray(raw, dtype=np.float64)

    takes_dout = _backward_takes_dout(layer)

    def backward(up):
        return layer.backward(up) if takes_dout else layer.backward()

    auto = params is None
    pmap = dict(params or {})
    originals = {}
    try:
        for p in pmap:
            v = _get(layer, p, "params")
            if v is _MISSING:
                raise AttributeError(f"check_layer: {lname} has no parameter {p!r} (attribute or params[{p!r}])")
            originals[p] = v
            _set(layer, p, np.array(v, dtype=np.float64), "params")
        out = forward()
        out2 = forward()
        if not np.array_equal(out, out2, equal_nan=True):
            report.warnings.append("forward is not deterministic for the same input (random masks not drawn "
                                   "from np.random?); numerical gradients are unreliable")
        up = rng.standard_normal(out.shape) if dout is None else np.asarray(_to_array(dout), dtype=np.float64)
        if not takes_dout:  # a loss layer: backward() differentiates the scalar output itself
            if out.size != 1:
                raise TypeError(f"check_layer: {lname}.backward takes no upstream gradient, so forward must "
                                f"return a scalar loss, but it returned shape {out.shape}")
            up = np.ones(out.shape)
        forward()
        dxs = backward(up)
        if auto:
            pmap = _auto_params(layer)
            for p in pmap:
                originals[p] = _get(layer, p, "params")
                _set(layer, p, np.array(originals[p], dtype=np.float64), "params")
            forward()
            dxs = backward(up)
        if not isinstance(dxs, (tuple, list)):
            dxs = (dxs,)
        grads = {p: _get(layer, g, "grads") for p, g in pmap.items()}
        grads = {p: (None if g is _MISSING else np.array(g, dtype=np.float64)) for p, g in grads.items()}
        dx_names = ["d" + names[i] if names else "dx" if len(grad_inputs) == 1 else f"dx{i}" for i in grad_inputs]

        def loss() -> float:
            return float((forward() * up).sum())

        def numerical(arr: np.ndarray):
            n = arr.size
            idx = np.arange(n) if n <= max_entries else np.sort(rng.choice(n, max_entries, replace=False))
            num = np.zeros(arr.shape)
            flat = arr.reshape(-1)
            for j in idx:
                old = flat[j]
                flat[j] = old + eps
                lp = loss()
                flat[j] = old - eps
                lm = loss()
                flat[j] = old
                num.flat[j] = (lp - lm) / (2 * eps)
            mask = None
            if n > max_entries:
                mask = np.zeros(arr.shape, bool)
                mask.flat[idx] = True
            return num, mask, "" if mask is None else f"sampled {max_entries} of {n} entries"

        for k, i in enumerate(grad_inputs):
            got = dxs[i] if i < len(dxs) else None
            num, mask, note = numerical(xs[i])
            report.checks.append(_compare(dx_names[k], "numerical", got, num, atol, rtol, xs[i], note, mask))
        for p in pmap:
            arr = _get(layer, p, "params")
            num, mask, note = numerical(arr)
            report.checks.append(_compare("d" + p if pmap[p] == p else pmap[p], "numerical", grads[p], num,
                                          atol, rtol, None, note, mask))
        if reference is not None:
            report.checks[:0] = _against_reference(reference, xs, grad_inputs, dx_names, pmap, layer, out, up,
                                                   dxs, grads, atol, rtol)
    finally:
        for p, v in originals.items():
            _set(layer, p, v, "params")
    return report


def _against_reference(reference, xs, grad_inputs, dx_names, pmap, layer, out, up, dxs, grads, atol, rtol):
    import numtorch
    tin = [numtorch.from_numpy(x.copy()).requires_grad_(i in grad_inputs) if x.dtype.kind == "f"
           else numtorch.from_numpy(x.copy()) for i, x in enumerate(xs)]
    tp = {p: numtorch.from_numpy(np.array(_get(layer, p, "params"), dtype=np.float64)).requires_grad_()
          for p in pmap}
    ref = reference(*tin, **tp)
    checks = [_compare("out", "reference", out, ref.detach().numpy(), atol, rtol)]
    ref.backward(numtorch.from_numpy(up))
    for k, i in enumerate(grad_inputs):
        g = tin[i].grad
        checks.append(_compare(dx_names[k], "autograd", dxs[i] if i < len(dxs) else None,
                               np.zeros(xs[i].shape) if g is None else g.numpy(), atol, rtol, xs[i]))
    for p in pmap:
        g = tp[p].grad
        checks.append(_compare("d" + p if pmap[p] == p else pmap[p], "autograd", grads[p],
                               np.zeros(tp[p].shape) if g is None else g.numpy(), atol, rtol))
    return checks


class FunctionLayer:
    """Adapts CS231n-style functions ``out, cache = f(x, w, b)`` / ``dx, dw, db = g(dout, cache)``."""

    def __init__(self, forward_fn: Callable, backward_fn: Callable) -> None:
        self.forward_fn, self.backward_fn = forward_fn, backward_fn
        self.cache = None

    def forward(self, *inputs):
        out, self.cache = self.forward_fn(*inputs)
        return out

    def backward(self, dout):
        return self.backward_fn(dout, self.cache)
