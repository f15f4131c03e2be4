"""softplus with PyTorch's beta and threshold, as a function and a module: against the formula
in float64 on drawn shapes (broadcasting, size-1 and 0-d), and its gradient against central
differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import autonet as an

F = an.nn.functional


def _reference(x, beta, threshold):
    if beta == 1.0 and threshold == 20.0:  # the defaults: the exact op, no switch to x
        return np.logaddexp(0.0, x)
    return np.where(beta * x > threshold, x, np.logaddexp(0.0, beta * x) / beta)


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float64, array_shapes(min_dims=0, max_dims=3, max_side=4),
                elements=st.floats(-40, 40)),
       beta=st.sampled_from([1.0, 0.5, 2.0, 3.0]), threshold=st.sampled_from([20.0, 1.0, 5.0]))
def test_softplus_beta_threshold_matches_the_formula_and_central_differences(x, beta, threshold):
    t = an.tensor(x, requires_grad=True)
    np.testing.assert_allclose(F.softplus(t, beta, threshold).numpy(),
                               _reference(x, beta, threshold), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(an.nn.Softplus(beta, threshold)(t).numpy(),
                               F.softplus(t, beta, threshold).numpy(), rtol=0, atol=0)
    # central differences away from the switch at beta x = threshold (a jump of < 2e-9 there)
    away = np.abs(beta * x - threshold) > 1e-3
    if away.all():
        assert an.gradcheck(lambda v: F.softplus(v, beta, threshold), [t])


@pytest.mark.parametrize("bad, error", [({"beta": 0}, ValueError), ({"beta": -1}, ValueError),
                                        ({"threshold": "20"}, TypeError)])
def test_softplus_settings_are_checked(bad, error):
    with pytest.raises(error, match="softplus"):
        F.softplus(an.ones(2), **bad)
    with pytest.raises(error, match="Softplus"):
        an.nn.Softplus(**bad)
