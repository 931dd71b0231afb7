"""``torch.autograd.functional``: Jacobians, Hessians and vector products of a function, built on ``grad``.

Every function takes ``func`` (Tensors -> Tensor or tuple of Tensors) and ``inputs`` (a Tensor or a tuple
of Tensors). The inputs are detached copies that require grad, so the caller's graph is untouched unless
``create_graph=True``, in which case the results keep their graph (and the inputs' history) for further
differentiation. An input that does not influence an output gets zeros, or a RuntimeError with
``strict=True``. Shapes (single input x of shape I, single output y of shape O):
    jacobian(f, x) -> O + I;  hessian(f, x) -> I + I;  vjp(f, x, v: O) -> (y, I);  jvp(f, x, v: I) -> (y, O);
    hvp(f, x, v: I) -> (f(x), I);  vhp likewise.  Tuples of inputs/outputs give tuples (of tuples) of these.
Reverse mode only: ``vectorize`` and ``strategy="forward-mode"`` are accepted but computed row by row.
"""
from __future__ import annotations

from .engine import grad as _grad
from .grad_mode import enable_grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _as_tuple(x, arg: str, fn: str):
    from ..tensor import Tensor
    single = isinstance(x, Tensor)
    xs = (x,) if single else tuple(x)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors but the "
                            f"value at index {i} has type {type(t)}.")
    return single, xs


def _prepare(inputs, create_graph: bool):
    """Fresh leaves (or, with create_graph, views that keep the caller's history) that require grad."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(True)
                 for x in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph: bool, strict: bool, what: str):
    """d<outputs, grad_outputs>/d inputs, zeros (or an error with ``strict``) where an input is unused."""
    from ..creation import zeros_like
    outs = [o for o in outputs if o.requires_grad]
    gos = [g for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    got = _grad(outs, inputs, gos, retain_graph=True, create_graph=create_graph, allow_unused=True) if outs \
        else (None,) * len(inputs)
    result = []
    for i, (g, x) in enumerate(zip(got, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This "
                                   f"is not allowed in strict mode{what}.")
            g = zeros_like(x)
        result.append(g if create_graph else g.detach())
    return tuple(result)


def _check_v(v, outputs):
    if len(v) != len(outputs):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(outputs)} but got {len(v)}.")
    for i, (a, b) in enumerate(zip(v, outputs)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"Entry {i} in v has invalid size: should be {b.shape} but got {a.shape}.")


def _v_for(v, tensors, fn: str, of_inputs: bool = False):
    """The vector of a product, as a tuple checked against ``tensors`` (the function's outputs, or its inputs);
    when omitted, ones, which is allowed only for a single one-element tensor."""
    from ..creation import ones_like
    if v is None:
        if len(tensors) != 1 or tensors[0].numel() != 1:
            subject = "the input to the user-provided function is" if of_inputs else \
                "the user-provided function returns"
            raise RuntimeError(f"The vector v can only be None if {subject} a single Tensor with a single element.")
        return (ones_like(tensors[0]),)
    _, v = _as_tuple(v, "v", fn)
    _check_v(v, tensors)
    return v


def _finish(values, create_graph: bool):
    return values if create_graph else tuple(t.detach() for t in values)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """d func(inputs) / d inputs, one reverse pass per output element."""
    from ..creation import zeros
    single_in, xs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        single_out, outs = _as_tuple(out, "outputs of the user-provided function", "jacobian")
        rows = []  # rows[j][i]: d outs[j] / d xs[i], shape outs[j].shape + xs[i].shape
        for j, y in enumerate(outs):
            flat = y.reshape(-1)
            per_input = [[] for _ in xs]
            for k in range(flat.numel()):
                seed = zeros(flat.shape, dtype=y.dtype)
                seed[k] = 1
                g = _grads((flat,), xs, (seed,), create_graph, strict, " and the jacobian is computed")
                for i, gi in enumerate(g):
                    per_input[i].append(gi.reshape(-1))
            rows.append(tuple(_stack_rows(per_input[i], y, x) for i, x in enumerate(xs)))
    rows = [_finish(r, create_graph) for r in rows]
    if single_out:
        return rows[0][0] if single_in else rows[0]
    return tuple(r[0] for r in rows) if single_in else tuple(rows)


def _stack_rows(parts, y, x):
    from .. import stack
    from ..creation import zeros
    shape = tuple(y.shape) + tuple(x.shape)
    if not parts:
        return zeros(shape, dtype=x.dtype)
    return stack(parts).reshape(shape)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Jacobian of the gradient of a scalar-valued ``func``."""
    single_in, xs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*args):
        out = func(*args)
        _, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element.")
        g = _grads(outs, args, (None,), True, strict, " and the hessian is computed")
        return g[0] if single_in else g

    return jacobian(gradient, inputs, create_graph=create_graph, strict=strict)


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): one reverse pass."""
    single_in, xs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        single_out, outs = _as_tuple(out, "outputs of the user-provided function", "vjp")
        v = _v_for(v, outs, "vjp")
        g = _grads(outs, xs, v, create_graph, strict, " and the vjp is computed")
    outs = _finish(outs, create_graph)
    return (outs[0] if single_out else outs), (g[0] if single_in else g)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v) by the double-backward trick: J v = d/du (u^T J v) of the reverse product u^T J."""
    from ..creation import zeros_like
    single_in, xs = _as_tuple(inputs, "inputs", "jvp")
    v = _v_for(v, xs, "jvp", of_inputs=True)
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        single_out, outs = _as_tuple(out, "outputs of the user-provided function", "jvp")
        us = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        gx = _grads(outs, xs, us, True, strict, " and the jvp is computed")
        jv = _grads(gx, us, v, create_graph, strict, " and the jvp is computed")
    outs = _finish(outs, create_graph)
    return (outs[0] if single_out else outs), (jv[0] if single_out else jv)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H) for a scalar-valued ``func``: the gradient, then one more reverse pass."""
    single_in, xs = _as_tuple(inputs, "inputs", "vhp")
    v = _v_for(v, xs, "vhp", of_inputs=True)
    with enable_grad():
        xs = _prepare(xs, create_graph)
        out = func(*xs)
        _, outs = _as_tuple(out, "outputs of the user-provided function", "vhp")
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The function given to vhp should return a single Tensor with a single element.")
        g = _grads(outs, xs, (None,), True, strict, " and the vhp is computed")
        hv = _grads(g, xs, v, create_graph, strict, " and the vhp is computed")
    out = _finish(outs, create_graph)[0]
    return out, (hv[0] if single_in else hv)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v); the Hessian of a twice-differentiable scalar function is symmetric, so H v = v^T H."""
    return vhp(func, inputs, v, create_graph=create_graph, strict=strict)
