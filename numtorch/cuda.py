"""``numtorch.cuda``: numtorch computes on the CPU, so CUDA is never available.

Scripts written for PyTorch test ``torch.cuda.is_available()`` and fall back to the CPU;
the seeding, synchronisation and cache helpers they call are harmless no-ops here.
Anything that would need a GPU raises a clear error.
"""
from __future__ import annotations

from typing import Any

from ._missing import module_getattr

__getattr__ = module_getattr(__name__)


def _no_cuda(what: str):
    return RuntimeError(f"torch.cuda.{what}: numtorch runs on the CPU only (torch.cuda.is_available() is False)")


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def init() -> None:
    raise AssertionError("Torch not compiled with CUDA enabled (numtorch runs on the CPU only)")


def current_device() -> int:
    raise AssertionError("Torch not compiled with CUDA enabled (numtorch runs on the CPU only)")


def get_device_name(device: Any = None) -> str:
    raise AssertionError("Torch not compiled with CUDA enabled (numtorch runs on the CPU only)")


def set_device(device: Any) -> None:
    raise _no_cuda("set_device")


def manual_seed(seed: int) -> None:
    """No-op: there is no CUDA generator (as PyTorch when CUDA is unavailable)."""


def manual_seed_all(seed: int) -> None:
    """No-op: there is no CUDA generator."""


def seed() -> None:
    pass


def seed_all() -> None:
    pass


def synchronize(device: Any = None) -> None:
    pass


def empty_cache() -> None:
    pass


def memory_allocated(device: Any = None) -> int:
    return 0


def max_memory_allocated(device: Any = None) -> int:
    return 0


def memory_reserved(device: Any = None) -> int:
    return 0


def reset_peak_memory_stats(device: Any = None) -> None:
    pass


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


# ----------------------------------------------------------------------------- torch.cuda.amp
class GradScaler:
    """``torch.cuda.amp.GradScaler`` on a machine without CUDA: always disabled, a pass-through.

    As in PyTorch without CUDA: ``enabled=True`` warns and disables; ``scale(loss)`` returns
    ``loss``, ``step(optimizer)`` calls ``optimizer.step()``, ``update()`` does nothing.
    """

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        if enabled:
            import warnings
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                          stacklevel=2)
        self._enabled = False
        self._growth_factor, self._backoff_factor, self._growth_interval = growth_factor, backoff_factor, \
            growth_interval

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer) -> None:
        pass

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        pass

    def get_scale(self) -> float:
        return 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def is_enabled(self) -> bool:
        return False

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        pass


class autocast:
    """``torch.cuda.amp.autocast``: CUDA is never available, so this context (and decorator) does nothing."""

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True) -> None:
        if enabled:
            import warnings
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)
        return wrapper


def _make_amp_module():
    import sys
    import types
    mod = types.ModuleType(__name__ + ".amp", "torch.cuda.amp: mixed precision is unavailable without CUDA.")
    mod.GradScaler, mod.autocast = GradScaler, autocast
    mod.__getattr__ = module_getattr(mod.__name__)
    sys.modules[mod.__name__] = mod
    return mod


amp = _make_amp_module()
__path__: list = []  # lets ``import torch.cuda.amp`` resolve the submodule above (numtorch.cuda is one file)
