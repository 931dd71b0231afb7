"""``numtorch.backends.mps``: Apple's Metal backend is not available in numtorch."""
from ..._missing import module_getattr

__getattr__ = module_getattr(__name__)


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
