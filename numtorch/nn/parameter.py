"""Parameter: a leaf Tensor that Modules register automatically."""
from __future__ import annotations

from ..tensor import Tensor, _init, _make


class Parameter(Tensor):
    """A Tensor that is a module parameter; ``requires_grad=True`` by default."""

    def __new__(cls, data=None, requires_grad: bool = True):
        from .. import creation
        if data is None:
            data = creation.empty(0)
        self = object.__new__(cls)
        _init(self, data._data, requires_grad, None)
        return self

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (_make(self._data), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = Parameter(_make(self._data.copy()), self.requires_grad)
        if self.grad is not None:
            new.grad = _make(self.grad._data.copy())
        memo[id(self)] = new
        return new


class UninitializedParameter(Parameter):
    pass


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __new__(cls, data=None, *, persistent: bool = True):
        from .. import creation
        if data is None:
            data = creation.empty(0)
        self = object.__new__(Tensor)
        _init(self, data._data, data.requires_grad, None)
        self.__dict__["_buffer_persistent"] = persistent
        return self
