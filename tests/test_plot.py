"""Plots write real image files; a missing matplotlib gives the install hint."""

import builtins

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from autonet import tune  # noqa: E402
from autonet.plot import (  # noqa: E402
    confusion_matrix,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_lr_schedule,
)
from autonet.train import History  # noqa: E402
from autonet.tune.plot import plot_search, search_figure  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _history():
    h = History()
    for e in range(1, 6):
        h.append(e, {"loss": 1.0 / e, "accuracy": 0.5 + e / 20, "val_loss": 1.2 / e,
                     "val_accuracy": 0.5 + e / 25, "lr": 0.1 * 0.5 ** e})
    return h


def test_history_and_schedule_plots(tmp_path):
    plot_history(_history(), tmp_path / "h.png", title="t")
    plot_lr_schedule(_history(), tmp_path / "lr.svg")
    plot_lr_schedule([0.1, 0.05, 0.01], tmp_path / "lr2.png")
    assert (tmp_path / "h.png").read_bytes()[:8] == PNG
    assert b"<svg" in (tmp_path / "lr.svg").read_bytes()[:500]
    with pytest.raises(ValueError, match=".png"):
        plot_history(_history(), tmp_path / "h.jpg2")


def test_decision_boundary_with_a_function(tmp_path):
    x = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    calls = []

    def predict(points):
        calls.append(points.shape)
        return points[:, :1]  # one logit: class 1 where x1 > 0

    plot_decision_boundary(predict, x, y, tmp_path / "b.png", resolution=30)
    assert calls == [(900, 2)] and (tmp_path / "b.png").read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(predict, np.zeros((5, 3)), y[:5], tmp_path / "c.png")


def test_search_plot(tmp_path):
    space = {"lr": tune.LogUniform(1e-3, 1), "act": ["relu", "tanh"]}
    fn = lambda lr, act: (np.log10(lr) + 1) ** 2 + (act == "tanh")
    results = tune.RandomSearch(fn, space, n_trials=8, seed=0).run()
    plot_search(results, tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes()[:8] == PNG


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'autonet\[plot\]'.*-e '.\[plot\]'"):
        plot_history(_history(), tmp_path / "h.png")


def test_confusion_matrix_counts(tmp_path):
    counts = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    plot_confusion_matrix([0, 1, 1], [0, 1, 0], tmp_path / "cm.png", labels=["a", "b"])
    assert (tmp_path / "cm.png").read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="predictions"):
        confusion_matrix([0, 1], [0])


def test_epoch_axes_have_whole_number_ticks(tmp_path, monkeypatch):
    import autonet.plot as plot

    figures = []
    monkeypatch.setattr(plot, "save_figure", lambda fig, path: figures.append(fig))
    history = History()
    for e in range(1, 21):  # 20 epochs: matplotlib's default ticks are 2.5, 5.0, 7.5, ...
        history.append(e, {"loss": 1.0 / e, "accuracy": e / 20, "lr": 0.1})
    plot_history(history, tmp_path / "h.png")
    plot_lr_schedule(history, tmp_path / "lr.png")
    for fig in figures:
        for ax in fig.axes:
            ticks = ax.get_xticks()
            assert len(ticks) >= 3 and np.all(ticks == np.round(ticks))


def _panels(space, fn, search=tune.GridSearch, **kwargs):
    fig = search_figure(search(fn, space, **kwargs).run())
    return {ax.get_xlabel(): ax for ax in fig.axes}


@pytest.mark.parametrize("lrs", [
    [1e-4, 1e-3, 1e-2],
    [0.07, 0.7, 7.0],  # 7 / 0.07 is 99.99999999999999 in floating point
    list(np.geomspace(1e-3, 1e-1, 3, dtype=np.float32)),  # numpy scalars are numbers too
])
def test_search_plot_puts_values_spanning_decades_on_a_log_axis(lrs):
    ax = _panels({"lr": lrs}, lambda lr: lr)["lr"]
    assert ax.get_xscale() == "log"
    np.testing.assert_allclose(sorted(ax.collections[0].get_offsets()[:, 0]), sorted(lrs),
                               rtol=1e-6)


@pytest.mark.parametrize("space, scale", [
    ({"lr": tune.LogUniform(0.01, 0.05)}, "log"),  # the range's own prior, even if narrow
    ({"lr": tune.Uniform(0.01, 0.05)}, "linear"),
    ({"lr": [0.01, 0.05, 0.1]}, "linear"),  # a factor 10: linear reads fine
    ({"lr": [-1.0, 0.1, 100.0]}, "linear"),  # not all positive
])
def test_search_plot_log_axis_only_for_log_ranges_or_decades(space, scale):
    search = tune.GridSearch if isinstance(space["lr"], list) else tune.RandomSearch
    assert _panels(space, lambda lr: lr, search, n_trials=4)["lr"].get_xscale() == scale


def test_search_plot_writes_layer_sizes_as_the_table_does():
    space = {"layers": [(16, 16), (8,), 4], "act": ["tanh", "relu"]}
    panels = _panels(space, lambda layers, act: -len(str(layers)) - (act == "relu"))
    best = tune.GridSearch(lambda layers, act: -len(str(layers)) - (act == "relu"),
                           space).run().best_params
    assert best["layers"] == (16, 16)
    assert panels["layers"].get_title() == "layers (best 16-16)"
    ticks = [t.get_text() for t in panels["layers"].get_xticklabels()]
    assert ticks == ["16-16", "8", "4"]  # the space's order, the table's spelling
    assert [t.get_text() for t in panels["act"].get_xticklabels()] == ["tanh", "relu"]
    assert _panels({"layers": [(8,), (4,)]}, lambda layers: layers[0])["layers"].get_title() \
        == "layers (best 4)"
