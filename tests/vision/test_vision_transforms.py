"""Transforms: values against torch ops / PIL / NumPy oracles, reproducible randomness, documented errors."""
import colorsys

import numpy as np
import pytest
import torch
from PIL import Image

import numtorch
from numtorch.vision import transforms as T
from numtorch.vision.transforms import functional as F

rng = np.random.default_rng(0)
U8 = rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)
FL = rng.random((2, 3, 13, 17)).astype(np.float32)


@pytest.mark.parametrize("pic", [U8, U8[:, :, 0], Image.fromarray(U8), Image.fromarray(U8[:, :, 0])])
def test_to_tensor_and_pil_to_tensor(pic):
    a = np.asarray(pic)
    expected = torch.from_numpy(a.reshape(a.shape[0], a.shape[1], -1).copy()).permute(2, 0, 1)
    x = T.ToTensor()(pic)
    assert x.dtype == numtorch.float32 and tuple(x.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(x.numpy(), (expected.float() / 255).numpy())
    p = T.PILToTensor()(pic)
    assert p.dtype == numtorch.uint8
    np.testing.assert_array_equal(p.numpy(), expected.numpy())


def test_to_tensor_errors_and_to_pil():
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([1, 2])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        T.ToTensor()(np.zeros((1, 2, 2, 2), np.uint8))
    img = T.ToPILImage()(T.ToTensor()(U8))
    assert img.mode == "RGB" and img.size == (17, 13)
    assert np.abs(np.asarray(img).astype(int) - U8).max() <= 1


def test_normalize_matches_torch_and_errors():
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.3, 0.4)
    ours = T.Normalize(mean, std)(numtorch.tensor(FL)).numpy()
    theirs = torch.tensor(FL).sub(torch.tensor(mean).view(-1, 1, 1)).div(torch.tensor(std).view(-1, 1, 1))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6, atol=1e-7)
    x = numtorch.tensor(FL[0])
    assert T.Normalize(mean, std, inplace=True)(x) is x
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got numtorch.uint8"):
        T.Normalize(mean, std)(numtorch.tensor(U8).permute(2, 0, 1))
    with pytest.raises(ValueError, match="Expected tensor to be a tensor image of size"):
        T.Normalize(mean, std)(numtorch.zeros(3, 4))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize((0.0,), (0.0,))(numtorch.zeros(1, 2, 2))
    assert repr(T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])) == \
        "Compose(\n    ToTensor()\n    Normalize(mean=(0.1307,), std=(0.3081,))\n)"


@pytest.mark.parametrize("size", [(7, 9), (20, 30), (13, 5)])
@pytest.mark.parametrize("mode,tmode", [("BILINEAR", "bilinear"), ("BICUBIC", "bicubic"), ("NEAREST", "nearest")])
def test_resize_matches_torch_interpolate(size, mode, tmode):
    ours = T.Resize(size, getattr(T.InterpolationMode, mode))(numtorch.tensor(FL)).numpy()
    kw = dict(antialias=True, align_corners=False) if tmode != "nearest" else {}
    theirs = torch.nn.functional.interpolate(torch.tensor(FL), size=size, mode=tmode, **kw).numpy()
    np.testing.assert_allclose(ours, theirs, atol=2e-6)


def test_resize_pil_and_aspect_rule():
    img = Image.fromarray(U8)
    ours = np.asarray(T.Resize((7, 9))(img)).astype(int)
    assert np.abs(ours - np.asarray(img.resize((9, 7), Image.BILINEAR))).max() <= 1
    assert T.Resize(10)(U8).shape == (10, 13, 3)  # smaller edge -> 10, int(10 * 17 / 13) = 13
    assert T.Resize(10)(img).size == (13, 10)
    assert tuple(T.Resize(10, max_size=12)(numtorch.tensor(FL)).shape) == (2, 3, 9, 12)


def test_crops_pad_and_flips():
    x = np.arange(5 * 7, dtype=np.uint8).reshape(5, 7)
    np.testing.assert_array_equal(T.CenterCrop(3)(x), x[1:4, 2:5])
    np.testing.assert_array_equal(T.CenterCrop((4, 6))(x), x[0:4, 0:6])  # round((5-4)/2) = 0 (banker's)
    big = T.CenterCrop(9)(x)
    assert big.shape == (9, 9) and big[0].sum() == 0 and (big[2:7, 1:8] == x).all()
    for mode, npmode in [("constant", "constant"), ("edge", "edge"), ("reflect", "reflect"),
                         ("symmetric", "symmetric")]:
        np.testing.assert_array_equal(T.Pad((1, 2, 3, 1), padding_mode=mode)(x), np.pad(x, ((2, 1), (1, 3)), npmode))
    t = numtorch.tensor(FL)
    np.testing.assert_array_equal(T.Pad(2, fill=(1, 2, 3))(t).numpy()[0, :, 0, 0], [1, 2, 3])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(x), x[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(t).numpy(), FL[..., ::-1, :])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(x), x)
    flipped = T.RandomHorizontalFlip(1.0)(Image.fromarray(U8))
    np.testing.assert_array_equal(np.asarray(flipped), U8[:, ::-1])
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3"):
        T.Pad((1, 2, 3))


def test_random_crop_reproducible_with_manual_seed():
    t = T.RandomCrop(24, padding=4)
    img = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    numtorch.manual_seed(1)
    a = [t(img) for _ in range(5)]
    numtorch.manual_seed(1)
    b = [t(img) for _ in range(5)]
    numtorch.manual_seed(2)
    c = [t(img) for _ in range(5)]
    assert all((p == q).all() for p, q in zip(a, b)) and not all((p == q).all() for p, q in zip(a, c))
    assert a[0].shape == (24, 24)
    padded = np.pad(img, 4)
    assert all(any((padded[i:i + 24, j:j + 24] == p).all() for i in range(13) for j in range(13)) for p in a)
    assert T.RandomCrop(30, pad_if_needed=True)(img).shape == (30, 30)
    with pytest.raises(ValueError, match=r"Required crop size \(30, 30\) is larger than input image size"):
        T.RandomCrop(30)(img)
    out = T.RandomResizedCrop(16)(Image.fromarray(U8))
    assert out.size == (16, 16)


def test_rotation_and_affine_against_numpy_and_pil():
    sq = rng.integers(0, 256, (9, 9), dtype=np.uint8)
    np.testing.assert_array_equal(F.rotate(sq, 90), np.rot90(sq))  # counter-clockwise
    im = rng.integers(0, 256, (20, 26), dtype=np.uint8)
    assert (F.rotate(im, 30) == np.asarray(Image.fromarray(im).rotate(30))).mean() > 0.97
    exp = F.rotate(im, 30, expand=True)
    ref = np.asarray(Image.fromarray(im).rotate(30, expand=True))
    assert exp.shape == ref.shape and (exp == ref).mean() > 0.97
    shifted = F.affine(im, 0, [3, 1], 1.0, 0.0)
    np.testing.assert_array_equal(shifted[1:, 3:], im[:-1, :-3])
    assert (shifted[0] == 0).all() and (shifted[:, :3] == 0).all()
    m = F._inverse_affine_matrix([13.0, 10.0], 20.0, [2, -1], 1.2, [10.0, 5.0])
    pil = np.asarray(Image.fromarray(im).transform((26, 20), Image.AFFINE, m, Image.NEAREST))
    assert (F.affine(im, 20.0, [2, -1], 1.2, [10.0, 5.0]) == pil).mean() > 0.97
    t = numtorch.tensor(FL)
    r = T.RandomRotation(10, fill=1.0)(t)
    assert tuple(r.shape) == (2, 3, 13, 17) and r.dtype == numtorch.float32
    numtorch.manual_seed(0)
    a = T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5)(im)
    numtorch.manual_seed(0)
    np.testing.assert_array_equal(a, T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5)(im))
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive."):
        T.RandomRotation(-3)


def test_grayscale_and_color_jitter():
    t = numtorch.tensor(U8).permute(2, 0, 1).float() / 255
    a = t.numpy()
    g = T.Grayscale()(t).numpy()
    ref = 0.2989 * a[0] + 0.587 * a[1] + 0.114 * a[2]
    np.testing.assert_allclose(g[0], ref, rtol=1e-5)
    assert tuple(T.Grayscale(3)(t).shape) == (3, 13, 17)
    assert T.Grayscale()(Image.fromarray(U8)).mode == "L"
    np.testing.assert_allclose(F.adjust_brightness(t, 0.5).numpy(), a * 0.5, rtol=1e-6)
    np.testing.assert_allclose(F.adjust_saturation(t, 0.0).numpy(), np.repeat(g, 3, 0), rtol=1e-5)
    c = F.adjust_contrast(t, 0.0).numpy()
    np.testing.assert_allclose(c, np.full_like(c, g.mean()), rtol=1e-5)
    h = F.adjust_hue(t, 0.25).numpy()
    px = a[:, 3, 4]
    hh, ll, ss = colorsys.rgb_to_hsv(*px)
    np.testing.assert_allclose(h[:, 3, 4], colorsys.hsv_to_rgb((hh + 0.25) % 1.0, ll, ss), atol=1e-5)
    assert np.abs(F.adjust_hue(U8, 0.0).astype(int) - U8).max() <= 1
    jitter = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    numtorch.manual_seed(5)
    a = jitter(Image.fromarray(U8))
    numtorch.manual_seed(5)
    b = jitter(Image.fromarray(U8))
    assert a.mode == "RGB" and (np.asarray(a) == np.asarray(b)).all()
    with pytest.raises(ValueError, match=r"hue values should be between \(-0.5, 0.5\)"):
        T.ColorJitter(hue=(0.1, 0.7))


def test_lambda_and_compose():
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
    pipe = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2)])
    np.testing.assert_allclose(pipe(U8).numpy(), U8.transpose(2, 0, 1) / 255.0 * 2, rtol=1e-6)
