"""Cholesky factor and lower-triangular solve with gradients (what MultivariateNormal needs).

* ``cholesky(A)``: A (..., n, n) symmetric positive-definite -> L (..., n, n) lower, A = L L^T.
  Backward (Murray 2016): gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle with the diagonal halved.
* ``solve_tril(L, B)``: L (..., n, n) lower, B (..., n, k) -> X = L^-1 B (batch dims broadcast).
  Backward: gB = L^-T gX, gL = -tril(gB X^T).
"""
from __future__ import annotations

from .._backend import xp
from ..autograd.function import ArrayFunction
from ..ops._util import unbroadcast
from ..tensor import Tensor


def _phi(x):
    """Lower triangle of x with the diagonal halved."""
    out = xp.tril(x)
    d = xp.einsum("...ii->...i", out)
    d *= 0.5  # einsum's diagonal view is writable: halves out's diagonal in place
    return out


def _solve_lower(L, B):
    """L^-1 B for lower-triangular L, batch dims broadcast; B (..., n, k)."""
    batch = xp.broadcast_shapes(L.shape[:-2], B.shape[:-2])
    return xp.linalg.solve(xp.broadcast_to(L, batch + L.shape[-2:]), xp.broadcast_to(B, batch + B.shape[-2:]))


def _not_pd_message(A) -> str:
    flat = A.reshape(-1, A.shape[-2], A.shape[-1])
    for b, m in enumerate(flat):
        for k in range(1, m.shape[0] + 1):
            try:
                xp.linalg.cholesky(m[:k, :k])
            except xp.linalg.LinAlgError:
                where = f"(Batch element {b}): " if A.ndim > 2 else ""
                return (f"linalg.cholesky: {where}The factorization could not be completed because the input is not "
                        f"positive-definite (the leading minor of order {k} is not positive-definite).")
    return "linalg.cholesky: The factorization could not be completed because the input is not positive-definite."


class Cholesky(ArrayFunction):
    @staticmethod
    def forward(ctx, A):
        try:
            L = xp.linalg.cholesky(A)
        except xp.linalg.LinAlgError:
            raise RuntimeError(_not_pd_message(A)) from None
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, g):
        (L,) = ctx.saved
        P = _phi(xp.swapaxes(L, -1, -2) @ g)
        Linv = _solve_lower(L, xp.broadcast_to(xp.eye(L.shape[-1], dtype=L.dtype), L.shape))
        S = xp.swapaxes(Linv, -1, -2) @ P @ Linv
        return 0.5 * (S + xp.swapaxes(S, -1, -2))


class SolveTril(ArrayFunction):
    @staticmethod
    def forward(ctx, L, B):
        X = _solve_lower(L, B)
        ctx.save_for_backward(L, X)
        ctx.shapes = (L.shape, B.shape)
        return X

    @staticmethod
    def backward(ctx, g):
        L, X = ctx.saved
        gB = xp.linalg.solve(xp.broadcast_to(xp.swapaxes(L, -1, -2), X.shape[:-2] + L.shape[-2:]), g)
        n = ctx.needs_input_grad
        gL = unbroadcast(-xp.tril(gB @ xp.swapaxes(X, -1, -2)), ctx.shapes[0]) if n[0] else None
        return gL, (unbroadcast(gB, ctx.shapes[1]) if n[1] else None)


def cholesky(A: Tensor) -> Tensor:
    """A: (..., n, n) SPD -> lower L (..., n, n) with A = L L^T; RuntimeError (PyTorch's message) if not PD."""
    return Cholesky.apply(A)


def solve_tril(L: Tensor, B: Tensor) -> Tensor:
    """L: (..., n, n) lower triangular, B: (..., n, k) -> L^-1 B of the broadcast batch shape."""
    return SolveTril.apply(L, B)
