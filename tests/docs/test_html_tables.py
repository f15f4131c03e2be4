"""History, tune Results and summary() show as HTML tables in Jupyter (``_repr_html_``), with
the same numbers as their text forms."""

from __future__ import annotations

import html as html_module
import re

import pytest

import autonet as an
from autonet import nn, tune
from autonet._html import html_table


def _cells(html: str, tag: str = "td") -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", html)


def test_html_table_escapes_and_lays_out_rows():
    html = html_table(["a", "b<c"], [[1, "x & y"], [2, "<z>"]], caption="cap", footer=["end"])
    assert _cells(html, "th") == ["a", "b&lt;c"]
    assert _cells(html) == ["1", "x &amp; y", "2", "&lt;z&gt;"]
    assert html.count("<tr>") == 3 and "<caption>cap</caption>" in html and "<p>end</p>" in html


@pytest.mark.parametrize("epochs", [1, 3, 25])
def test_history_shows_one_row_per_epoch_and_elides_long_runs(epochs):
    x, y = an.data.xor(40, seed=epochs)
    an.manual_seed(epochs)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    history = an.fit(model, nn.CrossEntropyLoss(), an.optim.SGD(model.parameters(), lr=0.1),
                     (x, y), epochs=epochs, val_data=(x, y), verbose=0)
    html = history._repr_html_()
    assert _cells(html, "th") == ["epoch", *history.keys()]
    rows = re.findall(r"<tr>(.*?)</tr>", html)[1:]
    assert len(rows) == (epochs if epochs <= 20 else 21)
    first = _cells(rows[0])
    assert first[0] == "1" and float(first[1]) == pytest.approx(history["loss"][0], rel=1e-3)
    last = _cells(rows[-1])
    assert last[0] == str(epochs)
    assert float(last[1]) == pytest.approx(history["loss"][-1], rel=1e-3)
    assert ("..." in html) == (epochs > 20)
    assert f"History: {epochs} epochs" in html


@pytest.mark.parametrize("n_trials", [1, 4])
def test_search_results_show_the_trials_best_first_as_format_does(n_trials):
    def train_fn(lr, seed):
        if lr > 0.5:
            raise ValueError("too large")
        return {"val_loss": abs(lr - 0.1) + 0.01 * (seed % 3)}

    lrs = [0.1, 0.3, 0.01, 0.9][:n_trials]
    results = tune.GridSearch(train_fn, {"lr": lrs}, metric="val_loss").run()
    html = results._repr_html_()
    header = _cells(html, "th")
    assert header[:3] == ["trial", "status", "lr"] and "val_loss" in header
    rows = [_cells(r) for r in re.findall(r"<tr>(.*?)</tr>", html)[1:]]
    assert len(rows) == n_trials
    text_rows = results.format().splitlines()[1:n_trials + 1]
    assert [r[0] for r in rows] == [line.split()[0] for line in text_rows]   # same order
    assert f"{n_trials} trials by val_loss (min)" in html
    if n_trials == 4:
        assert rows[-1][1] == "failed" and "too large" in rows[-1][-1]


@pytest.mark.parametrize("widths", [(3,), (5, 4), (8, 8, 2)])
def test_summary_is_its_text_and_an_html_table_of_the_same_rows(widths):
    sizes = (2, *widths)
    layers = [m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
    model = nn.Sequential(*layers, nn.Linear(sizes[-1], 1))
    printed = []
    text = nn.summary(model, (2,), print_fn=printed.append)
    assert printed == [text] and isinstance(text, str)
    html = text._repr_html_()
    assert _cells(html, "th") == ["l", "module", "parameters", "output", "#params"]
    rows = [_cells(r) for r in re.findall(r"<tr>(.*?)</tr>", html)[1:]]
    assert len(rows) == 2 * len(widths) + 1
    for layer, row in enumerate((r for r in rows if r[0]), start=1):
        n_prev, n = (*sizes, 1)[layer - 1], (*sizes, 1)[layer]
        assert row[2] == f"W[{layer}] ({n}, {n_prev}), b[{layer}] ({n},)"
        assert row[4] == f"{n * n_prev + n:,}" and row[4] in text
    assert text.splitlines()[0] in html
    assert all(html_module.unescape(r[1]) in text for r in rows)   # Linear(2 -> 3) escaped
