"""Class weights and ignore_index of cross_entropy / nll_loss (PyTorch's semantics): values from
the defining formulas, mean over the kept weight, zero gradient on ignored rows, gradcheck."""

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


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(1, keepdims=True))


def _cross_entropy_reference(logits, target, weight, ignore_index, smoothing, reduction):
    """From the definition: loss_i = (1 - eps) w_t (-log p_t) + eps / C sum_j w_j (-log p_j) for
    kept rows, 0 for ignored; 'mean' divides the sum by sum of w_t over kept rows."""
    n, c = logits.shape
    w = np.ones(c) if weight is None else weight
    log_p = _log_softmax(logits)
    per_row, total_weight = np.zeros(n), 0.0
    for i in range(n):
        if target[i] == ignore_index:
            continue
        t = target[i]
        per_row[i] = ((1 - smoothing) * -w[t] * log_p[i, t]
                      + smoothing / c * -(w * log_p[i]).sum())
        total_weight += w[t]
    if reduction == "none":
        return per_row
    if reduction == "sum":
        return per_row.sum()
    return per_row.sum() / total_weight


@st.composite
def _problems(draw):
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    ignore_index = draw(st.sampled_from([-100, 0, 7]))
    target = rng.integers(0, c, size=n)
    target[rng.random(n) < 0.3] = ignore_index
    valid = [k for k in range(c) if k != ignore_index]
    if valid:  # keep at least one row
        target[0] = valid[rng.integers(len(valid))]
    weight = draw(st.sampled_from([None, "random"]))
    weight = rng.uniform(0.2, 3.0, size=c) if weight else None
    return rng.standard_normal((n, c)) * 2, target, weight, ignore_index


@settings(max_examples=12)
@given(problem=_problems(), reduction=st.sampled_from(["mean", "sum", "none"]),
       smoothing=st.sampled_from([0.0, 0.15]))
def test_cross_entropy_with_weight_and_ignore_index(problem, reduction, smoothing) -> None:
    logits, target, weight, ignore_index = problem
    if reduction == "mean" and np.all(target == ignore_index):
        return  # the all-ignored mean (nan) has its own test

    def loss(z):
        return F.cross_entropy(z, target, weight, ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=smoothing)

    expected = _cross_entropy_reference(logits, target, weight, ignore_index, smoothing,
                                        reduction)
    np.testing.assert_allclose(loss(an.tensor(logits)).data, expected, rtol=1e-10, atol=1e-12)
    assert an.gradcheck(loss, [_t(logits)])
    assert an.gradgradcheck(loss, [_t(logits)])
    # nll_loss on log-probabilities is the same loss without smoothing
    nll = F.nll_loss(an.tensor(_log_softmax(logits)), target, weight, ignore_index=ignore_index,
                     reduction=reduction)
    np.testing.assert_allclose(nll.data, _cross_entropy_reference(
        logits, target, weight, ignore_index, 0.0, reduction), rtol=1e-10, atol=1e-12)
    assert an.gradcheck(lambda lp: F.nll_loss(lp, target, weight, ignore_index=ignore_index,
                                              reduction=reduction), [_t(_log_softmax(logits))])


def test_ignored_rows_get_exactly_zero_gradient_and_do_not_count_in_the_mean() -> None:
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((4, 3))
    target = np.array([2, -100, 0, -100])
    weight = np.array([0.5, 1.0, 2.0])
    for smoothing in (0.0, 0.2):
        z = _t(logits)
        F.cross_entropy(z, target, weight, label_smoothing=smoothing).backward()
        assert np.all(z.grad[[1, 3]] == 0.0) and np.all(z.grad[[0, 2]] != 0.0)
        # the mean is over the kept rows only, weighted: (w_2 l_0 + w_0 l_2) / (w_2 + w_0)
        kept = F.cross_entropy(an.tensor(logits[[0, 2]]), target[[0, 2]], weight,
                               reduction="sum", label_smoothing=smoothing)
        full = F.cross_entropy(an.tensor(logits), target, weight, label_smoothing=smoothing)
        np.testing.assert_allclose(full.item(), kept.item() / (2.0 + 0.5), rtol=1e-12)
    z = _t(logits)
    F.nll_loss(z, target, weight).backward()
    assert np.all(z.grad[[1, 3]] == 0.0)
    np.testing.assert_allclose(z.grad[0], [0, 0, -2.0 / 2.5])


def test_all_targets_ignored_gives_nan_mean_zero_sum_and_zero_gradient() -> None:
    target = np.array([-100, -100])
    for fn, kwargs in [(F.cross_entropy, {}), (F.cross_entropy, {"label_smoothing": 0.1}),
                       (F.nll_loss, {})]:
        z = _t(np.ones((2, 3)))
        loss = fn(z, target, **kwargs)
        assert np.isnan(loss.item())
        loss.backward()
        np.testing.assert_array_equal(z.grad, np.zeros((2, 3)))
        assert fn(_t(np.ones((2, 3))), target, reduction="sum", **kwargs).item() == 0.0


def test_uniform_weights_leave_the_mean_unchanged_and_scale_the_sum() -> None:
    rng = np.random.default_rng(5)
    logits, target = an.tensor(rng.standard_normal((5, 4))), rng.integers(0, 4, size=5)
    plain = F.cross_entropy(logits, target, label_smoothing=0.1)
    weighted = F.cross_entropy(logits, target, np.full(4, 3.0), label_smoothing=0.1)
    np.testing.assert_allclose(weighted.item(), plain.item(), rtol=1e-12)
    summed = F.cross_entropy(logits, target, np.full(4, 3.0), reduction="sum")
    np.testing.assert_allclose(summed.item(), 3 * 5 * F.cross_entropy(logits, target).item(),
                               rtol=1e-12)


def test_weighted_probability_targets_and_float32() -> None:
    rng = np.random.default_rng(1)
    logits, weight = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, 4)
    probs = rng.dirichlet(np.ones(4), size=3)
    expected = -(weight * probs * _log_softmax(logits)).sum(1).mean()
    out = F.cross_entropy(an.tensor(logits), probs, weight)
    np.testing.assert_allclose(out.item(), expected, rtol=1e-12)
    assert an.gradcheck(lambda z, p: F.cross_entropy(z, p, weight, label_smoothing=0.1),
                        [_t(logits), _t(probs)])
    x = an.tensor(logits.astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x, np.array([1, -100, 3]), weight, label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


def test_weighted_cross_entropy_is_stable_for_huge_logits() -> None:
    logits = an.tensor(np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], dtype=np.float32),
                       requires_grad=True)
    weight = np.array([2.0, 1.0, 1.0])
    loss = F.cross_entropy(logits, np.array([0, 0]), weight, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 2 * (1e4 + np.log(2))], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad, [[0, 0, 0], [-2, 1, 1]], atol=1e-6)


def test_errors_for_weight_and_targets() -> None:
    logits = an.zeros(3, 4)
    with pytest.raises(ValueError, match=r"weight must be a 1-D array of C = 4.*\(3,\)"):
        F.cross_entropy(logits, np.array([0, 1, 2]), np.ones(3))
    with pytest.raises(TypeError, match="reduction='sum' by keyword"):
        F.cross_entropy(logits, np.array([0, 1, 2]), "sum")
    with pytest.raises(ValueError, match=r"weight\.detach\(\)"):
        F.nll_loss(logits, np.array([0, 1, 2]), an.ones(4, requires_grad=True))
    with pytest.raises(ValueError, match="class index -1 is out of range.*ignore_index=-100"):
        F.cross_entropy(logits, np.array([0, -1, -100]))
    F.cross_entropy(logits, np.array([0, -1, 2]), ignore_index=-1)  # -1 is the skip marker


def test_modules_take_weight_and_ignore_index() -> None:
    rng = np.random.default_rng(2)
    logits, target = an.tensor(rng.standard_normal((4, 3))), np.array([1, 0, 2, 1])
    weight = np.array([1.0, 2.0, 0.5])
    module = nn.CrossEntropyLoss(weight, ignore_index=1, label_smoothing=0.1, reduction="sum")
    np.testing.assert_allclose(
        module(logits, target).item(),
        _cross_entropy_reference(logits.data, target, weight, 1, 0.1, "sum"), rtol=1e-12)
    assert "weight" in module.state_dict()
    np.testing.assert_array_equal(module.state_dict()["weight"], weight)
    nll = nn.NLLLoss(weight=weight, ignore_index=2)
    np.testing.assert_allclose(nll(logits, target).item(),
                               F.nll_loss(logits, target, weight, ignore_index=2).item())
    assert nn.NLLLoss().weight is None and "weight" not in nn.NLLLoss().state_dict()


# ---- binary cross-entropy: pos_weight and weight -------------------------------------------
def _bce_reference(x, t, weight, pos_weight, reduction):
    """The definition: -w [p t log s(x) + (1 - t) log(1 - s(x))] (moderate x only)."""
    s = 1 / (1 + np.exp(-x))
    loss = -weight * (pos_weight * t * np.log(s) + (1 - t) * np.log(1 - s))
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](loss)


@settings(max_examples=8)
@given(n=st.integers(1, 4), c=st.integers(1, 3), reduction=st.sampled_from(["mean", "sum", "none"]),
       seed=st.integers(0, 2**16))
def test_bce_with_logits_pos_weight_and_weight(n, c, reduction, seed) -> None:
    rng = np.random.default_rng(seed)
    x, t = rng.uniform(-3, 3, (n, c)), rng.uniform(0, 1, (n, c))
    pos_weight, weight = rng.uniform(0.2, 4.0, c), rng.uniform(0.1, 2.0, (n, c))
    out = F.binary_cross_entropy_with_logits(an.tensor(x), t, weight, reduction,
                                             pos_weight=pos_weight)
    np.testing.assert_allclose(out.data, _bce_reference(x, t, weight, pos_weight, reduction),
                               rtol=1e-10)
    # gradients with respect to logits, targets and pos_weight, all against central differences
    assert an.gradcheck(lambda z, y, p: F.binary_cross_entropy_with_logits(
        z, y, weight, reduction, pos_weight=p), [_t(x), _t(t), _t(pos_weight)])
    same = F.binary_cross_entropy_with_logits(an.tensor(x), t, pos_weight=np.ones(c))
    np.testing.assert_allclose(same.item(), F.binary_cross_entropy_with_logits(
        an.tensor(x), t).item(), rtol=1e-12)


def test_bce_with_logits_pos_weight_is_stable_for_huge_logits() -> None:
    x = an.tensor(np.array([1e4, -1e4, 50.0, -50.0], dtype=np.float32), requires_grad=True)
    t = np.array([0, 1, 1, 0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none", pos_weight=np.array([3.0]))
    # (1 - t) x + (1 + (p - 1) t) softplus(-x)
    np.testing.assert_allclose(loss.data, [1e4, 3e4, 0.0, 0.0], atol=1e-5)
    assert loss.dtype == np.float32
    loss.sum().backward()
    # d/dx = (1 - t) - (1 + (p - 1) t) sigmoid(-x)
    np.testing.assert_allclose(x.grad, [1.0, -3.0, 0.0, 0.0], atol=1e-6)


def test_bce_modules_take_weight_and_pos_weight() -> None:
    rng = np.random.default_rng(4)
    x, t = rng.uniform(-2, 2, (3, 2)), rng.integers(0, 2, (3, 2)).astype(float)
    weight, pos_weight = np.array([0.5, 2.0]), np.array([3.0, 0.5])
    module = nn.BCEWithLogitsLoss(weight, pos_weight=pos_weight, reduction="sum")
    np.testing.assert_allclose(module(an.tensor(x), t).item(),
                               _bce_reference(x, t, weight, pos_weight, "sum"), rtol=1e-12)
    assert set(module.state_dict()) == {"weight", "pos_weight"}
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(nn.BCELoss(weight=weight)(an.tensor(p), t).item(),
                               _bce_reference(x, t, weight, 1.0, "mean"), rtol=1e-10)
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\) does not broadcast"
                                         r".*\(3, 2\)"):
        F.binary_cross_entropy_with_logits(an.tensor(x), t, pos_weight=np.ones(3))
    with pytest.raises(TypeError, match="reduction='sum' by keyword"):
        nn.BCELoss("sum")
