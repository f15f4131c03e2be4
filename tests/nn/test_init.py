"""Initializers: the statistics each promises, gains, fans, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autonet as an
from autonet import nn
from autonet.nn import init


def _weight(out_f: int = 300, in_f: int = 200) -> nn.Parameter:
    return nn.Parameter(np.empty((out_f, in_f), dtype=np.float32))


def test_calculate_gain() -> None:
    assert init.calculate_gain("linear") == 1.0 and init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_constant_fills() -> None:
    w = _weight(3, 2)
    assert init.zeros_(w) is w and np.all(w.data == 0)
    assert np.all(init.ones_(w).data == 1)
    assert np.all(init.constant_(w, 0.3).data == np.float32(0.3))
    assert w.dtype == np.float32


@pytest.mark.parametrize("fill,std", [
    (lambda w: init.xavier_uniform_(w), math.sqrt(2 / 500)),
    (lambda w: init.xavier_normal_(w, gain=2.0), 2 * math.sqrt(2 / 500)),
    (lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2 / 200)),
    (lambda w: init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2 / 200)),
    (lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 300)),
    (lambda w: init.normal_(w, 1.0, 0.01), 0.01),
    (lambda w: init.uniform_(w, -0.5, 0.5), 1 / math.sqrt(12)),
], ids=["xavier_u", "xavier_n", "he_u", "he_n", "he_fan_out", "normal", "uniform"])
def test_random_initializers_have_the_promised_spread(fill, std) -> None:
    w = fill(_weight())
    assert w.data.std() == pytest.approx(std, rel=0.03)  # 60k samples: std error ~0.3%


def test_uniform_bounds() -> None:
    w = init.xavier_uniform_(_weight())
    assert np.abs(w.data).max() <= math.sqrt(6 / 500)


def test_init_is_seeded() -> None:
    an.manual_seed(5)
    a = init.kaiming_normal_(_weight(4, 3)).data.copy()
    an.manual_seed(5)
    np.testing.assert_array_equal(a, init.kaiming_normal_(_weight(4, 3)).data)


def test_fans_need_two_dimensions() -> None:
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(nn.Parameter(np.zeros(5)))
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.zeros_(np.zeros(3))


# ---- orthogonal_ ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (4, 2, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape) -> None:
    an.manual_seed(0)
    w = init.orthogonal_(nn.Parameter(np.empty(shape)), gain=2.0)
    flat = w.data.reshape(shape[0], -1)
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_is_seeded_and_uniform() -> None:
    an.manual_seed(3)
    a = init.orthogonal_(_weight(4, 3)).data.copy()
    an.manual_seed(3)
    np.testing.assert_array_equal(a, init.orthogonal_(_weight(4, 3)).data)
    # Haar-uniform Q: every entry has mean 0 and variance 1/n. The sign fix by diag(R) matters
    # here: raw Householder QR of a Gaussian matrix gives Q[0, 0] a clearly nonzero mean.
    an.manual_seed(0)
    draws = np.array([init.orthogonal_(nn.Parameter(np.empty((3, 3)))).data for _ in range(3000)])
    assert np.abs(draws.mean(axis=0)).max() < 0.05  # std error sqrt(1/3 / 3000) ~ 0.011
    np.testing.assert_allclose((draws**2).mean(axis=0), np.full((3, 3), 1 / 3), atol=0.03)


def test_orthogonal_errors() -> None:
    with pytest.raises(ValueError, match=r"orthogonal_: needs a tensor with at least 2 dim"):
        init.orthogonal_(nn.Parameter(np.zeros(5)))


# ---- trunc_normal_ ---------------------------------------------------------------------------
def _phi(z: float) -> float:
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


@pytest.mark.parametrize("mean,std,a,b", [
    (0.0, 1.0, -2.0, 2.0),     # PyTorch's default
    (0.5, 0.02, 0.46, 0.6),    # bounds are absolute values, not multiples of std
    (0.0, 1.0, 9.0, 10.0),     # far in the upper tail (where the CDF rounds to 1)
    (0.0, 2.0, -30.0, -20.0),  # far in the lower tail
    (1.0, 1.0, -math.inf, 1.0),
])
def test_trunc_normal_matches_the_truncated_distribution(mean, std, a, b) -> None:
    an.manual_seed(0)
    w = init.trunc_normal_(nn.Parameter(np.empty((200, 200))), mean, std, a, b)
    x = w.data
    assert np.all((x >= a) & (x <= b))
    alpha, beta = (a - mean) / std, (b - mean) / std
    mass = _mass(alpha, beta)
    # moments of the truncated normal (with phi(+-inf) = 0)
    pa, pb = (_phi(alpha) if math.isfinite(alpha) else 0.0), _phi(beta)
    ta, tb = (alpha * pa if math.isfinite(alpha) else 0.0), beta * pb
    ratio = (pa - pb) / mass
    expected_mean = mean + std * ratio
    expected_std = std * math.sqrt(1 + (ta - tb) / mass - ratio**2)
    assert x.mean() == pytest.approx(expected_mean, abs=4 * expected_std / 200)
    assert x.std() == pytest.approx(expected_std, rel=0.03)
    # the empirical CDF at a point inside the interval
    mid = (a + b) / 2 if math.isfinite(a) else b - std
    expected_cdf = _mass(alpha, (mid - mean) / std) / mass
    assert np.mean(x <= mid) == pytest.approx(expected_cdf, abs=0.01)


def _mass(lo: float, hi: float) -> float:
    """P(lo < Z < hi), from the tail where the CDF keeps its precision."""
    if lo + hi > 0:
        return _cdf(-lo) - _cdf(-hi)
    return _cdf(hi) - _cdf(lo)


def test_trunc_normal_is_seeded_and_checks_arguments() -> None:
    an.manual_seed(1)
    a = init.trunc_normal_(_weight(4, 3), std=0.02).data.copy()
    an.manual_seed(1)
    np.testing.assert_array_equal(a, init.trunc_normal_(_weight(4, 3), std=0.02).data)
    with pytest.raises(ValueError, match="need std > 0 and a < b"):
        init.trunc_normal_(_weight(2, 2), a=1.0, b=-1.0)
