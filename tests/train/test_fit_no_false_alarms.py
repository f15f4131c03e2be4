"""fit()'s argument checks (issue 12) on healthy calls: nothing a correct program does is refused
(the refusals themselves are in test_fit_traps.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autonet as an


def _setup(seed=0, m=24):
    an.manual_seed(seed)
    model = an.nn.Sequential(an.nn.Linear(2, 4), an.nn.Tanh(), an.nn.Linear(4, 2))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, 2)).astype(np.float32)
    return model, (x, (x[:, 0] > 0).astype(np.int64))


@pytest.mark.parametrize("penalty", [{}, {"l1": 0}, {"l2": 0.0}, {"l2": np.float32(0.01)},
                                     {"l1": 1e-4, "l2": 1e-3}, {"l2": np.int64(0)}])
@pytest.mark.parametrize("batch_size", [1, 8, 24])
def test_healthy_penalties_and_batch_sizes_are_accepted(penalty, batch_size):
    model, data = _setup()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = an.fit(model, an.nn.CrossEntropyLoss(),
                         an.optim.SGD(model.parameters(), lr=0.1), data, epochs=1,
                         batch_size=batch_size, verbose=0, **penalty)
    assert np.isfinite(history["loss"][0])
    penalized = bool(penalty.get("l1") or penalty.get("l2"))  # numpy zeros count as none
    assert ("cost" in history.history) == penalized
    if penalized:  # the penalty was added, not dropped: cost = loss + penalty > loss
        assert history["cost"][0] > history["loss"][0]


@pytest.mark.parametrize("seed", [0, 1])
def test_optimizers_over_the_model_with_extras_or_groups_are_accepted(seed):
    model, data = _setup(seed)
    extra = an.nn.Parameter(np.zeros(2, np.float32))  # e.g. a temperature kept outside the model
    groups = [{"params": list(model[0].parameters()), "lr": 0.01},
              {"params": list(model[2].parameters()) + [extra]}]
    for optimizer in (an.optim.SGD([*model.parameters(), extra], lr=0.1),
                      an.optim.Adam(groups, lr=0.1)):
        before = model[2].weight.data.copy()
        an.fit(model, an.nn.CrossEntropyLoss(), optimizer, data, epochs=1, verbose=0)
        assert not np.array_equal(before, model[2].weight.data)  # it trained


def test_a_loss_function_not_a_class_is_accepted():
    # a function, a lambda and the Module train the same: the same losses, the same weights
    runs = []
    for loss_fn in (an.nn.CrossEntropyLoss(), an.nn.functional.cross_entropy,
                    lambda out, y: an.nn.functional.cross_entropy(out, y)):
        model, data = _setup()
        history = an.fit(model, loss_fn, an.optim.SGD(model.parameters(), lr=0.1), data,
                         epochs=2, verbose=0)
        runs.append((history["loss"], [p.data.copy() for p in model.parameters()]))
    (losses, weights), *others = runs
    for other_losses, other_weights in others:
        assert other_losses == losses
        assert all(np.array_equal(a, b) for a, b in zip(weights, other_weights))
