"""``numtorch.device``: numtorch computes on the CPU; other devices are named in clear errors."""
from __future__ import annotations


class device:
    __slots__ = ("type", "index")

    def __new__(cls, type_or_device="cpu", index: int | None = None):
        if isinstance(type_or_device, device):
            return type_or_device
        text = str(type_or_device)
        kind, _, idx = text.partition(":")
        if kind not in ("cpu", "cuda", "mps", "meta", "xpu"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps device type at start of device string: {text}")
        if kind != "cpu":
            raise RuntimeError(f"numtorch runs on the CPU only; device '{text}' is not available "
                               "(torch.cuda.is_available() is False in numtorch)")
        self = object.__new__(cls)
        self.type = kind
        self.index = int(idx) if idx else index
        return self

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __reduce__(self):
        return (device, (self.type,))


_CPU = device("cpu")
