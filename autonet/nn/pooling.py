"""Pooling layers and channel dropout: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool2d, Dropout2d.

A pooling layer has no parameters: it summarizes each f x f window (stride s, padding p) of every
channel separately, so the channel count stays and each spatial size follows
n_out = floor((n + 2p - f) / s) + 1 (``arithmetic`` shows it with the numbers, ``course_label``
names the layer in graph drawings).
"""

from __future__ import annotations

from typing import Any

from autonet.arguments import number
from autonet.nn import conv_functional as CF
from autonet.nn.conv import compact, spatial_arithmetic
from autonet.nn.module import Module
from autonet.tensor import Tensor


class _PoolNd(Module):
    course_symbol = "pool"  # graph drawings call the output of A[l] pooled pool(A[l])
    dims = 2
    axes = "HW"
    kind = "max"

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size, self.stride, self.padding, self.dilation = CF._pool_args(
            name, kernel_size, stride, padding, dilation, self.dims)
        self.ceil_mode = bool(ceil_mode)

    def arithmetic(self, input_shape: tuple) -> str:
        return spatial_arithmetic(tuple(input_shape[-self.dims:]), self.kernel_size, self.stride,
                                  self.padding, self.dilation, self.axes, self.ceil_mode)

    def course_label(self) -> str:
        """'max pool 2x2, s=2' (channels unchanged)."""
        text = (f"{self.kind} pool {'x'.join(map(str, self.kernel_size))}, "
                f"s={compact(self.stride)}")
        if any(self.padding):
            text += f", p={compact(self.padding)}"
        return text

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}"
        if any(self.padding):
            text += f", padding={self.padding}"
        if any(d != 1 for d in self.dilation):
            text += f", dilation={self.dilation}"
        if self.ceil_mode:
            text += ", ceil_mode=True"
        return text


class MaxPool2d(_PoolNd):
    """The max of each window: (N, C, H, W) -> (N, C, H_out, W_out); stride defaults to
    kernel_size. ``return_indices=True`` also returns each max's flat index in its (H, W) plane."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding, dilation, ceil_mode)
        self.return_indices = bool(return_indices)

    def forward(self, x: Any) -> Any:
        return CF.pool_nd(type(self).__name__, "max", x, self.kernel_size, self.stride,
                          self.padding, self.dilation, self.ceil_mode, self.dims,
                          return_indices=self.return_indices)


class MaxPool1d(MaxPool2d):
    """The max of each window of (N, C, L) -> (N, C, L_out)."""

    dims = 1
    axes = "L"


class AvgPool2d(_PoolNd):
    """The mean of each window: (N, C, H, W) -> (N, C, H_out, W_out); zero padding counts in the
    divisor unless ``count_include_pad=False``."""

    kind = "average"

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Any) -> Tensor:
        return CF.pool_nd(type(self).__name__, "avg", x, self.kernel_size, self.stride,
                          self.padding, 1, self.ceil_mode, self.dims,
                          count_include_pad=self.count_include_pad,
                          divisor_override=self.divisor_override)


class AvgPool1d(AvgPool2d):
    """The mean of each window of (N, C, L) -> (N, C, L_out)."""

    dims = 1
    axes = "L"

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size: (N, C, H, W) -> (N, C, *output_size) whatever H, W
    (e.g. output_size=1 for global average pooling)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        CF.adaptive_output_size("AdaptiveAvgPool2d", output_size, 2)
        self.output_size = output_size

    course_symbol = "pool"

    def forward(self, x: Any) -> Tensor:
        return CF.adaptive_avg_pool2d(x, self.output_size)

    def course_label(self) -> str:
        return f"adaptive average pool to {self.output_size}"

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Dropout2d(Module):
    """During training zero whole channels of (N, C, H, W) with probability p and scale the rest
    by 1 / (1 - p); the identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        p = number(p, "Dropout2d", "p", low=0.0, high=1.0)
        self.p = p

    def forward(self, x: Any) -> Tensor:
        return CF.dropout2d(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
