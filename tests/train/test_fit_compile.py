"""fit(compile=True): the training and validation steps go through an.compile and the run equals
the eager one bit for bit (losses, accuracies, parameters), replays included."""

import numpy as np
import pytest

import autonet as an
from autonet import nn, optim
from autonet.data import DataLoader, TensorDataset, flower, standardize
from autonet.train import Callback, fit


class Grab(Callback):
    """Keeps what fit exposes of the compiled steps, and every batch's loss."""

    def __init__(self):
        self.compiled, self.losses = "unset", []

    def on_batch_end(self, state, batch, loss):
        self.losses.append(loss)

    def on_train_end(self, state):
        self.compiled = state.compiled


def _run(compile, dropout=0.3, l2=0.0, optimizer=optim.Adam, epochs=3):
    x, y = flower(94, seed=0)
    (x,) = standardize(x)
    an.manual_seed(5)
    model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Dropout(dropout), nn.Linear(12, 8),
                          nn.ReLU(), nn.Dropout(dropout), nn.Linear(8, 2))
    opt = optimizer(model.parameters(), lr=0.05)
    # 70 training samples in batches of 16: four full batches and a partial one of 6; the
    # validation loader's partial batch (24 = 16 + 8) is a second eval trace
    val = DataLoader(TensorDataset(x[70:], y[70:]), batch_size=16)
    grab = Grab()
    history = fit(model, nn.CrossEntropyLoss(), opt, (x[:70], y[:70]), epochs=epochs,
                  val_data=val, batch_size=16, seed=3, l2=l2, verbose=0, callbacks=[grab],
                  compile=compile)
    return history, [p.data.copy() for p in model.parameters()], grab


@pytest.mark.parametrize("l2", [0.0, 0.01])
@pytest.mark.parametrize("optimizer", [optim.SGD, optim.Adam])
def test_compiled_fit_equals_eager_bit_for_bit(l2, optimizer):
    eager, eager_params, eager_grab = _run(False, l2=l2, optimizer=optimizer)
    compiled, compiled_params, grab = _run(True, l2=l2, optimizer=optimizer)
    assert eager_grab.compiled is None
    for key in eager.history:
        if key != "time":
            assert eager[key] == compiled[key], key  # floats compared exactly
    assert eager_grab.losses == grab.losses
    for a, b in zip(eager_params, compiled_params):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    # the replay path ran: one trace per batch size (16 and the partial 6; validation 16 and
    # 8), the next three calls replayed and checked against eager, the others only replayed
    train, val = grab.compiled["train"], grab.compiled["val"]
    assert (train.traces, train.replays) == (2, 3 * 5 - 2 - 3)
    assert (val.traces, val.replays) == (2, 3 * 2 - 2 - 3)


@pytest.mark.parametrize("bad", ["yes", 2, None])
def test_compile_must_be_a_bool(bad):
    with pytest.raises(TypeError, match=f"fit: compile must be True or False, got {bad!r} "):
        _run(bad)


def test_compiled_fit_refuses_a_loss_that_freezes_its_targets(monkeypatch):
    """A loss computing on the targets' numpy data outside any op (here: picking the
    prediction of each target class by a numpy index) would replay the first batch's targets;
    fit's checked first replays raise, naming the op."""
    from autonet.autograd.compile import CompileError

    def picked_loss(output, target):
        rows = np.arange(len(target.data))
        return -an.index(output, (rows, target.data.copy())).mean()  # a copy: a constant

    x, y = flower(40, seed=0)
    (x,) = standardize(x)
    an.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.LogSoftmax(axis=1))
    with pytest.raises(CompileError, match=r"op \d+ 'getitem' .*different values"):
        fit(model, picked_loss, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=1,
            batch_size=8, verbose=0, compile=True)
    fit(model, picked_loss, optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=1,
        batch_size=8, verbose=0)  # eager: fine


def test_compiled_fit_keeps_batchnorm_statistics_as_eager_does():
    def run(compile):
        x, y = flower(60, seed=1)
        (x,) = standardize(x)
        an.manual_seed(2)
        model = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
        history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                      (x, y), epochs=3, batch_size=16, val_data=(x[:30], y[:30]), verbose=0,
                      compile=compile)
        norm = model[1]
        return history, [norm.running_mean.data.copy(), norm.running_var.data.copy(),
                         norm.num_batches_tracked.data.copy()]

    (eager, eager_stats), (compiled, compiled_stats) = run(False), run(True)
    assert eager["loss"] == compiled["loss"] and eager["val_loss"] == compiled["val_loss"]
    for a, b in zip(eager_stats, compiled_stats):
        assert np.array_equal(a, b)
