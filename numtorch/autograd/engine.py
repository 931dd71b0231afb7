"""The backward engine: order the graph iteratively, run each node once, free it.

1. Walk the graph from the roots with an explicit stack, counting for every
   node how many edges lead into it (no recursion, so any depth works).
2. Run a node once all of its incoming gradients have arrived, passing each
   input gradient along its edge; leaves accumulate into ``.grad``.
3. Unless ``retain_graph``, drop every node's saved values afterwards, so a
   second backward through them raises PyTorch's error.
"""
from __future__ import annotations

import sys

from .._backend import xp
from .function import FREED_MESSAGE, AccumulateGrad, _edge
from . import anomaly
from .higher_order import graph_backward


Tensor = _make = None  # bound by numtorch.tensor (which imports this module first)


def _bind_tensor(tensor_cls, make) -> None:
    global Tensor, _make
    Tensor, _make = tensor_cls, make


def _check_saved_versions(node) -> None:
    for counter, expected, i in node._saved_versions:
        if counter[0] != expected:
            saved = node.saved[i]
            arr = getattr(saved, "_data", saved)
            shape, dtype = arr.shape, arr.dtype
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{_type_name(dtype)} {list(shape)}], which is used by {node.name()}, "
                f"is at version {counter[0]}; expected version {expected} instead. Hint: the tensor was "
                "changed in place after it was saved for backward; use an out-of-place op or .clone().")


def _type_name(dtype) -> str:
    from ..tensor import _TYPE_NAMES
    return _TYPE_NAMES.get(xp.dtype(dtype).name, "torch.Tensor").replace("torch.", "numtorch.")


def _run_pre_hooks(node, buffer, create_graph: bool = False) -> None:
    for nr, hooks in node._pre_hooks.items():
        for hook in list(hooks):
            g = buffer[nr]
            if g is None:
                continue
            if not create_graph and not g.flags.writeable:  # hooks may change the gradient in place
                g = buffer[nr] = g.copy()
            result = hook(g if create_graph else _make(g, False, None))
            if result is not None:
                buffer[nr] = result if create_graph else result._data


_refcount = sys.getrefcount
_OWNED_REFS = 3  # run_backward's local, this function's argument, getrefcount's own argument


def _accumulate(node: AccumulateGrad, grad) -> None:
    var = node.variable
    if var._hooks:
        if not grad.flags.writeable:  # hooks may change the gradient in place, as PyTorch allows
            grad = grad.copy()
        for hook in list(var._hooks):
            result = hook(_make(grad, False, None))
            if result is not None:
                grad = result._data
    data = var._data
    if grad.dtype != data.dtype:
        grad = grad.astype(data.dtype)
    if grad.shape != data.shape:
        grad = xp.broadcast_to(grad, data.shape)
    if var.grad is None:
        # A fresh array nobody else references becomes .grad as is; anything shared (a view, an array another
        # edge or a hook still holds) is copied, so in-place accumulation later can never touch another gradient.
        if grad.base is not None or not grad.flags.writeable or _refcount(grad) > _OWNED_REFS:
            grad = xp.array(grad, copy=True)
        var.grad = _make(grad, False, None)
    else:
        xp.add(var.grad._data, grad, out=var.grad._data)  # in place, as PyTorch accumulates


def _accumulate_graph(node: AccumulateGrad, grad) -> None:
    """``_accumulate`` for create_graph=True: ``grad`` is a Tensor that may have a graph; ``.grad`` becomes
    a Tensor at the same place in that graph (own storage), or the out-of-place sum with the old ``.grad``."""
    var = node.variable
    for hook in list(var._hooks or ()):
        result = hook(grad)
        if result is not None:
            grad = result
    if grad.dtype != var.dtype:
        grad = grad.to(var.dtype)
    if grad.shape != var.shape:
        grad = grad.expand(var.shape)
    if var.grad is not None:
        var.grad = var.grad + grad
    elif grad.grad_fn is not None:
        var.grad = _make(xp.array(grad._data, copy=True), True, grad.grad_fn, grad._output_nr)
    else:
        var.grad = grad.clone()


def _count_dependencies(roots):
    """Number of incoming edges of every node reachable from ``roots`` (explicit stack: any depth)."""
    dependencies = {}
    stack = []
    for node, _ in roots:
        if node not in dependencies:
            dependencies[node] = 0
            stack.append(node)
    pop, push = stack.pop, stack.append
    while stack:
        for edge in pop().next_edges:
            if edge is not None:
                nxt = edge[0]
                if nxt in dependencies:
                    dependencies[nxt] += 1
                else:
                    dependencies[nxt] = 1
                    if type(nxt) is not AccumulateGrad:  # leaves have no edges to follow
                        push(nxt)
    return dependencies


def _leads_to(roots, capture) -> dict:
    """For every node reachable from ``roots``: whether some edge in ``capture`` lies beyond it, i.e. whether
    its backward must run for ``autograd.grad`` (depth-first with an explicit stack: any depth works)."""
    targets = {node for node, _ in capture}
    needed = {}
    for root, _ in roots:
        if root in needed:
            continue
        needed[root] = False
        stack = [(root, iter(root.next_edges))]
        while stack:
            node, edges = stack[-1]
            for edge in edges:
                if edge is None:
                    continue
                nxt = edge[0]
                if nxt in targets:
                    needed[node] = True
                if nxt not in needed:
                    needed[nxt] = False
                    stack.append((nxt, iter(nxt.next_edges)))
                    break
                if needed[nxt]:
                    needed[node] = True
            else:
                stack.pop()
                if stack and needed[node]:
                    needed[stack[-1][0]] = True
    return needed


def run_backward(roots, root_grads, retain_graph: bool, capture=None, create_graph: bool = False):
    """Backpropagate ``root_grads`` (arrays) from ``roots`` (edges).

    With ``capture`` (a dict from edge to None), gradients arriving at those
    edges are stored there instead of being accumulated into leaves, and no
    leaf ``.grad`` is touched: that is ``autograd.grad``.
    With ``create_graph`` the gradients are Tensors and every node's backward
    runs as differentiable Tensor ops (``higher_order``), so they have a graph.
    """
    dependencies = _count_dependencies(roots)
    needed = None if capture is None else _leads_to(roots, capture)
    buffers = {}
    for (node, nr), g in zip(roots, root_grads):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    ready = [node for node in buffers if dependencies[node] == 0]
    check_anomaly = anomaly._enabled[0]
    pop_buffer = buffers.pop

    while ready:
        node = ready.pop()
        buffer = pop_buffer(node, None)
        if buffer is None:
            buffer = [None] * node._n_outputs
        if node._pre_hooks:
            _run_pre_hooks(node, buffer, create_graph)
        if capture is not None:
            for nr in range(node._n_outputs):
                if (node, nr) in capture:
                    capture[(node, nr)] = buffer[nr]
        if type(node) is AccumulateGrad:
            if capture is None and buffer[0] is not None:
                grad = buffer[0]
                buffer = buf = in_grads = g = None  # drop the loop's references so _accumulate can tell ownership
                _accumulate_graph(node, grad) if create_graph else _accumulate(node, grad)
                grad = None
            continue
        if needed is not None and not needed[node]:  # autograd.grad: nothing asked for lies beyond this node
            in_grads = (None,) * len(node.next_edges)
        elif create_graph:  # Tensors in, Tensors out, recorded as a graph of their own
            in_grads = graph_backward(node, buffer)
        elif node._n_outputs == 1 and buffer[0] is None:
            in_grads = (None,) * len(node.next_edges)
        elif node._n_outputs != 1 and all(g is None for g in buffer):
            in_grads = (None,) * len(node.next_edges)
        else:
            if node._n_outputs != 1 and node._out_meta is not None:
                buffer = [xp.zeros(m[0], m[1]) if g is None else g for g, m in zip(buffer, node._out_meta)]
            if node._saved_versions:
                _check_saved_versions(node)
            if node._array_backward:  # built-in op: call its backward on arrays directly
                if node.saved is None:
                    raise RuntimeError(FREED_MESSAGE)
                in_grads = g = None  # the previous node's references: gradients in ``buffer`` may be reused
                # a post-hook must see grad_outputs unchanged: an extra reference makes them non-reusable
                hooked = tuple(buffer) if node._hooks else None  # noqa: F841 (held, not read)
                in_grads = node.backward(node, *buffer)
                hooked = None  # noqa: F841
                if type(in_grads) is not tuple:
                    in_grads = (in_grads,)
            else:
                in_grads = node._call_backward(node, buffer)
            if check_anomaly:
                anomaly.check_backward(node, in_grads)
        if node._hooks:
            wrap = (lambda g: g) if create_graph else (lambda g: None if g is None else _make(g, False, None))
            for hook in node._hooks:
                hook(tuple(wrap(g) for g in in_grads), tuple(wrap(g) for g in buffer))
        if not retain_graph and node.saved:
            node.saved = None
        for edge, g in zip(node.next_edges, in_grads):
            if edge is None:
                continue
            nxt, nr = edge
            if g is not None:
                buf = buffers.get(nxt)
                if buf is None:
                    buf = buffers[nxt] = [None] * nxt._n_outputs
                    buf[nr] = g
                elif buf[nr] is None:
                    buf[nr] = g
                else:
                    buf[nr] = buf[nr] + g
            remaining = dependencies[nxt] - 1
            dependencies[nxt] = remaining
            if remaining == 0:
                ready.append(nxt)


_UNITS = {}


def _unit(dtype):
    """A read-only 0-d array holding 1 (the seed of ``loss.backward()``), one per dtype: a backward that passes
    it on unchanged reaches ``.grad`` as a copy, since ``_accumulate`` copies read-only arrays."""
    u = _UNITS.get(dtype)
    if u is None:
        u = _UNITS[dtype] = xp.ones((), dtype)
        u.flags.writeable = False
    return u


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
    """Compute the sum of gradients of ``tensors`` w.r.t. graph leaves (``torch.autograd.backward``)."""
    if grad_tensors is None and inputs is None and not create_graph and isinstance(tensors, Tensor):
        fn = tensors.grad_fn
        data = tensors._data
        if fn is not None and data.ndim == 0 and data.dtype.kind == "f":  # loss.backward(): the common case
            run_backward([(fn, tensors._output_nr)], [_unit(data.dtype)], bool(retain_graph))
            return
    roots, grads = _prepare_roots(tensors, grad_tensors, create_graph)
    retain = bool(create_graph if retain_graph is None else retain_graph)
    if inputs is not None:
        inputs = [inputs] if _is_tensor(inputs) else list(inputs)
        capture = {_edge(t): None for t in inputs}
        run_backward(roots, grads, retain, capture, create_graph)
        for t in inputs:
            g = capture[_edge(t)]
            if g is None:
                continue
            if t.grad_fn is None:
                (_accumulate_graph if create_graph else _accumulate)(AccumulateGrad(t), g)
            else:
                _store_grad(t, g, create_graph)
        return
    run_backward(roots, grads, retain, None, create_graph)


def _store_grad(t, g, create_graph: bool = False) -> None:
    if create_graph:
        t.grad = g if t.grad is None else t.grad + g
    else:
        t.grad = _make(xp.array(g, copy=True), False, None) if t.grad is None else _make(t.grad._data + g, False, None)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused=None, is_grads_batched: bool = False, materialize_grads: bool = False):
    """Return the gradients of ``outputs`` w.r.t. ``inputs`` without touching any ``.grad``."""
    single = _is_tensor(inputs)
    inputs = [inputs] if single else list(inputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots, grads = _prepare_roots(outputs, grad_outputs, create_graph)
    capture = {_edge(t): None for t in inputs}
    run_backward(roots, grads, bool(create_graph if retain_graph is None else retain_graph), capture, create_graph)
    result = []
    for i, t in enumerate(inputs):
        g = capture[_edge(t)]
        if g is None:
            if materialize_grads:
                g = xp.zeros_like(t._data)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        result.append(g if g is None or isinstance(g, Tensor) else _make(g, False, None))
    return tuple(result)


def _is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def _prepare_roots(tensors, grad_tensors, create_graph):
    """Root edges and their gradients: arrays, or Tensors with ``create_graph`` (a given Tensor is kept, so a
    ``grad_outputs`` that requires grad stays in the new graph)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    else:
        grad_tensors = list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError("grad can be implicitly created only for scalar outputs"
                           if not grad_tensors else
                           f"got {len(grad_tensors)} tensors and {len(tensors)} gradients")
    roots, grads = [], []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            data = t._data
            if data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
            g = xp.array(1, dtype=data.dtype) if data.ndim == 0 else xp.ones(data.shape, data.dtype)
        else:
            given = g
            g = g._data if isinstance(g, Tensor) else xp.asarray(g, dtype=t._data.dtype)
            if g.shape != t._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and "
                                   f"output[{i}] has a shape of {tuple(t._data.shape)}.")
            if create_graph and isinstance(given, Tensor):
                g = given
        roots.append(_edge(t))
        grads.append(_make(g, False, None) if create_graph and not isinstance(g, Tensor) else g)
    return roots, grads
