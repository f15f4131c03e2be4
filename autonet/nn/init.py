"""Weight initialization, in place on a tensor's data, drawn from ``autonet.creation.rng()``
(seed with ``an.manual_seed``).

For a weight W[l] of shape (n[l], n[l-1]): fan_in = n[l-1], fan_out = n[l].

* Xavier/Glorot (tanh, sigmoid): Var(W) = gain^2 * 2 / (fan_in + fan_out).
* Kaiming/He (ReLU family): Var(W) = gain^2 / fan (fan = fan_in by default); gain = sqrt(2)
  for ReLU.

Why not zeros: with all-zero W every hidden unit computes the same value and receives the same
gradient, so the units stay identical forever (tests/nn/test_training.py shows it).
"""

from __future__ import annotations

import math

import numpy as np

from autonet.creation import rng
from autonet.tensor import Tensor

_LINEAR_LIKE = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity``:
    linear/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)), selu 3/4."""
    name = nonlinearity.lower()
    if name in _LINEAR_LIKE:
        return 1.0
    if name == "tanh":
        return 5.0 / 3
    if name == "relu":
        return math.sqrt(2.0)
    if name == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if name == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of "
                     f"{', '.join(_LINEAR_LIKE)}, tanh, relu, leaky_relu, selu")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"init: fan in and fan out need a tensor with at least 2 dimensions, got "
                         f"shape {shape}; initialize biases with zeros_/uniform_/constant_")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor: Tensor, values: np.ndarray | float) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init: expected a Tensor (e.g. layer.weight), got {type(tensor).__name__}")
    tensor.data[...] = values
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (fine for biases; for weights it keeps hidden units symmetric)."""
    return _fill(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1.0)


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Samples from U(a, b)."""
    return _fill(tensor, rng().uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Samples from N(mean, std^2) (the course's ``np.random.randn(...) * 0.01`` is std=0.01)."""
    return _fill(tensor, rng().normal(mean, std, size=tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan); ``a`` is the leaky_relu slope."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan) (sqrt(2 / n[l-1]) for ReLU)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))
