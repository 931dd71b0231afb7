"""numtorch.vision.utils.make_grid / save_image against a reference of torchvision's documented algorithm."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

import numtorch
from numtorch.vision.utils import make_grid, save_image


def _reference_grid(x: np.ndarray, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
                    pad_value=0.0) -> np.ndarray:
    """torchvision's make_grid, written as its per-image copy loop over torch tensors."""
    t = torch.tensor(x)
    if t.dim() == 2:
        t = t.unsqueeze(0)
    if t.dim() == 3:
        if t.size(0) == 1:
            t = torch.cat((t, t, t), 0)
        t = t.unsqueeze(0)
    if t.size(1) == 1:
        t = torch.cat((t, t, t), 1)
    if normalize:
        t = t.clone()

        def norm(img, lo, hi):
            img.clamp_(min=lo, max=hi).sub_(lo).div_(max(hi - lo, 1e-5))
        if scale_each:
            for img in t:
                norm(img, *(value_range or (float(img.min()), float(img.max()))))
        else:
            norm(t, *(value_range or (float(t.min()), float(t.max()))))
    if t.size(0) == 1:
        return t.squeeze(0).numpy()
    nmaps = t.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(nmaps / xmaps))
    h, w = t.size(2) + padding, t.size(3) + padding
    grid = t.new_full((t.size(1), h * ymaps + padding, w * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for xx in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * h + padding, h - padding).narrow(2, xx * w + padding, w - padding).copy_(t[k])
            k += 1
    return grid.numpy()


@pytest.mark.parametrize("shape,kw", [
    ((5, 3, 4, 6), {}),
    ((7, 1, 5, 5), {"nrow": 3, "padding": 1, "pad_value": 0.5}),
    ((4, 3, 3, 3), {"nrow": 2, "padding": 0}),
    ((3, 3, 4, 4), {"normalize": True}),
    ((3, 3, 4, 4), {"normalize": True, "scale_each": True}),
    ((6, 1, 2, 2), {"normalize": True, "value_range": (-0.5, 0.5), "nrow": 4}),
    ((1, 1, 4, 4), {}),
    ((1, 5, 5), {}),
    ((6, 7), {"normalize": True}),
])
def test_make_grid_matches_reference(shape, kw):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    got = make_grid(numtorch.tensor(x), **kw)
    assert isinstance(got, numtorch.Tensor) and got.dtype == numtorch.float32
    np.testing.assert_allclose(got.numpy(), _reference_grid(x, **kw), rtol=1e-6, atol=1e-6)


def test_make_grid_list_and_errors():
    imgs = [numtorch.rand(3, 4, 4) for _ in range(3)]
    expect = _reference_grid(np.stack([i.numpy() for i in imgs]), nrow=2)
    np.testing.assert_allclose(make_grid(imgs, nrow=2).numpy(), expect)
    x = numtorch.rand(2, 3, 4, 4, requires_grad=True)
    assert not make_grid(x).requires_grad
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(np.zeros((2, 3, 4, 4)))


def test_save_image_png_roundtrip(tmp_path):
    x = np.random.default_rng(1).random((10, 1, 6, 5)).astype(np.float32)
    path = tmp_path / "grid.png"
    save_image(numtorch.tensor(x), str(path), nrow=5, padding=1)
    got = np.asarray(Image.open(path))
    grid = _reference_grid(x, nrow=5, padding=1)
    expect = torch.tensor(grid).mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    np.testing.assert_array_equal(got, expect)
    # format= with a file object
    import io
    buf = io.BytesIO()
    save_image(numtorch.tensor(x[0]), buf, format="png")
    assert np.asarray(Image.open(io.BytesIO(buf.getvalue()))).shape == (6, 5, 3)
