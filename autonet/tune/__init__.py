"""Hyperparameter search: grid, random and Bayesian (Optuna TPE), with trials on any Executor.

Hyperparameters are the knobs set before training (learning rate, layers, batch size, ...);
parameters are what training learns. A search trains once per candidate setting ("trial") and
ranks the settings by a validation metric.

    def train_fn(lr, layers, seed):          # any keyword arguments; `seed` is passed if accepted
        ...
        return {"val_loss": ..., "val_acc": ...}   # or a single float (taken as the metric)

    results = an.tune.GridSearch(train_fn, {"lr": [0.01, 0.1], "layers": [(8,), (16, 16)]},
                                 metric="val_loss").run()
    results.best, results.table, results.to_csv("trials.csv"), results.plot("trials.png")

Trials run sequentially by default, in processes with ``n_jobs=K`` (train_fn must then be a
module-level function), or on any ``concurrent.futures.Executor`` such as a Dask cluster's
``client.get_executor()``. Each trial draws its random numbers (init, dropout) from a generator
seeded with the trial seed, so results are the same on every executor. A trial that raises is
recorded with its error; the search goes on.

    space.py     the distributions (Uniform, LogUniform, IntUniform, Choice)
    trial.py     one trial (run_trial)
    search.py    GridSearch, RandomSearch and their shared base
    bayes.py     BayesianSearch (Optuna, loaded when run)
    results.py   Results: ranking, table, CSV, text
    plot.py      the metric against each hyperparameter (matplotlib, loaded when drawn)
"""

from __future__ import annotations

from typing import Any

from autonet.tune.bayes import BayesianSearch
from autonet.tune.results import Results, format_value
from autonet.tune.search import GridSearch, RandomSearch
from autonet.tune.space import Choice, Distribution, IntUniform, LogUniform, Uniform
from autonet.tune.trial import run_trial

__all__ = ["Choice", "GridSearch", "LogUniform", "RandomSearch", "BayesianSearch", "Results",
           "IntUniform", "Uniform", "run_trial", "format_value", "plot_search",
           "search_figure", "Distribution"]


def __getattr__(name: str) -> Any:
    # The figures need matplotlib: loaded when first asked for. (The text syntax of a space,
    # parse_space, belongs to the command line: autonet/cli/space.py.)
    if name in ("plot_search", "search_figure"):
        from autonet.tune import plot

        return getattr(plot, name)
    raise AttributeError(f"module 'autonet.tune' has no attribute {name!r}")
