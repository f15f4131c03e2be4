"""Normalization layers with PyTorch's names, arguments, parameters and buffers: BatchNorm1d,
BatchNorm2d, LayerNorm, GroupNorm.

The course's batch norm: for the values z of one unit (channel) over the mini-batch,
    z_norm = (z - mu) / sqrt(sigma^2 + eps),   z_tilde = gamma z_norm + beta
gamma is ``weight`` and beta is ``bias`` (learned). In train() mu and sigma^2 are the batch's; at
test time (eval()) they are running averages kept while training (``running_mean``,
``running_var``: buffers, saved in the state_dict but not learned).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.arguments import flag, integer, number
from autonet.autograd.trace import CompileError, replayed, tracing
from autonet.nn import norm_functional as F
from autonet.nn.module import Module, Parameter
from autonet.ops.primitive import as_array
from autonet.tensor import Tensor, get_default_dtype


def _dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def course_equation(x: str, out: str, layer: str, affine: bool, statistics: str) -> str:
    """The course's normalization step for graph drawings, one line each:
    ``Z~[l] = γ[l] Z_norm[l] + β[l]``, ``Z_norm[l] = (Z[l] - μ) / √(σ² + ε)`` and where μ, σ²
    come from. ``layer`` is "[l]" after Linear layer l (the course's batch norm on Z[l]), else "".
    """
    normed = f"Z_norm{layer}" if layer else "x_norm"
    head = f"{out} = γ{layer} {normed} + β{layer}" if affine else f"{out} = {normed}"
    return f"{head}\n{normed} = ({x} - μ) / √(σ² + ε)\nμ, σ²: {statistics}"


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d: they differ only in the input ranks they take."""

    _ranks: tuple[int, ...] = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        if not isinstance(num_features, int | np.integer) or num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive integer "
                             f"(the number of channels C), got {num_features!r}")
        self.num_features = int(num_features)
        name = type(self).__name__
        self.eps = number(eps, name, "eps", low=0.0, low_open=True)
        self.momentum = None if momentum is None else number(momentum, name, "momentum", 0.0, 1.0)
        self.affine = flag(affine, name, "affine")
        self.track_running_stats = track_running_stats
        dtype = _dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight.data[...] = 1
            self.bias.data[...] = 0

    def forward(self, x: Any) -> Tensor:
        shape = tuple(np.shape(as_array(x)))
        label = f"{type(self).__name__}({self.num_features})"
        if len(shape) not in self._ranks or shape[1] != self.num_features:
            got = f"{shape[1]} channels" if len(shape) in self._ranks else f"{len(shape)}-D"
            raise ValueError(f"{label}: expected input of shape {self._layout} with C = "
                             f"{self.num_features}, got {shape} ({got}); check the previous "
                             "layer's output size or num_features")
        batch_stats = self.training or self.running_mean is None
        per_channel = int(np.prod(shape, dtype=np.int64)) // shape[1]
        if batch_stats and per_channel <= 1:
            raise ValueError(f"{label}: in train() each channel needs more than 1 value to "
                             f"compute batch statistics, got input shape {shape} ({per_channel} "
                             "value per channel); use a batch of at least 2 examples, or call "
                             ".eval() to normalize with the running statistics")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            replayed(_count_batch, self.num_batches_tracked)  # in every replay too
            if self.momentum is None:  # cumulative moving average: equal weight per batch
                if tracing():
                    raise CompileError(
                        f"{label}: momentum=None (a cumulative average, weighted by the "
                        "number of batches seen) cannot be compiled: the replay would keep "
                        "the first call's weight; give a momentum (e.g. 0.1) or train eagerly")
                factor = 1.0 / float(self.num_batches_tracked.data)
        keep_running = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if keep_running else None,
                            self.running_var if keep_running else None, self.weight, self.bias,
                            batch_stats, factor, self.eps)

    def course_equation(self, x: str, out: str, layer: str) -> str:
        """For drawings: out = γ x_norm + β with the batch's (or running) statistics."""
        where = "each channel's, over the mini-batch"
        if self.track_running_stats:
            where += " (running averages in eval)"
        return course_equation(x, out, layer, self.affine, where)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per channel over N (and L).

    Args:
        num_features: C.
        eps: added to the variance (default 1e-5).
        momentum: running = (1 - momentum) running + momentum batch (default 0.1); None keeps
            the cumulative average of all batches seen.
        affine: learn weight (gamma, ones) and bias (beta, zeros) of shape (C,).
        track_running_stats: keep running_mean (zeros), running_var (ones, updated with the
            unbiased batch variance) and num_batches_tracked; without them batch statistics
            are used in eval() too.
    """

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of images (N, C, H, W), per channel over N, H and W; arguments as
    BatchNorm1d."""

    _ranks = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalize each example over its last axes (``normalized_shape``), then weight * x + bias.

    Args:
        normalized_shape: int or shape of the trailing axes, e.g. d_model or (C, H, W).
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn weight (ones) and bias (zeros) of shape normalized_shape.
        bias: learn the bias (with elementwise_affine).

    Shapes: input (*, *normalized_shape) -> output of the same shape. Unlike batch norm the
    statistics are each example's own, so train() and eval() compute the same thing.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        sizes = (normalized_shape if isinstance(normalized_shape, tuple | list)
                 else [normalized_shape])
        for size in sizes:
            integer(size, "LayerNorm", "normalized_shape", minimum=1)
        self.normalized_shape = F._as_shape(normalized_shape)
        self.eps = number(eps, "LayerNorm", "eps", low=0.0, low_open=True)
        self.elementwise_affine = flag(elementwise_affine, "LayerNorm", "elementwise_affine")
        bias = flag(bias, "LayerNorm", "bias")
        dtype = _dtype(dtype)
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Tensor:
        shape = tuple(np.shape(as_array(x)))
        k = len(self.normalized_shape)
        if len(shape) < k or shape[len(shape) - k:] != self.normalized_shape:
            tail = shape[-k:] if shape else ()
            raise ValueError(f"LayerNorm({self.normalized_shape}): input shape {shape} does not "
                             f"end in normalized_shape {self.normalized_shape}; normalize over "
                             f"the input's last axes, e.g. LayerNorm({tail})")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def course_equation(self, x: str, out: str, layer: str) -> str:
        """For drawings: out = γ x_norm + β with each example's own statistics."""
        size = int(np.prod(self.normalized_shape))
        return course_equation(x, out, layer, self.weight is not None,
                               f"each example's, over its last {size} values")

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Normalize each example's channels in ``num_groups`` groups (of num_channels / num_groups
    consecutive channels, over the group's channels and trailing axes), then per-channel weight
    and bias (C,). num_groups = 1 is a layer norm over (C, *), num_groups = C instance norm.

    Shapes: input (N, C, *) -> output of the same shape.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype: Any = None) -> None:
        super().__init__()
        integer(num_groups, "GroupNorm", "num_groups", minimum=1)
        integer(num_channels, "GroupNorm", "num_channels", minimum=1)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm({num_groups}, {num_channels}): num_channels must be "
                             f"divisible by num_groups; pick num_groups among the divisors of "
                             f"{num_channels}")
        self.num_groups = int(num_groups)
        self.num_channels = int(num_channels)
        self.eps = number(eps, "GroupNorm", "eps", low=0.0, low_open=True)
        self.affine = affine = flag(affine, "GroupNorm", "affine")
        dtype = _dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_channels, dtype=dtype))
            self.bias = Parameter(np.zeros(num_channels, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Tensor:
        shape = tuple(np.shape(as_array(x)))
        if len(shape) < 2 or shape[1] != self.num_channels:
            got = f"{shape[1]} channels" if len(shape) >= 2 else f"{len(shape)}-D"
            raise ValueError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected input "
                             f"of shape (N, C, *) with C = {self.num_channels}, got {shape} "
                             f"({got})")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def course_equation(self, x: str, out: str, layer: str) -> str:
        """For drawings: out = γ x_norm + β with statistics per example and channel group."""
        per = self.num_channels // self.num_groups
        return course_equation(x, out, layer, self.affine,
                               f"each example's, per group of {per} channels")

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


def _count_batch(count: Any) -> None:
    """num_batches_tracked += 1, in place."""
    as_array(count)[...] += 1
