"""Module conversions: ``apply``, ``to``, ``float``/``double``/``half``, device moves, all in place."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..._backend import xp
from ...tensor import Tensor

if TYPE_CHECKING:
    from .module import Module

__all__: list = []


class _ModuleConvertMixin:
    """``apply`` and the dtype/device conversions of ``Module`` (a base class of it)."""

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn`` on every submodule (children first) and then on self, e.g. for custom init."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------- dtype and device
    def _apply(self, fn: Callable) -> "Module":
        """Replace each parameter's and buffer's array by ``fn(array)`` in place, keeping the objects."""
        for module in self.modules():
            for p in module._parameters.values():
                if p is None:
                    continue
                new = fn(p._data)
                if new is not p._data:
                    p._data = new
                    p._version = [0]
                if p.grad is not None:
                    g = fn(p.grad._data)
                    if g is not p.grad._data:
                        p.grad._data = g
            for name, b in module._buffers.items():
                if b is None:
                    continue
                new = fn(b._data)
                if new is not b._data:
                    b._data = new
                    b._version = [0]
        return self

    def to(self, *args, **kwargs) -> "Module":
        """``to(dtype)``, ``to(device)``, ``to(tensor)``: casts floating parameters and buffers in place."""
        from ...device import device as _device
        from ..._dtype import dtype as _dtype_cls
        target = kwargs.get("dtype")
        for a in args:
            if isinstance(a, _dtype_cls):
                target = a
            elif isinstance(a, Tensor):
                target = a.dtype
            elif a is not None:
                _device(a)  # raises for devices numtorch does not have
        if kwargs.get("device") is not None:
            _device(kwargs["device"])
        if target is None:
            return self
        if not target.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but got desired dtype="
                            f"{target}")
        npd = target.np
        return self._apply(lambda a: a.astype(npd) if a.dtype.kind == "f" and a.dtype != npd else a)

    def float(self) -> "Module":
        return self._apply(lambda a: a.astype(xp.float32) if a.dtype.kind == "f" and a.dtype != xp.float32 else a)

    def double(self) -> "Module":
        return self._apply(lambda a: a.astype(xp.float64) if a.dtype.kind == "f" and a.dtype != xp.float64 else a)

    def half(self) -> "Module":
        return self._apply(lambda a: a.astype(xp.float16) if a.dtype.kind == "f" and a.dtype != xp.float16 else a)

    def type(self, dst_type) -> "Module":
        return self.to(dst_type)

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        raise AssertionError("Torch not compiled with CUDA enabled (numtorch runs on the CPU only)")

    def share_memory(self) -> "Module":
        return self
