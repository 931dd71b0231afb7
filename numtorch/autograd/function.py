"""Autograd functions: the nodes of the backward graph.

Every differentiable op is a small subclass with ``forward(ctx, ...)`` and
``backward(ctx, grad)`` side by side. The instance made for one call is both
the ``ctx`` passed to both methods and the graph node recorded as the output's
``grad_fn``.

``Function`` follows ``torch.autograd.Function``: forward and backward see
Tensors. numtorch's own ops derive from ``ArrayFunction`` instead, whose
forward and backward see plain arrays, which keeps per-op overhead small.
Anything backward needs goes through ``ctx.save_for_backward`` so that it can
be freed after backward and checked against in-place changes.
"""
from __future__ import annotations

import sys
import weakref

from .anomaly import _enabled as _anomaly, check_forward
from .grad_mode import _grad

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


_refcount = sys.getrefcount
_ENGINE_GRAD_REFS = 5  # the engine's buffer, the call's argument tuple, backward's parameter, ours, getrefcount's


def reusable_grad(g) -> bool:
    """Whether a backward may write its result into its output gradient ``g``: True only when the engine
    handed over an array that nothing else references (not the user's gradient, not one shared with another
    edge, a hook or ``autograd.grad``'s results, not a view of memory someone else holds). Call it first thing in ``backward(ctx, g)``."""
    if not g.flags.writeable or _refcount(g) > _ENGINE_GRAD_REFS:
        return False
    base = g.base  # a view is fine when nothing else holds the array it views (e.g. a reshape of a fresh result)
    return base is None or (base.base is None and _refcount(base) <= 3)  # g's own reference, ours, getrefcount's


class Node:
    """A node of the backward graph.

    ``next_edges`` holds one entry per forward input: ``(node, output_nr)`` of
    the input's producer (an ``AccumulateGrad`` for leaves), or ``None`` where
    no gradient is needed.
    """

    __slots__ = ("next_edges", "saved", "needs_input_grad", "__dict__", "__weakref__")
    # rarely-set fields live as class defaults, so the hot path of an op does not have to write them
    _saved_versions = None
    _pre_hooks = None
    _hooks = None
    _n_outputs = 1
    _out_meta = None

    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    @property
    def next_functions(self):
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.next_edges)

    def register_hook(self, hook):
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    def register_prehook(self, hook):
        return _add_pre_hook(self, 0, hook)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


class _RemovableHandle:
    def __init__(self, container, item):
        self._container, self._item = container, item

    def remove(self) -> None:
        if self._item in self._container:
            self._container.remove(self._item)


def _add_pre_hook(node: Node, output_nr: int, hook):
    if node._pre_hooks is None:
        node._pre_hooks = {}
    hooks = node._pre_hooks.setdefault(output_nr, [])
    hooks.append(hook)
    return _RemovableHandle(hooks, hook)


class AccumulateGrad(Node):
    """The sink for a leaf tensor: adds the incoming gradient into ``variable.grad``."""

    def __init__(self, variable) -> None:
        self.variable = variable
        self.next_edges = ()
        self.saved = ()
        self._saved_versions = None
        self._pre_hooks = None
        self._hooks = None
        self._n_outputs = 1
        self._out_meta = None

    def name(self) -> str:
        return "AccumulateGrad"


class Function(Node):
    """Base for autograd functions with PyTorch's ``torch.autograd.Function`` interface.

    Subclass it, write ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``
    as static methods on Tensors, and call ``YourFunction.apply(*args)``.
    """

    _array_backward = False  # backward sees Tensors: the engine goes through _call_backward

    def __init__(self, *args, **kwargs) -> None:
        self.saved = ()
        self._saved_versions = None
        self._pre_hooks = None
        self._hooks = None
        self.next_edges = ()
        self.needs_input_grad = ()
        self._n_outputs = 1
        self._out_meta = None
        self._materialize_grads = True
        self._non_differentiable = ()
        self._dirty = ()

    def name(self) -> str:
        return type(self).__name__ + "Backward"

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    def save_for_backward(self, *tensors) -> None:
        self.saved = tensors

    @property
    def saved_tensors(self):
        if self.saved is None:
            raise RuntimeError(FREED_MESSAGE)
        return self.saved

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = tuple(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        self._dirty = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = value

    @classmethod
    def apply(cls, *args, **kwargs):
        from .grad_mode import no_grad
        ctx = cls()
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx.needs_input_grad = needs
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if not (_grad.enabled and any(needs)):
            return outputs
        ctx.next_edges = tuple(_edge(a) if n else None for a, n in zip(args, needs))
        ctx._n_outputs = len(outs)
        ctx._out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs]
        wrapped = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and id(o) not in ctx._non_differentiable and o.dtype.is_floating_point:
                if any(o is a for a in args) and o not in ctx._dirty:
                    o = _make(o._data, False, None)  # an input returned as-is becomes a new output
                o.requires_grad = True
                o.grad_fn = ctx
                o._output_nr = i
            wrapped.append(o)
        if ctx.saved:
            ctx._saved_versions = [(t._version, t._version[0], i) for i, t in enumerate(ctx.saved)
                                   if isinstance(t, Tensor)]
            # a saved output would make a cycle (output -> ctx -> output): keep a detached alias instead
            out_ids = {id(o) for o in wrapped if isinstance(o, Tensor)}
            if any(id(t) in out_ids for t in ctx.saved):
                ctx.saved = tuple(_alias(t) if id(t) in out_ids else t for t in ctx.saved)
        return wrapped[0] if single else tuple(wrapped)

    @classmethod
    def _call_backward(cls, ctx, grads):
        """Engine entry: wrap array grads into Tensors, run backward without grad, unwrap."""
        from .grad_mode import no_grad
        if ctx.saved is None:
            raise RuntimeError(FREED_MESSAGE)
        # a user's backward may change its grad_output in place (PyTorch allows it): never hand it a read-only array
        tgrads = [None if g is None else _make(g if g.flags.writeable else g.copy(), False, None) for g in grads]
        with no_grad():
            result = cls.backward(ctx, *tgrads)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(ctx.next_edges):
            raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients "
                               f"(expected {len(ctx.next_edges)}, got {len(result)})")
        return tuple(r._data if isinstance(r, Tensor) else r for r in result)


class ArrayFunction(Function):
    """Base for numtorch's built-in ops: forward and backward work on arrays.

    ``forward(ctx, *args)`` receives each Tensor argument as its array and every
    other argument unchanged, and returns an array (or a tuple of arrays).
    ``backward(ctx, grad)`` receives the output gradient(s) as arrays and returns
    one gradient array (or None) per positional forward argument.
    Indices of outputs that carry no gradient go in ``non_differentiable_outputs``.
    """

    non_differentiable_outputs = ()
    _array_backward = True  # the engine calls ``backward`` directly on arrays

    torch_name = None  # PyTorch's node name where it differs (set on the class, or on ctx in forward)

    def name(self) -> str:
        return self.torch_name or type(self).__name__ + "Backward0"

    @classmethod
    def apply(cls, *args, **kwargs):
        return _apply_array_function(cls, args, kwargs)

    @classmethod
    def _call_backward(cls, ctx, grads):
        if ctx.saved is None:
            raise RuntimeError(FREED_MESSAGE)
        result = cls.backward(ctx, *grads)
        return result if type(result) is tuple else (result,)


def _alias(t):
    a = _make(t._data, False, None)
    a._version = t._version
    return a


def _edge(t):
    """The graph edge a gradient for tensor ``t`` flows into."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    return (grad_accumulator(t), 0)


def grad_accumulator(t) -> AccumulateGrad:
    """The leaf's AccumulateGrad node; the tensor keeps only a weak reference, the graph the strong one."""
    ref = t._acc
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._acc = weakref.ref(acc)
    return acc


Tensor = _make = None  # bound by numtorch.tensor once Tensor exists (tensor.py imports this module)


def _bind_tensor(tensor_cls, make) -> None:
    global Tensor, _make
    Tensor, _make = tensor_cls, make


def _apply_array_function(cls, args, kwargs):
    """The hot path of every built-in op: unwrap arrays, run forward, record the node if needed."""
    ctx = _new_node(cls)
    ctx.saved = ()
    arrays = []
    needs = []
    any_needs = False
    for a in args:
        if isinstance(a, Tensor):
            arrays.append(a._data)
            r = a.requires_grad
            needs.append(r)
            if r:
                any_needs = True
        else:
            arrays.append(a)
            needs.append(False)
    ctx.needs_input_grad = needs
    out = cls.forward(ctx, *arrays, **kwargs) if kwargs else cls.forward(ctx, *arrays)
    if _anomaly[0]:
        for o in (out if type(out) is tuple else (out,)):
            check_forward(ctx.name(), o, arrays)
    if not any_needs or not _grad.enabled:
        if type(out) is tuple:
            return tuple(_make(o, False, None) for o in out)
        return _make(out, False, None)
    edges = []
    for a, n in zip(args, needs):
        if n:
            fn = a.grad_fn
            if fn is not None:
                edges.append((fn, a._output_nr))
            else:
                ref = a._acc
                acc = ref() if ref is not None else None
                edges.append((acc if acc is not None else grad_accumulator(a), 0))
        else:
            edges.append(None)
    ctx.next_edges = edges
    if type(out) is tuple:
        ctx._n_outputs = len(out)
        ctx._out_meta = [(o.shape, o.dtype) for o in out]
        nd = cls.non_differentiable_outputs
        result = tuple(_make(o, i not in nd, None if i in nd else ctx, i) for i, o in enumerate(out))
    else:
        result = _make(out, True, ctx)
    if ctx.saved:
        _record_saved_versions(ctx, args, result)
    return result


_new_node = object.__new__


def _edge_of(t):
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    ref = t._acc
    acc = ref() if ref is not None else None
    return (acc if acc is not None else grad_accumulator(t), 0)


def apply_binary(cls, a, b):
    """``cls.apply(a, b)`` for two Tensors with single-array output: the same steps as
    ``_apply_array_function`` without the generic argument loop (the hottest path: + - * /)."""
    ctx = _new_node(cls)
    ctx.saved = ()
    ra = a.requires_grad
    rb = b.requires_grad
    ctx.needs_input_grad = (ra, rb)
    out = cls.forward(ctx, a._data, b._data)
    if _anomaly[0]:
        check_forward(ctx.name(), out, (a._data, b._data))
    if not (ra or rb) or not _grad.enabled:
        return _make(out, False, None)
    ctx.next_edges = (_edge_of(a) if ra else None, _edge_of(b) if rb else None)
    result = _make(out, True, ctx)
    if ctx.saved:
        _record_saved_versions(ctx, (a, b), result)
    return result


def apply_unary(cls, x, *extra):
    """``cls.apply(x, *extra)`` for one Tensor plus non-tensor arguments (relu, exp, sum, ...)."""
    ctx = _new_node(cls)
    ctx.saved = ()
    r = x.requires_grad
    ctx.needs_input_grad = (r,) + (False,) * len(extra)
    out = cls.forward(ctx, x._data, *extra)
    if _anomaly[0]:
        check_forward(ctx.name(), out, (x._data,))
    if not r or not _grad.enabled or type(out) is tuple:
        if type(out) is tuple:  # multi-output ops take the general path's bookkeeping
            return _finish_general(cls, ctx, (x,) + extra, out, r and _grad.enabled)
        return _make(out, False, None)
    ctx.next_edges = (_edge_of(x),) + (None,) * len(extra)
    result = _make(out, True, ctx)
    if ctx.saved:
        _record_saved_versions(ctx, (x,), result)
    return result


def _finish_general(cls, ctx, args, out, any_needs):
    if not any_needs:
        return tuple(_make(o, False, None) for o in out)
    ctx.next_edges = [_edge_of(a) if isinstance(a, Tensor) and a.requires_grad else None for a in args]
    ctx._n_outputs = len(out)
    ctx._out_meta = [(o.shape, o.dtype) for o in out]
    nd = cls.non_differentiable_outputs
    result = tuple(_make(o, i not in nd, None if i in nd else ctx, i) for i, o in enumerate(out))
    if ctx.saved:
        _record_saved_versions(ctx, args, result)
    return result


def _record_saved_versions(ctx, args, result):
    """Remember the version of every input/output tensor whose array was saved, to detect in-place edits.

    Entries are (version counter, version now, index into ctx.saved); shape and dtype for the error
    message are read from the saved array only if the check fails.
    """
    versions = None
    i = -1
    for s in ctx.saved:
        i += 1
        if s is None:
            continue
        for t in args:
            if isinstance(t, Tensor) and t._data is s:
                break
        else:
            for t in (result if type(result) is tuple else (result,)):
                if t._data is s:
                    break
            else:
                continue
        v = t._version
        if versions is None:
            versions = [(v, v[0], i)]
        else:
            versions.append((v, v[0], i))
    if versions:
        ctx._saved_versions = versions
