"""The Tensor API against PyTorch: dtype inference, conversions, properties, repr, Python protocols."""
import copy
import pickle

import numpy as np
import pytest
import torch

import numtorch


def same(f):
    """Run ``f`` with numtorch and with torch; their reprs must match (torch. -> numtorch.)."""
    ours = repr(f(numtorch))
    theirs = repr(f(torch)).replace("torch.", "numtorch.")
    assert ours == theirs


CASES = {
    "float_list": lambda T: T.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True),
    "int_list": lambda T: T.tensor([1, 2, 3]), "bool_list": lambda T: T.tensor([True, False]),
    "scalar": lambda T: T.tensor(3.5), "float64": lambda T: T.tensor([1.5, 2.25], dtype=T.float64),
    "small": lambda T: T.tensor([1e-5, 1.0]), "wide": lambda T: T.tensor([123456.0, 1.0]),
    "empty2d": lambda T: T.zeros(2, 0), "empty": lambda T: T.tensor([]),
    "fixed": lambda T: T.arange(5).float() / 3, "uint8": lambda T: T.tensor([1, 2]).to(T.uint8),
    "grad_fn": lambda T: T.tensor([1.0, 2.0], requires_grad=True) * 2,
    "nan_inf": lambda T: T.tensor([1.0, float("nan"), float("inf")]),
    "half": lambda T: T.ones(2, 2, dtype=T.float16), "np_f64_scalar": lambda T: T.tensor(np.float64(2.0)),
    "np_array_dtype": lambda T: T.tensor(np.array([1.0, 2.0])).dtype,
    "np_f32_list": lambda T: T.tensor([np.float32(1.0)]).dtype, "as_tensor": lambda T: T.as_tensor([1, 2]).dtype,
    "shape": lambda T: T.zeros(2, 3).shape, "size_dim": lambda T: T.zeros(2, 3).size(-1),
    "T": lambda T: T.zeros(2, 3).T.shape, "mT": lambda T: T.zeros(4, 2, 3).mT.shape,
    "tolist": lambda T: T.tensor([[1, 2]]).tolist(), "item": lambda T: T.tensor([2.5]).item(),
    "len": lambda T: len(T.zeros(4, 2)), "iter": lambda T: [t.shape for t in T.zeros(3, 2)],
    "cmp_scalar": lambda T: T.tensor([1.0, 2.0]) > 1.5, "rcmp_scalar": lambda T: 2 < T.tensor([1.0, 2.0, 3.0]),
    "type_cast": lambda T: T.tensor([1, 2]).double().type(T.int32),
    "type_str": lambda T: T.tensor([1, 2]).type("torch.DoubleTensor"), "device": lambda T: T.tensor([1]).device,
    "to_dtype": lambda T: T.tensor([1.0, 2.0]).to("cpu", T.float64), "to_other": lambda T: T.tensor([1]).to(
        T.zeros(1, dtype=T.float64)), "stride": lambda T: T.zeros(3, 4).stride(),
    "contig": lambda T: T.zeros(3, 4).t().is_contiguous(), "full_int": lambda T: T.full((2, 2), 7),
    "full_float": lambda T: T.full((2, 2), 7.0), "full_bool": lambda T: T.full((2,), True),
    "conversions": lambda T: [T.tensor([1.7]).long(), T.tensor([1]).float(), T.tensor([0, 2]).bool(),
                              T.tensor([1.5]).int(), T.tensor([1.5]).double(), T.tensor([1.5]).half()],
    "array": lambda T: np.asarray(T.ones(2)), "index_tensor": lambda T: T.tensor([1, 2, 3])[T.tensor(1)],
    "format": lambda T: f"{T.tensor(2.5):.2f}", "new_zeros": lambda T: T.tensor([1.0, 2.0]).new_zeros(3),
    "new_tensor": lambda T: T.tensor([1.0], dtype=T.float64).new_tensor([1, 2]),
    "int_times_float": lambda T: T.tensor([3]) * 2.5, "int_div": lambda T: T.tensor([3]) / T.tensor([2]),
    "int32_plus_0d": lambda T: T.tensor([3], dtype=T.int32) + T.tensor(2),
    "half_plus_0d": lambda T: T.tensor([3.0], dtype=T.float16) + T.tensor(2.0),
    "uint8_wrap": lambda T: T.tensor([1, 2], dtype=T.uint8) + 300, "bool_add": lambda T: T.tensor([True]) + T.tensor(
        [True]), "half_double": lambda T: T.tensor([3.0]).half() * T.tensor([2.0]).double(),
    "max_repr": lambda T: T.max(T.tensor([[1.0, 5.0], [3.0, 2.0]]), 1), "sort_repr": lambda T: T.sort(
        T.tensor([3.0, 1.0, 2.0])), "Size": lambda T: T.Size([2, 3]), "dtype": lambda T: T.float32,
    "dtype_props": lambda T: (T.float16.is_floating_point, T.int64.is_floating_point, T.float64.itemsize),
    "is_leaf": lambda T: (T.ones(1).is_leaf, (T.ones(1, requires_grad=True) * 2).is_leaf),
    "numel_dim": lambda T: (T.zeros(2, 3, 4).numel(), T.zeros(2, 3).dim(), T.zeros(2, 3).ndim,
                            T.zeros(2, 3).nelement()), "bool_one": lambda T: bool(T.tensor([0.0])),
    "int_float": lambda T: (int(T.tensor(3.7)), float(T.tensor([2]))), "contains": lambda T: 2 in T.tensor([1, 2]),
    "float_prop": lambda T: (T.zeros(1).is_floating_point(), T.zeros(1, dtype=T.long).is_floating_point()),
    "numpy_shares": lambda T: T.from_numpy(np.zeros(2)).dtype, "dtype_default": lambda T: T.get_default_dtype(),
    "result_type": lambda T: T.result_type(T.tensor([1]), 1.0), "promote": lambda T: T.promote_types(
        T.int32, T.float16), "is_tensor": lambda T: (T.is_tensor(T.ones(1)), T.is_tensor(1)),
    "requires_grad_arg": lambda T: T.zeros(2, requires_grad=True), "clone": lambda T: T.ones(2).clone(),
    "view_dtype": lambda T: T.zeros(2, dtype=T.float32).view(T.int32), "repr_neg": lambda T: T.tensor([-1.5, 2.0]),
    "eq_none": lambda T: (T.ones(2) == None, T.ones(2) != None, T.ones(2) == "a"),  # noqa: E711
    "repr_big_int": lambda T: T.arange(12).reshape(3, 4) * 100, "repr_3d": lambda T: T.ones(2, 2, 2),
    # found by the course-script QA pass
    "repr_summarised_1d": lambda T: T.arange(2000), "repr_summarised_float": lambda T: T.arange(2000.0),
    "repr_summarised_2d": lambda T: T.arange(2000).reshape(2, 1000),
    "repr_empty_int": lambda T: T.zeros(0, dtype=T.int64), "repr_empty_bool_2d": lambda T: T.zeros(
        2, 0, dtype=T.bool), "where_scalars": lambda T: [T.where(T.tensor([True, False]), a, b)
                                                         for a, b in ((1, 0), (1.0, 0), (True, False))],
    "np_scalar_operand": lambda T: [T.ones(2) * np.float64(2.0), np.float64(2.0) * T.ones(2),
                                    T.ones(2, dtype=T.int32) + np.int64(3), T.tensor([1]) * np.float32(2.5)],
    "legacy_ctor": lambda T: [T.FloatTensor([1, 2]), T.LongTensor([1, 2]), T.FloatTensor(2, 3).shape,
                              T.tensor([1, 2]).type(T.FloatTensor), isinstance(T.ones(1), T.FloatTensor),
                              isinstance(T.ones(1), T.LongTensor), T.DoubleTensor([1]).dtype],
    "linalg_norms": lambda T: [T.linalg.norm(T.tensor([[3.0, 4.0], [0.0, 1.0]])), T.linalg.norm(
        T.tensor([3.0, -4.0]), ord=1), T.linalg.vector_norm(T.tensor([[3.0, -4.0]]), ord=float("inf"), dim=1),
        T.linalg.matrix_norm(T.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1), T.linalg.det(T.eye(2) * 2),
        T.linalg.inv(T.eye(2) * 2)],
    "index_int_slice_list": lambda T: [T.arange(120).view(2, 3, 4, 5)[0, :, [1, 3]].shape,
                                       T.arange(120).view(2, 3, 4, 5)[1, ..., [0, 2]],
                                       T.arange(120).view(2, 3, 4, 5)[0, None, :, [1, 2], 4]],
    "repr_suffix_wraps": lambda T: (T.arange(12.0).reshape(3, 4).double() * 1e-5).requires_grad_(),
    "repr_suffix_fits": lambda T: T.tensor([[-0.35, 0.25], [0.75, 1.5]], dtype=T.float16, requires_grad=True),
    "repr_suffix_wraps_1d": lambda T: T.tensor([8.3e-05, -3.7e-04, -8.1e-05, 5.7e-05], requires_grad=True),
    "everyday_helpers": lambda T: [T.absolute(T.tensor([-1.0, 2.0])), T.isin(T.tensor([1, 2, 3]), T.tensor([2, 5])),
                                   T.tril_indices(3, 3), T.triu_indices(3, 4, 1), T.hsplit(T.arange(12).view(3, 4), 2),
                                   T.vsplit(T.arange(12).view(4, 3), [1, 3]), T.row_stack([T.ones(2), T.zeros(2)]),
                                   T.inner(T.ones(2, 3), T.ones(4, 3)),
                                   T.vdot(T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])),
                                   T.unravel_index(T.tensor([5, 7]), (2, 4)), T.ones(1).is_complex(),
                                   T.cartesian_prod(T.tensor([1, 2]), T.tensor([3, 4, 5])),
                                   T.block_diag(T.ones(1, 2), T.tensor([5]), T.tensor(4.0))],
    "bitwise_functions": lambda T: [T.bitwise_and(T.tensor([True, False]), T.tensor([True, True])),
                                    T.bitwise_or(T.tensor([1, 2]), 4), T.bitwise_xor(T.tensor([3]), T.tensor([1])),
                                    T.bitwise_not(T.tensor([1]))],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    same(CASES[name])


def test_type_names_are_pytorch_strings():
    # PyTorch code compares x.type() with 'torch.FloatTensor', so numtorch returns the same strings
    assert numtorch.tensor([1, 2]).type() == torch.tensor([1, 2]).type() == "torch.LongTensor"
    assert numtorch.ones(1).type() == "torch.FloatTensor"


def test_from_numpy_shares_memory_and_numpy_roundtrip():
    a = np.arange(6.0).reshape(2, 3)
    t = numtorch.from_numpy(a)
    a[0, 0] = 42
    assert t[0, 0].item() == 42 and t.dtype == numtorch.float64
    t.add_(1)
    assert a[0, 0] == 43
    assert t.numpy() is a or np.shares_memory(t.numpy(), a)
    with pytest.raises(RuntimeError, match=r"Use tensor.detach\(\).numpy\(\)"):
        numtorch.ones(2, requires_grad=True).numpy()
    with pytest.raises(TypeError, match="expected np.ndarray"):
        numtorch.from_numpy([1, 2])


def test_as_tensor_shares_and_tensor_copies():
    a = np.zeros(3, dtype=np.float32)
    s, c = numtorch.as_tensor(a), numtorch.tensor(a)
    a[0] = 1
    assert s[0].item() == 1 and c[0].item() == 0


def test_item_errors_and_bool():
    with pytest.raises(RuntimeError, match="a Tensor with 3 elements cannot be converted to Scalar"):
        numtorch.ones(3).item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(numtorch.ones(3))
    with pytest.raises(TypeError):
        len(numtorch.tensor(1.0))


def test_pickle_deepcopy_and_clone_keep_values():
    x = numtorch.randn(2, 3, requires_grad=True)
    for y in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x)):
        assert y.requires_grad and np.array_equal(y.detach().numpy(), x.detach().numpy())
    c = x.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.detach().numpy(), x.detach().numpy())


def test_to_device_and_dtype():
    x = numtorch.ones(2)
    assert x.to("cpu") is x and x.cpu() is x and x.to(numtorch.float32) is x
    assert x.to(numtorch.float64).dtype == numtorch.float64
    with pytest.raises(RuntimeError, match="cuda"):
        x.to("cuda")
    x = numtorch.ones(2, requires_grad=True)
    assert x.double().requires_grad and not x.long().requires_grad


def test_plain_slice_without_grad_is_a_view():
    """x[a:b] on a tensor that needs no grad (the batching fast path): a view sharing data and version."""
    x = numtorch.arange(12.0).reshape(4, 3)
    v = x[1:3]
    assert v.shape == (2, 3) and v.grad_fn is None and not v.requires_grad
    v[0, 0] = 100.0
    assert x[1, 0].item() == 100.0 and x._version is v._version
    assert x[::2].shape == (2, 3) and x[5:].shape == (0, 3) and x[-1:].tolist() == [[9.0, 10.0, 11.0]]
    with pytest.raises(ValueError):
        x[::-1]
    w = numtorch.ones(4, requires_grad=True)
    assert w[1:3].grad_fn is not None  # with autograd: the recorded path


def test_size_arithmetic_and_scalar_format_match_torch():
    for T in (numtorch, torch):
        s = T.Size([2])
        assert isinstance(s + T.Size([3]), T.Size) and isinstance(s + (3,), T.Size) and isinstance((3,) + s, T.Size)
        assert isinstance(s * 2, T.Size) and isinstance(2 * s, T.Size) and tuple(s + (3,)) == (2, 3)
    for fmt in ("", ".2f", ">8.3f"):
        assert format(numtorch.tensor(0.5), fmt) == format(torch.tensor(0.5), fmt)
    assert f"{numtorch.tensor(3)}" == f"{torch.tensor(3)}" == "3"
