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
