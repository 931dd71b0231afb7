"""numtorch.nn.grad: gradients of a convolution w.r.t. its input and its weight (torch.nn.grad).

They run the same kernels as the convolution's backward (``numtorch.nn._im2col``) and return plain
(non-differentiable) tensors.
"""
from __future__ import annotations

from typing import Sequence

from ..tensor import Tensor, _make
from . import _im2col as K
from .functional.conv import _tuple, conv_padding

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight"]


def _geometry(input_size, weight_size, stride, padding, dilation, groups, n):
    stride, dilation = _tuple(stride, n, "stride"), _tuple(dilation, n, "dilation")
    kernel = tuple(weight_size[2:])
    pads = conv_padding(padding, kernel, dilation, stride, n)
    lead = (1,) * (2 - n)
    x4 = tuple(input_size[:2]) + lead + tuple(input_size[2:])
    w4 = tuple(weight_size[:2]) + lead + kernel
    return K.ConvGeometry(x4, w4, lead + stride, pads, lead + dilation, groups)


def _input(input_size, weight: Tensor, grad_output: Tensor, stride, padding, dilation, groups, n) -> Tensor:
    input_size = tuple(int(s) for s in input_size)
    geo = _geometry(input_size, tuple(weight.shape), stride, padding, dilation, groups, n)
    g2 = K.output_to_wide(grad_output._data.reshape(geo.out_shape), geo)
    w4 = weight._data.reshape(geo.O, geo.Cg, geo.KH, geo.KW)
    return _make(K.conv_grad_input(g2, w4, geo).reshape(input_size))


def _weight(input: Tensor, weight_size, grad_output: Tensor, stride, padding, dilation, groups, n) -> Tensor:
    weight_size = tuple(int(s) for s in weight_size)
    geo = _geometry(tuple(input.shape), weight_size, stride, padding, dilation, groups, n)
    col = K.im2col(input._data.reshape(geo.B, geo.C, geo.H, geo.W), geo)
    g2 = K.output_to_wide(grad_output._data.reshape(geo.out_shape), geo)
    return _make(K.conv_grad_weight(col, g2, geo)[0].reshape(weight_size))


def conv2d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor, stride=1, padding=0, dilation=1,
                 groups: int = 1) -> Tensor:
    """Gradient of conv2d w.r.t. its input: grad_output (B, O, OH, OW) -> (B, C, H, W) = input_size."""
    return _input(input_size, weight, grad_output, stride, padding, dilation, groups, 2)


def conv2d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor, stride=1, padding=0, dilation=1,
                  groups: int = 1) -> Tensor:
    """Gradient of conv2d w.r.t. its weight: input (B, C, H, W), grad_output (B, O, OH, OW) -> weight_size."""
    return _weight(input, weight_size, grad_output, stride, padding, dilation, groups, 2)


def conv1d_input(input_size: Sequence[int], weight: Tensor, grad_output: Tensor, stride=1, padding=0, dilation=1,
                 groups: int = 1) -> Tensor:
    """Gradient of conv1d w.r.t. its input: grad_output (B, O, L_out) -> (B, C, L) = input_size."""
    return _input(input_size, weight, grad_output, stride, padding, dilation, groups, 1)


def conv1d_weight(input: Tensor, weight_size: Sequence[int], grad_output: Tensor, stride=1, padding=0, dilation=1,
                  groups: int = 1) -> Tensor:
    """Gradient of conv1d w.r.t. its weight: input (B, C, L), grad_output (B, O, L_out) -> weight_size."""
    return _weight(input, weight_size, grad_output, stride, padding, dilation, groups, 1)
