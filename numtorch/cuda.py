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
