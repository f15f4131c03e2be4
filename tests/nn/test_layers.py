"""Layers and activations: forward against numpy, gradcheck (float64) over drawn shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autonet as an
from autonet import nn
from autonet.nn import functional as F
from autonet.nn.utils import functional_call

sizes = st.integers(1, 4)


def _t(array: np.ndarray, grad: bool = True) -> an.Tensor:
    return an.tensor(array, requires_grad=grad)


@settings(max_examples=10)
@given(batch=st.lists(sizes, min_size=0, max_size=2), n_in=sizes, n_out=sizes,
       bias=st.booleans(), seed=st.integers(0, 2**16))
def test_linear_matches_numpy_and_gradchecks(batch, n_in, n_out, bias, seed) -> None:
    rng = np.random.default_rng(seed)
    layer = nn.Linear(n_in, n_out, bias=bias, dtype=np.float64)
    assert layer.weight.shape == (n_out, n_in)  # W[l]: (n[l], n[l-1])
    x = rng.standard_normal((*batch, n_in))
    expected = x @ layer.weight.data.T + (layer.bias.data if bias else 0)
    np.testing.assert_allclose(layer(an.tensor(x)).data, expected, rtol=1e-12)

    names = [n for n, _ in layer.named_parameters()]

    def fn(x, *params):
        return functional_call(layer, dict(zip(names, params)), x)

    an.gradcheck(fn, [_t(x), *(_t(p.data) for p in layer.parameters())])


def test_linear_1d_input_and_errors() -> None:
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = _t(np.arange(3.0))
    an.gradcheck(lambda x, w, b: F.linear(x, w, b), [x, _t(layer.weight.data), _t(layer.bias.data)])
    with pytest.raises(ValueError, match=r"input of shape \(4, 5\).*weight of shape \(2, 3\)"):
        layer(an.randn(4, 5))
    with pytest.raises(ValueError, match="positive integer"):
        nn.Linear(0, 3)
    assert repr(nn.Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)"


@pytest.mark.parametrize("wrap", [an.tensor, np.asarray, lambda a: np.asarray(a).tolist()],
                         ids=["tensor", "array", "list"])
def test_functional_linear_checks_shapes_of_tensors_arrays_and_lists(wrap) -> None:
    x, w, b = np.ones((4, 3)), np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0])
    np.testing.assert_allclose(F.linear(wrap(x), wrap(w), wrap(b)).data, x @ w.T + b)
    np.testing.assert_allclose(F.linear(wrap(x), wrap(w)).data, x @ w.T)
    with pytest.raises(ValueError, match=r"input of shape \(4, 2\) does not fit weight of shape "
                                         r"\(2, 3\).*must be 3"):
        F.linear(wrap(np.ones((4, 2))), wrap(w), wrap(b))
    with pytest.raises(ValueError, match=r"input of shape \(\) .*weight of shape \(6,\)"):
        F.linear(wrap(np.float64(1.0)), wrap(w.ravel()))
    with pytest.raises(ValueError, match=r"bias of shape \(3,\) does not fit weight of shape "
                                         r"\(2, 3\); it needs shape \(2,\)"):
        F.linear(wrap(x), wrap(w), wrap(np.ones(3)))


def test_linear_default_init_bounds() -> None:
    layer = nn.Linear(400, 50)
    bound = 1 / math.sqrt(400)
    assert layer.weight.dtype == np.float32
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    # uniform on [-bound, bound] has std bound / sqrt(3)
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.05 * bound


ACTIVATIONS = [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(1.5), lambda x: np.where(x > 0, x, 1.5 * (np.exp(x) - 1))),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.Softmax(axis=-1), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (nn.LogSoftmax(axis=0), lambda x: x - np.log(np.exp(x).sum(0, keepdims=True))),
]


@pytest.mark.parametrize("module,reference", ACTIVATIONS, ids=lambda a: type(a).__name__)
@settings(max_examples=5)
@given(shape=st.lists(sizes, min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_activation_modules(module, reference, shape, seed) -> None:
    rng = np.random.default_rng(seed)
    # keep away from the kinks at 0 (relu, leaky_relu, elu)
    x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)
    np.testing.assert_allclose(module(an.tensor(x)).data, reference(x), rtol=1e-10, atol=1e-12)
    an.gradcheck(module, [_t(x)])


def test_functional_activations_alias_the_ops() -> None:
    x = an.tensor([-1.0, 2.0])
    np.testing.assert_allclose(F.leaky_relu(x, 0.1).data, [-0.1, 2.0])
    np.testing.assert_allclose(F.elu(x).data, [np.expm1(-1.0), 2.0], rtol=1e-6)
    np.testing.assert_allclose(F.softmax(x).data.sum(), 1.0, rtol=1e-6)
    assert F.relu is an.relu and F.tanh is an.tanh and F.sigmoid is an.sigmoid


def test_identity_and_flatten() -> None:
    x = an.randn(2, 3, 4, requires_grad=True)
    assert nn.Identity()(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    an.gradcheck(nn.Flatten(), [_t(np.random.default_rng(0).standard_normal((2, 3, 2)))])
    with pytest.raises(ValueError, match="cannot flatten"):
        nn.Flatten(2, 1)(x)


def test_dropout_inverted_scaling_and_eval_identity() -> None:
    an.manual_seed(1)
    layer = nn.Dropout(0.25)
    x = an.ones(200, 100)
    out = layer(x).data
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)  # survivors scaled by 1/(1-p)
    assert abs(kept.mean() - 0.75) < 0.01
    assert abs(out.mean() - 1.0) < 0.02  # expectation unchanged
    layer.eval()
    assert layer(x) is x
    assert np.all(nn.Dropout(1.0)(x).data == 0)
    with pytest.raises(ValueError,
                       match=r"^Dropout: p must be a finite number in \[0, 1\], got 1.5$"):
        nn.Dropout(1.5)


def test_dropout_gradient_uses_the_same_mask() -> None:
    x = an.randn(50, 4, requires_grad=True)
    out = F.dropout(x, 0.5)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, (out.data != 0) * 2.0)


def test_dropout_is_reproducible_with_manual_seed() -> None:
    an.manual_seed(7)
    a = F.dropout(an.ones(10), 0.5).data
    an.manual_seed(7)
    b = F.dropout(an.ones(10), 0.5).data
    np.testing.assert_array_equal(a, b)
