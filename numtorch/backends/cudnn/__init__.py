"""``numtorch.backends.cudnn``: not available; ``benchmark``/``deterministic``/``enabled`` are settable flags."""
from ..._missing import module_getattr

enabled: bool = True
benchmark: bool = False
deterministic: bool = False
allow_tf32: bool = True

__getattr__ = module_getattr(__name__)


def is_available() -> bool:
    return False


def version():
    return None
