"""Module hooks: forward (pre-)hooks, full backward (pre-)hooks, and the handles that remove them.

``Module.__call__`` runs ``forward`` directly when no hook is registered; otherwise it hands over to
``_call_with_hooks`` (here), which runs the hooks in registration order (``prepend=True`` puts one first).
Backward hooks work by routing inputs and outputs through ``_BackwardHookIdentity``, an identity op whose
backward calls the hooks with the gradients.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict

from ...autograd.function import ArrayFunction
from ...autograd.grad_mode import _grad
from ...tensor import Tensor

__all__: list = []


class RemovableHandle:
    """Returned by ``register_*_hook``; ``handle.remove()`` unregisters the hook (also a context manager)."""

    _next_id = 0

    def __init__(self, *dicts) -> None:
        self.hooks_dicts_ref = [weakref.ref(d) if _weakrefable(d) else (lambda d=d: d) for d in dicts]
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        for ref in self.hooks_dicts_ref:
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _weakrefable(obj) -> bool:
    try:
        weakref.ref(obj)
        return True
    except TypeError:
        return False


class _HookDict(OrderedDict):
    """An OrderedDict that weak references can point to (plain dicts cannot be weakly referenced)."""


# Every Module's __dict__ holds these, so pickled modules name the class's path; keep the path it had before
# the hook code moved here (module.py re-exports it), so pickles stay readable by older numtorch checkouts.
_HookDict.__module__ = "numtorch.nn.modules.module"


class _ModuleHooksMixin:
    """The hook methods of ``Module`` (a base class of it; ``Module.__init__`` makes the hook dicts)."""

    def _call_with_hooks(self, args, kwargs):
        backward_hooks = (self._backward_hooks or self._backward_pre_hooks) and _grad.enabled
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in self._forward_pre_hooks_with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {res}.")
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        if backward_hooks:
            state = {"grad_output": None, "inputs_hooked": False}
            args = self._hook_inputs(args, state)
        try:
            result = self.forward(*args, **kwargs)
        except Exception:
            for hid, hook in list(self._forward_hooks.items()):
                if hid in self._forward_hooks_always_called:
                    try:
                        if hid in self._forward_hooks_with_kwargs:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception:
                        pass
            raise
        for hid, hook in list(self._forward_hooks.items()):
            if hid in self._forward_hooks_with_kwargs:
                res = hook(self, args, kwargs, result)
            else:
                res = hook(self, args, result)
            if res is not None:
                result = res
        if backward_hooks:
            result = self._hook_outputs(result, args, state)
        return result

    # ---------------------------------------------------------------- backward hooks
    def _hook_inputs(self, args, state):
        """Route the inputs that require grad through an identity op whose backward calls the full hooks."""
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not idx or not self._backward_hooks:
            return args
        n_tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        state["inputs_hooked"] = True

        def on_grad_input(grads):
            grad_input = [None] * len(n_tensors)
            for k, g in zip(idx, grads):
                grad_input[n_tensors.index(k)] = None if g is None else _make_tensor(g)
            grad_input = tuple(grad_input)
            for hook in list(self._backward_hooks.values()):
                res = hook(self, grad_input, state["grad_output"])
                if res is not None:
                    grad_input = tuple(res)
            return tuple(None if grad_input[n_tensors.index(k)] is None else grad_input[n_tensors.index(k)]._data
                         for k in idx)

        outs = _BackwardHookIdentity.apply(on_grad_input, *[args[i] for i in idx])
        args = list(args)
        for k, o in zip(idx, outs):
            args[k] = o
        return tuple(args)

    def _hook_outputs(self, result, args, state):
        """Route the outputs through an identity op whose backward records grad_output and runs the pre-hooks."""
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple):
            return result
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return result
        n_in = sum(isinstance(a, Tensor) for a in args)

        def on_grad_output(grads):
            grad_output = tuple(None if g is None else _make_tensor(g) for g in grads)
            for hook in list(self._backward_pre_hooks.values()):
                res = hook(self, grad_output)
                if res is not None:
                    grad_output = tuple(res) if isinstance(res, (tuple, list)) else (res,)
            state["grad_output"] = grad_output
            if not state["inputs_hooked"]:  # no input needs a gradient: the full hooks see grad_input of Nones
                for hook in list(self._backward_hooks.values()):
                    hook(self, (None,) * n_in, grad_output)
            return tuple(None if g is None else g._data for g in grad_output)

        wrapped = _BackwardHookIdentity.apply(on_grad_output, *[outs[i] for i in idx])
        outs = list(outs)
        for k, o in zip(idx, wrapped):
            outs[k] = o
        return outs[0] if single else tuple(outs)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output) -> None or new grad_input`` runs when the gradients w.r.t.
        the module's tensor inputs are computed (tuples of Tensors, None where no gradient)."""
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output) -> None or new grad_output`` runs when the output gradients are known."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook) -> RemovableHandle:
        """Deprecated in PyTorch; numtorch runs it as a full backward hook."""
        return self.register_full_backward_hook(hook)

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args) -> None or new args`` runs before ``forward``
        (``hook(module, args, kwargs) -> None or (args, kwargs)`` with ``with_kwargs=True``)."""
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output) -> None or new output`` runs after ``forward``."""
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs,
                                 self._forward_hooks_always_called)
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle


class _BackwardHookIdentity(ArrayFunction):
    """Identity on any number of arrays whose backward passes the gradients through ``fn`` (module hooks)."""

    @staticmethod
    def forward(ctx, fn, *xs):
        ctx.fn = fn
        return tuple(x.view() for x in xs)

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.fn(grads))


def _make_tensor(a) -> Tensor:
    from ...tensor import _make
    return _make(a)
