"""numtorch.vision.transforms: torchvision's transforms (``Compose``, ``ToTensor``, ``Normalize``, ...)."""
from . import functional  # noqa: F401
from .functional import InterpolationMode
from .transforms import *  # noqa: F401,F403
from .transforms import __all__  # noqa: F401
