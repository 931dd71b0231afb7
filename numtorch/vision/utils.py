"""torchvision.utils for numtorch: ``make_grid`` (tile images into one) and ``save_image`` (write it with Pillow)."""
from __future__ import annotations

import math
import pathlib
from typing import BinaryIO

from .._backend import xp
from ..tensor import Tensor, _make

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor) -> "xp.ndarray":
    """Tensor (B, C, H, W) / (C, H, W) / (H, W) or list of (C, H, W) -> float array (B, C', H, W), C' in {3, C}."""
    if isinstance(tensor, Tensor):
        arr = tensor.detach().numpy()
    elif isinstance(tensor, (list, tuple)) and len(tensor) and all(isinstance(t, Tensor) for t in tensor):
        arr = xp.stack([t.detach().numpy() for t in tensor], 0)
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:                      # single image H x W
        arr = arr[None]
    if arr.ndim == 3:                      # single image C x H x W
        if arr.shape[0] == 1:              # single channel -> 3 channels
            arr = xp.concatenate([arr] * 3, 0)
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = xp.concatenate([arr] * 3, 1)
    if arr.ndim != 4:
        raise ValueError(f"make_grid expects a 2D, 3D or 4D tensor, got {arr.ndim}D")
    return arr


def _norm(img, low, high):
    img = xp.clip(img, low, high)
    return (img - low) / max(high - low, 1e-5)


def make_grid(tensor: Tensor | list[Tensor], nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a mini-batch into one image.  (B, C, H, W) -> (C, ymaps*(H+p)+p, xmaps*(W+p)+p).

    xmaps = min(nrow, B) images per row, ymaps = ceil(B / xmaps) rows, p = padding (filled with pad_value).
    Single-channel input becomes 3-channel. normalize=True maps [value_range or (min, max)] to [0, 1]
    (per image with scale_each). A batch of one image is returned as (C, H, W) with no padding.
    The result is a new tensor (no autograd history).
    """
    arr = _as_batch(tensor)
    dtype = arr.dtype
    if normalize:
        arr = arr.astype(dtype, copy=True)
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        if scale_each:
            for k in range(arr.shape[0]):    # per image: B is small (a display grid)
                lo, hi = value_range if value_range is not None else (float(arr[k].min()), float(arr[k].max()))
                arr[k] = _norm(arr[k], lo, hi)
        else:
            lo, hi = value_range if value_range is not None else (float(arr.min()), float(arr.max()))
            arr = _norm(arr, lo, hi)
    if arr.shape[0] == 1:
        return _make(xp.ascontiguousarray(arr[0]))
    nmaps, channels, h, w = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = h + padding, w + padding
    grid = xp.full((channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=dtype)
    # place all images at once: pad each to (h + p, w + p) on its bottom/right, then lay the tiles out
    tiles = xp.full((ymaps * xmaps, channels, height, width), pad_value, dtype=dtype)
    tiles[:nmaps, :, :h, :w] = arr
    tiles = tiles.reshape(ymaps, xmaps, channels, height, width).transpose(2, 0, 3, 1, 4)
    grid[:, padding:, padding:] = tiles.reshape(channels, ymaps * height, xmaps * width)
    return _make(grid)


def save_image(tensor: Tensor | list[Tensor], fp: str | pathlib.Path | BinaryIO, format: str | None = None,
               **kwargs) -> None:
    """Save a tensor (a batch is tiled with make_grid(**kwargs)) as an image file via Pillow.

    Values are taken as [0, 1] floats: uint8 = clamp(x * 255 + 0.5, 0, 255) truncated, as torchvision does.
    ``format`` overrides the type chosen from the file name's extension.
    """
    from PIL import Image
    grid = make_grid(tensor, **kwargs).numpy()
    nd = xp.clip(grid * 255 + 0.5, 0, 255).astype(xp.uint8).transpose(1, 2, 0)
    if nd.shape[2] == 1:
        nd = nd[:, :, 0]
    Image.fromarray(nd).save(fp, format=format)
