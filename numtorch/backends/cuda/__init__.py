"""``numtorch.backends.cuda``: not built with CUDA; the TF32 switches are settable flags."""
from ..._missing import module_getattr

__getattr__ = module_getattr(__name__)


class _Flag:
    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _Flag()


def is_built() -> bool:
    return False
