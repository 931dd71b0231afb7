"""numtorch.vision: torchvision's ``datasets`` and ``transforms`` for numtorch (``numtorch.vision.datasets.MNIST``)."""
from . import datasets, transforms  # noqa: F401
