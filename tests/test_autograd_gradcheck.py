"""float64 central-difference gradcheck of every differentiable op (the cases of test_ops_vs_torch)."""
import numpy as np
import pytest

import numtorch
from numtorch.autograd import GradcheckError, gradcheck
from test_ops_vs_torch import BINARY, EXTRA_CASES, INDEX_CASES, OPERATORS, SHAPE_CASES, UNARY, pos, rnd

NO_GRAD = {"sign", "floor", "ceil", "round", "trunc", "fmod", "//"}


def t64(a):
    return numtorch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("name", sorted(set(UNARY) - NO_GRAD))
def test_unary(name):
    x = t64(UNARY[name](2, 3))
    assert gradcheck(lambda x: getattr(numtorch, name)(x), (x,))


@pytest.mark.parametrize("name", sorted(set(BINARY) - NO_GRAD))
def test_binary_broadcast(name):
    ga, gb = BINARY[name]
    assert gradcheck(lambda a, b: getattr(numtorch, name)(a, b), (t64(ga(2, 1, 3)), t64(gb(2, 3))))


@pytest.mark.parametrize("op", sorted(set(OPERATORS) - NO_GRAD))
def test_operators(op):
    assert gradcheck(lambda a, b: OPERATORS[op](a, b), (t64(rnd(2, 3)), t64(pos(3))))


@pytest.mark.parametrize("name", sorted(SHAPE_CASES))
def test_shape_ops(name):
    assert gradcheck(lambda x: SHAPE_CASES[name](numtorch, x), (t64(rnd(2, 3, 4)),))


@pytest.mark.parametrize("name", sorted(INDEX_CASES))
def test_indexing_ops(name):
    assert gradcheck(lambda x: INDEX_CASES[name](numtorch, x), (t64(rnd(2, 3, 4)),))


@pytest.mark.parametrize("name", sorted(EXTRA_CASES))
def test_extra_ops(name):
    assert gradcheck(lambda x: EXTRA_CASES[name](numtorch, x), (t64(rnd(2, 3, 4)),))


REDUCTIONS = {
    "sum": lambda x: x.sum((0, 2)), "mean": lambda x: x.mean(1, keepdim=True), "prod": lambda x: x.prod(1),
    "prod_all": lambda x: x.prod(), "amax": lambda x: x.amax(1), "amin": lambda x: x.amin((0, 1)),
    "max_dim": lambda x: x.max(1).values, "min_all": lambda x: x.min(), "var": lambda x: x.var(1),
    "std": lambda x: x.std(0, correction=0), "logsumexp": lambda x: x.logsumexp(-1),
    "norm2": lambda x: x.norm(), "norm1": lambda x: x.norm(1, dim=1), "norm3": lambda x: x.norm(3, dim=0),
    "norm_inf": lambda x: x.norm(float("inf"), dim=1), "cumsum": lambda x: x.cumsum(1),
    "cumprod": lambda x: x.cumprod(2), "sort": lambda x: x.sort(1).values, "topk": lambda x: x.topk(2).values,
    "kthvalue": lambda x: x.kthvalue(2, 1).values, "median": lambda x: x.median(2).values,
    "cummax": lambda x: x.cummax(1).values, "softmax": lambda x: x.softmax(1), "log_softmax": lambda x: x.log_softmax(2),
    "clamp": lambda x: x.clamp(-0.5, 0.5), "nan_to_num": lambda x: x.nan_to_num(), "lerp": lambda x: x.lerp(x * x, 0.3),
    "where": lambda x: numtorch.where(x > 0, x, x * x), "matmul": lambda x: x @ x.transpose(1, 2),
    "maximum": lambda x: numtorch.maximum(x, x.flip(0)),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_and_more(name):
    assert gradcheck(REDUCTIONS[name], (t64(rnd(2, 3, 4)),))


def test_cumprod_with_zeros_and_clamp_tensor_bounds():
    x = rnd(2, 4)
    x[0, 1] = 0.0
    x[1, 0] = x[1, 2] = 0.0
    assert gradcheck(lambda x: x.cumprod(1), (t64(x),))
    assert gradcheck(lambda x: x.prod(1), (t64(x),))
    assert gradcheck(lambda x, lo, hi: numtorch.clamp(x, lo, hi),
                     (t64(rnd(3, 4)), t64(rnd(4, lo=-1, hi=-0.1)), t64(rnd(3, 1, lo=0.1, hi=1))))


def test_gradcheck_catches_a_wrong_backward():
    class Wrong(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # should be 2 g x

    x = t64(rnd(3))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(Wrong.apply, (x,))
    assert gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    assert isinstance(GradcheckError("x"), RuntimeError)
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda x: x * 2, (numtorch.ones(2, dtype=numtorch.float64),))
    assert gradcheck(lambda x: x * 3, t64(rnd(2)), eps=1e-6, atol=1e-5, rtol=1e-3)
