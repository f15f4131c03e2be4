"""Convolution, pooling and channel dropout, PyTorch's ``torch.nn.functional`` spellings (NCHW).

Shapes: input (N, C, H, W) (or (C, H, W) for one example; (N, C, L) / (C, L) for the 1-d forms);
conv weight (O, C / groups, kH, kW). Each spatial size follows the course's arithmetic

    n_out = floor((n + 2p - f) / s) + 1         (f the dilated kernel d (f - 1) + 1)

The 1-d forms are the 2-d ones on an (N, C, 1, L) view. Average pooling is separable: it is
A_h @ x @ A_w^T with two small banded averaging matrices (one matmul per axis, exact gradients for
free), and so is adaptive average pooling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet import ops
from autonet.arguments import number, numeric
from autonet.creation import sample
from autonet.ops import conv as conv_ops
from autonet.ops.conv import out_size
from autonet.ops.primitive import as_array
from autonet.tensor import Tensor

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "conv1d",
    "conv2d", "conv_transpose2d", "dropout2d", "max_pool1d", "max_pool2d",
]


# ---- arguments -----------------------------------------------------------------------------------
def _tuple(name: str, what: str, value: Any, n: int = 2, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of n ints, each >= minimum, as a tuple of n ints."""
    if isinstance(value, int | np.integer):
        values = (value,) * n
    else:
        values = tuple(value) if isinstance(value, tuple | list) else (value,)
    if len(values) != n or not all(isinstance(v, int | np.integer) and v >= minimum
                                   for v in values):
        raise ValueError(f"{name}: {what} must be an int >= {minimum} or a tuple of {n} such ints, "
                         f"got {value!r}")
    return tuple(int(v) for v in values)


def _spatial(name: str, x: Any, dims: int = 2) -> tuple[Tensor, bool]:
    """x as a batched Tensor (N, C, *spatial) and whether a batch axis was added."""
    x = x if isinstance(x, Tensor) else Tensor(numeric(x, name, "input"))
    axes = "(N, C, H, W)" if dims == 2 else "(N, C, L)"
    one = "(C, H, W)" if dims == 2 else "(C, L)"
    if x.ndim == dims + 1:
        return ops.expand_dims(x, 0), True
    if x.ndim != dims + 2:
        raise ValueError(f"{name}: input has shape {x.shape} ({x.ndim} dimensions); expected "
                         f"{dims + 2} dimensions {axes}, or {dims + 1} {one} for one example. "
                         + ("For a batch of grayscale images use x.reshape(N, 1, H, W)"
                            if dims == 2 else "For one channel use x.reshape(N, 1, L)"))
    return x, False


def _unbatch(out: Tensor, added: bool) -> Tensor:
    return ops.squeeze(out, axis=0) if added else out


def _too_small(name: str, shape: tuple, kernel: Sequence[int], stride: Sequence[int],
               padding: Sequence[int], dilation: Sequence[int], axes: str = "HW") -> None:
    """One clear error when the (dilated) kernel does not fit in the padded input."""
    for a, axis in enumerate(axes):
        n, f, s, p, d = shape[2 + a], kernel[a], stride[a], padding[a], dilation[a]
        span = d * (f - 1) + 1
        if n + 2 * p < span:
            dilated = f" (dilated to {span})" if d > 1 else ""
            raise ValueError(
                f"{name}: kernel size {f}{dilated} along {axis} is larger than the padded input "
                f"{n} + 2*{p} = {n + 2 * p}; n_out = floor(({n} + 2*{p} - {span}) / {s}) + 1 "
                f"= {(n + 2 * p - span) // s + 1}. Use a smaller kernel, pad more "
                f"(padding={(span - n + 1) // 2}) or feed a larger input")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# ---- convolution ---------------------------------------------------------------------------------
def conv_input_check(name: str, x: Tensor, in_channels: int, axes: str = "(N, C, H, W)") -> None:
    """The error for an input whose channel count does not match the layer's."""
    if x.shape[1] != in_channels:
        raise ValueError(f"{name}: input has {_plural(x.shape[1], 'channel')}, expected "
                         f"{in_channels}; input shape {x.shape} is {axes}. Feed "
                         f"{in_channels}-channel input or build the layer with "
                         f"in_channels={x.shape[1]}")


def _same_padding(name: str, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """'same': pad d (f - 1) in total per axis, the extra one at the end (PyTorch's split)."""
    if any(s != 1 for s in stride):
        raise ValueError(f"{name}: padding='same' needs stride 1 (got stride={stride}); give the "
                         "padding as numbers for a strided convolution")
    totals = [d * (f - 1) for f, d in zip(kernel, dilation)]
    return tuple(t // 2 for t in totals), tuple(t - t // 2 for t in totals)


def conv_nd(name: str, x: Any, weight: Any, bias: Any, stride: Any, padding: Any, dilation: Any,
            groups: int, dims: int = 2) -> Tensor:
    """conv1d/conv2d with ``name`` in errors (a layer passes its own, e.g. 'Conv2d(3, 8)')."""
    x, added = _spatial(name, x, dims)
    w_shape = np.shape(as_array(weight))
    if len(w_shape) != dims + 2:
        raise ValueError(f"{name}: weight has shape {w_shape}; expected {dims + 2} dimensions "
                         "(out_channels, in_channels / groups, kernel...)")
    if not isinstance(groups, int | np.integer) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    if x.shape[1] % groups or w_shape[0] % groups:
        raise ValueError(f"{name}: groups={groups} must divide both the input channels "
                         f"({x.shape[1]}) and the output channels ({w_shape[0]})")
    conv_input_check(name, x, w_shape[1] * groups, "(N, C, H, W)" if dims == 2 else "(N, C, L)")
    if bias is not None and np.shape(as_array(bias)) != (w_shape[0],):
        raise ValueError(f"{name}: bias has shape {np.shape(as_array(bias))}, expected "
                         f"({w_shape[0]},), one per output channel")
    stride = _tuple(name, "stride", stride, dims)
    dilation = _tuple(name, "dilation", dilation, dims)
    kernel = w_shape[2:]
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding must be 'same', 'valid', an int or a tuple, "
                             f"got {padding!r}")
        before, after = ((0,) * dims, (0,) * dims) if padding == "valid" else \
            _same_padding(name, kernel, stride, dilation)
        if before != after:  # an even total: the extra row/column goes at the end
            widths = ((0, 0), (0, 0), *((0, a - b) for a, b in zip(after, before)))
            x = ops.pad(x, widths)
        padding = before
    else:
        padding = _tuple(name, "padding", padding, dims, minimum=0)
    if dims == 1:
        x = ops.expand_dims(x, 2)
        weight = ops.expand_dims(weight, 2)
        stride, padding, dilation = (1, *stride), (0, *padding), (1, *dilation)
        kernel = (1, *kernel)
    _too_small(name, x.shape, kernel, stride, padding, dilation, "HW" if dims == 2 else "_L")
    args = (x, weight) if bias is None else (x, weight, bias)
    out = conv_ops.conv2d(*args, stride=stride, padding=padding, dilation=dilation, groups=groups)
    if dims == 1:
        out = ops.squeeze(out, axis=2)
    return _unbatch(out, added)


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d convolution (cross-correlation, as in every framework): input (N, C, H, W), weight
    (O, C / groups, kH, kW), bias (O,) -> (N, O, H_out, W_out). ``padding`` is an int, a pair,
    'valid' (0) or 'same' (output as large as the input; stride 1)."""
    return conv_nd("conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d convolution: input (N, C, L), weight (O, C / groups, k), bias (O,) -> (N, O, L_out)."""
    return conv_nd("conv1d", input, weight, bias, stride, padding, dilation, groups, dims=1)


def conv_transpose_nd(name: str, x: Any, weight: Any, bias: Any, stride: Any, padding: Any,
                      output_padding: Any, groups: int, dilation: Any) -> Tensor:
    x, added = _spatial(name, x)
    w_shape = np.shape(as_array(weight))
    if len(w_shape) != 4:
        raise ValueError(f"{name}: weight has shape {w_shape}; expected 4 dimensions "
                         "(in_channels, out_channels / groups, kH, kW)")
    if not isinstance(groups, int | np.integer) or groups < 1 or w_shape[0] % groups:
        raise ValueError(f"{name}: groups={groups!r} must be a positive int dividing the input "
                         f"channels ({w_shape[0]})")
    conv_input_check(name, x, w_shape[0])
    if bias is not None and np.shape(as_array(bias)) != (w_shape[1] * groups,):
        raise ValueError(f"{name}: bias has shape {np.shape(as_array(bias))}, expected "
                         f"({w_shape[1] * groups},), one per output channel")
    stride = _tuple(name, "stride", stride)
    dilation = _tuple(name, "dilation", dilation)
    padding = _tuple(name, "padding", padding, minimum=0)
    output_padding = _tuple(name, "output_padding", output_padding, minimum=0)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= max(s, d):
            raise ValueError(f"{name}: output_padding {output_padding} must be smaller than the "
                             f"stride {stride} or the dilation {dilation}")
    for a in range(2):
        size = ((x.shape[2 + a] - 1) * stride[a] - 2 * padding[a]
                + dilation[a] * (w_shape[2 + a] - 1) + output_padding[a] + 1)
        if size <= 0:
            raise ValueError(f"{name}: the output would have size {size} along {'HW'[a]} "
                             f"(input {x.shape}, padding {padding}); use less padding")
    args = (x, weight) if bias is None else (x, weight, bias)
    out = conv_ops.conv_transpose2d(*args, stride=stride, padding=padding,
                                    output_padding=output_padding, dilation=dilation,
                                    groups=groups)
    return _unbatch(out, added)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed convolution (the gradient of conv2d with respect to its input): input
    (N, C_in, H, W), weight (C_in, C_out / groups, kH, kW) -> (N, C_out, H_out, W_out) with
    H_out = (H - 1) s - 2p + d (kH - 1) + output_padding + 1."""
    return conv_transpose_nd("conv_transpose2d", input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


# ---- pooling -------------------------------------------------------------------------------------
def _pool_args(name: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1,
               dims: int = 2) -> tuple:
    kernel = _tuple(name, "kernel_size", kernel_size, dims)
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else _tuple(name, "stride", stride, dims)
    padding = _tuple(name, "padding", padding, dims, minimum=0)
    dilation = _tuple(name, "dilation", dilation, dims)
    if any(p > f // 2 for p, f in zip(padding, kernel)):
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel size "
                         f"{kernel} (a window of padding only would have nothing to pool)")
    return kernel, stride, padding, dilation


def pool_nd(name: str, kind: str, x: Any, kernel_size: Any, stride: Any, padding: Any,
            dilation: Any, ceil_mode: bool, dims: int = 2, count_include_pad: bool = True,
            divisor_override: int | None = None, return_indices: bool = False) -> Any:
    """max or avg pooling (``kind``) with ``name`` in errors."""
    x, added = _spatial(name, x, dims)
    kernel, stride, padding, dilation = _pool_args(name, kernel_size, stride, padding, dilation,
                                                   dims)
    if dims == 1:
        x = ops.expand_dims(x, 2)
        kernel, stride, padding, dilation = (1, *kernel), (1, *stride), (0, *padding), \
            (1, *dilation)
    _too_small(name, x.shape, kernel, stride, padding, dilation, "HW" if dims == 2 else "_L")
    attrs = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                 ceil_mode=bool(ceil_mode))
    indices = None
    if kind == "max":
        for a in range(2):
            if x.shape[2 + a] + padding[a] < dilation[a] * (kernel[a] - 1) + 1:
                raise ValueError(f"{name}: with dilation {dilation[a]} the first window along "
                                 f"{'HW'[a]} covers only padding (input size {x.shape[2 + a]}, "
                                 f"padding {padding[a]}); use less dilation or a larger input")
        out = conv_ops.max_pool2d(x, **attrs)
        if return_indices:
            indices = conv_ops.first_max_positions(x, **attrs)
    else:
        summed = divisor_override is not None
        rows, cols = (_average_matrix(x.shape[2 + a], kernel[a], stride[a], padding[a],
                                      ceil_mode, count_include_pad, x.dtype, summed)
                      for a in range(2))
        out = ops.matmul(ops.matmul(rows, x), cols.T)
        if summed:
            out = out * np.asarray(1.0 / divisor_override, dtype=x.dtype)
    if dims == 1:
        out = ops.squeeze(out, axis=2)
        indices = None if indices is None else indices[:, :, 0]
    out = _unbatch(out, added)
    if return_indices:
        return out, (indices[0] if added else indices)
    return out


def _average_matrix(n: int, f: int, s: int, p: int, ceil_mode: bool, count_include_pad: bool,
                    dtype: Any, summed: bool = False) -> np.ndarray:
    """A (n_out, n): row i averages window i along one axis; its divisor is what PyTorch counts
    (the window clipped to the padded input, or to the input alone without count_include_pad),
    so the 2-d divisor is the product of the two axes' ones. ``summed``: no divisor (ones)."""
    n_out = out_size(n, f, s, p, 1, ceil_mode)
    start = np.arange(n_out) * s - p
    end = np.minimum(start + f, n + p)
    counted = end - start
    start, end = np.maximum(start, 0), np.minimum(end, n)
    if not count_include_pad:
        counted = end - start
    positions = np.arange(n)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    return inside.astype(dtype) if summed else (inside / counted[:, None]).astype(dtype)


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The max of each kH x kW window: (N, C, H, W) -> (N, C, H_out, W_out); stride defaults to
    the kernel size. With ``return_indices`` also the flat index of each max in its (H, W) plane.
    The gradient goes to the first max of a window (at ties, as in PyTorch)."""
    return pool_nd("max_pool2d", "max", input, kernel_size, stride, padding, dilation, ceil_mode,
                   return_indices=return_indices)


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """max_pool2d along the last axis of (N, C, L)."""
    return pool_nd("max_pool1d", "max", input, kernel_size, stride, padding, dilation, ceil_mode,
                   dims=1, return_indices=return_indices)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The mean of each kH x kW window: (N, C, H, W) -> (N, C, H_out, W_out). Zero padding counts
    in the divisor unless ``count_include_pad=False``."""
    return pool_nd("avg_pool2d", "avg", input, kernel_size, stride, padding, 1, ceil_mode,
                   count_include_pad=count_include_pad, divisor_override=divisor_override)


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """avg_pool2d along the last axis of (N, C, L)."""
    return pool_nd("avg_pool1d", "avg", input, kernel_size, stride, padding, 1, ceil_mode,
                   dims=1, count_include_pad=count_include_pad)


def _adaptive_matrix(n: int, n_out: int, dtype: Any) -> np.ndarray:
    """(n_out, n): window i covers [floor(i n / n_out), ceil((i + 1) n / n_out))."""
    i = np.arange(n_out)
    start = (i * n) // n_out
    end = -((-(i + 1) * n) // n_out)
    positions = np.arange(n)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_output_size(call: str, output_size: Any, dims: int) -> tuple[int | None, ...]:
    """``output_size`` of an adaptive pool as ``dims`` sizes: a positive int or None (keep that
    axis) for all axes, or one per axis (PyTorch's conventions)."""
    one = output_size is None or isinstance(output_size, int | np.integer | bool)
    sizes = (output_size,) * dims if one else tuple(output_size) \
        if isinstance(output_size, tuple | list) else None
    kinds = "a positive int or None" + (f", or {dims} of them" if dims > 1 else "")
    if sizes is None or not all(s is None or (isinstance(s, int | np.integer)
                                              and not isinstance(s, bool)) for s in sizes):
        raise TypeError(f"{call}: output_size must be {kinds}, got {output_size!r:.60} "
                        f"({type(output_size).__name__})")
    if len(sizes) != dims or not all(s is None or s >= 1 for s in sizes):
        raise ValueError(f"{call}: output_size must be {kinds}, got {output_size!r}")
    return tuple(None if s is None else int(s) for s in sizes)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size (an int, a pair, None keeps that axis):
    (N, C, H, W) -> (N, C, *output_size); window i of n spans
    [floor(i n / o), ceil((i + 1) n / o)) along each axis."""
    x, added = _spatial("adaptive_avg_pool2d", input)
    sizes = adaptive_output_size("adaptive_avg_pool2d", output_size, 2)
    h, w = x.shape[2:]
    oh, ow = (h if sizes[0] is None else sizes[0]), (w if sizes[1] is None else sizes[1])
    out = ops.matmul(ops.matmul(_adaptive_matrix(h, oh, x.dtype), x),
                     _adaptive_matrix(w, ow, x.dtype).T)
    return _unbatch(out, added)


def adaptive_avg_pool1d(input: Any, output_size: int) -> Tensor:
    """adaptive_avg_pool2d along the last axis of (N, C, L)."""
    x, added = _spatial("adaptive_avg_pool1d", input, dims=1)
    (size,) = adaptive_output_size("adaptive_avg_pool1d", output_size, 1)
    size = x.shape[2] if size is None else size
    out = ops.matmul(x, _adaptive_matrix(x.shape[2], size, x.dtype).T)
    return _unbatch(out, added)


# ---- channel dropout -----------------------------------------------------------------------------
def dropout2d(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (N, C, H, W) -> same shape, each with probability p, and scale the
    rest by 1 / (1 - p). A 3-d input is read as (N, C, L), as PyTorch 2 still does. Identity
    when not training or p == 0."""
    p = number(p, "dropout2d", "p", 0.0, 1.0)
    x = input if isinstance(input, Tensor) else Tensor(numeric(input, "dropout2d", "input"))
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: input has shape {x.shape}; expected (N, C, H, W) (or "
                         "(N, C, L))")
    if not training or p == 0.0:
        return x
    mask_shape = (*x.shape[:2], *(1,) * (x.ndim - 2))  # one draw per (example, channel)
    return x * sample(channel_mask, mask_shape, p, x.dtype)


def channel_mask(generator: np.random.Generator, shape: tuple, p: float, dtype: Any) -> np.ndarray:
    """Channel dropout's mask: 0 with probability p, else 1 / (1 - p) (0 everywhere for p = 1)."""
    keep = (generator.random(shape) >= p).astype(dtype)
    if p < 1.0:
        keep *= 1.0 / (1.0 - p)
    return keep
