"""Clear errors for PyTorch attributes numtorch does not have (yet).

``numtorch.xyz`` for an unknown public name raises::

    NotImplementedError: numtorch does not support torch.xyz yet

The exception is also an ``AttributeError``, so ``hasattr(torch, "compile")`` and
``getattr(torch.backends, "mps", None)`` keep working in scripts that probe for features.
Submodules that exist but were not imported yet (``numtorch.cuda``, ``numtorch.testing``,
``numtorch.backends``...) are imported on first access, as in PyTorch.

A package opts in with one line in its ``__init__.py``::

    from numtorch._missing import module_getattr; __getattr__ = module_getattr(__name__)
"""
from __future__ import annotations

import builtins
import importlib
import importlib.util
from typing import Callable

_PUBLIC_NAMES = {"numtorch": "torch", "numtorch.vision": "torchvision"}


class MissingAPIError(builtins.NotImplementedError, builtins.AttributeError):
    """Raised for a PyTorch attribute numtorch lacks: a NotImplementedError that hasattr() understands."""


# Print as the builtin it is a subclass of ("NotImplementedError: numtorch does not support ...").
MissingAPIError.__module__ = "builtins"
MissingAPIError.__qualname__ = MissingAPIError.__name__ = "NotImplementedError"


def torch_name(module_name: str) -> str:
    """``numtorch.nn.functional`` -> ``torch.nn.functional``; ``numtorch.vision.x`` -> ``torchvision.x``."""
    for ours, theirs in sorted(_PUBLIC_NAMES.items(), key=lambda kv: -len(kv[0])):
        if module_name == ours or module_name.startswith(ours + "."):
            return theirs + module_name[len(ours):]
    return module_name


def missing_attribute(module_name: str, name: str):
    """Resolve ``module.name``: a not-yet-imported submodule, or raise the clear missing-API error."""
    if name.startswith("_"):
        raise AttributeError(f"module '{module_name}' has no attribute '{name}'")
    full = f"{module_name}.{name}"
    try:
        spec = importlib.util.find_spec(full)
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        return importlib.import_module(full)
    raise MissingAPIError(f"numtorch does not support {torch_name(module_name)}.{name} yet")


def module_getattr(module_name: str) -> Callable[[str], object]:
    """A module-level ``__getattr__`` for ``module_name`` (see the module docstring)."""
    def __getattr__(name: str):
        return missing_attribute(module_name, name)
    return __getattr__


def missing_class_attribute(obj: object, name: str, public: str | None = None):
    """For a class's ``__getattr__``: e.g. ``Tensor.foo`` -> NotImplementedError naming ``torch.Tensor.foo``."""
    if name.startswith("_"):
        raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{name}'")
    raise MissingAPIError(f"numtorch does not support {public or 'torch.' + type(obj).__name__}.{name} yet")
