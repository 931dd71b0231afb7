"""CIFAR10 and CIFAR100 from the original python pickle batches (read with a restricted unpickler).

Files: ``root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}`` and
``root/cifar-100-python/{train, test, meta}``, as in the published archives (which ``download=True``
fetches, MD5-checked, and extracts). An item without a transform is ``(image, label)`` with ``image`` a
uint8 NumPy array (32, 32, 3) (torchvision: a PIL image); ``data`` is a uint8 array (N, 32, 32, 3) and
``targets`` a list of ints, as in torchvision.
"""
from __future__ import annotations

import os
from typing import Callable

from ..._backend import xp
from .utils import check_integrity, download_and_extract_archive, restricted_load
from .vision import _InMemoryImages

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(_InMemoryImages):
    """CIFAR-10: 50,000 training / 10,000 test 32x32 RGB images in 10 classes.

    Args: ``root``, ``train``, ``transform`` (applied to the (32, 32, 3) uint8 array), ``target_transform``,
    ``download``. Every file is checked against its MD5 in ``train_list``/``test_list``/``meta`` (set an
    entry's MD5 to None in a subclass to skip it).
    Attributes: ``data`` (N, 32, 32, 3) uint8, ``targets`` list, ``classes``, ``class_to_idx``.
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    label_key = "labels"

    def __init__(self, root: str, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        files = self.train_list if train else self.test_list
        missing = [f for f, _ in files + [[self.meta["filename"], None]]
                   if not os.path.isfile(os.path.join(self.root, self.base_folder, f))]
        if missing:
            raise RuntimeError(f"Dataset not found or corrupted. You can use download=True to download it\n"
                               f"{self.__class__.__name__}: missing {', '.join(missing)} in "
                               f"{os.path.join(self.root, self.base_folder)}\nTo supply the files offline, "
                               f"extract {self.filename} (from {self.url}) into {self.root}")
        data, targets = [], []
        for name, md5 in files:
            entry = self._load(name, md5)
            try:
                batch = xp.asarray(entry["data"], dtype=xp.uint8).reshape(-1, 3, 32, 32)
                labels = list(entry[self.label_key] if self.label_key in entry else entry["fine_labels"])
            except (KeyError, ValueError, TypeError) as e:
                raise RuntimeError(f"{os.path.join(self.root, self.base_folder, name)}: not a CIFAR batch "
                                   f"({type(e).__name__}: {e})") from None
            if len(labels) != len(batch):
                raise RuntimeError(f"{name}: {len(batch)} images but {len(labels)} labels")
            data.append(batch)
            targets.extend(int(v) for v in labels)
        self.data = xp.ascontiguousarray(xp.concatenate(data).transpose(0, 2, 3, 1))
        self.targets = targets
        meta = self._load(self.meta["filename"], self.meta["md5"])
        self.classes = [c.decode() if isinstance(c, bytes) else c for c in meta[self.meta["key"]]]

    def _load(self, name: str, md5: str | None):
        path = os.path.join(self.root, self.base_folder, name)
        if md5 is not None and not check_integrity(path, md5):
            raise RuntimeError(f"{path}: MD5 checksum mismatch (expected {md5}); the file is corrupt or not "
                               f"the original")
        entry = restricted_load(path)
        if not isinstance(entry, dict):
            raise RuntimeError(f"{path}: expected a dict, found {type(entry).__name__}")
        return {k.decode() if isinstance(k, bytes) else k: v for k, v in entry.items()}

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    def _check_integrity(self) -> bool:
        return all(check_integrity(os.path.join(self.root, self.base_folder, f), md5)
                   for f, md5 in self.train_list + self.test_list)

    def download(self) -> None:
        if self._check_integrity():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename, md5=self.tgz_md5)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: as CIFAR10 with 100 fine classes (``targets`` are the fine labels)."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}
    label_key = "fine_labels"
