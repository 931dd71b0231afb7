"""File helpers for the vision datasets: MD5 checks, downloads from a mirror list, archives, safe unpickling.

Downloads go to a temporary file in the target folder and are moved into place with ``os.replace`` only
after the MD5 matched, so an interrupted or corrupt download never leaves a half-written file behind.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from typing import Sequence

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "download_from_mirrors",
           "extract_archive", "download_and_extract_archive", "restricted_load"]

USER_AGENT = "numtorch"


def calculate_md5(fpath: str, chunk_size: int = 1024 * 1024) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: str, md5: str, **kwargs) -> bool:
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath: str, md5: str | None = None) -> bool:
    """True when ``fpath`` is a file and (if ``md5`` is given) its MD5 matches."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


def download_url(url: str, root: str, filename: str | None = None, md5: str | None = None,
                 timeout: float = 60.0) -> str:
    """Download ``url`` to ``root/filename`` atomically, verifying ``md5``; returns the path.

    Raises ``RuntimeError`` naming the URL on a network error or a checksum mismatch; nothing is left in root.
    """
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.path.join(root, filename)
    if check_integrity(fpath, md5):
        return fpath
    os.makedirs(root, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=root)
    try:
        with os.fdopen(fd, "wb") as out:
            req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                for chunk in iter(lambda: resp.read(1024 * 1024), b""):
                    out.write(chunk)
        if md5 is not None and not check_md5(tmp, md5):
            raise RuntimeError(f"checksum mismatch for {filename} downloaded from {url}: expected MD5 {md5}, "
                               f"got {calculate_md5(tmp)}")
        os.replace(tmp, fpath)
    except (urllib.error.URLError, OSError) as e:
        raise RuntimeError(f"could not download {url}: {e}") from e
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return fpath


def download_from_mirrors(mirrors: Sequence[str], filename: str, root: str, md5: str | None) -> str:
    """Try ``mirror + filename`` for each mirror in turn; raise ``RuntimeError`` listing every failure."""
    errors = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            return download_url(url, root, filename, md5)
        except RuntimeError as e:
            errors.append(str(e))
    raise RuntimeError(f"Error downloading {filename}: every mirror failed:\n  " + "\n  ".join(errors))


def extract_archive(from_path: str, to_path: str | None = None) -> str:
    """Extract a .tar, .tar.gz/.tgz or .zip archive into ``to_path`` (default: its folder); no paths outside."""
    to_path = to_path or os.path.dirname(from_path)
    if zipfile.is_zipfile(from_path):
        with zipfile.ZipFile(from_path) as z:
            root = os.path.realpath(to_path)
            for name in z.namelist():
                if not os.path.realpath(os.path.join(to_path, name)).startswith(root + os.sep):
                    raise RuntimeError(f"refusing to extract {name!r} outside {to_path} from {from_path}")
            z.extractall(to_path)
    else:
        with tarfile.open(from_path) as t:
            t.extractall(to_path, filter="data")
    return to_path


def download_and_extract_archive(url: str, download_root: str, extract_root: str | None = None,
                                 filename: str | None = None, md5: str | None = None) -> None:
    path = download_url(url, download_root, filename, md5)
    extract_archive(path, extract_root or download_root)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
}


class _Refused(pickle.UnpicklingError):
    pass


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only containers, numbers, strings, bytes and NumPy arrays; refuses every other global."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise _Refused(f"refusing to load {module}.{name}: dataset files may only contain "
                                     f"dicts, lists, strings, bytes, numbers and NumPy arrays")


def restricted_load(fpath: str, encoding: str = "latin1"):
    """Load a pickle file (e.g. a CIFAR batch) with the restricted unpickler; errors name the file."""
    with open(fpath, "rb") as f:
        raw = f.read()
    try:
        return _RestrictedUnpickler(io.BytesIO(raw), encoding=encoding).load()
    except _Refused as e:
        raise RuntimeError(f"{fpath}: {e}") from e
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise RuntimeError(f"{fpath} is truncated or not a valid pickle file ({type(e).__name__}: {e})") from e
