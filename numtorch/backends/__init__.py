"""``numtorch.backends``: PyTorch's backend switches; no GPU backend is ever available."""
from . import cuda, cudnn, mps  # noqa: F401
from .._missing import module_getattr

__getattr__ = module_getattr(__name__)
