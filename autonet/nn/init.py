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

from autonet.arguments import number
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
    """Fill ``tensor`` with 1 in place; returns it."""
    return _fill(tensor, 1.0)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val`` in place; returns it."""
    return _fill(tensor, val)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Samples from U(a, b)."""
    a, b = number(a, "uniform_", "a"), number(b, "uniform_", "b")
    if a > b:
        raise ValueError(f"uniform_: need a <= b, got a={a:g}, b={b:g}")
    return _fill(tensor, rng().uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Samples from N(mean, std^2) (the course's ``np.random.randn(...) * 0.01`` is std=0.01)."""
    mean, std = number(mean, "normal_", "mean"), number(std, "normal_", "std", low=0.0)
    return _fill(tensor, rng().normal(mean, std, size=tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    gain = number(gain, "xavier_uniform_", "gain")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    gain = number(gain, "xavier_normal_", "gain")
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


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``, drawn uniformly (Haar measure) as in PyTorch:
    QR of a standard normal (rows, cols) matrix, cols = product of the other dimensions, with Q's
    columns signed by diag(R) so the draw is uniform. rows <= cols gives orthonormal rows
    (W W^T = gain^2 I), rows >= cols orthonormal columns (W^T W = gain^2 I)."""
    gain = number(gain, "orthogonal_", "gain")
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init: expected a Tensor (e.g. layer.weight), got {type(tensor).__name__}")
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: needs a tensor with at least 2 dimensions, got shape "
                         f"{tensor.shape}; initialize biases with zeros_/uniform_/constant_")
    if tensor.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.size // rows
    flat = rng().standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # QR is unique only up to these signs; fixing them makes Q uniform
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0) -> Tensor:
    """N(mean, std^2) conditioned on [a, b] (absolute bounds, not multiples of std), by inverse
    CDF as in PyTorch: u ~ U(Phi(alpha), Phi(beta)), x = mean + std Phi^-1(u), with
    alpha = (a - mean) / std, beta = (b - mean) / std, then clipped to [a, b]."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init: expected a Tensor (e.g. layer.weight), got {type(tensor).__name__}")
    if not std > 0 or not a < b:
        raise ValueError(f"trunc_normal_: need std > 0 and a < b, got std={std}, a={a}, b={b}")
    alpha, beta = (a - mean) / std, (b - mean) / std
    # Sample the tail nearer to the mean's side: CDF values near 0 keep full precision where
    # values near 1 would round to 1, so an interval in the upper tail is mirrored.
    flip = alpha + beta > 0
    if flip:
        alpha, beta = -beta, -alpha
    low, high = _normal_cdf(alpha), _normal_cdf(beta)
    z = _normal_quantile(rng().uniform(low, high, size=tensor.shape))
    if flip:
        z = -z
    return _fill(tensor, np.clip(mean + std * z, a, b))


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


# Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9).
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01, 1.0)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00, 1.0)


def _normal_quantile(p: np.ndarray) -> np.ndarray:
    """Phi^-1(p) for p in (0, 1), elementwise."""
    p = np.clip(p, np.finfo(np.float64).tiny, 1 - np.finfo(np.float64).epsneg)
    central = np.abs(p - 0.5) <= 0.5 - 0.02425
    q = p - 0.5
    r = q * q
    mid = q * np.polyval(_A, r) / np.polyval(_B, r)
    t = np.sqrt(-2 * np.log(np.where(p < 0.5, p, 1 - p)))
    tail = np.polyval(_C, t) / np.polyval(_D, t)
    return np.where(central, mid, np.where(p < 0.5, tail, -tail))
