"""gradcheck: compare autograd's Jacobian with central finite differences, as ``torch.autograd.gradcheck``.

For every differentiable input x and output y:
  numerical J[i, j] = (y_j(x + eps e_i) - y_j(x - eps e_i)) / (2 eps)
  analytical J[i, j] = (d y_j / d x_i) from one backward pass per output element
and every entry must satisfy |analytical - numerical| <= atol + rtol * |numerical|.
Use float64 inputs: float32 differences are too coarse for the default tolerances.
"""
from __future__ import annotations

import warnings

from .._backend import xp as np  # NumPy (or a compatible array module)

from .engine import grad as _grad
from .grad_mode import no_grad


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytical and numerical Jacobians differ."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else tuple(x) if isinstance(x, list) else (x,)


def _tensor_outputs(out):
    from ..tensor import Tensor
    return [o for o in _as_tuple(out) if isinstance(o, Tensor)]


def _numerical(func, inputs, diff_idx, outputs_ref, eps):
    """List over differentiable inputs of lists over outputs of (numel_in, numel_out) Jacobians."""
    jac = []
    for k in diff_idx:
        x = inputs[k]
        flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
        if flat is None:
            raise GradcheckError(f"gradcheck: input {k} must be contiguous")
        per_out = [np.zeros((flat.size, o._data.size)) for o in outputs_ref]
        for i in range(flat.size):
            orig = flat[i].item()
            flat[i] = orig + eps
            with no_grad():
                plus = [o._data.astype(np.float64).reshape(-1) for o in _tensor_outputs(func(*inputs))]
            flat[i] = orig - eps
            with no_grad():
                minus = [o._data.astype(np.float64).reshape(-1) for o in _tensor_outputs(func(*inputs))]
            flat[i] = orig
            for j, (p, m) in enumerate(zip(plus, minus)):
                per_out[j][i] = (p - m) / (2 * eps)
        jac.append(per_out)
    return jac


def _analytical(inputs, diff_idx, outputs):
    from ..tensor import _make
    jac = [[np.zeros((inputs[k]._data.size, o._data.size)) for o in outputs] for k in diff_idx]
    for j, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        for m in range(out._data.size):
            seed = np.zeros(out._data.size, dtype=out._data.dtype)
            seed[m] = 1
            grads = _grad([out], [inputs[k] for k in diff_idx], [_make(seed.reshape(out._data.shape))],
                          retain_graph=True, allow_unused=True)
            for n, g in enumerate(grads):
                if g is not None:
                    jac[n][j][:, m] = g._data.astype(np.float64).reshape(-1)
    return jac


def gradcheck(func, inputs, *args, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, **kwargs) -> bool:
    """True if autograd's gradients of ``func`` at ``inputs`` match central differences.

    inputs: a Tensor or tuple (non-tensors are passed through); those with ``requires_grad=True`` are
    checked. Raises GradcheckError (a RuntimeError) naming the mismatching output/input pair, or
    returns False with ``raise_exception=False``. (``eps, atol, rtol`` may also be given positionally.)
    """
    if args:
        names = ("eps", "atol", "rtol", "raise_exception")
        values = dict(zip(names, args))
        eps, atol, rtol = values.get("eps", eps), values.get("atol", atol), values.get("rtol", rtol)
        raise_exception = values.get("raise_exception", raise_exception)
    from ..tensor import Tensor
    inputs = _as_tuple(inputs)
    diff_idx = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for k in diff_idx:
        if inputs[k]._data.dtype != np.float64:
            warnings.warn(f"Input #{k} requires gradient and is not a double precision floating point. This check "
                          "will likely fail if all the inputs are not of double precision floating point. ")
    outputs = _tensor_outputs(func(*inputs))
    outputs = [o for o in outputs if o._data.dtype.kind == "f"]
    if not outputs:
        raise ValueError("gradcheck: func returned no floating-point tensor outputs")
    analytical = _analytical(inputs, diff_idx, outputs)
    numerical = _numerical(func, inputs, diff_idx, outputs, eps)
    for n, k in enumerate(diff_idx):
        for j in range(len(outputs)):
            a, num = analytical[n][j], numerical[n][j]
            if not np.allclose(a, num, rtol=rtol, atol=atol, equal_nan=True):
                bad = np.argwhere(~np.isclose(a, num, rtol=rtol, atol=atol, equal_nan=True))
                lines = ", ".join(f"[{i}, {m}]: analytical {a[i, m]:.6g} vs numerical {num[i, m]:.6g}"
                                  for i, m in bad[:5])
                msg = (f"Jacobian mismatch for output {j} with respect to input {k},\n"
                       f"numerical:{num}\nanalytical:{a}\n"
                       f"mismatching entries [input element, output element] ({len(bad)} in all): {lines}")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, **kwargs) -> bool:
    """gradcheck of the gradient itself: second derivatives of ``func`` against central differences.

    The checked function maps (inputs, grad_outputs) to ``autograd.grad(func(inputs), inputs, grad_outputs,
    create_graph=True)``; grad_outputs default to fixed random tensors that require grad, so the check
    covers the derivatives with respect to them as well, as ``torch.autograd.gradgradcheck`` does.
    """
    from ..tensor import Tensor, _make
    from .grad_mode import enable_grad
    inputs = _as_tuple(inputs)
    outputs = [o for o in _tensor_outputs(func(*inputs)) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_make(rng.standard_normal(o._data.shape).astype(o._data.dtype), True) for o in outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first_derivatives(*args):
        with enable_grad():  # the numerical pass runs under no_grad; the first derivatives need a graph
            ins = args[:n]
            outs = [o for o in _tensor_outputs(func(*ins)) if o.requires_grad]
            wrt = [x for x in ins if isinstance(x, Tensor) and x.requires_grad]
            return _grad(outs, wrt, list(args[n:]), create_graph=True, allow_unused=True)

    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
