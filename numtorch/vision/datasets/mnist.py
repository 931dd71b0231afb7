"""MNIST, FashionMNIST, KMNIST and EMNIST: IDX files read with NumPy (torchvision's constructor and attributes).

Files are looked for, in order, in ``root/<ClassName>/raw`` (torchvision's layout), in ``root`` itself
(a plain folder holding the original files) and in ``root/<lower-case-name>`` (e.g. ``root/mnist``),
each either gzip-compressed (``.gz``) or not. Compressed files are checked against the published MD5s.
Nothing is written under ``root`` except by ``download=True``, which fetches missing files into
``root/<ClassName>/raw`` atomically.

An item without a transform is ``(image, label)``: ``image`` a uint8 NumPy array of shape (28, 28)
(torchvision gives a PIL image; every numtorch transform, ToTensor included, accepts both) and ``label``
an int. ``data`` is a uint8 tensor (N, 28, 28), ``targets`` an int64 tensor (N,).
"""
from __future__ import annotations

import gzip
import os
import shutil
import string
import tempfile
import threading
import warnings
import zlib
from typing import Callable

from ..._backend import xp
from ...tensor import _make
from .utils import calculate_md5, download_from_mirrors, download_url, extract_archive
from .vision import _InMemoryImages

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "read_idx"]

_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049
_cache: dict = {}
_cache_lock = threading.Lock()


def read_idx(path: str, magic: int | None = None, md5: str | None = None):
    """Parse an IDX file (``.gz`` or raw) of unsigned bytes into a uint8 array of the shape its header gives.

    Raises ``RuntimeError`` naming ``path`` when the MD5 differs, the gzip stream is truncated or corrupt,
    the magic number is not ``magic``, or the data is shorter or longer than the header says.
    Parsed arrays are kept in memory (keyed by path, size and mtime) so a second load is a copy.
    """
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, magic, md5)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached.copy()
    if md5 is not None:
        got = calculate_md5(path)
        if got != md5:
            raise RuntimeError(f"{path}: MD5 checksum mismatch (expected {md5}, got {got}); the file is corrupt "
                               f"or not the original. Delete it and use download=True, or replace it with the "
                               f"original file.")
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise RuntimeError(f"{path}: truncated or corrupt gzip file ({e}). Delete it and use download=True, "
                           f"or replace it with the original file.") from None
    if len(raw) < 4:
        raise RuntimeError(f"{path}: truncated IDX file ({len(raw)} bytes, no header)")
    found = int.from_bytes(raw[:4], "big")
    if magic is not None and found != magic:
        raise RuntimeError(f"{path}: wrong magic number {found} (0x{found:08x}), expected {magic} "
                           f"(0x{magic:08x}); this is not an IDX {'image' if magic == _IMAGES_MAGIC else 'label'} "
                           f"file")
    if raw[2] != 0x08 or raw[0] != 0 or raw[1] != 0:
        raise RuntimeError(f"{path}: unsupported IDX header {raw[:4].hex()} (expected unsigned byte data)")
    ndim = raw[3]
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise RuntimeError(f"{path}: truncated IDX file ({len(raw)} bytes, header needs {start})")
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    count = 1
    for d in dims:
        count *= d
    if len(raw) != start + count:
        raise RuntimeError(f"{path}: truncated or corrupt IDX file: the header says shape {dims} "
                           f"({start + count} bytes) but the data has {len(raw)} bytes")
    arr = xp.frombuffer(raw, dtype=xp.uint8, offset=start).reshape(dims)
    with _cache_lock:
        _cache[key] = arr
    return arr.copy()


class MNIST(_InMemoryImages):
    """MNIST handwritten digits: 60,000 training / 10,000 test images, 28x28 grayscale.

    Args: ``root`` (folder, see the module docstring for where files are found), ``train`` (training or
    test split), ``transform`` (applied to the (28, 28) uint8 array), ``target_transform`` (to the int
    label), ``download`` (fetch missing files from ``mirrors``, verified by MD5).
    Attributes: ``data`` uint8 tensor (N, 28, 28), ``targets`` int64 tensor (N,), ``classes``, ``class_to_idx``.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]
    _folder_alias = "mnist"

    def __init__(self, root: str, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        missing = [name for name in self._needed() if self._find(name) is None]
        if missing:
            raise RuntimeError(self._not_found_message(missing))
        self.data, self.targets = self._load_data()

    # ------------------------------------------------------------------ files
    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def class_to_idx(self) -> dict:
        return {c: i for i, c in enumerate(self.classes)}

    def _search_dirs(self) -> list[str]:
        return [self.raw_folder, self.root, os.path.join(self.root, self._folder_alias)]

    def _prefix(self) -> str:
        return "train" if self.train else "t10k"

    def _needed(self) -> list[str]:
        """The uncompressed base names this split needs: images first, then labels."""
        p = self._prefix()
        return [f"{p}-images-idx3-ubyte", f"{p}-labels-idx1-ubyte"]

    def _md5_of(self, gz_name: str) -> str | None:
        return dict(self.resources).get(gz_name)

    def _find(self, base: str) -> str | None:
        for d in self._search_dirs():
            for name in (base + ".gz", base):
                path = os.path.join(d, name)
                if os.path.isfile(path):
                    return path
        return None

    def _check_exists(self) -> bool:
        return all(self._find(n) is not None for n in self._needed())

    def _not_found_message(self, missing: list[str]) -> str:
        where = "\n".join(f"  {d}" for d in self._search_dirs())
        return (f"Dataset not found. You can use download=True to download it.\n"
                f"{self.__class__.__name__}: missing {', '.join(m + '[.gz]' for m in missing)}\n"
                f"looked in:\n{where}\n"
                f"To supply the files offline, copy the original files (compressed .gz or uncompressed) into "
                f"one of those folders; they are published at {self.mirrors[0]}")

    def _load_data(self):
        img_path, lbl_path = (self._find(n) for n in self._needed())
        images = read_idx(img_path, _IMAGES_MAGIC, self._md5_of(os.path.basename(img_path)))
        labels = read_idx(lbl_path, _LABELS_MAGIC, self._md5_of(os.path.basename(lbl_path)))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(f"{img_path} and {lbl_path} do not match: images {images.shape}, "
                               f"labels {labels.shape}")
        return _make(images), _make(labels.astype(xp.int64))

    def download(self) -> None:
        """Download the missing files into ``raw_folder`` from ``mirrors`` (in order), verified by MD5."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if self._find(filename[:-3] if filename.endswith(".gz") else filename) is None:
                download_from_mirrors(self.mirrors, filename, self.raw_folder, md5)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"

    @property
    def train_labels(self):
        warnings.warn("train_labels has been renamed targets")
        return self.targets

    @property
    def test_labels(self):
        warnings.warn("test_labels has been renamed targets")
        return self.targets

    @property
    def train_data(self):
        warnings.warn("train_data has been renamed data")
        return self.data

    @property
    def test_data(self):
        warnings.warn("test_data has been renamed data")
        return self.data


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando article images): same layout and API as MNIST; alias folder ``fashion-mnist``."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    _folder_alias = "fashion-mnist"


class KMNIST(MNIST):
    """Kuzushiji-MNIST (cursive Japanese characters): same layout and API as MNIST; alias folder ``kmnist``."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                 ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                 ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                 ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
    _folder_alias = "kmnist"


_MERGED = set("cijklmopsuvwxyz")
_ALL = set(string.digits + string.ascii_letters)


class EMNIST(MNIST):
    """Extended MNIST: ``split`` is one of byclass, bymerge, balanced, letters, digits, mnist.

    Files ``emnist-<split>-<train|test>-<images|labels>-idx<3|1>-ubyte[.gz]`` are found in
    ``root/EMNIST/raw``, ``root``, ``root/emnist`` or ``root/emnist/gzip``. As in torchvision the images are
    returned as stored in the files (transposed with respect to MNIST).
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    classes_split_dict = {
        "byclass": sorted(_ALL),
        "bymerge": sorted(_ALL - _MERGED),
        "balanced": sorted(_ALL - _MERGED),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }
    resources: list = []
    mirrors = ["https://biometrics.nist.gov/cs_links/EMNIST/"]
    _folder_alias = "emnist"

    def __init__(self, root: str, split: str, **kwargs) -> None:
        if split not in self.splits:
            raise ValueError(f"Unknown value '{split}' for argument split. Valid values are "
                             f"{{{', '.join(repr(s) for s in self.splits)}}}.")
        self.split = split
        self.classes = self.classes_split_dict[split]
        super().__init__(root, **kwargs)

    def _search_dirs(self) -> list[str]:
        alias = os.path.join(self.root, self._folder_alias)
        return [self.raw_folder, self.root, alias, os.path.join(alias, "gzip")]

    def _prefix(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    def _not_found_message(self, missing: list[str]) -> str:
        return super()._not_found_message(missing).rsplit("they are published", 1)[0] + \
            f"they are in the archive {self.url}"

    def download(self) -> None:
        """Download gzip.zip (MD5-checked) and move its ``.gz`` files into ``raw_folder``."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".emnist-", dir=self.raw_folder)
        try:
            archive = download_url(self.url, tmp, "gzip.zip", self.md5)
            extract_archive(archive, tmp)
            src = os.path.join(tmp, "gzip")
            for name in os.listdir(src):
                if name.endswith(".gz"):
                    os.replace(os.path.join(src, name), os.path.join(self.raw_folder, name))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
