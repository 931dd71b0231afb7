"""Cholesky factor and triangular solves with gradients (torch.linalg.cholesky / solve_triangular).

* ``cholesky(A)``: A (..., n, n) symmetric positive-definite -> L (..., n, n) lower, A = L L^T.
  Backward (Murray 2016): gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle with the diagonal halved.
* ``SolveTriangular``: torch.linalg.solve_triangular (upper or lower, left or right, unit diagonal);
  ``solve_tril(L, B)`` = L^-1 B for lower L (batch dims broadcast).
"""
from __future__ import annotations

from .._backend import xp
from ..autograd.function import ArrayFunction
from ._util import unbroadcast
from ..tensor import Tensor


def _phi(x):
    """Lower triangle of x with the diagonal halved."""
    out = xp.tril(x)
    d = xp.einsum("...ii->...i", out)
    d *= 0.5  # einsum's diagonal view is writable: halves out's diagonal in place
    return out


def _batched_solve(M, R):
    """M^-1 R with the batch dimensions of M (..., n, n) and R (..., n, k) broadcast."""
    batch = xp.broadcast_shapes(M.shape[:-2], R.shape[:-2])
    return xp.linalg.solve(xp.broadcast_to(M, batch + M.shape[-2:]), xp.broadcast_to(R, batch + R.shape[-2:]))


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
        Linv = _batched_solve(L, xp.broadcast_to(xp.eye(L.shape[-1], dtype=L.dtype), L.shape))
        S = xp.swapaxes(Linv, -1, -2) @ P @ Linv
        return 0.5 * (S + xp.swapaxes(S, -1, -2))


def _triangle(A, upper: bool, unit: bool):
    T = xp.triu(A) if upper else xp.tril(A)
    if unit:
        xp.einsum("...ii->...i", T)[...] = 1  # the diagonal view is writable
    return T


class SolveTriangular(ArrayFunction):
    """X with T X = B (left) or X T = B (right), T the upper or lower triangle of A (unit diagonal if asked).

    Backward (left): gB = T^-T g, gT = -gB X^T;  (right): gB = g T^-T, gT = -X^T gB;  gA = the triangle of gT.
    """

    @staticmethod
    def forward(ctx, A, B, upper, left, unit):
        T = _triangle(A, upper, unit)
        X = _batched_solve(T, B) if left else xp.swapaxes(_batched_solve(xp.swapaxes(T, -1, -2),
                                                                        xp.swapaxes(B, -1, -2)), -1, -2)
        ctx.save_for_backward(T, X)
        ctx.cfg = (A.shape, B.shape, upper, left, unit)
        return X

    @staticmethod
    def backward(ctx, g):
        T, X = ctx.saved
        a_shape, b_shape, upper, left, unit = ctx.cfg
        Tt = xp.swapaxes(T, -1, -2)
        if left:
            gB = _batched_solve(Tt, g)
            gT = -(gB @ xp.swapaxes(X, -1, -2))
        else:
            gB = xp.swapaxes(_batched_solve(T, xp.swapaxes(g, -1, -2)), -1, -2)
            gT = -(xp.swapaxes(X, -1, -2) @ gB)
        n = ctx.needs_input_grad
        gA = None
        if n[0]:
            gA = xp.triu(gT) if upper else xp.tril(gT)
            if unit:
                xp.einsum("...ii->...i", gA)[...] = 0
            gA = unbroadcast(gA, a_shape)
        return gA, (unbroadcast(gB, b_shape) if n[1] else None), None, None, None


def cholesky(A: Tensor) -> Tensor:
    """A: (..., n, n) SPD -> lower L (..., n, n) with A = L L^T; RuntimeError (PyTorch's message) if not PD."""
    return Cholesky.apply(A)


def solve_tril(L: Tensor, B: Tensor) -> Tensor:
    """L: (..., n, n) lower triangular, B: (..., n, k) -> L^-1 B of the broadcast batch shape."""
    return SolveTriangular.apply(L, B, False, True, False)
