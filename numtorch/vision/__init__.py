"""numtorch.vision: torchvision's ``datasets`` and ``transforms`` for numtorch (``numtorch.vision.datasets.MNIST``)."""
from . import datasets, transforms, utils  # noqa: F401
