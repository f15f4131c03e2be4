"""fit() traps: silent no-op training, negative penalties, loss classes; the per-batch hook and
what History's loss means with a penalty; one penalty implementation."""

from __future__ import annotations

import numpy as np
import pytest

import autonet as an
from autonet.nn.functional import l2_penalty, weight_penalty


def _data(m=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, 2)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def _model(seed=0):
    an.manual_seed(seed)
    return an.nn.Sequential(an.nn.Linear(2, 8), an.nn.Tanh(), an.nn.Linear(8, 2))


def test_an_optimizer_over_another_models_parameters_is_refused():
    model, other = _model(0), _model(1)
    with pytest.raises(ValueError, match=r"none of which belongs.*model\.parameters\(\)"):
        an.fit(model, an.nn.CrossEntropyLoss(), an.optim.SGD(other.parameters(), lr=0.1),
               _data(), epochs=1, verbose=0)
    # a part of the model (fine-tuning one layer) is fine
    an.fit(model, an.nn.CrossEntropyLoss(), an.optim.SGD(model[2].parameters(), lr=0.1),
           _data(), epochs=1, verbose=0)


@pytest.mark.parametrize("penalty", [{"l1": -0.1}, {"l2": -1}, {"l2": float("nan")},
                                     {"l1": "0.1"}, {"l2": True}])
def test_negative_or_non_numeric_penalties_are_refused(penalty):
    model = _model()
    with pytest.raises((ValueError, TypeError), match=">= 0"):  # TypeError for a str, a bool
        an.fit(model, an.nn.CrossEntropyLoss(), an.optim.SGD(model.parameters(), lr=0.1),
               _data(), epochs=1, verbose=0, **penalty)


def test_a_loss_class_asks_to_be_instantiated():
    model = _model()
    with pytest.raises(TypeError, match=r"CrossEntropyLoss\(\)"):
        an.fit(model, an.nn.CrossEntropyLoss, an.optim.SGD(model.parameters(), lr=0.1),
               _data(), epochs=1, verbose=0)


def test_on_batch_end_sees_every_step_and_batch_losses_records_them():
    model = _model()
    seen = []

    class Spy(an.train.Callback):
        def on_batch_end(self, state, batch, loss):
            seen.append((state.epoch, batch, loss))

    per_batch = an.train.BatchLosses()
    history = an.fit(model, an.nn.CrossEntropyLoss(), an.optim.SGD(model.parameters(), lr=0.1),
                     _data(40), epochs=3, batch_size=16, verbose=0, callbacks=[Spy(), per_batch])
    assert [(e, b) for e, b, _ in seen] == [(e, b) for e in range(3) for b in (1, 2, 3)]
    assert per_batch.losses == [loss for _, _, loss in seen]
    assert per_batch.epochs == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    # the epoch's loss is the size-weighted mean of its batch losses (16, 16, 8 examples)
    first = np.average(per_batch.losses[:3], weights=[16, 16, 8])
    assert history["loss"][0] == pytest.approx(first, rel=1e-6)


def test_history_keeps_the_data_loss_and_the_penalized_cost_apart():
    x, y = _data(32)
    model = _model()
    per_batch = an.train.BatchLosses()
    history = an.fit(model, an.nn.CrossEntropyLoss(), an.optim.SGD(model.parameters(), lr=0.0),
                     (x, y), epochs=1, batch_size=32, l2=0.5, verbose=0, callbacks=[per_batch])
    assert history.cost_key == "cost"
    data_loss = an.nn.functional.cross_entropy(model(an.tensor(x)), y).item()
    weights = [p for p in model.parameters() if p.ndim >= 2]
    penalty = 0.25 * sum(float((w.data ** 2).sum()) for w in weights)
    assert history["loss"][0] == pytest.approx(data_loss, rel=1e-5)
    assert history["cost"][0] == pytest.approx(data_loss + penalty, rel=1e-5)
    assert per_batch.losses[0] == pytest.approx(data_loss + penalty, rel=1e-5)


def test_without_penalty_there_is_no_cost_column():
    model = _model()
    history = an.fit(model, an.nn.CrossEntropyLoss(), an.optim.SGD(model.parameters(), lr=0.1),
                     _data(), epochs=1, verbose=0)
    assert history.cost_key == "loss" and "cost" not in history


@pytest.mark.parametrize("seed", [0, 1])
def test_fit_and_the_functional_penalty_are_one_formula(seed):
    """fit(l2=lambd/m) takes exactly the course's step: gradient of J = loss + lambd/(2m) sum W^2,
    written out here with l2_penalty; and weight_penalty is that formula."""
    x, y = _data(16, seed)
    lambd, m = 0.7, 16
    model, twin = _model(seed), _model(seed)
    an.fit(model, an.nn.CrossEntropyLoss(), an.optim.SGD(model.parameters(), lr=0.1), (x, y),
           epochs=1, batch_size=m, shuffle=False, l2=lambd / m, verbose=0)
    opt = an.optim.SGD(twin.parameters(), lr=0.1)
    weights = [p for p in twin.parameters() if p.ndim >= 2]
    cost = an.nn.functional.cross_entropy(twin(an.tensor(x)), y) \
        + lambd / (2 * m) * l2_penalty(weights)
    cost.backward()
    opt.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-5, atol=1e-7)
    w = an.tensor(np.random.default_rng(seed).normal(size=(3, 4)), requires_grad=True)
    expected = 0.3 * np.abs(w.data).sum() + 0.2 / 2 * (w.data ** 2).sum()
    assert weight_penalty([w], l1=0.3, l2=0.2).item() == pytest.approx(expected)
    assert weight_penalty([w]) is None
    with pytest.raises(ValueError, match=">= 0"):
        weight_penalty([w], l2=-1.0)
