"""Losses: values against numpy formulas, reductions, gradcheck, stability, input validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autonet as an
from autonet import nn
from autonet.nn import functional as F


def _t(array, grad: bool = True) -> an.Tensor:
    return an.tensor(np.asarray(array, dtype=np.float64), requires_grad=grad)


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](values)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    return x - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) \
        - x.max(1, keepdims=True)


REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)


@settings(max_examples=8)
@given(shape=shapes, reduction=REDUCTIONS, seed=st.integers(0, 2**16))
def test_regression_losses(shape, reduction, seed) -> None:
    rng = np.random.default_rng(seed)
    x, t = rng.standard_normal(shape), rng.standard_normal(shape)
    # keep |x - t| away from the kinks of l1 (0) and huber (delta)
    x = np.where(np.abs(np.abs(x - t) - 0.7) < 0.05, x + 0.2, x)
    x = np.where(np.abs(x - t) < 0.05, x + 0.2, x)
    d = x - t
    cases = [
        (F.mse_loss, {}, d**2),
        (F.l1_loss, {}, np.abs(d)),
        (F.huber_loss, {"delta": 0.7},
         np.where(np.abs(d) <= 0.7, 0.5 * d**2, 0.7 * (np.abs(d) - 0.35))),
    ]
    for fn, kwargs, values in cases:
        out = fn(an.tensor(x), an.tensor(t), reduction=reduction, **kwargs)
        np.testing.assert_allclose(out.data, _reduce(values, reduction), rtol=1e-10)
        an.gradcheck(lambda a, b, fn=fn, kwargs=kwargs: fn(a, b, reduction=reduction, **kwargs),
                     [_t(x), _t(t)])


@settings(max_examples=8)
@given(n=st.integers(1, 5), c=st.integers(1, 5), reduction=REDUCTIONS,
       smoothing=st.sampled_from([0.0, 0.1]), seed=st.integers(0, 2**16))
def test_cross_entropy_with_class_indices(n, c, reduction, smoothing, seed) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c)) * 2
    target = rng.integers(0, c, size=n)
    soft = np.eye(c)[target] * (1 - smoothing) + smoothing / c
    expected = -(soft * _log_softmax(logits)).sum(1)
    out = F.cross_entropy(an.tensor(logits), target, reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(out.data, _reduce(expected, reduction), rtol=1e-10, atol=1e-12)
    def loss(z):
        return F.cross_entropy(z, target, reduction=reduction, label_smoothing=smoothing)

    an.gradcheck(loss, [_t(logits)])
    an.gradgradcheck(loss, [_t(logits)])


@settings(max_examples=6)
@given(n=st.integers(1, 4), c=st.integers(2, 4), smoothing=st.sampled_from([0.0, 0.2]),
       seed=st.integers(0, 2**16))
def test_cross_entropy_with_probabilities_matches_indices_for_one_hot(n, c, smoothing,
                                                                      seed) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c))
    target = rng.integers(0, c, size=n)
    by_index = F.cross_entropy(an.tensor(logits), target, label_smoothing=smoothing)
    by_probs = F.cross_entropy(an.tensor(logits), np.eye(c)[target], label_smoothing=smoothing)
    np.testing.assert_allclose(by_index.data, by_probs.data, rtol=1e-10)
    probs = rng.dirichlet(np.ones(c), size=n)
    an.gradcheck(lambda z, p: F.cross_entropy(z, p, label_smoothing=smoothing),
                 [_t(logits), _t(probs)])


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    for dtype in (np.float32, np.float64):
        logits = an.tensor(np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], dtype=dtype),
                           requires_grad=True)
        loss = F.cross_entropy(logits, np.array([0, 0]), reduction="none")
        np.testing.assert_allclose(loss.data, [0.0, 1e4 + np.log(2)], rtol=1e-6)
        loss.sum().backward()
        assert np.all(np.isfinite(logits.grad))
        np.testing.assert_allclose(logits.grad, [[0, 0, 0], [-1, 0.5, 0.5]], atol=1e-6)


def test_nll_loss_after_log_softmax_equals_cross_entropy() -> None:
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    a = F.nll_loss(F.log_softmax(an.tensor(logits), axis=1), target)
    b = F.cross_entropy(an.tensor(logits), target)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-12)
    an.gradcheck(lambda z: F.nll_loss(z, target, reduction="sum"), [_t(logits)])
    with pytest.raises(TypeError, match="integer class indices"):
        F.nll_loss(an.tensor(logits), target.astype(float))


@settings(max_examples=8)
@given(shape=shapes, reduction=REDUCTIONS, seed=st.integers(0, 2**16))
def test_binary_cross_entropy_forms_agree(shape, reduction, seed) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal(shape) * 2
    target = rng.uniform(0, 1, size=shape)
    p = 1 / (1 + np.exp(-logits))
    expected = _reduce(-(target * np.log(p) + (1 - target) * np.log(1 - p)), reduction)
    with_logits = F.binary_cross_entropy_with_logits(an.tensor(logits), target,
                                                     reduction=reduction)
    on_probs = F.binary_cross_entropy(an.tensor(p), target, reduction=reduction)
    np.testing.assert_allclose(with_logits.data, expected, rtol=1e-9)
    np.testing.assert_allclose(on_probs.data, expected, rtol=1e-9)
    an.gradcheck(lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction=reduction),
                 [_t(logits), _t(target)])
    an.gradcheck(lambda q, t: F.binary_cross_entropy(q, t, reduction=reduction),
                 [_t(p), _t(target)])


def test_binary_cross_entropy_with_logits_is_stable_and_takes_integer_labels() -> None:
    x = an.tensor(np.array([1e4, -1e4, 50.0, -50.0], dtype=np.float32), requires_grad=True)
    y = np.array([0, 1, 1, 0])  # integer labels become floats
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.data, [1e4, 1e4, 0.0, 0.0], atol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, -1.0, 0.0, 0.0], atol=1e-6)
    weighted = F.binary_cross_entropy_with_logits(x, y, weight=np.array([1.0, 0, 0, 0]),
                                                  reduction="sum")
    np.testing.assert_allclose(weighted.item(), 1e4)


def test_binary_cross_entropy_clamps_log_at_saturation() -> None:
    p = an.tensor([0.0, 1.0, 0.5], dtype=np.float64, requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0, np.log(2)])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*sigmoid"):
        F.binary_cross_entropy(an.tensor([1.5]), an.tensor([1.0]))


def test_multi_label_classification_uses_one_logit_per_label() -> None:
    logits = an.tensor([[2.0, -1.0, 0.5]], requires_grad=True)
    labels = an.tensor([[1.0, 0.0, 1.0]])
    loss = nn.BCEWithLogitsLoss()(logits, labels)
    per_label = [np.log1p(np.exp(-2.0)), np.log1p(np.exp(-1.0)), np.log1p(np.exp(-0.5))]
    np.testing.assert_allclose(loss.item(), np.mean(per_label), rtol=1e-6)


def test_errors_name_shapes_and_fixes() -> None:
    with pytest.raises(ValueError, match=r"input has shape \(4, 1\) but target has shape \(4,\)"
                                         r".*reshape"):
        F.mse_loss(an.zeros(4, 1), an.zeros(4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.l1_loss(an.zeros(2), an.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    logits = an.zeros(3, 4)
    with pytest.raises(ValueError, match="class index 4 is out of range for 4 classes"):
        F.cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="class index -1 is out of range"):
        F.cross_entropy(logits, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"shape \(N,\) = \(3,\)"):
        F.cross_entropy(logits, np.array([[0], [1], [2]]))
    with pytest.raises(ValueError, match=r"float targets are class probabilities.*\(3, 4\)"
                                         r".*astype"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C\)"):
        F.cross_entropy(an.zeros(4), np.array([1]))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(logits, np.array([0, 1, 2]), label_smoothing=1.0)


def test_loss_modules_wrap_the_functions() -> None:
    rng = np.random.default_rng(0)
    logits, target = an.tensor(rng.standard_normal((3, 4))), np.array([1, 0, 3])
    np.testing.assert_allclose(nn.CrossEntropyLoss(label_smoothing=0.1)(logits, target).data,
                               F.cross_entropy(logits, target, label_smoothing=0.1).data)
    np.testing.assert_allclose(nn.NLLLoss(reduction="sum")(logits, target).data,
                               F.nll_loss(logits, target, reduction="sum").data)
    x, y = an.tensor([0.2, 0.7]), an.tensor([0.0, 1.0])
    for module, fn in [(nn.MSELoss(), F.mse_loss), (nn.L1Loss(), F.l1_loss),
                       (nn.HuberLoss(delta=0.5), lambda a, b: F.huber_loss(a, b, delta=0.5)),
                       (nn.BCELoss(), F.binary_cross_entropy)]:
        np.testing.assert_allclose(module(x, y).data, fn(x, y).data)
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_penalties() -> None:
    w1, w2 = _t([[1.0, -2.0]]), _t([3.0])
    assert F.l1_penalty([w1, w2]).item() == pytest.approx(6.0)
    assert F.l2_penalty([w1, w2]).item() == pytest.approx(14.0)
    assert F.elastic_net_penalty([w1, w2], l1=0.1, l2=0.5).item() == pytest.approx(7.6)
    an.gradcheck(lambda a, b: F.elastic_net_penalty([a, b], 0.3, 0.7), [w1, w2])
    model = nn.Linear(3, 2)
    expected = sum(float((p.data.astype(np.float64) ** 2).sum()) for p in model.parameters())
    assert F.l2_penalty(model.parameters()).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="no parameters"):
        F.l2_penalty([])


@settings(max_examples=10)
@given(n=st.integers(1, 6), c=st.integers(1, 5), reduction=REDUCTIONS,
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_cross_entropy_kept_softmax_is_the_rules_own(n, c, reduction, dtype, seed) -> None:
    # The recorded forward keeps its softmax for the rule (Primitive keeping=); the loss and the
    # gradient must be those of the plain forward and of the rule computing the softmax itself,
    # bit for bit, and a second backward (retain_graph) must not see a softmax the first changed.
    from autonet.ops.fused import softmax_cross_entropy
    from autonet.ops.namespace import NUMPY

    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((n, c)) * 3).astype(dtype)
    target = rng.integers(0, c, size=n)
    z = an.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, target, reduction=reduction)
    with an.no_grad():
        plain = F.cross_entropy(an.tensor(logits), target, reduction=reduction)
    np.testing.assert_array_equal(loss.data, plain.data)
    node = loss._node
    while node.primitive is not softmax_cross_entropy:  # 'sum' adds a node above it
        node = node.parents[0]._node
    assert node.out is not None  # the kept softmax
    g = np.ones_like(node.primitive.forward(logits, target, **node.attrs))
    rule = softmax_cross_entropy.rule(0)
    kept = rule(NUMPY, g, node.out, logits, target, **node.attrs)
    computed = rule(NUMPY, g, None, logits, target, **node.attrs)
    np.testing.assert_array_equal(kept, computed)
    seed_grad = None if loss.data.size == 1 else np.ones_like(loss.data)
    loss.backward(seed_grad, retain_graph=True)
    first = z.grad.copy()
    loss.backward(seed_grad)
    np.testing.assert_array_equal(z.grad, first + first)
