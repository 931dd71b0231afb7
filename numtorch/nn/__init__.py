"""numtorch.nn: modules, functional, init and utils, with torch.nn's names."""
from .parameter import Buffer, Parameter, UninitializedParameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from . import functional, grad, init, utils  # noqa: F401

from .._missing import module_getattr  # noqa: E402

__getattr__ = module_getattr(__name__)  # unknown torch.nn names raise "numtorch does not support ... yet"
