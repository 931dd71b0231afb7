"""Functional image transforms (``torchvision.transforms.functional``), written on NumPy arrays.

Every function accepts a PIL image, a NumPy array (H, W) or (H, W, C), or a tensor (..., C, H, W), and
returns the same kind. Internally images are arrays (..., C, H, W): geometry works on the last two axes
(resampling by weight matrices, affine maps by inverse-mapped gathers), colour on the channel axis.
Results follow torchvision's tensor implementation (its formulas for resize, affine, colour blending);
PIL inputs therefore may differ from torchvision's PIL backend by rounding. Tensor outputs carry no grad.
"""
from __future__ import annotations

import math
from enum import Enum
from typing import Any, Sequence

from ..._backend import xp
from ...tensor import Tensor, _make

__all__ = ["InterpolationMode", "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize",
           "resize", "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip", "rotate", "affine",
           "rgb_to_grayscale", "to_grayscale", "adjust_brightness", "adjust_contrast", "adjust_saturation",
           "adjust_hue", "get_dimensions", "get_image_size", "get_image_num_channels"]


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_CODES = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
              4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _mode(interpolation) -> InterpolationMode:
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int) and interpolation in _PIL_CODES:
        return _PIL_CODES[interpolation]
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                    "constant")


# ------------------------------------------------------------------ image kinds
_PIL_IMAGE: list = []


def _is_pil(img) -> bool:
    if not _PIL_IMAGE:
        try:
            from PIL import Image
            _PIL_IMAGE.append(Image.Image)
        except ImportError:  # Pillow is optional
            _PIL_IMAGE.append(type(None))
    return isinstance(img, _PIL_IMAGE[0])


def _unpack(img):
    """(array (..., C, H, W), kind) for a PIL image, an (H, W[, C]) array or a (..., C, H, W) tensor."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"Tensor is not a torch image. Expected at least 2 dimensions, got {img.ndim}")
        a = img.detach()._data
        return (a[None] if a.ndim == 2 else a), ("tensor", a.ndim == 2)
    if _is_pil(img):
        a = xp.asarray(img)
        if img.mode == "1":
            a = a.astype(xp.uint8) * 255
        kind = ("pil", img.mode)
    elif isinstance(img, xp.ndarray):
        a = img
        kind = ("ndarray", img.ndim)
    else:
        raise TypeError(f"img should be PIL Image, ndarray or Tensor. Got {type(img)}")
    if a.ndim == 2:
        return a[None], kind
    if a.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {a.ndim} dimensions.")
    return a.transpose(2, 0, 1), kind


def _pack(a, kind):
    """Inverse of ``_unpack``: an array (..., C, H, W) back to the input's kind (one channel -> 2-D)."""
    what = kind[0]
    if what == "tensor":
        return _make(xp.ascontiguousarray(a[0] if kind[1] and a.shape[0] == 1 else a))
    hwc = a[0] if a.shape[0] == 1 and (what == "pil" or kind[1] == 2) else a.transpose(1, 2, 0)
    hwc = xp.ascontiguousarray(hwc)
    if what == "ndarray":
        return hwc
    from PIL import Image
    if kind[1] == "1":
        return Image.fromarray(hwc > 127)
    return Image.fromarray(hwc)


def _cast_back(out, dtype):
    """Float result -> the input dtype (integers rounded and clipped to their range)."""
    if xp.dtype(dtype).kind in "iub":
        info = xp.iinfo(dtype)
        return xp.clip(xp.rint(out), info.min, info.max).astype(dtype)
    return out.astype(dtype, copy=False)


def get_dimensions(img) -> list[int]:
    a, _ = _unpack(img)
    return [a.shape[-3], a.shape[-2], a.shape[-1]]


def get_image_size(img) -> list[int]:
    """[width, height]."""
    c, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


# ------------------------------------------------------------------ conversions
def to_tensor(pic) -> Tensor:
    """PIL image or uint8 array (H, W[, C]) -> float32 tensor (C, H, W) in [0, 1]; other dtypes unscaled."""
    if not (_is_pil(pic) or isinstance(pic, xp.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, xp.ndarray) and pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    a, _ = _unpack(pic)
    return _make(_to_float(a))


def _to_float(a):
    if a.dtype == xp.uint8:
        return a.astype(xp.float32, order="C") / xp.float32(255)
    return xp.ascontiguousarray(a)


def pil_to_tensor(pic) -> Tensor:
    """PIL image (or array (H, W[, C])) -> tensor (C, H, W) of the same dtype, not scaled."""
    if not (_is_pil(pic) or isinstance(pic, xp.ndarray)):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    a, _ = _unpack(pic)
    return _make(xp.ascontiguousarray(a))


def to_pil_image(pic, mode: str | None = None):
    """Tensor (C, H, W) or array (H, W[, C]) -> PIL image; floats are scaled by 255 and truncated."""
    from PIL import Image
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        a = pic.detach()._data
        a = a[None] if a.ndim == 2 else a
        a = a.transpose(1, 2, 0)
    elif isinstance(pic, xp.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        a = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if a.dtype.kind == "f" and mode != "F":
        a = (a * 255).astype(xp.uint8)
    if a.shape[2] == 1:
        a = a[:, :, 0]
    img = Image.fromarray(xp.ascontiguousarray(a))
    return img.convert(mode) if mode and mode != img.mode else img


def convert_image_dtype(image: Tensor, dtype=None) -> Tensor:
    """Convert a tensor image between dtypes, rescaling values (uint8 [0, 255] <-> float [0, 1])."""
    from ... import _dtype
    dtype = dtype or _dtype.float32
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    a, target = image.detach()._data, dtype.np
    if a.dtype == target:
        return image
    if a.dtype.kind == "f":
        if target.kind == "f":
            return _make(a.astype(target))
        eps = 1e-3
        return _make((a * (float(xp.iinfo(target).max) + 1.0 - eps)).astype(target))
    if target.kind == "f":
        return _make(a.astype(target) / target.type(xp.iinfo(a.dtype).max))
    return _make((a.astype(xp.int64) * (int(xp.iinfo(target).max) + 1) // (int(xp.iinfo(a.dtype).max) + 1))
                 .astype(target))


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> Tensor:
    """(x - mean[c]) / std[c] per channel on a float tensor (..., C, H, W)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    dt = tensor._data.dtype
    m = xp.asarray(mean, dtype=dt).reshape(-1, 1, 1)
    s = xp.asarray(std, dtype=dt).reshape(-1, 1, 1)
    if (s == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if tensor.requires_grad:
        out = (tensor - _make(m)) / _make(s)
        if inplace:
            tensor.data = out.detach()
            return tensor
        return out
    if inplace:
        xp.subtract(tensor._data, m, out=tensor._data)
        xp.divide(tensor._data, s, out=tensor._data)
        tensor._bump()
        return tensor
    return _make((tensor._data - m) / s)


# ------------------------------------------------------------------ geometry
def _filter(mode: InterpolationMode):
    if mode == InterpolationMode.BILINEAR:
        return 1.0, lambda x: xp.clip(1.0 - xp.abs(x), 0.0, None)
    if mode == InterpolationMode.BICUBIC:
        a = -0.5

        def cubic(x):
            x = xp.abs(x)
            return xp.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                            xp.where(x < 2, ((x - 5) * x + 8) * x * a - 4 * a, 0.0))
        return 2.0, cubic
    if mode == InterpolationMode.BOX:
        return 0.5, lambda x: ((x >= -0.5) & (x < 0.5)).astype(xp.float64)
    if mode == InterpolationMode.HAMMING:
        return 1.0, lambda x: xp.where(xp.abs(x) < 1, 0.54 + 0.46 * xp.cos(math.pi * x), 0.0)
    if mode == InterpolationMode.LANCZOS:
        return 3.0, lambda x: xp.where(xp.abs(x) < 3, xp.sinc(x) * xp.sinc(x / 3), 0.0)
    raise ValueError(f"unsupported interpolation {mode}")


def _resize_matrix(n_in: int, n_out: int, mode: InterpolationMode, antialias: bool):
    """Weights W (n_out, n_in) with out = W @ in along one axis (PIL/PyTorch antialiased resampling)."""
    scale = n_in / n_out
    i = xp.arange(n_out)
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        src = xp.floor((i + (0.5 if mode == InterpolationMode.NEAREST_EXACT else 0.0)) * scale).astype(xp.int64)
        w = xp.zeros((n_out, n_in))
        w[i, xp.minimum(src, n_in - 1)] = 1.0
        return w
    support, f = _filter(mode)
    stretch = max(scale, 1.0) if antialias else 1.0
    centre = (i + 0.5) * scale
    j = xp.arange(n_in)
    w = f((j[None, :] + 0.5 - centre[:, None]) / stretch)
    w = xp.where(xp.abs(j[None, :] + 0.5 - centre[:, None]) < support * stretch, w, 0.0)
    if not antialias and mode == InterpolationMode.BILINEAR:
        src = xp.clip(centre - 0.5, 0, None)
        w = xp.clip(1.0 - xp.abs(j[None, :] - src[:, None]), 0.0, None)
    total = w.sum(1, keepdims=True)
    return w / xp.where(total == 0, 1.0, total)


def _output_size(h: int, w: int, size, max_size: int | None) -> tuple[int, int]:
    if isinstance(size, int) or (isinstance(size, (list, tuple)) and len(size) == 1):
        s = size if isinstance(size, int) else size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        if max_size is not None:
            if max_size <= s:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for "
                                 f"the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, i.e. "
                         "size should be an int or a sequence of length 1 in torchscript mode.")
    return int(size[0]), int(size[1])


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None,
           antialias: bool | None = True):
    """Resize to ``size`` (h, w), or so that the smaller edge is ``size`` (aspect ratio kept)."""
    mode = _mode(interpolation)
    if not isinstance(size, (int, list, tuple)):
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
        raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                         f"tuple/list")
    a, kind = _unpack(img)
    h, w = a.shape[-2:]
    oh, ow = _output_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return img
    aa = True if kind[0] == "pil" or antialias is None else bool(antialias)
    wh = _resize_matrix(h, oh, mode, aa).astype(xp.float32)
    ww = _resize_matrix(w, ow, mode, aa).astype(xp.float32)
    out = xp.matmul(xp.matmul(wh, a.astype(xp.float32)), ww.T)
    return _pack(_cast_back(out, a.dtype), kind)


def crop(img, top: int, left: int, height: int, width: int):
    """The (height, width) window at (top, left); parts outside the image are zero."""
    a, kind = _unpack(img)
    h, w = a.shape[-2:]
    if top < 0 or left < 0 or top + height > h or left + width > w:
        pads = [(0, 0)] * (a.ndim - 2) + [(max(-top, 0), max(top + height - h, 0)),
                                          (max(-left, 0), max(left + width - w, 0))]
        a = xp.pad(a, pads)
        top, left = max(top, 0), max(left, 0)
    return _pack(a[..., top:top + height, left:left + width], kind)


def _size2(size, name: str = "size") -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError("Please provide only two dimensions (h, w) for size.")


def center_crop(img, output_size):
    """The central (h, w) window; an image smaller than that is zero-padded first."""
    th, tw = _size2(output_size)
    _, h, w = get_dimensions(img)
    if tw > w or th > h:
        img = pad(img, [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                        (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0])
        _, h, w = get_dimensions(img)
        if tw == w and th == h:
            return img
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _parse_padding(padding) -> tuple[int, int, int, int]:
    if isinstance(padding, int):
        return padding, padding, padding, padding
    if not isinstance(padding, (list, tuple)):
        raise TypeError("Got inappropriate padding arg")
    if len(padding) == 1:
        return (padding[0],) * 4
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def pad(img, padding, fill: Any = 0, padding_mode: str = "constant"):
    """Pad (left, top, right, bottom); modes constant (with ``fill``), edge, reflect, symmetric."""
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    a, kind = _unpack(img)
    if min(left, top, right, bottom) < 0:  # negative padding crops
        h, w = a.shape[-2:]
        a = a[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        h, w = a.shape[-2:]
        out = xp.empty(a.shape[:-2] + (h + top + bottom, w + left + right), a.dtype)
        if isinstance(fill, (list, tuple)) and a.ndim >= 3 and len(fill) == a.shape[-3]:
            out[...] = xp.asarray(fill, dtype=a.dtype).reshape(-1, 1, 1)
        else:
            out[...] = fill[0] if isinstance(fill, (list, tuple)) else fill
        out[..., top:top + h, left:left + w] = a
    else:
        out = xp.pad(a, widths, mode=padding_mode)
    return _pack(out, kind)


def hflip(img):
    a, kind = _unpack(img)
    return _pack(a[..., ::-1], kind)


def vflip(img):
    a, kind = _unpack(img)
    return _pack(a[..., ::-1, :], kind)


def _inverse_affine_matrix(center, angle: float, translate, scale: float, shear) -> list[float]:
    """The 2x3 inverse of T * C * RotateScaleShear * C^-1 (torchvision's convention), row-major."""
    rot = math.radians(angle)
    sx, sy = (math.radians(s) for s in shear)
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def _apply_affine(img, matrix, interpolation, fill, out_size=None):
    """Sample ``img`` at the inverse-mapped centre-relative coordinates of each output pixel."""
    mode = _mode(interpolation)
    if mode not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"Interpolation mode '{mode.value}' is unsupported with Tensor input")
    a, kind = _unpack(img)
    h, w = a.shape[-2:]
    oh, ow = out_size or (h, w)
    y = xp.arange(oh, dtype=xp.float64) + 0.5 - oh * 0.5
    x = xp.arange(ow, dtype=xp.float64) + 0.5 - ow * 0.5
    sx = matrix[0] * x[None, :] + matrix[1] * y[:, None] + matrix[2] + w * 0.5 - 0.5
    sy = matrix[3] * x[None, :] + matrix[4] * y[:, None] + matrix[5] + h * 0.5 - 0.5
    fill_arr = xp.asarray(0.0 if fill is None else fill, dtype=xp.float64)
    fill_arr = fill_arr.reshape(-1, 1, 1) if fill_arr.ndim else fill_arr
    src = a.astype(xp.float64)
    if mode == InterpolationMode.NEAREST:
        ix, iy = xp.rint(sx).astype(xp.int64), xp.rint(sy).astype(xp.int64)
        ok = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        out = xp.where(ok, src[..., xp.clip(iy, 0, h - 1), xp.clip(ix, 0, w - 1)], fill_arr)
    else:
        x0, y0 = xp.floor(sx).astype(xp.int64), xp.floor(sy).astype(xp.int64)
        fx, fy = sx - x0, sy - y0
        out = 0.0
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                ix, iy = x0 + dx, y0 + dy
                ok = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
                v = xp.where(ok, src[..., xp.clip(iy, 0, h - 1), xp.clip(ix, 0, w - 1)], fill_arr)
                out = out + v * (wx * wy)
    return _pack(_cast_back(out, a.dtype), kind)


def _center_offset(img, center) -> list[float]:
    if center is None:
        return [0.0, 0.0]
    _, h, w = get_dimensions(img)
    return [float(center[0]) - w * 0.5, float(center[1]) - h * 0.5]


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False, center=None,
           fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default: the image centre)."""
    m = _inverse_affine_matrix(_center_offset(img, center), -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_size = None
    if expand:
        _, h, w = get_dimensions(img)
        pts = xp.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, -0.5 * h, 1.0]])
        new = pts @ xp.array(m).reshape(2, 3).T
        lo, hi = new.min(0) + [w * 0.5, h * 0.5], new.max(0) + [w * 0.5, h * 0.5]
        tol = 1e-4
        hi, lo = xp.ceil(xp.trunc(hi / tol) * tol), xp.floor(xp.trunc(lo / tol) * tol)
        size = hi - lo
        out_size = (int(size[1]), int(size[0]))
    return _apply_affine(img, m, interpolation, fill, out_size)


def affine(img, angle: float, translate: Sequence[int], scale: float, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotate by ``angle`` degrees (clockwise in image coordinates), scale, shear (degrees) and translate (pixels)."""
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if isinstance(shear, (int, float)):
        shear = [float(shear), 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    m = _inverse_affine_matrix(_center_offset(img, center), angle, [float(t) for t in translate], scale, shear)
    return _apply_affine(img, m, interpolation, fill)


# ------------------------------------------------------------------ colour
def _channels(a, name: str):
    if a.shape[-3] not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {a.shape[-3]}")
    return a


def _gray(a):
    """Luma (..., 1, H, W) of an RGB array (..., 3, H, W), in float."""
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    return (0.2989 * r + 0.587 * g + 0.114 * b)[..., None, :, :]


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """ITU-R 601-2 luma (0.2989 R + 0.587 G + 0.114 B), repeated to ``num_output_channels`` (1 or 3)."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    a, kind = _unpack(img)
    if a.shape[-3] == 1:
        out = a
    else:
        _channels(a, "rgb_to_grayscale")
        out = _gray(a.astype(xp.float32)).astype(a.dtype)
    if num_output_channels == 3:
        out = xp.repeat(out, 3, axis=-3)
    if kind[0] == "pil" and num_output_channels == 1:
        kind = ("pil", "L")
    return _pack(out, kind)


to_grayscale = rgb_to_grayscale


def _bound(dtype) -> float:
    return 1.0 if xp.dtype(dtype).kind == "f" else float(xp.iinfo(dtype).max)


def _blend(a, b, ratio: float, dtype):
    out = xp.clip(ratio * a + (1.0 - ratio) * b, 0, _bound(dtype))
    return out.astype(dtype) if xp.dtype(dtype).kind == "f" else xp.floor(out).astype(dtype)


def adjust_brightness(img, brightness_factor: float):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    a, kind = _unpack(img)
    return _pack(_blend(a.astype(xp.float32), 0.0, brightness_factor, a.dtype), kind)


def adjust_contrast(img, contrast_factor: float):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    a, kind = _unpack(img)
    f = a.astype(xp.float32)
    g = _gray(f) if a.shape[-3] == 3 else f
    if a.dtype.kind != "f":
        g = xp.floor(g)
    mean = g.mean(axis=(-3, -2, -1), keepdims=True)
    return _pack(_blend(f, mean, contrast_factor, a.dtype), kind)


def adjust_saturation(img, saturation_factor: float):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    a, kind = _unpack(img)
    if a.shape[-3] == 1:
        return img
    f = a.astype(xp.float32)
    g = _gray(f)
    if a.dtype.kind != "f":
        g = xp.floor(g)
    return _pack(_blend(f, g, saturation_factor, a.dtype), kind)


def adjust_hue(img, hue_factor: float):
    """Shift the hue by ``hue_factor`` in [-0.5, 0.5] (a fraction of a turn) through HSV."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    a, kind = _unpack(img)
    if a.shape[-3] == 1:
        return img
    f = a.astype(xp.float32) / (255.0 if a.dtype == xp.uint8 else 1.0)
    r, g, b = f[..., 0, :, :], f[..., 1, :, :], f[..., 2, :, :]
    maxc, minc = f.max(axis=-3), f.min(axis=-3)
    v, cr = maxc, maxc - minc
    eq = cr == 0
    s = cr / xp.where(eq, 1.0, maxc)
    crd = xp.where(eq, 1.0, cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = xp.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    h = xp.fmod(h + hue_factor, 1.0)
    h = xp.where(h < 0, h + 1.0, h)
    i = xp.floor(h * 6.0)
    fr = h * 6.0 - i
    i = i.astype(xp.int64) % 6
    p = xp.clip(v * (1.0 - s), 0.0, 1.0)
    q = xp.clip(v * (1.0 - s * fr), 0.0, 1.0)
    t = xp.clip(v * (1.0 - s * (1.0 - fr)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = xp.stack([xp.choose(i, [c[k] for c in choices]) for k in range(3)], axis=-3)
    if a.dtype == xp.uint8:
        out = (out * (255.0 + 1.0 - 1e-3)).astype(xp.uint8)
    else:
        out = out.astype(a.dtype)
    return _pack(out, kind)
