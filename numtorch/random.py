"""Random number generation: ``Generator``, ``manual_seed``, and the RNG state.

Every random op in numtorch draws from a Generator (the default one unless a
``generator=`` is passed), so ``manual_seed`` makes whole runs reproducible.
numtorch uses NumPy's PCG64, so its streams differ from PyTorch's Mersenne
Twister: the same seed gives the same numbers in numtorch, not the same as in PyTorch.
"""
from __future__ import annotations

import pickle

import numpy as np

from .device import device as _device


class Generator:
    """A seedable source of random numbers, passed to random ops as ``generator=``."""

    def __init__(self, device="cpu") -> None:
        self.device = _device(device)
        self._initial_seed = 67280421310721
        self.np = np.random.Generator(np.random.PCG64(self._initial_seed))

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF
        self._initial_seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        seed = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self):
        from .tensor import _make
        raw = pickle.dumps(self.np.bit_generator.state, protocol=4)
        return _make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state) -> "Generator":
        data = bytes(state._data.astype(np.uint8)) if hasattr(state, "_data") else bytes(state)
        restored = _loads_state(data)
        self.np.bit_generator.state = restored
        return self

    def __reduce__(self):
        return (_rebuild_generator, (self.np.bit_generator.state, self._initial_seed))


def _loads_state(data: bytes) -> dict:
    """Unpickle an RNG state, allowing only plain containers and numbers (never code)."""
    import io

    class _StateUnpickler(pickle.Unpickler):
        def find_class(self, module, name):
            raise pickle.UnpicklingError(f"an RNG state may not contain {module}.{name}")

    state = _StateUnpickler(io.BytesIO(data)).load()
    if not isinstance(state, dict) or "bit_generator" not in state:
        raise RuntimeError("invalid RNG state")
    return state


def _rebuild_generator(state, seed):
    g = Generator()
    g._initial_seed = seed
    g.np.bit_generator.state = state
    return g


default_generator = Generator()


def _gen(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).np


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and NumPy's legacy global one, which some user code draws from)."""
    default_generator.manual_seed(seed)
    return default_generator


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)
