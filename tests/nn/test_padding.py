"""F.pad and the padding layers against PyTorch: all modes, negative (cropping) pads, errors, gradcheck."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
import numtorch.nn as nn
import numtorch.nn.functional as F
from numtorch.autograd import gradcheck
from oracle import check_op

RNG = np.random.default_rng(7)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad,shape", [((1, 2), (2, 3, 6)), ((2, 1), (3, 5)), ((1, 2, 3, 0), (2, 3, 5, 6)),
                                       ((0, 3, 2, 1), (3, 5, 6)), ((1, 0, 2, 1, 1, 2), (1, 2, 3, 4, 5))])
def test_pad_modes_match_torch(mode, pad, shape):
    check_op(lambda x: F.pad(x, pad, mode=mode), lambda x: TF.pad(x, pad, mode=mode), arr(*shape))


def test_constant_pad_any_dims_value_and_negative_pads():
    check_op(lambda x: F.pad(x, (1, 1, 2, 0, 0, 1, 1, 1), value=2.5),
             lambda x: TF.pad(x, (1, 1, 2, 0, 0, 1, 1, 1), value=2.5), arr(2, 3, 4, 5))
    check_op(lambda x: F.pad(x, (-1, 2, 1, -2)), lambda x: TF.pad(x, (-1, 2, 1, -2)), arr(2, 4, 5))
    out = F.pad(numtorch.zeros(2, 3, dtype=numtorch.int64), (1, 1), value=7)
    assert out.dtype == numtorch.int64 and out.tolist()[0] == [7, 0, 0, 0, 7]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradcheck_float64(mode):
    x = numtorch.tensor(arr(1, 2, 3, 4, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, (2, 1, 1, 2), mode=mode), (x,))


@pytest.mark.parametrize("name,args", [("ZeroPad2d", (2,)), ("ZeroPad2d", ((1, 0, 2, 1),)), ("ConstantPad2d", (1, 3.5)),
                                       ("ConstantPad1d", ((2, 1), -1.0)), ("ConstantPad3d", (1, 0.5)),
                                       ("ReflectionPad2d", ((1, 2, 0, 2),)), ("ReflectionPad1d", (2,)),
                                       ("ReplicationPad2d", (2,)), ("ReplicationPad1d", ((0, 3),)),
                                       ("CircularPad2d", (1,)), ("ZeroPad1d", (1,))])
def test_padding_modules_match_torch(name, args):
    m, t = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(m) == repr(t)
    shape = (1, 2, 3, 4, 5) if name.endswith("3d") else (2, 3, 4, 5) if name.endswith("2d") else (2, 3, 5)
    check_op(m, t, arr(*shape))


def test_pad_error_messages_match_torch():
    cases = [
        lambda L: L.nn.functional.pad(L.zeros(1, 1, 4, 4), (4, 4, 1, 1), mode="reflect"),
        lambda L: L.nn.functional.pad(L.zeros(1, 1, 4, 4), (4, 4), mode="reflect"),
        lambda L: L.nn.functional.pad(L.zeros(1, 1, 4, 4), (1, 1, 1), mode="constant"),
        lambda L: L.nn.functional.pad(L.zeros(1, 1, 4, 4), (1,) * 10),
        lambda L: L.nn.functional.pad(L.zeros(1, 1, 4, 4), (1, 1), mode="foo"),
        lambda L: L.nn.functional.pad(L.zeros(1, 1, 4, 4), (5, 5, 1, 1), mode="circular"),
    ]
    for case in cases:
        with pytest.raises(Exception) as expected:
            case(torch)
        with pytest.raises(type(expected.value)) as got:
            case(numtorch)
        assert str(got.value) == str(expected.value)
