"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, plus Fold and Unfold.

Constructor arguments, attributes, parameter shapes, default initialisation and repr follow
torch.nn: weight (out, in/groups, *kernel) [(in, out/groups, *kernel) when transposed] starts from
kaiming_uniform_(a=sqrt(5)), bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

from ... import creation
from ...tensor import Tensor
from .. import init
from ..functional import conv as Fc
from ..functional.padding import pad as _pad
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Fold", "Unfold"]

_IntOr = Union[int, Sequence[int]]


def _ntuple(v, n: int):
    if isinstance(v, (list, tuple)):
        return tuple(v) if len(v) != 1 else tuple(v) * n
    return (v,) * n


class _ConvNd(Module):
    """Shared state of the convolution layers (PyTorch's ``_ConvNd``)."""

    _n = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding, dilation,
                 transposed: bool, output_padding, groups: int, bias: bool, padding_mode: str,
                 device=None, dtype=None) -> None:
        super().__init__()
        n = self._n
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in _ntuple(stride, n)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        valid_padding_modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid_padding_modes:
            raise ValueError(f"padding_mode must be one of {valid_padding_modes}, "
                             f"but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride, n)
        self.padding = padding if isinstance(padding, str) else _ntuple(padding, n)
        self.dilation = _ntuple(dilation, n)
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, n)
        self.groups = groups
        self.padding_mode = padding_mode
        if isinstance(self.padding, str):
            rev = [0, 0] * n
            if padding == "same":
                for d, k, i in zip(self.dilation, self.kernel_size, range(n - 1, -1, -1)):
                    total = d * (k - 1)
                    rev[2 * i] = total // 2
                    rev[2 * i + 1] = total - total // 2
        else:
            rev = [p for p in reversed(self.padding) for _ in range(2)]
        self._reversed_padding_repeated_twice = rev
        shape = ((in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups))
        self.weight = Parameter(creation.empty(shape + self.kernel_size, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init._reset_weight_and_bias_(self.weight, self.bias, zero_bias_when_no_fan_in=False)

    def extra_repr(self) -> str:
        n = self._n
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * n:
            s += ", padding={padding}"
        if self.dilation != (1,) * n:
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * n:
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)


class _Conv(_ConvNd):
    _fn = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _IntOr, stride: _IntOr = 1,
                 padding: Union[str, _IntOr] = 0, dilation: _IntOr = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            return fn(_pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode), weight, bias,
                      self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        p = self._parameters
        return self._conv_forward(input, p["weight"], p["bias"])


class Conv1d(_Conv):
    """1-D convolution: (B, C_in, L) -> (B, C_out, L_out); weight (C_out, C_in/groups, K)."""

    _n = 1
    _fn = staticmethod(Fc.conv1d)


class Conv2d(_Conv):
    """2-D convolution: (B, C_in, H, W) -> (B, C_out, OH, OW); weight (C_out, C_in/groups, KH, KW).

    OH = (H + 2*padding - dilation*(KH-1) - 1) // stride + 1 (likewise OW).
    """

    _n = 2
    _fn = staticmethod(Fc.conv2d)


class _ConvTransposeNd(_ConvNd):
    _fn = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _IntOr, stride: _IntOr = 1,
                 padding: _IntOr = 0, output_padding: _IntOr = 0, groups: int = 1, bias: bool = True,
                 dilation: _IntOr = 1, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        n = self._n
        output_size = list(output_size)
        if len(output_size) == n + 2 or (len(output_size) == n + 1 and input.ndim == n + 1):
            output_size = output_size[-n:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or {n + 2} "
                             f"elements (got {len(output_size)})")
        result = []
        for d in range(n):
            size = input.shape[input.ndim - n + d]
            min_size = ((size - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            max_size = min_size + self.stride[d] - 1
            if not min_size <= output_size[d] <= max_size:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{[min_size]} to {[max_size]} (for an input of {list(input.shape[-n:])})")
            result.append(output_size[d] - min_size)
        return tuple(result)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        p = self._parameters
        op = self._output_padding(input, output_size)
        return type(self)._fn(input, p["weight"], p["bias"], self.stride, self.padding, op, self.groups,
                              self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution: (B, C_in, L) -> (B, C_out, L_out); weight (C_in, C_out/groups, K)."""

    _n = 1
    _fn = staticmethod(Fc.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution: (B, C_in, H, W) -> (B, C_out, OH, OW); weight (C_in, C_out/groups, KH, KW).

    OH = (H-1)*stride - 2*padding + dilation*(KH-1) + output_padding + 1.
    """

    _n = 2
    _fn = staticmethod(Fc.conv_transpose2d)


class Unfold(Module):
    """(B, C, H, W) -> (B, C*prod(kernel_size), L): sliding blocks as columns."""

    def __init__(self, kernel_size: _IntOr, dilation: _IntOr = 1, padding: _IntOr = 0, stride: _IntOr = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return Fc.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """(B, C*prod(kernel_size), L) -> (B, C, *output_size), summing overlapping blocks."""

    def __init__(self, output_size: _IntOr, kernel_size: _IntOr, dilation: _IntOr = 1, padding: _IntOr = 0,
                 stride: _IntOr = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return Fc.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
