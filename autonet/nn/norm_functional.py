"""Normalization, PyTorch's functional forms: batch_norm, layer_norm, group_norm.

Each normalizes with one ``normalize`` node (x_hat = (x - mean) / sqrt(var + eps), biased var)
and then scales and shifts: y = x_hat * weight + bias (the course's gamma and beta). Shapes:
N examples, C channels (features), then any trailing axes (L, or H and W).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet import ops
from autonet.arguments import integer, number
from autonet.autograd.trace import replayed
from autonet.ops.normalization import normalize
from autonet.ops.primitive import as_array
from autonet.tensor import Tensor


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(as_array(x)))


def _affine(y: Tensor, weight: Any, bias: Any, shape: tuple[int, ...]) -> Tensor:
    """y * weight + bias with weight and bias (C,) or normalized_shape reshaped to ``shape``."""
    if weight is not None:
        y = y * ops.reshape(weight, shape=shape)
    if bias is not None:
        y = y + ops.reshape(bias, shape=shape)
    return y


def _check_param(name: str, what: str, value: Any, expected: tuple[int, ...]) -> None:
    if value is not None and _shape(value) != expected:
        raise ValueError(f"{name}: {what} has shape {_shape(value)}, expected {expected}")


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalize each channel of ``input`` (N, C, *) over the batch and trailing axes.

    training=True: with the batch's mean and (biased) variance; ``running_mean`` and
    ``running_var`` (C,), when given, are updated in place to (1 - momentum) running +
    momentum batch, the variance unbiased (times n / (n - 1), n = values per channel), as in
    PyTorch. training=False: with the running statistics. weight/bias: gamma, beta (C,).
    """
    shape = _shape(input)
    if len(shape) < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, *), got {shape}")
    c = shape[1]
    for what, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_param("batch_norm", what, value, (c,))
    view = (1, c) + (1,) * (len(shape) - 2)
    axes = (0, *range(2, len(shape)))
    if training:
        n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
        if n <= 1:
            raise ValueError(f"batch_norm: in training each channel needs more than 1 value to "
                             f"compute batch statistics, got input shape {shape} ({n} value per "
                             "channel); use a batch of at least 2 examples or call .eval() to "
                             "use the running statistics")
        y = normalize(input, axis=axes, eps=float(eps))
        if running_mean is not None or running_var is not None:  # in every replay too
            replayed(_update_running, as_array(input), axes, n, running_mean, running_var,
                     momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: training=False normalizes with running_mean and "
                             "running_var, got None; pass them or training=True")
        x = input if isinstance(input, Tensor) else Tensor(input)
        dtype = x.dtype
        # as ops on the running tensors (no gradient), so a compiled step reads their values
        # of each call, not of the first one
        mean = ops.astype(ops.reshape(_tensor(running_mean), view), dtype)
        inv_std = 1.0 / ops.sqrt(ops.reshape(_tensor(running_var), view) + eps)
        y = (x - mean) * ops.astype(inv_std, dtype)
    return _affine(y, weight, bias, view)


def _tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def _update_running(x: np.ndarray, axes: tuple[int, ...], n: int, running_mean: Any,
                    running_var: Any, momentum: float) -> None:
    """running = (1 - momentum) running + momentum batch statistic, in place (no gradient)."""
    mean = np.mean(x, axis=axes)
    if running_mean is not None:
        target = as_array(running_mean)
        target *= 1 - momentum
        target += momentum * mean.astype(target.dtype)
    if running_var is not None:
        target = as_array(running_var)
        unbiased = np.var(x, axis=axes) * (n / (n - 1))
        target *= 1 - momentum
        target += momentum * unbiased.astype(target.dtype)


def layer_norm(input: Any, normalized_shape: int | Sequence[int], weight: Any = None,
               bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the last len(normalized_shape) axes of each example (mean and biased
    variance of those values), then scale by weight and shift by bias (normalized_shape)."""
    normalized = _as_shape(normalized_shape)
    eps = number(eps, "layer_norm", "eps", low=0.0)
    shape = _shape(input)
    k = len(normalized)
    if len(shape) < k or shape[len(shape) - k:] != normalized:
        raise ValueError(f"layer_norm: input shape {shape} does not end in normalized_shape "
                         f"{normalized}; pass normalized_shape={shape[-k:] if shape else ()} or "
                         "reshape the input")
    _check_param("layer_norm", "weight", weight, normalized)
    _check_param("layer_norm", "bias", bias, normalized)
    y = normalize(input, axis=tuple(range(len(shape) - k, len(shape))), eps=float(eps))
    return _affine(y, weight, bias, normalized)


def _as_shape(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    if not isinstance(normalized_shape, Sequence | np.ndarray) or isinstance(normalized_shape,
                                                                               str):
        normalized_shape = (normalized_shape,)
    return tuple(integer(s, "layer_norm", "normalized_shape", minimum=1)
                 for s in normalized_shape)


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Split the C channels of each example (N, C, *) into num_groups groups of C / num_groups
    consecutive channels and normalize each group over its channels and trailing axes; then
    weight and bias (C,) per channel."""
    shape = _shape(input)
    if len(shape) < 2:
        raise ValueError(f"group_norm: expected input of shape (N, C, *), got {shape}")
    n, c = shape[0], shape[1]
    num_groups = integer(num_groups, "group_norm", "num_groups", minimum=1)
    eps = number(eps, "group_norm", "eps", low=0.0)
    if c % num_groups:
        raise ValueError(f"group_norm: {c} channels cannot be split into num_groups="
                         f"{num_groups} equal groups; num_groups must divide C = {c}")
    _check_param("group_norm", "weight", weight, (c,))
    _check_param("group_norm", "bias", bias, (c,))
    grouped = ops.reshape(input, shape=(n, num_groups, -1))
    y = ops.reshape(normalize(grouped, axis=(2,), eps=float(eps)), shape=shape)
    return _affine(y, weight, bias, (1, c) + (1,) * (len(shape) - 2))
