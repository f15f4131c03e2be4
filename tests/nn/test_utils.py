"""Gradient clipping and functional_call."""

from __future__ import annotations

import numpy as np
import pytest

import autonet as an
from autonet import nn
from autonet.nn.utils import clip_grad_norm_, clip_grad_value_, functional_call


def _params_with_grads(*grads) -> list[nn.Parameter]:
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros(len(g)))
        p.grad = np.array(g, dtype=np.float64)
        params.append(p)
    return params


def test_clip_grad_norm_scales_jointly() -> None:
    a, b = _params_with_grads([3.0, 0.0], [0.0, 4.0])
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)
    joint = np.sqrt((a.grad**2).sum() + (b.grad**2).sum())
    assert joint == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(a.grad, [0.6, 0.0], rtol=1e-5)  # direction kept
    np.testing.assert_allclose(b.grad, [0.0, 0.8], rtol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_skips_none() -> None:
    a, b = _params_with_grads([0.3, 0.4], [0.0])
    c = nn.Parameter(np.zeros(2))  # no grad
    assert clip_grad_norm_([a, b, c], max_norm=10.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(a.grad, [0.3, 0.4])
    (d,) = _params_with_grads([-7.0, 2.0])
    assert clip_grad_norm_(d, 1.0, norm_type=np.inf) == 7.0
    np.testing.assert_allclose(np.abs(d.grad).max(), 1.0, rtol=1e-5)


def test_clip_grad_norm_nonfinite() -> None:
    (a,) = _params_with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="NaN or Inf"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)


def test_clip_grad_value() -> None:
    a, b = _params_with_grads([-3.0, 0.5], [2.0])
    clip_grad_value_([a, b], 1.0)
    np.testing.assert_array_equal(a.grad, [-1.0, 0.5])
    np.testing.assert_array_equal(b.grad, [1.0])
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_([a], -1)


def test_functional_call_swaps_and_restores() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    original = model[0].weight
    w = an.zeros(2, 2, requires_grad=True)
    out = functional_call(model, {"0.weight": w}, an.ones(1, 2))
    np.testing.assert_allclose(out.data, np.tanh(model[0].bias.data)[None], rtol=1e-6)
    assert model[0].weight is original
    with pytest.raises(KeyError, match="no parameter '1.weight'"):
        functional_call(model, {"1.weight": w}, an.ones(1, 2))
    assert model[0].weight is original


def test_clip_grad_norm_makes_no_gradient_sized_temporaries() -> None:
    import tracemalloc

    p = nn.Parameter(np.zeros(100_000, dtype=np.float32))
    p.grad = np.full(p.shape, 0.01, dtype=np.float32)
    tracemalloc.start()
    try:
        norm = nn.utils.clip_grad_norm_([p], max_norm=1.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert norm == pytest.approx(0.01 * np.sqrt(100_000), rel=1e-5)
    assert peak < p.grad.nbytes // 4
