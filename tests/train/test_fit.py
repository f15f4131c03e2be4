"""fit: learning, History, early stopping, bit-identical resume, NaN stop, penalties."""

import numpy as np
import pytest

import autonet as an
from autonet import nn, optim
from autonet.data import DataLoader, TensorDataset, flower, standardize
from autonet.train import (
    Callback,
    Checkpoint,
    EarlyStopping,
    History,
    TrainingDiverged,
    accuracy,
    evaluate,
    fit,
    load_checkpoint,
    predict,
)


def _data(n=200, seed=0):
    x, y = flower(n, seed=seed)
    (x,) = standardize(x)
    return x, y


def _model(seed=0, dropout=0.0):
    an.manual_seed(seed)
    layers = [nn.Linear(2, 12), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(12, 2))


def _params(model):
    return [p.data.copy() for p in model.parameters()]


def test_fit_learns_the_flower_and_records_history():
    x, y = _data(300)
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.03)
    sched = optim.lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
    before = evaluate(model, nn.CrossEntropyLoss(), (x, y))
    history = fit(model, nn.CrossEntropyLoss(), opt, (x[:240], y[:240]), epochs=60,
                  val_data=(x[240:], y[240:]), scheduler=sched, verbose=0)
    assert isinstance(history, History) and len(history) == 60
    assert history.epoch == list(range(1, 61))
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"} <= set(history.keys())
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.8 > before["accuracy"]
    assert history["lr"][0] == pytest.approx(0.03) and history["lr"][20] == pytest.approx(0.015)
    assert all(t > 0 for t in history["time"])
    epoch, best = history.best("val_loss")
    assert best == min(history["val_loss"]) and history["val_loss"][epoch - 1] == best
    final = evaluate(model, nn.CrossEntropyLoss(), (x[240:], y[240:]))
    assert final["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-5)


def test_train_loss_is_the_mean_over_samples():
    # With lr=0 nothing changes, so the epoch's training loss equals a plain evaluation.
    x, y = _data(50)
    model = _model()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), (x, y),
                  epochs=1, batch_size=7, verbose=0)
    assert history["loss"][0] == pytest.approx(evaluate(model, nn.CrossEntropyLoss(),
                                                        (x, y))["loss"], rel=1e-5)


def test_full_batch_equals_one_manual_gradient_step():
    x, y = _data(40)
    a, b = _model(1), _model(1)
    fit(a, nn.CrossEntropyLoss(), optim.SGD(a.parameters(), lr=0.1), (x, y), epochs=1,
        batch_size=40, verbose=0)
    opt = optim.SGD(b.parameters(), lr=0.1)
    nn.CrossEntropyLoss()(b(an.tensor(x)), an.tensor(y)).backward()
    opt.step()
    for pa, pb in zip(_params(a), _params(b)):
        np.testing.assert_allclose(pa, pb, rtol=1e-6, atol=1e-7)


def test_early_stopping_restores_best_weights():
    x, y = _data(200)
    model = _model()
    snapshots = {}

    class Snap(Callback):
        def on_epoch_end(self, state):
            snapshots[state.epoch] = _params(state.model)

    stopper = EarlyStopping(monitor="val_loss", patience=3)
    # A large learning rate makes validation loss bounce, so it stops early.
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=3.0),
                  (x[:150], y[:150]), epochs=200, val_data=(x[150:], y[150:]),
                  callbacks=[Snap(), stopper], verbose=0)
    assert len(history) < 200 and stopper.stopped_epoch == len(history)
    best_epoch, best = history.best("val_loss")
    # patience=3: three epochs in a row without improvement, then stop
    assert stopper.best_epoch == best_epoch and len(history) == best_epoch + 3
    for p, q in zip(_params(model), snapshots[best_epoch]):
        np.testing.assert_array_equal(p, q)
    assert evaluate(model, nn.CrossEntropyLoss(), (x[150:], y[150:]))["loss"] == \
        pytest.approx(best, rel=1e-5)


def test_early_stopping_needs_the_monitored_key():
    x, y = _data(20)
    model = _model()
    with pytest.raises(KeyError, match="val_data"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
            epochs=2, callbacks=[EarlyStopping()], verbose=0)


def _run(tmp_path, epochs, resume=None, every=3):
    x, y = _data(120)
    model = _model(seed=5, dropout=0.2)  # dropout: the global generator must resume too
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=11)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=epochs, val_data=(x, y),
                  scheduler=sched, callbacks=[Checkpoint(tmp_path / "ckpt.npz", every=every)],
                  l2=1e-3, verbose=0, resume=resume)
    return model, opt, history


def test_resume_is_bit_identical(tmp_path):
    straight, _, h_straight = _run(tmp_path / "a", 8)
    _run(tmp_path / "b", 5)  # writes checkpoints at epochs 3 and 5 (the end)
    assert load_checkpoint(tmp_path / "b" / "ckpt.npz")["epoch"] == 5
    an.manual_seed(999)  # a different global stream: the checkpoint must restore it
    resumed, _, h_resumed = _run(tmp_path / "c", 8, resume=tmp_path / "b" / "ckpt.npz")
    for p, q in zip(_params(straight), _params(resumed)):
        np.testing.assert_array_equal(p, q)
    for key in ("loss", "val_loss", "lr", "accuracy"):
        assert h_resumed[key] == h_straight[key]
    assert h_resumed.epoch == list(range(1, 9))


def _stopping_run(path, epochs, order, every, resume=None):
    x, y = _data(200)
    model = _model(seed=2)
    # A large learning rate makes validation loss bounce, so EarlyStopping ends the run.
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    saver = Checkpoint(path, every=every)
    callbacks = [stopper, saver] if order == "stopper first" else [saver, stopper]
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=3.0),
                  (x[:150], y[:150]), epochs=epochs, val_data=(x[150:], y[150:]),
                  callbacks=callbacks, batch_size=50, verbose=0, resume=resume)
    return model, history, stopper


@pytest.mark.parametrize("order", ["stopper first", "checkpoint first"])
@pytest.mark.parametrize("every", [1, 100])  # 100: only the end-of-run save
def test_resume_keeps_early_stopping_state(tmp_path, order, every):
    straight, h_straight, s_straight = _stopping_run(tmp_path / "a.npz", 200, order, every)
    stopped = len(h_straight)
    assert stopped < 200 and s_straight.stopped_epoch == stopped
    # interrupt after the best epoch, with the patience counter running
    cut = s_straight.best_epoch + 1
    assert 1 < cut < stopped
    _stopping_run(tmp_path / "b.npz", cut, order, every)
    assert load_checkpoint(tmp_path / "b.npz")["epoch"] == cut
    resumed, h_resumed, s_resumed = _stopping_run(tmp_path / "c.npz", 200, order, every,
                                                  resume=tmp_path / "b.npz")
    assert len(h_resumed) == stopped and s_resumed.stopped_epoch == stopped
    assert s_resumed.best_epoch == s_straight.best_epoch
    for p, q in zip(_params(straight), _params(resumed)):
        np.testing.assert_array_equal(p, q)
    assert h_resumed.history == h_straight.history | {"time": h_resumed["time"]}
    # resuming the finished run's own checkpoint trains no further and ends the same
    again, h_again, _ = _stopping_run(tmp_path / "d.npz", 200, order, every,
                                      resume=tmp_path / "a.npz")
    assert len(h_again) == stopped
    for p, q in zip(_params(straight), _params(again)):
        np.testing.assert_array_equal(p, q)


def test_resume_with_other_callbacks_names_both(tmp_path):
    _stopping_run(tmp_path / "a.npz", 2, "stopper first", 1)
    x, y = _data(20)
    model = _model()
    with pytest.raises(ValueError, match=r"\['EarlyStopping', 'Checkpoint'\] but resume got "
                                         r"\['Checkpoint'\]; pass the same"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
            epochs=3, callbacks=[Checkpoint(tmp_path / "b.npz")], verbose=0,
            resume=tmp_path / "a.npz")
    model = _model(seed=2)
    with pytest.raises(ValueError, match="watched 'val_loss'.*watches 'loss'"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
            epochs=3, callbacks=[EarlyStopping(monitor="loss"), Checkpoint(tmp_path / "b.npz")],
            verbose=0, resume=tmp_path / "a.npz")


def test_resume_from_a_checkpoint_without_callback_states_warns(tmp_path):
    _stopping_run(tmp_path / "a.npz", 2, "stopper first", 1)
    tree = load_checkpoint(tmp_path / "a.npz")
    del tree["callbacks"], tree["stop"]
    an.save(tree | {"format": "autonet-fit-checkpoint-1"}, tmp_path / "old.npz")
    with pytest.warns(RuntimeWarning, match="predates saved callback states"):
        _, history, _ = _stopping_run(tmp_path / "b.npz", 3, "stopper first", 1,
                                      resume=tmp_path / "old.npz")
    assert history.epoch == [1, 2, 3]


def test_checkpoint_every_n_epochs(tmp_path):
    saved = []

    class Spy(Checkpoint):
        def on_epoch_end(self, state):
            super().on_epoch_end(state)
            if self.path.exists():
                saved.append(load_checkpoint(self.path)["epoch"])

    x, y = _data(30)
    model = _model()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=7,
        callbacks=[Spy(tmp_path / "c.npz", every=3)], verbose=0)
    assert sorted(set(saved)) == [3, 6] and load_checkpoint(tmp_path / "c.npz")["epoch"] == 7


def test_nan_loss_names_epoch_and_batch():
    x, y = _data(64)
    x[40] = np.nan  # batch 3 of 4 with batch_size 16, no shuffling
    model = _model()
    with pytest.raises(TrainingDiverged, match=r"nan at epoch 1, batch 3 of 4") as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
            epochs=2, batch_size=16, shuffle=False, verbose=0)
    assert len(info.value.history) == 0


def test_diverging_learning_rate_stops_with_message():
    x = np.linspace(-1, 1, 32, dtype=np.float32)[:, None] * 100
    model = nn.Linear(1, 1)
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(TrainingDiverged, match=r"at epoch \d+, batch \d+ .*lower the learn"):
        fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=10.0), (x, 3 * x),
            epochs=50, verbose=0)


def test_divergence_leaves_the_best_weights_with_early_stopping_restore():
    x = np.linspace(-1, 1, 32, dtype=np.float32)[:, None] * 10
    model = nn.Linear(1, 1)
    stopper = EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    data = DataLoader(TensorDataset(x, 3 * x), batch_size=8)  # 4 steps an epoch
    optimizer = optim.SGD(model.parameters(), lr=0.3)  # too large: the loss grows, then NaN
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(TrainingDiverged):
        fit(model, nn.MSELoss(), optimizer, data, epochs=200, callbacks=[stopper], verbose=0)
    assert stopper.best_state is not None
    for key, value in model.state_dict().items():
        assert np.all(np.isfinite(value))
        np.testing.assert_array_equal(value, stopper.best_state[key])


def test_l1_and_l2_shrink_weights():
    x, y = _data(100)
    norms = {}
    for name, kw in {"none": {}, "l2": {"l2": 0.1}, "l1": {"l1": 0.01}}.items():
        model = _model(3)
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.2), (x, y),
            epochs=30, verbose=0, **kw)
        norms[name] = sum(np.abs(p.data).sum() for p in model.parameters() if p.ndim == 2)
    assert norms["l2"] < norms["none"] and norms["l1"] < norms["none"]


def test_binary_logit_accuracy_and_predict():
    assert accuracy(np.array([[2.0], [-1.0], [0.5]]), np.array([[1.0], [0.0], [0.0]])) == \
        pytest.approx(2 / 3)
    assert accuracy(np.array([[0.1, 0.9]]), np.array([1])) == 1.0
    assert accuracy(np.array([1.5, 2.5]), np.array([1.2, 3.3])) is None
    x, y = _data(40)
    model = _model()
    out = predict(model, x, batch_size=7)
    assert out.shape == (40, 2)
    np.testing.assert_allclose(out, model(an.tensor(x)).data, rtol=1e-6)


def test_bad_arguments():
    x, y = _data(10)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=-1)
    with pytest.raises(TypeError, match="train_data"):
        fit(model, nn.CrossEntropyLoss(), opt, x, epochs=1)
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)


def test_accuracy_with_one_hot_targets_compares_classes():
    output = np.array([[2.0, 1.0, 0.5], [0.1, 0.2, 3.0], [1.0, 2.0, 3.0]])
    target = np.eye(3)[[0, 2, 0]]  # rows 0 and 1 right, row 2 wrong
    assert accuracy(output, target) == pytest.approx(2 / 3)
    # multi-label 0/1 targets (several ones per row) stay element-wise
    assert accuracy(np.array([[1.0, -1.0], [1.0, 1.0]]), np.array([[1.0, 1.0], [1.0, 1.0]])) \
        == pytest.approx(3 / 4)


def test_probability_outputs_behind_a_wrapped_loss_are_thresholded_at_half():
    x, y = _data(200)
    an.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, 1), nn.Sigmoid())
    bce = nn.BCELoss()
    target = y.astype(np.float32)

    def loss(out, t):  # a wrapper fit cannot recognize by name
        return bce(out, t.reshape(-1, 1))

    history = fit(model, loss, optim.Adam(model.parameters(), lr=0.05), (x, target), epochs=5,
                  val_data=(x, target), verbose=0)
    truth = float(np.mean((predict(model, x).ravel() > 0.5) == y))
    assert history["val_accuracy"][-1] == pytest.approx(truth)
    assert evaluate(model, loss, (x, target))["accuracy"] == pytest.approx(truth)


@pytest.mark.parametrize("patience", [1, 2])
def test_early_stopping_stops_patience_epochs_after_the_best(patience):
    class Scripted(Callback):  # feeds a fixed val_loss sequence: best at epoch 2
        def on_epoch_end(self, state):
            state.logs["val_loss"] = [3.0, 1.0, 2.0, 2.0, 2.0, 2.0][state.epoch - 1]

    x, y = _data(20)
    model = _model()
    stopper = EarlyStopping(patience=patience)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
                  epochs=6, callbacks=[Scripted(), stopper], verbose=0)
    assert stopper.best_epoch == 2 and len(history) == 2 + patience


def test_progress_bar_shows_in_jupyter_and_not_in_a_pipe(monkeypatch):
    import sys
    import types

    import tqdm.auto  # noqa: F401  (imported before IPython is faked, so its choice is real)

    from autonet.train import _progress

    assert _progress(3, 1, "epochs", True, 0) is None  # pytest captures stderr: no terminal
    shell = type("ZMQInteractiveShell", (), {})()
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    bar = _progress(3, 1, "epochs", True, 0)
    assert bar is not None
    bar.close()
    assert _progress(3, 0, "epochs", True, 0) is None  # verbose=0 stays silent


@pytest.mark.parametrize("n", [3, 10, 64])
def test_accuracy_leaves_out_targets_that_are_no_class(n):
    # an ignore_index target (-100) is not a miss: accuracy over the labelled examples only
    rng = np.random.default_rng(n)
    output = rng.standard_normal((n, 4))
    target = rng.integers(0, 4, n)
    assert accuracy(output, target) == pytest.approx(np.mean(output.argmax(1) == target))
    masked = target.copy()
    masked[::3] = -100
    kept = masked != -100
    assert accuracy(output, masked) == pytest.approx(np.mean(output.argmax(1)[kept] ==
                                                             target[kept]))
    assert accuracy(output, np.full(n, -100)) is None
