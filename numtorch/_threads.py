"""CPU thread control: ``numtorch.set_num_threads`` / ``numtorch.get_num_threads``.

numtorch computes with NumPy, so the only multi-threaded part is the BLAS
library NumPy is linked to (OpenBLAS in NumPy's wheels, bundled as
``libscipy_openblas64_``). These two functions set and read that library's
thread pool, as ``torch.set_num_threads`` does for PyTorch's intra-op pool.

How the BLAS is found, in order:

1. ``threadpoolctl`` when it is importable (optional, not a dependency):
   every BLAS library it finds loaded in the process.
2. ctypes: the OpenBLAS/BLIS libraries loaded in the process (``/proc/self/maps``
   on Linux) and those shipped inside NumPy's wheel (``numpy.libs``,
   ``numpy/.libs``, ``numpy/.dylibs``), through their own C entry points
   (``openblas_set_num_threads`` with the ``scipy_`` prefix and ``64_`` suffix
   variants, ``bli_thread_set_num_threads``).

Where no controllable BLAS is found (e.g. Apple Accelerate), the value is only
remembered and ``get_num_threads`` returns it.

The environment variable ``NUMTORCH_NUM_THREADS`` is read once, when numtorch
is imported, and applied with ``set_num_threads``.
"""
from __future__ import annotations

import ctypes
import glob
import os
import warnings
from typing import Callable, List, Optional, Tuple

ENV_VAR = "NUMTORCH_NUM_THREADS"

_Controller = Tuple[str, Callable[[int], object], Callable[[], int]]  # (library path, set, get)
_controllers: Optional[List[_Controller]] = None
_requested: Optional[int] = None

_OPENBLAS_PREFIXES = ("", "scipy_")
_OPENBLAS_SUFFIXES = ("", "64_", "_64_")
_LIB_NAMES = ("libopenblas", "libscipy_openblas", "openblas", "libblis", "libflexiblas")


def _from_threadpoolctl() -> Optional[List[_Controller]]:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    try:
        found = ThreadpoolController().select(user_api="blas").lib_controllers
    except Exception:  # a threadpoolctl too old or failing to scan: use ctypes instead
        return None
    return [(lc.filepath, lc.set_num_threads, lc.get_num_threads) for lc in found]


def _candidate_paths() -> List[str]:
    """Shared libraries that may be NumPy's BLAS: loaded ones first, then those inside NumPy's wheel."""
    paths: List[str] = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.rsplit(None, 1)[-1] if "/" in line else ""
                if os.path.basename(path).startswith(_LIB_NAMES) and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    import numpy
    root = os.path.dirname(numpy.__file__)
    for folder in (root + ".libs", os.path.join(root, ".libs"), os.path.join(root, ".dylibs")):
        for pattern in ("*openblas*", "*blis*"):
            for path in sorted(glob.glob(os.path.join(folder, pattern))):
                if path not in paths:
                    paths.append(path)
    return paths


def _ctypes_controller(path: str) -> Optional[_Controller]:
    try:
        lib = ctypes.CDLL(path)  # already loaded by NumPy: this returns the same library
    except OSError:
        return None
    for prefix in _OPENBLAS_PREFIXES:
        for suffix in _OPENBLAS_SUFFIXES:
            setter = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
            getter = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                return (path, setter, getter)
    setter = getattr(lib, "bli_thread_set_num_threads", None)
    getter = getattr(lib, "bli_thread_get_num_threads", None)
    if setter is not None and getter is not None:
        setter.argtypes, setter.restype = [ctypes.c_long], None
        getter.argtypes, getter.restype = [], ctypes.c_long
        return (path, setter, getter)
    return None


def _from_ctypes() -> List[_Controller]:
    found = []
    for path in _candidate_paths():
        c = _ctypes_controller(path)
        if c is not None and all(os.path.realpath(c[0]) != os.path.realpath(o[0]) for o in found):
            found.append(c)
    return found


def blas_controllers() -> List[_Controller]:
    """The BLAS thread pools numtorch controls, as ``(library path, set, get)``; found once, then cached."""
    global _controllers
    if _controllers is None:
        tp = _from_threadpoolctl()
        _controllers = tp if tp else _from_ctypes()
    return _controllers


def _positive_int(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    n = int(n.__index__())
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


def set_num_threads(n: int) -> None:
    """Sets the number of threads used for intra-op parallelism on CPU (NumPy's BLAS thread pool).

    Like ``torch.set_num_threads``: ``n`` must be a positive int. Call it before
    running the model; it affects the whole process.
    """
    global _requested
    n = _positive_int(n, "set_num_threads")
    _requested = n
    for _, setter, _ in blas_controllers():
        setter(n)


def get_num_threads() -> int:
    """Returns the number of threads used for parallelizing CPU operations (NumPy's BLAS thread pool)."""
    ctl = blas_controllers()
    if ctl:
        return int(ctl[0][2]())
    return _requested if _requested is not None else (os.cpu_count() or 1)


_interop: Optional[int] = None


def set_num_interop_threads(n: int) -> None:
    """``torch.set_num_interop_threads``: numtorch has no inter-op pool, so the value is only recorded.

    As in PyTorch it may be set once per process.
    """
    global _interop
    n = _positive_int(n, "set_num_interop_threads")
    if _interop is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    _interop = n


def get_num_interop_threads() -> int:
    """The value given to ``set_num_interop_threads`` (default: the CPU count); numtorch runs ops in order."""
    return _interop if _interop is not None else (os.cpu_count() or 1)


def _apply_env() -> None:
    """Apply ``NUMTORCH_NUM_THREADS`` (called once at import)."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return
    try:
        n = int(value)
        if n <= 0:
            raise ValueError
    except ValueError:
        warnings.warn(f"Invalid value for environment variable {ENV_VAR}: expected a positive integer, "
                      f"got {value!r}; ignoring it", RuntimeWarning, stacklevel=2)
        return
    set_num_threads(n)


_apply_env()
