"""``numtorch.testing``: ``assert_close`` (as ``torch.testing.assert_close``) and ``check_layer``.

``check_layer(layer, x, params={"W": "dW", "b": "db"})`` checks a hand-written
forward/backward layer against float64 central differences (and numtorch autograd when a
``reference`` is given) and returns a printable report; ``numtorch check module:Class
--input 4,3,8,8`` does the same from the command line (``check_main``).
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._layer_check import FunctionLayer, GradCheck, LayerReport, check_layer

__all__ = ["assert_close", "assert_allclose", "check_layer", "check_main", "LayerReport", "GradCheck",
           "FunctionLayer", "make_tensor"]

# torch.testing's default tolerances by dtype: (rtol, atol)
_TOLS = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _tensor_like(x) -> bool:
    from .tensor import Tensor
    return isinstance(x, (Tensor, np.ndarray))


def _arr(x) -> np.ndarray:
    from .tensor import Tensor
    return x.detach()._data if isinstance(x, Tensor) else np.asarray(x)


def _dtype_name(a: np.ndarray) -> str:
    return f"torch.{a.dtype.name}"


def _fmt_idx(i) -> str:
    return "(" + ", ".join(str(int(v)) for v in i) + ("," if len(i) == 1 else "") + ")"


def _close_arrays(actual: np.ndarray, expected: np.ndarray, rtol, atol, equal_nan: bool, check_dtype: bool,
                  path: str, msg) -> None:
    if actual.shape != expected.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: torch.Size({list(actual.shape)})"
                             f" != torch.Size({list(expected.shape)}).{path}")
    if check_dtype and actual.dtype != expected.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {_dtype_name(actual)} != "
                             f"{_dtype_name(expected)}.{path}")
    if rtol is None:
        rtol, atol = max(_TOLS.get(actual.dtype.name, (0.0, 0.0)), _TOLS.get(expected.dtype.name, (0.0, 0.0)))
    exact = rtol == 0 and atol == 0
    a = actual.astype(np.float64) if actual.dtype.kind != "c" else actual
    e = expected.astype(np.float64) if expected.dtype.kind != "c" else expected
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan) if not exact else (a == e) | (
            equal_nan & np.isnan(a) & np.isnan(e))
    if ok.all():
        return
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.abs(a - e)
        rel = diff / np.abs(e)
    diff = np.where(np.isnan(diff), np.inf, diff)
    rel = np.where(np.isnan(rel), np.inf, rel)
    n_bad, n = int((~ok).sum()), ok.size
    kind = "equal" if exact else "close"
    ia, ir = np.unravel_index(np.argmax(diff), diff.shape), np.unravel_index(np.argmax(rel), rel.shape)
    da = diff[ia] if actual.dtype.kind == "f" or expected.dtype.kind == "f" else int(diff[ia])
    allow_a = "" if exact else f" (up to {atol} allowed)"
    allow_r = "" if exact else f" (up to {rtol} allowed)"
    text = (f"Tensor-likes are not {kind}!\n\nMismatched elements: {n_bad} / {n} ({100 * n_bad / n:.1f}%)\n"
            f"Greatest absolute difference: {da} at index {_fmt_idx(ia)}{allow_a}\n"
            f"Greatest relative difference: {float(rel[ir])} at index {_fmt_idx(ir)}{allow_r}{path}")
    raise AssertionError(msg(text) if callable(msg) else (msg or text))


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: Any = None, _path: str = "") -> None:
    """Assert that tensors (or arrays, scalars, and sequences/mappings of them) are close.

    Same defaults as ``torch.testing.assert_close``: per-dtype rtol/atol (float32: 1.3e-6 / 1e-5,
    float64: 1e-7 / 1e-7, integers exact), shapes and dtypes must match.
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'atol' if atol is None else 'rtol'}.")
    kw = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
              check_device=check_device, check_dtype=check_dtype, check_layout=check_layout,
              check_stride=check_stride, msg=msg)
    suffix = f"\n\nThe failure occurred for item {_path}" if _path else ""
    if _tensor_like(actual) or _tensor_like(expected):
        if not (_tensor_like(actual) and _tensor_like(expected)) and not isinstance(actual, (int, float, bool)):
            raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                            f"{type(expected)}.")
        _close_arrays(_arr(actual), _arr(expected), rtol, atol, equal_nan, check_dtype, suffix, msg)
        return
    if isinstance(actual, (bool, int, float, complex)) and isinstance(expected, (bool, int, float, complex)):
        if check_dtype and type(actual) is not type(expected):
            raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {type(actual)} != "
                                 f"{type(expected)}.{suffix}")
        r, a = (rtol, atol) if rtol is not None else ((1e-7, 1e-7) if isinstance(expected, float) else (0.0, 0.0))
        diff = abs(actual - expected)
        if diff <= a + r * abs(expected) or (equal_nan and actual != actual and expected != expected):
            return
        rel = diff / abs(expected) if expected else math.inf
        raise AssertionError(msg or f"Scalars are not close!\n\nExpected {expected} but got {actual}.\n"
                             f"Absolute difference: {diff} (up to {a} allowed)\n"
                             f"Relative difference: {rel} (up to {r} allowed){suffix}")
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise AssertionError(msg or f"The keys of the mappings do not match:\nMissing keys in the actual "
                                 f"mapping: {sorted(map(repr, set(expected) - set(actual)))}\nExtra keys in the "
                                 f"actual mapping: {sorted(map(repr, set(actual) - set(expected)))}")
        for k in expected:
            assert_close(actual[k], expected[k], **kw, _path=f"{_path}[{k!r}]")
        return
    if isinstance(actual, Sequence) and isinstance(expected, Sequence) and not isinstance(actual, str):
        if len(actual) != len(expected):
            raise AssertionError(msg or f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for i, (x, y) in enumerate(zip(actual, expected)):
            assert_close(x, y, **kw, _path=f"{_path}[{i}]")
        return
    if actual is None and expected is None:
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def assert_allclose(actual, expected, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated PyTorch alias: like ``assert_close`` without dtype checking."""
    if rtol is None and atol is None:
        rtol, atol = 1.3e-6, 1e-5
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False, msg=msg or None)


def make_tensor(*shape, dtype=None, device=None, low=None, high=None, requires_grad: bool = False, **kwargs):
    """A random tensor with values in [low, high) (default [-9, 9)), as ``torch.testing.make_tensor``."""
    import numtorch
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dtype = dtype or numtorch.float32
    lo, hi = (-9 if low is None else low), (9 if high is None else high)
    if dtype.is_floating_point:
        t = numtorch.rand(*shape, dtype=dtype) * (hi - lo) + lo
    elif dtype is numtorch.bool:
        t = numtorch.randint(0, 2, shape).bool()
    else:
        t = numtorch.randint(int(lo), int(hi), shape, dtype=dtype)
    return t.requires_grad_(requires_grad) if requires_grad else t


# --------------------------------------------------------------------------- CLI: numtorch check
def _load_target(target: str):
    if ":" not in target:
        raise ValueError(f"expected module:Class or path/to/file.py:Class, got {target!r}")
    mod_name, _, attr = target.rpartition(":")
    if mod_name.endswith(".py") or os.sep in mod_name:
        path = os.path.abspath(mod_name)
        if not os.path.exists(path):
            raise FileNotFoundError(f"no such file: {mod_name}")
        spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, os.path.dirname(path))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(os.path.dirname(path))
    else:
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        module = importlib.import_module(mod_name)
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise AttributeError(f"{mod_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _shape(text: str) -> tuple:
    try:
        return tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a shape like 4,3,8,8; got {text!r}") from None


def check_main(argv: Sequence[str] | None = None) -> int:
    """``numtorch check module:Class --input 4,3,8,8 [--input ...] [--params W:dW,b:db] [--kwargs JSON]``.

    Builds the layer (``Class(**kwargs)``), feeds random float64 inputs of the given shapes,
    prints the report and returns 0 if every check passed, 1 if not, 2 on usage errors.
    """
    p = argparse.ArgumentParser(prog="numtorch check", description="Check a hand-written layer's backward "
                                "against central differences in float64.")
    p.add_argument("target", help="module:Class or path/to/file.py:Class (a class, or a factory function)")
    p.add_argument("--input", "-i", action="append", type=_shape, required=True, metavar="SHAPE",
                   help="shape of an input, e.g. 4,3,8,8 (repeat for several inputs)")
    p.add_argument("--params", default=None, help="parameter:gradient names, e.g. W:dW,b:db (default: auto)")
    p.add_argument("--kwargs", default="{}", help='constructor arguments as JSON, e.g. \'{"D": 3}\'')
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--atol", type=float, default=1e-6)
    p.add_argument("--rtol", type=float, default=1e-5)
    p.add_argument("--max-entries", type=int, default=2000, help="entries checked per tensor (sampled beyond)")
    try:
        args = p.parse_args(list(argv) if argv is not None else None)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        kwargs = json.loads(args.kwargs)
        factory = _load_target(args.target)
        params = None
        if args.params:
            params = dict(item.split(":") if ":" in item else (item, "d" + item) for item in args.params.split(","))
        rng = np.random.default_rng(args.seed)
        layer = factory(**kwargs)
        inputs = [rng.standard_normal(s) for s in args.input]
    except (ValueError, ImportError, AttributeError, FileNotFoundError, TypeError) as e:
        print(f"numtorch check: error: {e}", file=sys.stderr)
        return 2
    report = check_layer(layer, *inputs, params=params, seed=args.seed, atol=args.atol, rtol=args.rtol,
                         max_entries=args.max_entries)
    print(report)
    return 0 if report.passed else 1
