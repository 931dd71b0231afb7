"""One test per error: PyTorch's exception type and wording, raised at the user's call, never a NumPy error."""
import warnings

import numpy as np
import pytest
import torch

import numtorch

SAME_AS_TORCH = {
    "matmul_shapes": lambda T: T.randn(64, 784) @ T.randn(128, 10),
    "mm_shapes": lambda T: T.randn(2, 3).mm(T.randn(2, 3)),
    "broadcast": lambda T: T.randn(3, 4) + T.randn(5),
    "broadcast_mul": lambda T: T.randn(2, 3) * T.randn(4, 1, 2),
    "index_int": lambda T: T.randn(3, 4)[5], "index_dim1": lambda T: T.randn(3, 4)[:, 7],
    "index_list": lambda T: T.randn(3, 4)[[0, 5]], "index_negative": lambda T: T.randn(3, 4)[-4],
    "view_strides": lambda T: T.randn(3, 4).t().view(12), "view_size": lambda T: T.randn(3, 4).view(5),
    "reshape_size": lambda T: T.randn(3, 4).reshape(5, 3), "reduce_dim": lambda T: T.randn(3, 4).sum(2),
    "gather_index": lambda T: T.randn(3, 4).gather(1, T.tensor([[0, 9]])),
    "cat_sizes": lambda T: T.cat([T.randn(3, 4), T.randn(2, 3)]),
    "expand": lambda T: T.randn(3, 4).expand(2, 5, 4), "mean_int": lambda T: T.arange(4).mean(),
    "bmm_dims": lambda T: T.randn(2, 3).bmm(T.randn(2, 3)), "squeeze_dim": lambda T: T.randn(3).squeeze(3),
    "unsqueeze_dim": lambda T: T.randn(3).unsqueeze(3), "permute": lambda T: T.randn(3).permute(1, 0),
    "stack_sizes": lambda T: T.stack([T.randn(3), T.randn(4)]), "item": lambda T: T.randn(3).item(),
    "bool": lambda T: bool(T.randn(3)), "split_sizes": lambda T: T.randn(3, 4).split([1, 1], 1),
    "chunk_zero": lambda T: T.randn(3, 4).chunk(0), "topk_k": lambda T: T.randn(3, 4).topk(7),
    "repeat_dims": lambda T: T.randn(3, 4).repeat(2), "flatten_dim": lambda T: T.randn(3, 4).flatten(2),
    "einsum_sizes": lambda T: T.einsum("ij,jk->ik", T.randn(2, 3), T.randn(4, 5)),
    "ragged": lambda T: T.tensor([[1, 2], [3]]), "narrow": lambda T: T.randn(2, 3).narrow(1, 2, 2),
    "implicit_grad": lambda T: (T.ones(3, requires_grad=True) * 2).backward(),
    "no_grad_fn": lambda T: T.ones(3).sum().backward(),
    "leaf_inplace": lambda T: T.ones(3, requires_grad=True).add_(1),
    "numpy_requires_grad": lambda T: T.ones(3, requires_grad=True).numpy(),
    "int_requires_grad": lambda T: T.ones(3, dtype=T.int64).requires_grad_(),
    "dot_1d": lambda T: T.dot(T.ones(2, 2), T.ones(2)), "t_3d": lambda T: T.ones(2, 2, 2).t(),
    "diagonal_same": lambda T: T.ones(2, 2).diagonal(0, 1, 1), "clamp_none": lambda T: T.ones(2).clamp(),
    "div_mode": lambda T: T.ones(2).div(2, rounding_mode="round"), "int_neg_pow": lambda T: T.tensor([2]) ** -1,
    "permute_dup": lambda T: T.ones(2, 2).permute(0, 0), "only_one_infer": lambda T: T.ones(4).view(-1, -1),
    "unflatten": lambda T: T.ones(6).unflatten(0, (4, 2)), "multinomial_neg": lambda T: T.multinomial(
        T.tensor([-1.0, 2.0]), 1), "randint_bounds": lambda T: T.randint(5, 2, (3,)),
    "std_int": lambda T: T.arange(3).std(), "select": lambda T: T.ones(2, 3).select(1, 3),
    "fill_dim": lambda T: T.ones(2).fill_(T.ones(2)), "masked_fill_value": lambda T: T.ones(2).masked_fill(
        T.tensor([True, False]), T.ones(2)), "index_select_2d": lambda T: T.ones(2, 2).index_select(
        0, T.ones(2, 2, dtype=T.long)),
    # found by the course-script QA pass
    "neg_bool": lambda T: -T.tensor([True]), "sub_bools": lambda T: T.tensor([True]) - T.tensor([False]),
    "sub_bool_int": lambda T: T.tensor([True]) - 1, "rsub_bool": lambda T: 1.5 - T.tensor([True]),
    "sub_float_bool": lambda T: T.ones(2) - T.tensor([True, False]),
    "argmax_empty": lambda T: T.ones(0).argmax(), "argmax_empty_dim": lambda T: T.ones(2, 0).argmax(1),
    "argmax_bool": lambda T: T.tensor([True, False]).argmax(), "amax_empty": lambda T: T.zeros(0, 3).amax(),
    "amax_empty_dim": lambda T: T.zeros(0, 3).amax(0),
    "softmax_long": lambda T: T.tensor([1, 2]).softmax(0), "log_softmax_byte": lambda T: T.tensor(
        [1, 2], dtype=T.uint8).log_softmax(0), "norm_long": lambda T: T.tensor([1, 2]).norm(),
    "uniform_long": lambda T: T.zeros(2, dtype=T.long).uniform_(), "float_of_many": lambda T: float(T.ones(2)),
    "int_of_many": lambda T: int(T.ones(2)), "factory_int_grad": lambda T: T.tensor([1], requires_grad=True),
    "gather_float_index": lambda T: T.ones(2, 3).gather(1, T.tensor([[0.0]])),
    "index_select_float": lambda T: T.ones(2, 3).index_select(1, T.tensor([0.5])),
    "index_put_dtype": lambda T: T.zeros(3).__setitem__([0, 1], T.tensor([1.0, 2.0], dtype=T.float64)),
    "mask_put_dtype": lambda T: T.zeros(3).__setitem__(T.ones(3) > 0, T.tensor([1, 2, 3])),
    "negative_step": lambda T: T.arange(5)[::-1], "negative_step_2d": lambda T: T.ones(2, 3)[:, ::-2],
    "bitwise_float": lambda T: T.bitwise_and(T.tensor([1]), T.tensor([1.0])),
}


@pytest.mark.parametrize("name", sorted(SAME_AS_TORCH))
def test_error_matches_pytorch(name):
    f = SAME_AS_TORCH[name]
    with pytest.raises(Exception) as theirs:
        f(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Exception) as ours:
            f(numtorch)
    assert isinstance(ours.value, type(theirs.value)), f"{type(ours.value)} vs {type(theirs.value)}"
    assert str(ours.value).replace("numtorch.", "torch.") == str(theirs.value), \
        f"\nours:   {ours.value}\ntheirs: {theirs.value}"


def test_degrees_of_freedom_warning_like_pytorch():
    """std/var with nothing left after the correction warn (and give nan), as PyTorch does."""
    for fn in ("std", "var"):
        for make in (lambda T: T.ones(1), lambda T: T.zeros(0, 3)):
            with pytest.warns(UserWarning, match=rf"^{fn}\(\): degrees of freedom is <= 0") as rec:
                ours = getattr(make(numtorch), fn)()
            assert rec[0].filename == __file__  # points at the caller
            assert np.isnan(ours.item())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        numtorch.ones(2).std()  # two values: no warning
        assert tuple(numtorch.zeros(0, 3).mean(0).shape) == (3,)  # mean of nothing: nan, no NumPy warning


def test_T_on_non_matrix_warns_like_pytorch():
    with pytest.warns(UserWarning, match=r"^The use of `x.T` on tensors of dimension other than 2") as rec:
        assert tuple(numtorch.ones(2, 3, 4).T.shape) == (4, 3, 2)
    assert rec[0].filename == __file__
    with pytest.warns(UserWarning, match=r"^Tensor.T is deprecated on 0-D tensors"):
        numtorch.tensor(1.0).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tuple(numtorch.ones(2, 3).T.shape) == (3, 2)


def test_matmul_message_exact():
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied \(64x784 and 128x10\)$"):
        numtorch.randn(64, 784) @ numtorch.randn(128, 10)


def test_broadcast_message_names_both_sizes():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(4\) must match the size of tensor b \(5\) at "
                                           r"non-singleton dimension 1"):
        numtorch.ones(3, 4) - numtorch.ones(5)


def test_index_out_of_range_names_dim_and_size():
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 1 with size 3"):
        numtorch.ones(2, 3)[1, 3]
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        numtorch.ones(3, 4).index_select(0, numtorch.tensor([3]))  # PyTorch: "index out of range in self"


def test_view_incompatible_strides():
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        numtorch.ones(2, 3).transpose(0, 1).view(-1)
    assert numtorch.ones(2, 3).transpose(0, 1).reshape(-1).shape == (6,)


def test_implicit_grad_message():
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar outputs$"):
        numtorch.ones(2, 2, requires_grad=True).exp().backward()


def test_inplace_into_broadcast_view_is_an_error():
    x = numtorch.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError):
        x.add_(1)
