"""VisionDataset: the common base (root, transform, target_transform, repr) and the in-memory batch path."""
from __future__ import annotations

import os
from typing import Any, Callable

from ..._backend import xp
from ...tensor import Tensor, _make
from ...utils.data import Dataset


class VisionDataset(Dataset):
    """Base class: stores ``root`` and the transforms; ``__repr__`` as torchvision's."""

    _repr_indent = 4

    def __init__(self, root: str | os.PathLike | None = None, transforms: Callable | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None) -> None:
        self.root = os.path.expanduser(root) if isinstance(root, (str, os.PathLike)) else root
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = transforms

    def __repr__(self) -> str:
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transform is not None:
            body.append("Transform: " + repr(self.transform).replace("\n", "\n" + " " * self._repr_indent))
        if self.target_transform is not None:
            body.append("Target transform: " + repr(self.target_transform))
        return "\n".join([head] + [" " * self._repr_indent + line for line in body])

    def extra_repr(self) -> str:
        return ""


class _InMemoryImages(VisionDataset):
    """Shared item access for datasets held as one uint8 array ``data`` (N, H, W) or (N, H, W, C).

    ``dataset[i]`` is ``(image, int label)``; without a transform the image is a uint8 NumPy array
    (H, W) or (H, W, C), a copy. ``_fetch_collated`` gives the DataLoader a whole batch at once when the
    transform is batchable (None, or a Compose of ToTensor/Normalize/ConvertImageDtype), with the same
    values as collating transformed items.
    """

    data: Any
    targets: Any

    def _image_array(self):
        d = self.data
        return d._data if isinstance(d, Tensor) else xp.asarray(d)

    def __getitem__(self, index: int):
        img = self._image_array()[index].copy()
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def _fetch_collated(self, indices):
        if self.target_transform is not None or self.transforms is not None:
            return None
        from ..transforms.transforms import _batch_pipeline
        pipeline = _batch_pipeline(self.transform)
        if pipeline is None:
            return None
        idx = xp.asarray(indices, dtype=xp.int64)
        images = pipeline(self._image_array()[idx])
        t = self.targets
        labels = t._data[idx].astype(xp.int64) if isinstance(t, Tensor) else \
            xp.asarray([int(t[i]) for i in indices], dtype=xp.int64)
        return [images, _make(labels)]
