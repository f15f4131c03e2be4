"""A search's figure: the metric of each successful trial against each hyperparameter
(matplotlib, through autonet.plot's figure helpers)."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.plot import figure, save_figure
from autonet.tune.results import format_value
from autonet.tune.space import Choice, LogUniform

__all__ = ["plot_search", "search_figure"]


def plot_search(results: Any, path: str | os.PathLike) -> None:
    """One panel per hyperparameter: the validation metric of each successful trial against the
    hyperparameter's value (see ``search_figure``), written to ``path``."""
    save_figure(search_figure(results), path)


def search_figure(results: Any) -> Any:
    """The matplotlib Figure ``plot_search`` writes. Numbers go on a log axis when the range was
    LogUniform or, all positive, they span a factor of 100 or more (learning rates 1e-4 .. 1e-2);
    else on a linear one. Other values (layer sizes, activations) are categories spaced evenly,
    in the order the space lists them, written as the table writes them (16-16 for (16, 16))."""
    names = list(results.space)
    ok = results.ok
    if not ok:
        raise ValueError("plot_search: no successful trials to plot")
    cols = min(len(names), 3)
    rows = math.ceil(len(names) / cols)
    fig, _ = figure(4.2 * cols, 3.4 * rows, 0)
    metric = [t["metrics"][results.metric] for t in ok]
    for k, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, k + 1)
        values = [t["params"][name] for t in ok]
        spec = results.space[name]
        if all(isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)
               for v in values):
            values = [float(v) for v in values]
            ax.scatter(values, metric, s=18)
            if isinstance(spec, LogUniform) or _spans_decades(values):
                ax.set_xscale("log")
        else:
            listed = spec.options if isinstance(spec, Choice) else spec
            order = [format_value(v) for v in listed] if isinstance(listed, list | tuple) else []
            present = {format_value(v) for v in values}
            labels = [o for o in dict.fromkeys(order) if o in present]
            labels += sorted(present - set(labels))
            ax.scatter([labels.index(format_value(v)) for v in values], metric, s=18)
            ax.set_xticks(range(len(labels)), labels, rotation=30)
        ax.set_title(f"{name} (best {format_value(results.best['params'][name])})", fontsize=9)
        ax.set_xlabel(name)
        ax.set_ylabel(results.metric)
        ax.grid(alpha=0.3)
    return fig


def _spans_decades(values: Sequence[float]) -> bool:
    """All positive and max / min >= 100, up to rounding (7 / 0.07 is 99.99999999999999, and
    float32 1e-1 / 1e-3 is 99.9999967)."""
    low, high = min(values), max(values)
    return low > 0 and high / low >= 100 * (1 - 1e-6)
