"""Convolution layers: Conv1d, Conv2d, ConvTranspose2d (PyTorch's names, arguments, parameters).

A Conv2d layer learns ``out_channels`` filters, each of shape (in_channels / groups, kH, kW), and a
bias per filter: weight (out_channels, in_channels / groups, kH, kW), bias (out_channels,).
Initialization is PyTorch's: kaiming_uniform_ with a = sqrt(5), i.e. W ~ U(-1/sqrt(fan_in),
1/sqrt(fan_in)) with fan_in = in_channels / groups * kH * kW, and b from the same range.

Every layer here and in pooling.py describes itself in the course's words: ``course_label()`` (for
graph drawings) and ``arithmetic(input_shape)``, the n_out = floor((n + 2p - f) / s) + 1 of each
spatial axis with the numbers (for ``summary``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autonet.nn import conv_functional as CF
from autonet.nn import init
from autonet.nn.module import Module, add_weight_and_bias
from autonet.ops.conv import out_size
from autonet.tensor import Tensor, get_default_dtype


def spatial_arithmetic(sizes: tuple, kernel: tuple, stride: tuple, padding: tuple,
                       dilation: tuple, axes: str, ceil_mode: bool = False) -> str:
    """'H: floor((28 + 2*1 - 3) / 1) + 1 = 28; W: ...' for each spatial axis ('H, W: ...' once
    when both read the same)."""
    parts = []
    for n, f, s, p, d in zip(sizes, kernel, stride, padding, dilation):
        span = d * (f - 1) + 1
        rounding = "ceil" if ceil_mode else "floor"
        f_text = f"{span}" if d == 1 else f"({d}*({f} - 1) + 1)"
        out = out_size(n, f, s, p, d, ceil_mode)
        parts.append(f"{rounding}(({n} + 2*{p} - {f_text}) / {s}) + 1 = {out}")
    if len(set(parts)) == 1:
        return f"{', '.join(axes)}: {parts[0]}"
    return "; ".join(f"{axis}: {part}" for axis, part in zip(axes, parts))


def compact(values: tuple) -> str:
    """(2, 2) -> '2', (2, 1) -> '(2, 1)': one number when every axis agrees."""
    return str(values[0]) if len(set(values)) == 1 else str(tuple(values))



def _set_channels(layer: Module, name: str, in_channels: Any, out_channels: Any, groups: Any,
                  padding_mode: str) -> None:
    """Check and set a conv layer's channels and groups (one clear error per bad value)."""
    for what, value in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("groups", groups)):
        if not isinstance(value, int | np.integer) or value <= 0:
            raise ValueError(f"{name}: {what} must be a positive integer, got {value!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: groups={groups} must divide in_channels ({in_channels}) "
                         f"and out_channels ({out_channels}); e.g. groups=1")
    if padding_mode != "zeros":
        raise ValueError(f"{name}: padding_mode {padding_mode!r} is not supported; use "
                         "'zeros' (pad the input with an.pad for other modes)")
    layer.in_channels, layer.out_channels, layer.groups = (int(in_channels), int(out_channels),
                                                           int(groups))

class _ConvNd(Module):
    """What Conv1d and Conv2d share: arguments, parameters, init, labels."""

    dims = 2
    axes = "HW"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", dtype: Any = None) -> None:
        super().__init__()
        name = f"{type(self).__name__}({in_channels}, {out_channels})"
        _set_channels(self, name, in_channels, out_channels, groups, padding_mode)
        self.kernel_size = CF._tuple(name, "kernel_size", kernel_size, self.dims)
        self.stride = CF._tuple(name, "stride", stride, self.dims)
        self.dilation = CF._tuple(name, "dilation", dilation, self.dims)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be 'same', 'valid', an int or a tuple, "
                                 f"got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' needs stride 1, got {self.stride}")
            self.padding: Any = padding
        else:
            self.padding = CF._tuple(name, "padding", padding, self.dims, minimum=0)
        self.padding_mode = padding_mode
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        add_weight_and_bias(self, shape, out_channels, bias, dtype, name)
        self.reset_parameters()

    @property
    def _name(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels})"

    def reset_parameters(self) -> None:
        """Draw W and b again from PyTorch's default distributions."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.size // self.out_channels
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        return CF.conv_nd(self._name, x, self.weight, self.bias, self.stride, self.padding,
                          self.dilation, self.groups, self.dims)

    def _explicit_padding(self) -> tuple:
        if self.padding == "valid":
            return (0,) * self.dims
        if self.padding == "same":  # the padding per side (the extra one of an even total ignored)
            return tuple(d * (f - 1) // 2 for f, d in zip(self.kernel_size, self.dilation))
        return self.padding

    def arithmetic(self, input_shape: tuple) -> str:
        """The conv arithmetic of one example of ``input_shape`` (C, *spatial), with numbers."""
        sizes = tuple(input_shape[-self.dims:])
        if self.padding == "same":
            return "; ".join(f"{a}: 'same' keeps {n}" for a, n in zip(self.axes, sizes))
        return spatial_arithmetic(sizes, self.kernel_size, self.stride, self._explicit_padding(),
                                  self.dilation, self.axes)

    def course_label(self) -> str:
        """'conv 3x3, s=1, p=0: 1 -> 8 channels (8 filters of 1x3x3)'."""
        k = "x".join(map(str, self.kernel_size))
        pad = self.padding if isinstance(self.padding, str) else compact(self.padding)
        stride = compact(self.stride)
        filt = "x".join(map(str, (self.in_channels // self.groups, *self.kernel_size)))
        extra = "" if all(d == 1 for d in self.dilation) else f", d={compact(self.dilation)}"
        extra += "" if self.groups == 1 else f", groups={self.groups}"
        return (f"conv {k}, s={stride}, p={pad}{extra}: {self.in_channels} -> "
                f"{self.out_channels} channels ({self.out_channels} filters of {filt})")

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding not in ((0,) * self.dims, "valid"):
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) \
                else f", padding={self.padding}"
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvNd):
    """2-d convolution: input (N, C_in, H, W) -> (N, C_out, H_out, W_out), H_out = floor((H + 2p
    - d (kH - 1) - 1) / s) + 1. ``padding`` is an int, a pair, 'valid' or 'same'.

    Attributes:
        weight: (out_channels, in_channels / groups, kH, kW), the filters.
        bias: (out_channels,), or None.
    """


class Conv1d(_ConvNd):
    """1-d convolution: input (N, C_in, L) -> (N, C_out, L_out); weight (out_channels,
    in_channels / groups, k)."""

    dims = 1
    axes = "L"


class ConvTranspose2d(Module):
    """Transposed convolution (conv2d's gradient in its input, "deconvolution"): input
    (N, C_in, H, W) -> (N, C_out, H_out, W_out), H_out = (H - 1) s - 2p + d (kH - 1) +
    output_padding + 1.

    Attributes:
        weight: (in_channels, out_channels / groups, kH, kW) (PyTorch's layout).
        bias: (out_channels,), or None.
    """

    formula = "n_out = (n - 1) s - 2p + d (f - 1) + 1 + output_padding"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", dtype: Any = None) -> None:
        super().__init__()
        name = f"ConvTranspose2d({in_channels}, {out_channels})"
        _set_channels(self, name, in_channels, out_channels, groups, padding_mode)
        self.kernel_size = CF._tuple(name, "kernel_size", kernel_size)
        self.stride = CF._tuple(name, "stride", stride)
        self.padding = CF._tuple(name, "padding", padding, minimum=0)
        self.output_padding = CF._tuple(name, "output_padding", output_padding, minimum=0)
        self.dilation = CF._tuple(name, "dilation", dilation)
        self.padding_mode = padding_mode
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        shape = (in_channels, out_channels // groups, *self.kernel_size)
        add_weight_and_bias(self, shape, out_channels, bias, dtype, name)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's fan_in of this weight is its dim 1 times the kernel: out_channels / groups * k
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.weight.size // self.in_channels)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        name = f"ConvTranspose2d({self.in_channels}, {self.out_channels})"
        return CF.conv_transpose_nd(name, x, self.weight, self.bias, self.stride, self.padding,
                                    self.output_padding, self.groups, self.dilation)

    def arithmetic(self, input_shape: tuple) -> str:
        parts = []
        for n, f, s, p, d, op, axis in zip(input_shape[-2:], self.kernel_size, self.stride,
                                           self.padding, self.dilation, self.output_padding, "HW"):
            out = (n - 1) * s - 2 * p + d * (f - 1) + op + 1
            parts.append(f"{axis}: ({n} - 1)*{s} - 2*{p} + {d * (f - 1)} + 1 + {op} = {out}")
        return "; ".join(parts)

    def course_label(self) -> str:
        k = "x".join(map(str, self.kernel_size))
        return (f"transposed conv {k}, s={compact(self.stride)}, "
                f"p={compact(self.padding)}: {self.in_channels} -> "
                f"{self.out_channels} channels")

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if any(self.padding):
            text += f", padding={self.padding}"
        if any(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
