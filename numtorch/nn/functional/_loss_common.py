"""What the loss files share: reduction handling, dtype/shape wording, and the input-mistake warnings.

Mistake detection (numtorch extra): ``cross_entropy`` and ``nll_loss`` warn once through ``_warn_once`` with
``SuspiciousLossInputWarning`` (a UserWarning); ``set_loss_input_checks(False)`` turns the checks off.
"""
from __future__ import annotations

import os
import sys
import warnings

from ..._backend import xp
from ...tensor import Tensor


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


# ----------------------------------------------------------------------------------- helpers
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep


def _caller_stacklevel() -> int:
    """The ``stacklevel`` (counted from the function calling this one) of the first frame outside numtorch,
    so that a warning names the user's line however deep inside numtorch it is raised."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=_caller_stacklevel())
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


def _as_operand(t, like: Tensor) -> Tensor:
    if isinstance(t, Tensor):
        return t
    from ... import creation
    return creation.tensor(t, dtype=like.dtype)
