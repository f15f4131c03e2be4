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
    # 8), every other step replayed
    train, val = grab.compiled["train"], grab.compiled["val"]
    assert (train.traces, train.replays) == (2, 3 * 5 - 2)
    assert (val.traces, val.replays) == (2, 3 * 2 - 2)


@pytest.mark.parametrize("bad", ["yes", 2, None])
def test_compile_must_be_a_bool(bad):
    with pytest.raises(TypeError, match=f"fit: compile must be True or False, got {bad!r} "):
        _run(bad)
