"""``numtorch.save`` / ``numtorch.load``: a safe checkpoint format, PyTorch files and safetensors.

numtorch's own format (the default) is one file::

    b"NUMTORCH" | u32 format version | u64 header length | JSON header | padding | tensor bytes

The JSON header describes the saved object (dicts with any hashable keys, OrderedDicts,
lists, tuples, numbers, strings, None, tensors, parameters, NumPy arrays, dtypes, devices)
and where each tensor's raw little-endian bytes lie; a CRC32 of the tensor bytes and the
total length catch truncated or damaged files. Loading never executes code. Objects the
header cannot describe (a whole ``nn.Module``, an ``argparse.Namespace``) are pickled, as
PyTorch does, and ``load`` refuses them unless ``weights_only=False`` (as ``torch.load``).

``load`` also reads files written by ``torch.save`` (zip and legacy formats) and
safetensors files, without PyTorch, see ``numtorch._torch_format``. ``save(obj, f,
format="torch")`` writes PyTorch's zip format, which ``torch.load(weights_only=True)`` reads.

Writes to a path are atomic: the data goes to a temporary file in the same directory, is
flushed and fsync'ed, and replaces the target with ``os.replace``; a crash mid-save leaves
the previous file intact.
"""
from __future__ import annotations

import json
import math
import os
import pickle
import struct
import tempfile
import zlib
from collections import Counter, OrderedDict
from typing import Any, BinaryIO, Callable, Union

import numpy as np

from . import _dtype
from .device import device as _device
from .tensor import Size, Tensor, _make

FILE_LIKE = Union[str, os.PathLike, BinaryIO]
MAGIC = b"NUMTORCH"
VERSION = 1
ALIGN = 64
_PREFIX = struct.Struct("<8sIQ")  # magic, format version, header length

__all__ = ["save", "load", "save_safetensors", "load_safetensors", "FILE_LIKE", "add_safe_globals",
           "clear_safe_globals", "get_safe_globals", "safe_globals"]


# --------------------------------------------------------------------------- file helpers
def _name(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return os.fspath(f)
    return getattr(f, "name", None) if isinstance(getattr(f, "name", None), str) else repr(f)


def _atomic_write(f: FILE_LIKE, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(fileobj)``; for a path, through a temp file + fsync + os.replace."""
    if not isinstance(f, (str, os.PathLike)):
        if not hasattr(f, "write"):
            raise AttributeError(f"expected a path or a writable file object, got {type(f).__name__}")
        write(f)
        if hasattr(f, "flush"):
            f.flush()
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _read_all(f: FILE_LIKE) -> bytearray:
    """The whole file as a writable buffer (tensors loaded from it are views into it)."""
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        if not os.path.exists(path):
            raise FileNotFoundError(f"[Errno 2] No such file or directory: '{path}'")
        with open(path, "rb") as fh:
            buf = bytearray(os.fstat(fh.fileno()).st_size)
            n = fh.readinto(buf)
            rest = fh.read()  # the file may have grown meanwhile
        return buf[:n] + rest if rest or n < len(buf) else buf
    if not hasattr(f, "read"):
        raise AttributeError(f"expected a path or a readable file object, got {type(f).__name__}")
    data = f.read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"numtorch.load needs a file opened in binary mode ('rb'), got {type(data).__name__} data")
    return bytearray(data)


# --------------------------------------------------------------------------- native encoder
class _Unsupported(Exception):
    pass


class _Encoder:
    """Turns an object into a JSON-able description plus a list of arrays."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.meta: list[dict] = []
        self._seen: dict[int, int] = {}

    def _array(self, arr: np.ndarray, extra: dict, key_obj) -> int:
        k = id(key_obj)
        if k in self._seen:
            return self._seen[k]
        arr = (arr if arr.flags.c_contiguous else arr.copy(order="C"))
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        _dtype.from_numpy_dtype(arr.dtype.newbyteorder("="))  # TypeError for unsupported dtypes
        self.arrays.append(arr)
        self.meta.append({"dtype": arr.dtype.newbyteorder("=").name, "shape": list(arr.shape), **extra})
        self._seen[k] = len(self.arrays) - 1
        return self._seen[k]

    def enc(self, obj: Any):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and type(obj) is int:
            return obj
        if type(obj) is float:
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if isinstance(obj, Tensor):
            from .nn.parameter import Parameter
            extra = {"requires_grad": bool(obj.requires_grad)}
            if isinstance(obj, Parameter):
                extra["parameter"] = True
            if type(obj) not in (Tensor, Parameter):
                raise _Unsupported(type(obj))
            return {"$tensor": self._array(obj._data, extra, obj)}
        if isinstance(obj, np.ndarray) and type(obj) is np.ndarray:
            return {"$ndarray": self._array(obj, {}, obj)}
        if isinstance(obj, np.generic):
            if obj.dtype.kind not in "biuf":
                raise _Unsupported(type(obj))
            return {"$npscalar": obj.dtype.name, "value": self.enc(obj.item())}
        if isinstance(obj, Size):
            return {"$size": [int(s) for s in obj]}
        if type(obj) is list:
            return [self.enc(v) for v in obj]
        if type(obj) is tuple:
            return {"$tuple": [self.enc(v) for v in obj]}
        if type(obj) in (dict, OrderedDict, Counter):
            out = {"$dict": [[self.enc(k), self.enc(v)] for k, v in obj.items()]}
            if type(obj) is Counter:  # MultiStepLR keeps its milestones in a Counter
                out["counter"] = True
            if type(obj) is OrderedDict:
                out["ordered"] = True
                meta = getattr(obj, "_metadata", None)
                if meta is not None:
                    out["metadata"] = self.enc(meta)
            return out
        if isinstance(obj, _dtype.dtype):
            return {"$dtype": obj.name}
        if isinstance(obj, _device):
            return {"$device": str(obj)}
        if type(obj) in (set, frozenset):
            return {"$set": [self.enc(v) for v in obj], "frozen": type(obj) is frozenset}
        if type(obj) is bytes:
            return {"$bytes": obj.hex()}
        if type(obj) is complex:
            return {"$complex": [obj.real, obj.imag]}
        raise _Unsupported(type(obj))


def _header_and_data(obj: Any, pickle_protocol: int) -> tuple[dict, list[np.ndarray]]:
    enc = _Encoder()
    try:
        return {"object": enc.enc(obj), "tensors": enc.meta}, enc.arrays
    except _Unsupported:
        # Like torch.save: arbitrary objects are pickled; load() refuses them unless weights_only=False.
        blob = pickle.dumps(obj, protocol=max(pickle_protocol, 2))
        arr = np.frombuffer(blob, dtype=np.uint8)
        return {"object": {"$pickle": 0}, "tensors": [{"dtype": "uint8", "shape": [arr.size]}]}, [arr]


def _write_native(fh: BinaryIO, header: dict, arrays: list[np.ndarray]) -> None:
    offset = 0
    for meta, arr in zip(header["tensors"], arrays):
        offset = -(-offset // ALIGN) * ALIGN
        meta["offset"] = offset
        meta["nbytes"] = arr.nbytes
        offset += arr.nbytes
    crc = 0
    for arr in arrays:
        crc = zlib.crc32(memoryview(arr).cast("B"), crc) if arr.nbytes else crc
    header.update(format="numtorch", version=VERSION, data_size=offset, crc32=crc)
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    pad = (-(_PREFIX.size + len(text))) % ALIGN
    text += b" " * pad
    fh.write(_PREFIX.pack(MAGIC, VERSION, len(text)))
    fh.write(text)
    pos = 0
    for meta, arr in zip(header["tensors"], arrays):
        if meta["offset"] > pos:
            fh.write(b"\0" * (meta["offset"] - pos))
        if arr.nbytes:
            fh.write(memoryview(arr).cast("B"))
        pos = meta["offset"] + arr.nbytes


# --------------------------------------------------------------------------- native decoder
def _corrupt(name: str, why: str) -> RuntimeError:
    return RuntimeError(f"numtorch.load: {name} is truncated or corrupted ({why}); the file cannot be loaded")


def _read_native(buf: bytearray, name: str, weights_only: bool):
    if len(buf) < _PREFIX.size:
        raise _corrupt(name, f"only {len(buf)} bytes")
    magic, version, hlen = _PREFIX.unpack_from(buf)
    if version > VERSION:
        raise RuntimeError(f"numtorch.load: {name} was written by a newer numtorch (format version {version}, "
                           f"this version reads up to {VERSION})")
    start = _PREFIX.size + hlen
    if len(buf) < start:
        raise _corrupt(name, f"header of {hlen} bytes but file has {len(buf)} bytes")
    try:
        header = json.loads(buf[_PREFIX.size:start].decode("utf-8"))
        size, crc, metas = int(header["data_size"]), int(header["crc32"]), header["tensors"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise _corrupt(name, f"unreadable header: {e}") from None
    if len(buf) - start != size:
        raise _corrupt(name, f"expected {size} bytes of tensor data, found {len(buf) - start}")
    data = memoryview(buf)[start:]
    found = 0
    for m in metas:
        if m["nbytes"]:
            found = zlib.crc32(memoryview(data)[m["offset"]:m["offset"] + m["nbytes"]], found)
    if found != crc:
        raise _corrupt(name, "checksum mismatch")
    arrays = []
    for m in metas:
        dt = np.dtype(m["dtype"]).newbyteorder("<")
        arr = np.frombuffer(data, dtype=dt, count=m["nbytes"] // dt.itemsize, offset=m["offset"])
        arrays.append(arr.astype(dt.newbyteorder("="), copy=False).reshape(m["shape"]))
    obj = header["object"]
    if isinstance(obj, dict) and "$pickle" in obj:
        if weights_only:
            raise pickle.UnpicklingError(
                f"Weights only load failed: {name} holds a pickled Python object (saved with numtorch.save from an "
                "object other than tensors, numbers, strings and containers of them, e.g. a whole nn.Module). "
                "Unpickling can execute arbitrary code: pass weights_only=False only if you trust the file's source, "
                "or save model.state_dict() instead.")
        return pickle.loads(arrays[0].tobytes())
    return _Decoder(arrays, metas).dec(obj)


class _Decoder:
    def __init__(self, arrays: list, metas: list) -> None:
        self.arrays, self.metas, self.cache = arrays, metas, {}

    def _tensor(self, i: int):
        if i not in self.cache:
            m = self.metas[i]
            if m.get("parameter"):
                from .nn.parameter import Parameter
                self.cache[i] = Parameter(_make(self.arrays[i]), bool(m.get("requires_grad", True)))
            else:
                self.cache[i] = _make(self.arrays[i], bool(m.get("requires_grad", False)))
        return self.cache[i]

    def dec(self, o):
        if isinstance(o, list):
            return [self.dec(v) for v in o]
        if not isinstance(o, dict):
            return o
        if "$dict" in o:
            d = OrderedDict() if o.get("ordered") else Counter() if o.get("counter") else {}
            for k, v in o["$dict"]:
                d[self.dec(k)] = self.dec(v)
            if "metadata" in o:
                d._metadata = self.dec(o["metadata"])
            return d
        if "$tensor" in o:
            return self._tensor(o["$tensor"])
        if "$ndarray" in o:
            return self.arrays[o["$ndarray"]]
        if "$tuple" in o:
            return tuple(self.dec(v) for v in o["$tuple"])
        if "$float" in o:
            return float(o["$float"])
        if "$npscalar" in o:
            return np.dtype(o["$npscalar"]).type(self.dec(o["value"]))
        if "$size" in o:
            return Size(o["$size"])
        if "$dtype" in o:
            return _dtype._BY_NAME[o["$dtype"]]
        if "$device" in o:
            return _device(o["$device"])
        if "$set" in o:
            items = [self.dec(v) for v in o["$set"]]
            return frozenset(items) if o.get("frozen") else set(items)
        if "$bytes" in o:
            return bytes.fromhex(o["$bytes"])
        if "$complex" in o:
            return complex(*o["$complex"])
        raise RuntimeError(f"numtorch.load: unknown entry {sorted(o)[:3]} in the file's header")


# --------------------------------------------------------------------------- public API
def save(obj: Any, f: FILE_LIKE, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False,
         *, format: str = "numtorch") -> None:
    """Save ``obj`` (tensors, state_dicts, checkpoint dicts) to a path or binary file object.

    ``format="numtorch"`` (default) writes numtorch's safe format; ``format="torch"`` writes
    PyTorch's zip format (``torch.load(f, weights_only=True)`` reads it). Writes to a path
    are atomic. PyTorch's ``pickle_module``/``_use_new_zipfile_serialization`` are accepted.
    """
    if format == "numtorch":
        header, arrays = _header_and_data(obj, pickle_protocol)
        _atomic_write(f, lambda fh: _write_native(fh, header, arrays))
    elif format == "torch":
        from ._torch_format import write_torch_zip
        name = os.path.splitext(os.path.basename(os.fspath(f)))[0] if isinstance(f, (str, os.PathLike)) \
            else "archive"
        _atomic_write(f, lambda fh: write_torch_zip(obj, fh, name or "archive"))
    elif format == "safetensors":
        save_safetensors(obj, f)
    else:
        raise ValueError(f"numtorch.save: unknown format {format!r}; expected 'numtorch', 'torch' or 'safetensors'")


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return  # everything loads on the CPU, numtorch's only device
    _device(map_location)  # raises numtorch's clear error for cuda/mps


def load(f: FILE_LIKE, map_location=None, pickle_module: Any = None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args) -> Any:
    """Load an object saved by ``numtorch.save``, by ``torch.save`` (zip or legacy) or a safetensors file.

    Tensors load on the CPU. PyTorch files go through a restricted unpickler that only
    rebuilds tensors, containers and numeric NumPy scalars/arrays, and refuses (never runs) any
    other pickled object. ``weights_only=False`` (only for files you trust, as in PyTorch) also
    imports other classes (e.g. an ``argparse.Namespace`` in a checkpoint) and unpickles objects
    numtorch.save had to pickle.
    """
    _check_map_location(map_location)
    name = _name(f)
    buf = _read_all(f)
    weights_only = True if weights_only is None else bool(weights_only)
    if buf[:8] == MAGIC:
        return _read_native(buf, name, weights_only)
    from . import _torch_format
    if buf[:4] == b"PK\x03\x04" or buf[:4] == b"PK\x05\x06":
        return _torch_format.read_torch_zip(buf, name, weights_only)
    if buf[:1] == b"\x80":
        return _torch_format.read_torch_legacy(buf, name, weights_only)
    if len(buf) >= 10 and buf[8:10] in (b'{"', b"{'") or (len(buf) >= 9 and buf[8:9] == b"{"):
        return _safetensors_decode(buf, name)
    if not buf:
        raise RuntimeError(f"numtorch.load: {name} is empty (0 bytes); it is not a checkpoint")
    raise RuntimeError(f"numtorch.load: {name} is not a numtorch, PyTorch or safetensors checkpoint "
                       f"(it starts with {buf[:16]!r})")


# --------------------------------------------------------------------------- allowlist (as torch.serialization)
def add_safe_globals(safe_globals: list) -> None:
    """Allow these classes/functions in PyTorch files loaded with weights_only=True (trusted by the caller)."""
    from ._torch_format import _USER_GLOBALS, _global_name
    for g in safe_globals:
        if isinstance(g, tuple):
            g, name = g
            _USER_GLOBALS[name] = g
        else:
            _USER_GLOBALS[_global_name(g)] = g


def get_safe_globals() -> list:
    from ._torch_format import _USER_GLOBALS
    return list(_USER_GLOBALS.values())


def clear_safe_globals() -> None:
    from ._torch_format import _USER_GLOBALS
    _USER_GLOBALS.clear()


class safe_globals:
    """Context manager: ``with safe_globals([argparse.Namespace]): numtorch.load(f)``."""

    def __init__(self, safe_globals: list) -> None:
        self.globals = safe_globals

    def __enter__(self):
        from ._torch_format import _USER_GLOBALS
        self._saved = dict(_USER_GLOBALS)
        add_safe_globals(self.globals)

    def __exit__(self, *exc) -> None:
        from ._torch_format import _USER_GLOBALS
        _USER_GLOBALS.clear()
        _USER_GLOBALS.update(self._saved)


# --------------------------------------------------------------------------- safetensors
_ST_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "I64": "int64", "I32": "int32",
              "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}
_ST_NAMES = {v: k for k, v in _ST_DTYPES.items()}


def save_safetensors(tensors: dict, f: FILE_LIKE, metadata: dict | None = None) -> None:
    """Write a flat ``{name: tensor}`` dict (a state_dict) as a safetensors file (atomic for paths).

    Same bytes as ``safetensors.torch.save_file``: 8-byte header length, JSON header, raw data.
    """
    if not isinstance(tensors, dict):
        raise TypeError(f"save_safetensors expects a dict of tensors, got {type(tensors).__name__}")
    header: dict = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    arrays, offset = [], 0
    for k, t in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"safetensors keys must be strings, got {k!r}")
        a = t._data if isinstance(t, Tensor) else t
        if not isinstance(a, np.ndarray):
            raise TypeError(f"safetensors can only store tensors, but {k!r} is a {type(t).__name__}")
        a = (a if a.flags.c_contiguous else a.copy(order="C")).astype(a.dtype.newbyteorder("<"), copy=False)
        st = _ST_NAMES.get(a.dtype.newbyteorder("=").name)
        if st is None:
            raise TypeError(f"safetensors: unsupported dtype {a.dtype} for {k!r}")
        header[k] = {"dtype": st, "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        arrays.append(a)
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)

    def write(fh):
        fh.write(struct.pack("<Q", len(text)))
        fh.write(text)
        for a in arrays:
            if a.nbytes:
                fh.write(memoryview(a).cast("B"))
    _atomic_write(f, write)


def load_safetensors(f: FILE_LIKE) -> "OrderedDict[str, Tensor]":
    """Read a safetensors file into an OrderedDict of tensors (BF16 is widened to float32)."""
    return _safetensors_decode(_read_all(f), _name(f))


def _safetensors_decode(buf: bytes, name: str) -> "OrderedDict[str, Tensor]":
    if len(buf) < 8:
        raise _corrupt(name, "shorter than a safetensors header")
    (n,) = struct.unpack_from("<Q", buf)
    if 8 + n > len(buf):
        raise _corrupt(name, f"safetensors header of {n} bytes but file has {len(buf)} bytes")
    try:
        header = json.loads(buf[8:8 + n].decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise _corrupt(name, f"unreadable safetensors header: {e}") from None
    data = memoryview(buf)[8 + n:]
    out = OrderedDict()
    for k, m in header.items():
        if k == "__metadata__":
            continue
        b, e = m["data_offsets"]
        if not (0 <= b <= e <= len(data)):
            raise _corrupt(name, f"tensor {k!r} lies outside the data ({b}:{e} of {len(data)} bytes)")
        if m["dtype"] == "BF16":
            u = np.frombuffer(data, dtype="<u2", count=(e - b) // 2, offset=b)
            arr = (u.astype(np.uint32) << 16).view(np.float32)
        elif m["dtype"] in _ST_DTYPES:
            dt = np.dtype(_ST_DTYPES[m["dtype"]]).newbyteorder("<")
            arr = np.frombuffer(data, dtype=dt, count=(e - b) // dt.itemsize, offset=b)
            arr = arr.astype(dt.newbyteorder("="), copy=False)
        else:
            raise RuntimeError(f"numtorch.load: {name}: safetensors dtype {m['dtype']} of {k!r} is not supported")
        if arr.size != int(np.prod(m["shape"], dtype=np.int64)):
            raise _corrupt(name, f"tensor {k!r} has {arr.size} elements for shape {m['shape']}")
        out[k] = _make(arr.reshape(m["shape"]))
    return out

