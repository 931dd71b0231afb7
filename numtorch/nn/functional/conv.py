"""Convolutions: conv1d, conv2d, conv_transpose1d/2d, unfold, fold (torch.nn.functional's signatures).

All of them run on the kernels in ``numtorch.nn._im2col``: im2col by kernel-offset slicing and one
GEMM (batched over groups) per convolution. A 1-D convolution is the 2-D one with height 1.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

from ...autograd.function import ArrayFunction
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import Tensor
from .. import _im2col as K

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]

_IntOr = Union[int, Sequence[int]]
_TYPE = {"float32": "float", "float64": "double", "float16": "half", "int64": "long", "int32": "int"}
_SCALAR = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int"}


def _tuple(value, n: int, name: str):
    """An int or a sequence of n ints -> tuple of n ints (PyTorch's wording on a wrong length)."""
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match "
                               f"the convolution dimensions, but got {name}={list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _dims(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def conv_padding(padding, kernel, dilation, stride, n: int):
    """padding (int, tuple, 'same', 'valid') -> (top, bottom, left, right) for a 2-D kernel."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        return (0, 0) * (2 - n) + tuple(pads)
    p = _tuple(padding, n, "padding")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    p = (0,) * (2 - n) + p
    return (p[0], p[0], p[1], p[1])


def _check(input: Tensor, weight: Tensor, bias, groups: int, n: int, name: str, transposed: bool = False):
    """Validate shapes and dtypes as PyTorch does; returns the input's batched shape."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    shape = input.shape
    if len(shape) not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, but got "
                           f"input of size: {_dims(shape)}")
    batched = tuple(shape) if len(shape) == n + 2 else (1,) + tuple(shape)
    wshape = tuple(weight.shape)
    if len(wshape) != n + 2:
        raise RuntimeError(f"Expected {n + 2}-dimensional weight for {n + 2}-dimensional input {_dims(batched)}, "
                           f"but got {len(wshape)}-dimensional weight of size {_dims(wshape)} instead")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if not transposed and wshape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{_dims(wshape)}] instead")
    expected = wshape[0] if transposed else wshape[1] * groups
    if batched[1] != expected:
        which = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {which}, weight of size {_dims(wshape)}, expected input{_dims(batched)} to have "
                           f"{expected} channels, but got {batched[1]} channels instead")
    xd, wd = input._data.dtype, weight._data.dtype
    if xd != wd:
        raise RuntimeError(f"expected scalar type {_SCALAR.get(xd.name, xd.name)} but found "
                           f"{_SCALAR.get(wd.name, wd.name)}")
    if bias is not None:
        out_ch = wshape[1] * groups if transposed else wshape[0]
        if tuple(bias.shape) != (out_ch,):
            raise RuntimeError(f"Given weight of size {_dims(wshape)}, expected bias to be 1-dimensional with "
                               f"{out_ch} elements, but got bias of size {_dims(bias.shape)} instead")
        if bias._data.dtype != xd:
            raise RuntimeError(f"Input type ({_TYPE.get(xd.name, xd.name)}) and bias type "
                               f"({_TYPE.get(bias._data.dtype.name, bias._data.dtype.name)}) should be the same")
    return batched


def _check_kernel_fits(batched, kernel, pads, dilation, n: int) -> None:
    padded = (batched[2] + pads[0] + pads[1], batched[3] + pads[2] + pads[3])[2 - n:]
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))[2 - n:]
    if any(p < e for p, e in zip(padded, eff)):
        fmt = lambda t: "(" + " x ".join(str(v) for v in t) + ")"  # noqa: E731
        raise RuntimeError(f"Calculated padded input size per channel: {fmt(padded)}. Kernel size: {fmt(eff)}. "
                           f"Kernel size can't be greater than actual input size")


class ConvNd(ArrayFunction):
    """Convolution of (B, C, [H,] W) with (O, C/groups, [KH,] KW) -> (B, O, [OH,] OW) (also unbatched).

    Saves col for backward when the whole batch ran as one GEMM (and grad is on); a large batch, or a
    geometry that runs by row shifts, goes in cache-sized blocks of images and backward rebuilds each
    block's col from the saved input. Under no_grad nothing is kept beyond the forward.
    """

    @staticmethod
    def forward(ctx, x, w, b, geo: K.ConvGeometry):
        ctx.geo, ctx.x_shape, ctx.w_shape, ctx.bias = geo, x.shape, w.shape, b is not None
        w4 = w.reshape(geo.O, geo.Cg, geo.KH, geo.KW)
        # col serves only dW/db; under no_grad (or frozen weights) it is neither kept nor saved
        keep = (ctx.needs_input_grad[1] or ctx.needs_input_grad[2]) and is_grad_enabled()
        out, col = K.conv_forward_blocked(x.reshape(geo.B, geo.C, geo.H, geo.W), w4, b, geo, keep)
        ctx.save_for_backward(x, w, col)
        return out.reshape(_out_shape(x.shape, out.shape, w.ndim))

    @staticmethod
    def backward(ctx, gy):
        x, w, col = ctx.saved
        geo = ctx.geo
        nx, nw, nb = ctx.needs_input_grad[:3]
        dx, dw, db = K.conv_backward_blocked(gy.reshape(geo.out_shape), x.reshape(geo.B, geo.C, geo.H, geo.W), col,
                                             w.reshape(geo.O, geo.Cg, geo.KH, geo.KW), geo, nx, nw or nb, ctx.bias)
        if nb and db is None:
            db = gy.reshape(geo.B, geo.O, -1).sum(axis=(0, 2))
        return (dx.reshape(ctx.x_shape) if nx else None, dw.reshape(ctx.w_shape) if nw else None,
                db if nb else None, None)


class ConvTransposeNd(ArrayFunction):
    """Transposed convolution: the adjoint of ``ConvNd`` w.r.t. its input, (B, Cin, ...) -> (B, Cout, ...)."""

    @staticmethod
    def forward(ctx, x, w, b, geo: K.ConvGeometry):
        # geo describes the convolution this op is the adjoint of: its input is our output.
        ctx.geo, ctx.x_shape, ctx.w_shape = geo, x.shape, w.shape
        w4 = w.reshape(geo.O, geo.Cg, geo.KH, geo.KW)
        x2 = K.output_to_wide(x.reshape(geo.out_shape), geo)
        y = K.conv_grad_input(x2, w4, geo)
        if b is not None:
            y += b.reshape(-1, 1, 1)
        ctx.save_for_backward(x2, w4)
        return y.reshape(_out_shape(x.shape, y.shape, w.ndim))

    @staticmethod
    def backward(ctx, gy):
        x2, w4 = ctx.saved
        geo = ctx.geo
        nx, nw, nb = ctx.needs_input_grad[:3]
        gy4 = gy.reshape(geo.B, geo.C, geo.H, geo.W)
        col = K.im2col(gy4, geo) if (nx or nw) else None
        dx = None
        if nx:
            dx = K.wide_to_output(K._mm(K.weight_matrix(w4, geo), col), geo).reshape(ctx.x_shape)
        dw = K.conv_grad_weight(col, x2, geo)[0].reshape(ctx.w_shape) if nw else None
        db = gy4.sum(axis=(0, 2, 3)) if nb else None
        return dx, dw, db, None


def _out_shape(x_shape, out4_shape, wdim: int):
    """Drop the height-1 axis of 1-D convs and the batch axis of unbatched inputs."""
    shape = out4_shape if wdim == 4 else out4_shape[:2] + out4_shape[3:]
    return shape if len(x_shape) == wdim else shape[1:]


def _as4(shape, n: int):
    """Batched (B, C, [H,] W) -> 4-D shape with H = 1 for 1-D."""
    return tuple(shape) if n == 2 else (shape[0], shape[1], 1, shape[2])


def _conv(input, weight, bias, stride, padding, dilation, groups, n: int, name: str) -> Tensor:
    batched = _check(input, weight, bias, groups, n, name)
    stride = _tuple(stride, n, "stride")
    dilation = _tuple(dilation, n, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    kernel = tuple(weight.shape[2:])
    pads = conv_padding(padding, kernel, dilation, stride, n)
    k2, s2, d2 = (1,) * (2 - n) + kernel, (1,) * (2 - n) + stride, (1,) * (2 - n) + dilation
    _check_kernel_fits(_as4(batched, n), k2, pads, d2, n)
    w4 = _as4(tuple(weight.shape), n)
    geo = K.ConvGeometry(_as4(batched, n), w4, s2, pads, d2, groups)
    return ConvNd.apply(input, weight, bias, geo)


def conv1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: _IntOr = 1,
           padding: Union[str, _IntOr] = 0, dilation: _IntOr = 1, groups: int = 1) -> Tensor:
    """(B, C, L) * (O, C/groups, K) -> (B, O, L_out); padding may be an int, 'same' or 'valid'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: _IntOr = 1,
           padding: Union[str, _IntOr] = 0, dilation: _IntOr = 1, groups: int = 1) -> Tensor:
    """(B, C, H, W) * (O, C/groups, KH, KW) -> (B, O, OH, OW), OH = (H + 2p - d(KH-1) - 1)//s + 1."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, n, name):
    batched = _check(input, weight, bias, groups, n, name, transposed=True)
    stride = _tuple(stride, n, "stride")
    dilation = _tuple(dilation, n, "dilation")
    pad = _tuple(padding, n, "padding")
    opad = _tuple(output_padding, n, "output_padding")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    if any(o >= s and o >= d for o, s, d in zip(opad, stride, dilation)):
        parts = ["height", "width"][2 - n:]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(f"output_padding_{p}: {o}" for p, o in zip(parts, opad)) + " "
                           + " ".join(f"stride_{p}: {s}" for p, s in zip(parts, stride)) + " "
                           + " ".join(f"dilation_{p}: {d}" for p, d in zip(parts, dilation)))
    kernel = tuple(weight.shape[2:])
    b4 = _as4(batched, n)
    k2, s2, d2 = (1,) * (2 - n) + kernel, (1,) * (2 - n) + stride, (1,) * (2 - n) + dilation
    p2, o2 = (0,) * (2 - n) + pad, (0,) * (2 - n) + opad
    out_hw = [(i - 1) * s - 2 * p + d * (k - 1) + o + 1 for i, s, p, d, k, o in zip(b4[2:], s2, p2, d2, k2, o2)]
    if any(v <= 0 for v in out_hw):
        raise RuntimeError(f"Given input size per channel: {tuple(b4[2:][2 - n:])}. Calculated output size "
                           f"per channel: {tuple(out_hw[2 - n:])}. Output size is too small")
    cout = weight.shape[1] * groups
    w4 = _as4(tuple(weight.shape), n)
    geo = K.ConvGeometry((b4[0], cout, out_hw[0], out_hw[1]), w4, s2, (p2[0], p2[0], p2[1], p2[1]), d2, groups,
                         out_hw=b4[2:])
    return ConvTransposeNd.apply(input, weight, bias, geo)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: _IntOr = 1,
                     padding: _IntOr = 0, output_padding: _IntOr = 0, groups: int = 1,
                     dilation: _IntOr = 1) -> Tensor:
    """(B, Cin, L) * (Cin, Cout/groups, K) -> (B, Cout, (L-1)s - 2p + d(K-1) + output_padding + 1)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: _IntOr = 1,
                     padding: _IntOr = 0, output_padding: _IntOr = 0, groups: int = 1,
                     dilation: _IntOr = 1) -> Tensor:
    """(B, Cin, H, W) * (Cin, Cout/groups, KH, KW) -> (B, Cout, OH, OW), OH = (H-1)s - 2p + d(KH-1) + op + 1."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


# ---------------------------------------------------------------------------------------- unfold / fold
class Unfold(ArrayFunction):
    """(B, C, H, W) -> (B, C*KH*KW, L): sliding local blocks as columns."""

    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo, ctx.x_shape = geo, x.shape
        return K.unfold(x.reshape(geo.B, geo.C, geo.H, geo.W), geo).reshape(_unbatch(x.ndim, 4, geo, True))

    @staticmethod
    def backward(ctx, g):
        geo = ctx.geo
        return K.fold(g.reshape(geo.B, -1, geo.OH * geo.OW), geo).reshape(ctx.x_shape), None


class Fold(ArrayFunction):
    """(B, C*KH*KW, L) -> (B, C, H, W): sums the blocks back into an image (adjoint of unfold)."""

    @staticmethod
    def forward(ctx, cols, geo):
        ctx.geo, ctx.shape = geo, cols.shape
        return K.fold(cols.reshape(geo.B, -1, geo.OH * geo.OW), geo).reshape(_unbatch(cols.ndim, 3, geo, False))

    @staticmethod
    def backward(ctx, g):
        geo = ctx.geo
        return K.unfold(g.reshape(geo.B, geo.C, geo.H, geo.W), geo).reshape(ctx.shape), None


def _unbatch(ndim, batched_ndim, geo, unfolded):
    shape = (geo.B, geo.C * geo.KH * geo.KW, geo.OH * geo.OW) if unfolded else (geo.B, geo.C, geo.H, geo.W)
    return shape if ndim == batched_ndim else shape[1:]


def _fold_geometry(hw, channels_kk, batch, kernel_size, dilation, padding, stride, name):
    k, d, p, s = (_tuple(v, 2, n) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                                              (padding, "padding"), (stride, "stride")))
    blocks = [(hw[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"Given {'input' if name == 'unfold' else 'output_size'} with spatial size "
                           f"({hw[0]}, {hw[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
                           f"padding=({p[0]}, {p[1]}), calculated shape of the array of sliding blocks as "
                           f"({blocks[0]}, {blocks[1]}), but its components must be at least one.")
    return K.ConvGeometry((batch, channels_kk, hw[0], hw[1]), (1, 1, k[0], k[1]), s, (p[0], p[0], p[1], p[1]), d, 1)


def unfold(input: Tensor, kernel_size: _IntOr, dilation: _IntOr = 1, padding: _IntOr = 0,
           stride: _IntOr = 1) -> Tensor:
    """(B, C, H, W) -> (B, C*KH*KW, L) where L is the number of sliding blocks (rows ordered c, kh, kw)."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    shape = tuple(input.shape) if input.ndim == 4 else (1,) + tuple(input.shape)
    geo = _fold_geometry(shape[2:], shape[1], shape[0], kernel_size, dilation, padding, stride, "unfold")
    return Unfold.apply(input, geo)


def fold(input: Tensor, output_size: _IntOr, kernel_size: _IntOr, dilation: _IntOr = 1, padding: _IntOr = 0,
         stride: _IntOr = 1) -> Tensor:
    """(B, C*KH*KW, L) -> (B, C, H, W) with (H, W) = output_size; overlapping values are summed."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {input.ndim}D)")
    shape = tuple(input.shape) if input.ndim == 3 else (1,) + tuple(input.shape)
    k = _tuple(kernel_size, 2, "kernel_size")
    if shape[1] % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={shape[1]} and kernel_size=({k[0]}, {k[1]}).")
    hw = _tuple(output_size, 2, "output_size")
    geo = _fold_geometry(hw, shape[1] // (k[0] * k[1]), shape[0], kernel_size, dilation, padding, stride, "fold")
    if geo.OH * geo.OW != shape[2]:
        raise RuntimeError(f"Given output_size=({hw[0]}, {hw[1]}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation={_tuple(dilation, 2, 'dilation')}, padding={_tuple(padding, 2, 'padding')}, "
                           f"stride={_tuple(stride, 2, 'stride')}, expected size of input's dimension 2 to match "
                           f"the calculated number of sliding blocks {geo.OH} * {geo.OW} = {geo.OH * geo.OW}, "
                           f"but got input.size(2)={shape[2]}.")
    return Fold.apply(input, geo)
