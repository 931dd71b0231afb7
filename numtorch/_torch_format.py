"""Read and write PyTorch's checkpoint formats without importing PyTorch.

Reading: a restricted unpickler (built on the pure-Python ``pickle._Unpickler`` so that
every opcode that could call or mutate something is under our control) that only rebuilds
tensors, parameters, storages, ``OrderedDict`` and plain containers. Any other global
(``os.system``, ``builtins.eval``, a user class...) is refused by name before anything is
called, so a malicious file never executes.

Writing: a small hand-written protocol-2 pickle emitter that produces exactly the opcodes
``torch.save`` produces for state_dicts and checkpoints (``torch._utils._rebuild_tensor_v2``
with ``('storage', torch.FloatStorage, key, 'cpu', numel)`` persistent ids), inside the zip
layout ``<name>/data.pkl``, ``<name>/data/<key>``, ``<name>/byteorder``, ``<name>/version``.
"""
from __future__ import annotations

import io
import math
import pickle
import struct
import zipfile
from collections import Counter, OrderedDict
from typing import Any, BinaryIO

import numpy as np

from . import _dtype
from .device import device as _device
from .tensor import Size, Tensor, _make

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_, "BFloat16Storage": "bfloat16",
    "UntypedStorage": np.uint8,
}
_STORAGE_BY_DTYPE = {np.dtype(v).name: k for k, v in _STORAGE_DTYPES.items()
                     if k not in ("BFloat16Storage", "UntypedStorage")}
_TORCH_DTYPES = {"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
                 "float16": "float16", "half": "float16", "int64": "int64", "long": "int64", "int32": "int32",
                 "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8",
                 "bool": "bool", "bfloat16": "bfloat16"}


# =========================================================================== reading
class _StorageType:
    def __init__(self, name: str) -> None:
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _TensorType:
    """Stands for ``torch.Tensor`` as the ``new_type`` of ``_rebuild_from_type_v2``; not callable."""


class _Storage:
    """A flat array standing in for a torch storage."""

    def __init__(self, array: np.ndarray, bf16: bool = False) -> None:
        self.array = array
        self.bf16 = bf16


def _bf16_to_f32(u16: np.ndarray) -> np.ndarray:
    return (u16.astype(np.uint32) << 16).view(np.float32)


def _refuse(file_name: str, what: str) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(
        f"Weights only load failed: {file_name} contains {what}, which numtorch refuses to load. numtorch.load "
        "only rebuilds tensors, parameters, storages, OrderedDict and plain containers (what torch.save writes for "
        "state_dicts and checkpoints); nothing in the file was executed. Save a state_dict instead of whole objects.")


class _Rebuilder:
    """The functions a torch pickle may call, building numtorch tensors from storages."""

    def __init__(self) -> None:
        self.pending: list = []  # (tensor, storage, offset, size, stride): filled after storages are read

    def _view(self, storage: _Storage, offset: int, size, stride) -> np.ndarray:
        arr = storage.array
        if storage.bf16:
            arr = _bf16_to_f32(arr)
        size = tuple(int(s) for s in size)
        stride = tuple(int(s) for s in stride)
        offset = int(offset)
        if len(size) != len(stride) or any(s < 0 for s in size) or any(s < 0 for s in stride) or offset < 0:
            raise pickle.UnpicklingError(f"invalid tensor geometry size={size} stride={stride} offset={offset}")
        numel = math.prod(size)
        if numel == 0:
            return np.zeros(size, dtype=arr.dtype)
        extent = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
        if extent > arr.size:
            raise pickle.UnpicklingError(f"tensor of size {size} and stride {stride} at offset {offset} reads "
                                         f"past the end of its storage of {arr.size} elements")
        contiguous, acc = [], 1
        for n in reversed(size):
            contiguous.insert(0, acc)
            acc *= n
        if all(st == c or n == 1 for st, c, n in zip(stride, contiguous, size)):
            return arr[offset:offset + numel].reshape(size)
        return np.lib.stride_tricks.as_strided(arr[offset:], shape=size,
                                               strides=[s * arr.itemsize for s in stride]).copy()

    def rebuild_tensor(self, storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
        if not isinstance(storage, _Storage):
            raise pickle.UnpicklingError("_rebuild_tensor expects a storage as first argument")
        t = _make(self._view(storage, storage_offset, size, stride), bool(requires_grad))
        self.pending.append((t, storage, storage_offset, size, stride))
        return t

    def rebuild_tensor_v3(self, storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                          metadata=None):
        if isinstance(storage, _Storage) and isinstance(dtype, _dtype.dtype) and storage.array.dtype != dtype.np:
            storage = _Storage(storage.array.view(dtype.np))
        return self.rebuild_tensor(storage, storage_offset, size, stride, requires_grad)

    @staticmethod
    def rebuild_parameter(data, requires_grad, backward_hooks, state=None):
        from .nn.parameter import Parameter
        if not isinstance(data, Tensor):
            raise pickle.UnpicklingError("_rebuild_parameter expects a tensor")
        return Parameter(data, bool(requires_grad))

    @staticmethod
    def rebuild_from_type_v2(func, new_type, args, state):
        if not callable(func) or not isinstance(args, tuple):
            raise pickle.UnpicklingError("_rebuild_from_type_v2 expects a function and an argument tuple")
        ret = func(*args)
        from .nn.parameter import Parameter
        if new_type is Parameter and not isinstance(ret, Parameter):
            ret = Parameter(ret, ret.requires_grad)
        return ret

    def finish(self) -> None:
        for t, storage, offset, size, stride in self.pending:
            if t._data.size and not np.may_share_memory(t._data, storage.array):
                t._data = self._view(storage, offset, size, stride)


def _codecs_encode(obj, encoding="latin1"):
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed for str data in latin1 (bytes objects)")
    return obj.encode("latin1")


def _torch_device(spec, index=None):
    text = str(spec) if index is None else f"{spec}:{index}"
    return _device(text) if text.split(":")[0] == "cpu" else text


def _allowed(rb: _Rebuilder) -> dict[str, Any]:
    from .nn.parameter import Parameter
    table: dict[str, Any] = {
        "collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
        "builtins.set": set, "builtins.frozenset": frozenset, "builtins.bytearray": bytearray,
        "builtins.complex": complex, "builtins.slice": slice, "_codecs.encode": _codecs_encode,
        "torch.Size": Size, "torch.Tensor": _TensorType(), "torch.nn.parameter.Parameter": Parameter,
        "torch.device": _torch_device, "torch.serialization._get_layout": str,
        "torch._utils._rebuild_tensor": rb.rebuild_tensor, "torch._utils._rebuild_tensor_v2": rb.rebuild_tensor,
        "torch._utils._rebuild_tensor_v3": rb.rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": rb.rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rb.rebuild_parameter,
        "torch._tensor._rebuild_from_type_v2": rb.rebuild_from_type_v2,
    }
    for name in _STORAGE_DTYPES:
        table[f"torch.{name}"] = _StorageType(name)
    table["torch.storage.UntypedStorage"] = _StorageType("UntypedStorage")
    for tname, npname in _TORCH_DTYPES.items():
        table[f"torch.{tname}"] = _dtype.float32 if npname == "bfloat16" else _dtype._BY_NAME[npname]
    table.update(_numpy_globals())
    return table


def _np_dtype(name, align=False, copy=False):
    if not isinstance(name, str):
        raise pickle.UnpicklingError("numpy.dtype is only rebuilt from a type name")
    dt = np.dtype(name)
    if dt.kind not in "biuf":
        raise pickle.UnpicklingError(f"numpy dtype {dt} is not a plain numeric dtype")
    return dt


def _np_scalar(dtype, data=None):
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf" or not isinstance(data, bytes):
        raise pickle.UnpicklingError("numpy scalars are only rebuilt for numeric dtypes from bytes")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _np_reconstruct(cls, shape, typecode):
    if cls is not np.ndarray:
        raise pickle.UnpicklingError("numpy _reconstruct is only allowed for numpy.ndarray")
    return np.ndarray.__new__(np.ndarray, (0,), np.uint8)


def _numpy_globals() -> dict:
    table = {}
    for core in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[f"{core}.scalar"] = _np_scalar
        table[f"{core}._reconstruct"] = _np_reconstruct
    table["numpy.dtype"] = _np_dtype
    table["numpy.ndarray"] = np.ndarray
    return table


def _simple(v) -> bool:
    return v is None or isinstance(v, (int, str, bytes, bool, np.dtype)) or (
        isinstance(v, tuple) and all(_simple(x) for x in v))


_USER_GLOBALS: dict[str, Any] = {}  # torch.serialization.add_safe_globals


def _global_name(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


_SAFE_NEW = (OrderedDict, Counter, set, frozenset, bytearray, complex, dict, list)
_P = pickle._Unpickler


class _RestrictedUnpickler(pickle._Unpickler):
    """pickle's pure-Python unpickler with globals, object creation and BUILD restricted."""

    dispatch = dict(_P.dispatch)

    def __init__(self, file: BinaryIO, file_name: str, rebuilder: _Rebuilder, load_storage,
                 trusted: bool = False) -> None:
        super().__init__(file, encoding="utf-8")
        self.file_name = file_name
        self.table = _allowed(rebuilder)
        self.load_storage = load_storage
        self.trusted = trusted  # weights_only=False: the caller trusts the file; other globals are imported

    def find_class(self, module: str, name: str):
        key = f"{module}.{name}"
        if self.trusted and module.partition(".")[0] not in ("torch", "torchvision"):
            return super().find_class(module, name)
        if key in self.table:
            return self.table[key]
        if key in _USER_GLOBALS:
            return _USER_GLOBALS[key]
        if self.trusted:
            raise pickle.UnpicklingError(f"numtorch.load: {self.file_name} needs PyTorch's '{key}', which numtorch "
                                         "cannot rebuild (save the state_dict instead of the whole object)")
        raise _refuse(self.file_name, f"the global '{key}'")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise _refuse(self.file_name, f"the persistent id {str(pid)[:80]!r}")
        return self.load_storage(pid)

    def load_build(self):
        if self.trusted or type(self.stack[-2]) in _USER_GLOBALS.values():
            return _P.load_build(self)
        state = self.stack.pop()
        inst = self.stack[-1]
        if isinstance(inst, np.dtype) and isinstance(state, tuple) and _simple(state):
            inst.__setstate__(state)
            return
        if type(inst) is np.ndarray and isinstance(state, tuple) and len(state) == 5 and \
                isinstance(state[2], np.dtype) and state[2].kind in "biuf" and isinstance(state[4], bytes):
            inst.__setstate__(state)
            return
        if isinstance(inst, (OrderedDict, Counter)) and isinstance(state, dict) \
                and all(isinstance(k, str) and not k.startswith("__") for k in state):
            for k, v in state.items():
                setattr(inst, k, v)
            return
        if isinstance(inst, Tensor) and (state is None or state == {} or state == ()):
            return
        raise _refuse(self.file_name, f"a BUILD (state update) of a {type(inst).__name__} object")
    dispatch[pickle.BUILD[0]] = load_build

    def _check_new(self, cls):
        if cls not in _SAFE_NEW and not self.trusted and cls not in _USER_GLOBALS.values():
            raise _refuse(self.file_name, f"an object creation of {getattr(cls, '__name__', cls)!r}")

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self._check_new(cls)
        self.append(cls.__new__(cls, *args))
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self._check_new(cls)
        self.append(cls.__new__(cls, *args, **kwargs))
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex

    def load_inst(self):
        if not self.trusted:
            raise _refuse(self.file_name, "an INST opcode (old-style object creation)")
        return _P.load_inst(self)
    dispatch[pickle.INST[0]] = load_inst

    def load_obj(self):
        if not self.trusted:
            raise _refuse(self.file_name, "an OBJ opcode (old-style object creation)")
        return _P.load_obj(self)
    dispatch[pickle.OBJ[0]] = load_obj


def _new_storage(stype: _StorageType, data: np.ndarray | None, numel: int) -> _Storage:
    if stype.dtype == "bfloat16":
        arr = np.zeros(numel, np.uint16) if data is None else data.view("<u2").astype(np.uint16, copy=False)
        return _Storage(arr, bf16=True)
    dt = np.dtype(stype.dtype)
    if data is None:
        return _Storage(np.zeros(numel, dt))
    return _Storage(data.view(dt.newbyteorder("<")).astype(dt, copy=False))


def read_torch_zip(buf: bytes, name: str, weights_only: bool = True) -> Any:
    """Load a file written by ``torch.save`` (zip format)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(buf))
        names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise RuntimeError(f"numtorch.load: {name} is truncated or corrupted (not a readable zip archive: {e})") \
            from None
    pkls = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
    if not pkls:
        raise RuntimeError(f"numtorch.load: {name} is a zip archive but not a PyTorch checkpoint (no data.pkl)")
    prefix = pkls[0][:-len("data.pkl")]
    big = prefix + "byteorder" in names and zf.read(prefix + "byteorder").strip() == b"big"
    storages: dict[str, _Storage] = {}

    def load_storage(pid):
        stype, key = pid[1], str(pid[2])
        if key not in storages:
            try:
                raw = zf.read(f"{prefix}data/{key}")
            except KeyError:
                raise RuntimeError(f"numtorch.load: {name} is corrupted: storage record data/{key} is missing") \
                    from None
            except (zipfile.BadZipFile, OSError, EOFError) as e:
                raise RuntimeError(f"numtorch.load: {name} is truncated or corrupted ({e})") from None
            itemsize = 2 if stype.dtype == "bfloat16" else np.dtype(stype.dtype).itemsize
            arr = np.frombuffer(bytearray(raw), dtype=np.uint8)
            if arr.size % itemsize:
                raise RuntimeError(f"numtorch.load: {name} is corrupted: storage {key} has {arr.size} bytes")
            if big and itemsize > 1:
                arr = arr.reshape(-1, itemsize)[:, ::-1].copy().reshape(-1)
            storages[key] = _new_storage(stype, arr, arr.size // itemsize)
        return storages[key]

    rb = _Rebuilder()
    try:
        pkl = zf.read(pkls[0])
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise RuntimeError(f"numtorch.load: {name} is truncated or corrupted ({e})") from None
    try:
        result = _RestrictedUnpickler(io.BytesIO(pkl), name, rb, load_storage, not weights_only).load()
    except pickle.UnpicklingError:
        raise
    except (EOFError, IndexError, KeyError, struct.error, ValueError, TypeError) as e:
        raise RuntimeError(f"numtorch.load: {name} is corrupted (bad data.pkl: {type(e).__name__}: {e})") from None
    rb.finish()
    return result


_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_LEGACY_VERSION = 1001


def read_torch_legacy(buf: bytes, name: str, weights_only: bool = True) -> Any:
    """Load a file written by ``torch.save(..., _use_new_zipfile_serialization=False)``."""
    f = io.BytesIO(buf)
    rb = _Rebuilder()
    storages: dict[str, _Storage] = {}

    def load_storage(pid):
        stype, key, numel, view = pid[1], str(pid[2]), int(pid[4]), pid[5] if len(pid) > 5 else None
        if key not in storages:
            storages[key] = _new_storage(stype, None, numel)
        if view is not None:
            vkey, off, vsize = str(view[0]), int(view[1]), int(view[2])
            if vkey not in storages:
                base = storages[key]
                storages[vkey] = _Storage(base.array[off:off + vsize], base.bf16)
            return storages[vkey]
        return storages[key]

    def unpickle():
        return _RestrictedUnpickler(f, name, rb, load_storage, not weights_only).load()

    try:
        magic = unpickle()
        if magic != _MAGIC_NUMBER:
            raise RuntimeError(f"numtorch.load: {name} is a pickle file but not a PyTorch checkpoint "
                               "(invalid magic number); numtorch does not load arbitrary pickles")
        version = unpickle()
        if version != _LEGACY_VERSION:
            raise RuntimeError(f"numtorch.load: {name}: invalid PyTorch legacy protocol version {version!r}")
        sys_info = unpickle()
        result = unpickle()
        keys = unpickle()
        for key in keys:
            st = storages[str(key)]
            (numel,) = struct.unpack("<q", f.read(8))
            itemsize = st.array.itemsize
            raw = f.read(numel * itemsize)
            if len(raw) != numel * itemsize or numel != st.array.size:
                raise EOFError(f"storage {key}: expected {st.array.size} elements")
            dt = st.array.dtype.newbyteorder("<" if sys_info.get("little_endian", True) else ">")
            st.array[:] = np.frombuffer(raw, dtype=dt)
    except (pickle.UnpicklingError, RuntimeError):
        raise
    except (EOFError, IndexError, KeyError, struct.error, ValueError, TypeError, AttributeError) as e:
        raise RuntimeError(f"numtorch.load: {name} is truncated or corrupted ({type(e).__name__}: {e})") from None
    rb.finish()
    return result


# =========================================================================== writing
class _Pickler:
    """Emits protocol-2 pickle opcodes for the objects torch checkpoints contain."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.storages: list[np.ndarray] = []
        self._keys: dict[int, int] = {}

    def w(self, b: bytes) -> None:
        self.out.write(b)

    def glob(self, module: str, name: str) -> None:
        self.w(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def dump(self, obj) -> bytes:
        self.w(b"\x80\x02")
        self.save(obj)
        self.w(b".")
        return self.out.getvalue()

    def save(self, obj) -> None:
        w = self.w
        if obj is None:
            w(b"N")
        elif obj is True or obj is False:
            w(b"\x88" if obj else b"\x89")
        elif isinstance(obj, (int, np.integer)) and not isinstance(obj, (bool, np.bool_)):
            v = int(obj)
            if 0 <= v < 256:
                w(b"K" + bytes([v]))
            elif 0 <= v < 65536:
                w(b"M" + struct.pack("<H", v))
            elif -2 ** 31 <= v < 2 ** 31:
                w(b"J" + struct.pack("<i", v))
            else:
                enc = pickle.encode_long(v)
                w(b"\x8a" + bytes([len(enc)]) + enc)
        elif isinstance(obj, (float, np.floating)):
            w(b"G" + struct.pack(">d", float(obj)))
        elif isinstance(obj, str):
            enc = obj.encode("utf-8", "surrogatepass")
            w(b"X" + struct.pack("<I", len(enc)) + enc)
        elif isinstance(obj, Tensor):
            self.save_tensor(obj)
        elif isinstance(obj, _dtype.dtype):
            self.glob("torch", obj.name)
        elif isinstance(obj, _device):
            self.glob("torch", "device")
            self.save((str(obj),))
            w(b"R")
        elif isinstance(obj, Size):
            self.glob("torch", "Size")
            self.save((tuple(int(s) for s in obj),))
            w(b"R")
        elif type(obj) is tuple:
            if not obj:
                w(b")")
                return
            w(b"(")
            for v in obj:
                self.save(v)
            w(b"t")
        elif type(obj) is list:
            w(b"]")
            if obj:
                w(b"(")
                for v in obj:
                    self.save(v)
                w(b"e")
        elif isinstance(obj, dict) and type(obj) in (dict, OrderedDict):
            if type(obj) is OrderedDict:
                self.glob("collections", "OrderedDict")
                w(b")R")
            else:
                w(b"}")
            if obj:
                w(b"(")
                for k, v in obj.items():
                    self.save(k)
                    self.save(v)
                w(b"u")
        else:
            raise TypeError(f"numtorch.save(format='torch') cannot store objects of type {type(obj).__name__}; "
                            "it stores tensors, numbers, strings, None, dtypes and lists/tuples/dicts of them")

    def save_tensor(self, t: Tensor) -> None:
        from .nn.parameter import Parameter
        arr = t._data
        if arr.dtype.name not in _STORAGE_BY_DTYPE:
            raise TypeError(f"numtorch.save(format='torch'): unsupported dtype {arr.dtype}")
        base = id(arr)
        if base not in self._keys:
            self._keys[base] = len(self.storages)
            flat = arr if arr.flags.c_contiguous else arr.copy(order="C")
            self.storages.append(flat.astype(arr.dtype.newbyteorder("<"), copy=False))
        key = self._keys[base]
        if isinstance(t, Parameter):
            self.glob("torch._utils", "_rebuild_parameter")
            self.w(b"(")
        self.glob("torch._utils", "_rebuild_tensor_v2")
        self.w(b"((")
        self.save("storage")
        self.glob("torch", _STORAGE_BY_DTYPE[arr.dtype.name])
        self.save(str(key))
        self.save("cpu")
        self.save(int(arr.size))
        self.w(b"tQ")
        self.save(0)
        self.save(tuple(arr.shape))
        strides, acc = [], 1
        for n in reversed(arr.shape):
            strides.insert(0, acc)
            acc *= n
        self.save(tuple(strides))
        self.save(bool(t.requires_grad) and not isinstance(t, Parameter))
        self.glob("collections", "OrderedDict")
        self.w(b")Rt")
        self.w(b"R")
        if isinstance(t, Parameter):
            self.save(bool(t.requires_grad))
            self.glob("collections", "OrderedDict")
            self.w(b")R")
            self.w(b"tR")


def write_torch_zip(obj: Any, fh: BinaryIO, archive: str = "archive") -> None:
    """Write ``obj`` in ``torch.save``'s zip format to the binary file ``fh``."""
    p = _Pickler()
    pkl = p.dump(obj)
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        def put(name: str, data) -> None:
            info = zipfile.ZipInfo(f"{archive}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, data)
        put("data.pkl", pkl)
        put(".format_version", b"1")
        put(".storage_alignment", b"64")
        put("byteorder", b"little")
        for i, arr in enumerate(p.storages):
            put(f"data/{i}", memoryview(arr).cast("B").tobytes() if arr.nbytes else b"")
        put("version", b"3\n")
