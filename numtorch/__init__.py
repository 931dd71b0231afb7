"""numtorch: a deep-learning framework on NumPy with PyTorch's API.

``import numtorch as torch`` and write PyTorch code.
"""
from ._dtype import (bfloat16, bool_ as bool, dtype, double, float, float16, float32, float64, get_default_dtype,
                     half, int, int8, int16, int32, int64, long, set_default_dtype, short, uint8)
from .device import device
from .tensor import Size, Tensor
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                                 set_grad_enabled)
from . import autograd
from .ops import *  # noqa: F401,F403
from .ops import linalg  # noqa: F401  (the torch.linalg namespace)
from .creation import *  # noqa: F401,F403
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ._printing import set_printoptions
from ._info import finfo, iinfo
from math import e, inf, nan, pi  # torch.e, torch.inf, torch.nan and torch.pi are these Python floats

newaxis = None

__version__ = "0.1.0"
from ._threads import get_num_threads, get_num_interop_threads, set_num_interop_threads, set_num_threads
from ._alloc import tune_malloc as _tune_malloc

_tune_malloc()
from .serialization import load, save
from ._compile import compile  # noqa: A001 (torch.compile: returns the model unchanged)
from . import nn, optim  # noqa: E402
from . import utils  # noqa: E402
from . import distributions  # noqa: E402
from . import special  # noqa: E402
from .utils import data as _data  # noqa: E402,F401  (so that numtorch.utils.data works after import numtorch)


def __getattr__(name: str):
    from ._missing import missing_attribute
    return missing_attribute(__name__, name)
