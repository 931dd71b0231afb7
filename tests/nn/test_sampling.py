"""F.interpolate / Upsample / PixelShuffle against PyTorch, gradcheck and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import numtorch
import numtorch.nn as nn
import numtorch.nn.functional as F
from numtorch.autograd import gradcheck
from oracle import check_op

RNG = np.random.default_rng(5)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


INTERP2D = [
    dict(scale_factor=2), dict(scale_factor=3), dict(size=(5, 7)), dict(size=(11, 13)), dict(scale_factor=1.7),
    dict(scale_factor=(0.5, 2.5)), dict(scale_factor=1 / 3), dict(size=(5, 7), mode="nearest-exact"),
    dict(scale_factor=2, mode="bilinear"), dict(scale_factor=2, mode="bilinear", align_corners=True),
    dict(size=(5, 9), mode="bilinear"), dict(size=(3, 13), mode="bilinear", align_corners=True),
    dict(size=(1, 1), mode="bilinear", align_corners=True), dict(scale_factor=1.7, mode="bilinear"),
    dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), dict(size=(3, 4), mode="area"),
]


@pytest.mark.parametrize("kw", INTERP2D)
def test_interpolate_2d_matches_torch(kw):
    check_op(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), arr(2, 3, 6, 7))


def test_nearest_indices_are_exact():
    x = arr(1, 2, 9, 9)
    for f in (1 / 3, 0.7, 1.3, 2.5):
        a = F.interpolate(numtorch.tensor(x), scale_factor=f).numpy()
        b = TF.interpolate(torch.tensor(x), scale_factor=f).numpy()
        assert np.array_equal(a, b), f


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=5, mode="linear"),
                                dict(size=13, mode="linear", align_corners=True)])
def test_interpolate_1d_matches_torch(kw):
    check_op(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), arr(2, 3, 6))


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(4, 6), mode="bilinear", align_corners=True),
                                dict(scale_factor=1.5, mode="bilinear")])
def test_upsample_module_matches_torch(kw):
    m, t = nn.Upsample(**kw), torch.nn.Upsample(**kw)
    assert repr(m) == repr(t)
    check_op(m, t, arr(2, 2, 3, 4))
    check_op(nn.UpsamplingBilinear2d(scale_factor=2), torch.nn.UpsamplingBilinear2d(scale_factor=2), arr(1, 2, 3, 3))
    check_op(nn.UpsamplingNearest2d(size=5), torch.nn.UpsamplingNearest2d(size=5), arr(1, 2, 3, 3))


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(scale_factor=1.5, mode="bilinear"),
                                dict(size=(4, 5), mode="bilinear", align_corners=True), dict(size=(2, 5))])
def test_interpolate_gradcheck_float64(kw):
    x = numtorch.tensor(arr(1, 2, 3, 4, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, **kw), (x,))


def test_pixel_shuffle_and_unshuffle():
    check_op(lambda x: F.pixel_shuffle(x, 2), lambda x: TF.pixel_shuffle(x, 2), arr(2, 8, 3, 4))
    check_op(lambda x: F.pixel_unshuffle(x, 2), lambda x: TF.pixel_unshuffle(x, 2), arr(2, 3, 4, 6))
    check_op(nn.PixelShuffle(3), torch.nn.PixelShuffle(3), arr(9, 3, 4))
    assert repr(nn.PixelShuffle(3)) == repr(torch.nn.PixelShuffle(3))
    assert repr(nn.PixelUnshuffle(2)) == repr(torch.nn.PixelUnshuffle(2))
    x = numtorch.tensor(arr(1, 4, 2, 3, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t: F.pixel_shuffle(t, 2), (x,))


def test_sampling_error_messages_match_torch():
    cases = [
        lambda L: L.nn.functional.interpolate(L.zeros(1, 1, 4), scale_factor=2, mode="bilinear"),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 1, 4, 4)),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 1, 4, 4), size=3, scale_factor=2),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 1, 4, 4), size=3, align_corners=True),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 1, 4, 4), size=(3, 3, 3)),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 1, 4, 4), scale_factor=2, mode="foo"),
        lambda L: L.nn.functional.pixel_shuffle(L.zeros(1, 3, 4, 4), 2),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 1, 4, 4), size=0),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 1, 4), size=0),
    ]
    for case in cases:
        with pytest.raises(Exception) as expected:
            case(torch)
        with pytest.raises(type(expected.value)) as got:
            case(numtorch)
        assert str(got.value) == str(expected.value)
