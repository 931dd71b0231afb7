"""Anomaly detection: name the op whose forward or backward produced NaN or Inf."""
from __future__ import annotations

import warnings

from .._backend import xp

_enabled = [False]


class detect_anomaly:
    """Context manager (and decorator) that checks every backward result for NaN/Inf."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self.check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)
        return self

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)
        return wrapper


class set_detect_anomaly(detect_anomaly):
    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__(check_nan)
        self._prev = _enabled[0]
        _enabled[0] = bool(mode)

    def __enter__(self):
        return self


def is_anomaly_enabled() -> bool:
    return _enabled[0]


def check_backward(node, in_grads) -> None:
    for i, g in enumerate(in_grads):
        if g is not None and g.dtype.kind == "f" and not xp.isfinite(g).all():
            what = "nan" if xp.isnan(g).any() else "inf"
            raise RuntimeError(f"Function '{node.name()}' returned {what} values in its {i}th output "
                               f"(gradient of shape {tuple(g.shape)}).")


def check_forward(name: str, out, inputs) -> None:
    if out.dtype.kind == "f" and not xp.isfinite(out).all():
        if all(not (getattr(a, "dtype", None) is not None and a.dtype.kind == "f") or xp.isfinite(a).all()
               for a in inputs if hasattr(a, "dtype")):
            shapes = ", ".join(str(tuple(a.shape)) for a in inputs if hasattr(a, "shape"))
            raise RuntimeError(f"Function '{name}' produced nan/inf values in its forward output of shape "
                               f"{tuple(out.shape)} from finite inputs of shapes {shapes}.")
