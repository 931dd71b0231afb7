"""``torch.compile`` for eager NumPy: the model or function comes back unchanged.

PyTorch traces and compiles the function for speed; numtorch runs every op eagerly on NumPy anyway, so
there is nothing to compile and the results are the same. Accepting the call lets PyTorch scripts that
compile their model run unchanged. Works on modules and functions, with or without arguments, and as a
decorator (``@torch.compile`` or ``@torch.compile(mode="max-autotune")``).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

_BACKENDS = ("inductor", "eager", "aot_eager", "aot_eager_decomp_partition", "cudagraphs")
_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


class InvalidBackend(RuntimeError):
    """An unknown ``backend`` name (``torch._dynamo.exc.InvalidBackend`` in PyTorch, also a RuntimeError)."""


def compile(model: Optional[Callable] = None, *, fullgraph: bool = False, dynamic: Optional[bool] = None,
            backend: Any = None, mode: Optional[str] = None, options: Optional[dict] = None,
            name: Optional[str] = None, disable: bool = False, recompile_limit: Optional[int] = None,
            isolate_recompiles: bool = False, shapes_spec: Any = None) -> Any:
    """Return ``model`` unchanged (a decorator when ``model`` is None), after PyTorch's argument checks."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise InvalidBackend(f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` for available "
                             f"backends.")
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model
