"""erf's accuracy (numpy has no erf: ops/normalization.py evaluates Cody's rational
approximations) and the edges of the normalization and activation primitives that the op table
does not draw."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autonet as an
from autonet.ops.normalization import normalize

_math_erf = np.vectorize(math.erf, otypes=[np.float64])


def test_erf_matches_math_erf_to_a_few_ulps_over_every_range() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-8, 8, 20001), rng.normal(0, 3, 5000),
                        np.geomspace(1e-300, 30, 2000), -np.geomspace(1e-300, 30, 2000),
                        [0.46875, np.nextafter(0.46875, 1), 4.0, np.nextafter(4.0, 5)]])
    got, expected = an.erf(x).data, _math_erf(x)
    relative = np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)
    assert relative.max() < 2e-15
    # near 0.5..6 erf is close to 1: 1 - erf(x) keeps its absolute accuracy
    tail = np.linspace(0.5, 6, 1000)
    np.testing.assert_allclose(1 - an.erf(tail).data, 1 - _math_erf(tail), rtol=0, atol=4e-16)


def test_erf_edges_and_dtypes() -> None:
    out = an.erf(np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 40.0])).data
    np.testing.assert_array_equal(out[[0, 1, 3, 5]], [1.0, -1.0, 0.0, 1.0])
    assert np.isnan(out[2])
    assert an.erf(np.float32([0.3, 2.0])).dtype == np.float32
    assert an.erf(np.arange(3)).dtype == np.float64
    assert an.erf(np.zeros((0, 2))).shape == (0, 2)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_rejects_an_unknown_approximation_and_keeps_float32(approximate: str) -> None:
    x = an.tensor(np.linspace(-3, 3, 7, dtype=np.float32), requires_grad=True)
    y = an.gelu(x, approximate=approximate)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    with pytest.raises(ValueError, match="approximate must be 'none'.*or 'tanh', got 'exact'"):
        an.gelu(x, approximate="exact")


def test_normalize_of_a_constant_slice_is_zero_and_its_gradient_is_finite() -> None:
    # near a constant slice y = (x - mean) / sqrt(eps): the gradient is (g - mean g) / sqrt(eps)
    x = an.tensor(np.full((2, 3), 5.0), requires_grad=True)
    y = normalize(x, axis=(1,), eps=1e-2)
    g = np.arange(6.0).reshape(2, 3)
    (y * an.tensor(g)).sum().backward()
    np.testing.assert_array_equal(y.data, 0.0)
    np.testing.assert_allclose(x.grad, (g - g.mean(axis=1, keepdims=True)) / 0.1, rtol=1e-12)


def test_gelu_gradient_at_zero_and_in_the_tails() -> None:
    # the rule reads Phi(x) back as y / x: x = 0 and underflowing tails need their own care
    x = np.array([0.0, -0.0, 1e-300, -1e-300, -40.0, -8.0, 3.0, 40.0])
    t = an.tensor(x, requires_grad=True)
    an.gelu(t).sum().backward()
    phi = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    expected = 0.5 * (1 + _math_erf(x / math.sqrt(2))) + x * phi
    np.testing.assert_allclose(t.grad, expected, rtol=1e-12, atol=1e-300)
