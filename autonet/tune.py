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
``client.get_executor()``. A trial that raises is recorded with its error; the search goes on.
"""

from __future__ import annotations

import csv
import inspect
import itertools
import math
import os
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

import numpy as np

__all__ = ["Choice", "GridSearch", "LogUniform", "RandomSearch", "BayesianSearch", "Results",
           "IntUniform", "Uniform", "parse_space", "run_trial"]


# ---- distributions -------------------------------------------------------------------------------
class Uniform:
    """Real values uniform in [low, high] (e.g. dropout rate)."""

    def __init__(self, low: float, high: float) -> None:
        if not low < high:
            raise ValueError(f"Uniform: need low < high, got {low}, {high}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def __repr__(self) -> str:
        return f"Uniform({self.low}, {self.high})"


class LogUniform(Uniform):
    """Values whose logarithm is uniform: every decade of [low, high] equally likely. The right
    prior for scale parameters such as the learning rate or L2 strength (1e-4 .. 1)."""

    def __init__(self, low: float, high: float) -> None:
        if not 0 < low < high:
            raise ValueError(f"LogUniform: need 0 < low < high, got {low}, {high}")
        super().__init__(low, high)

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def __repr__(self) -> str:
        return f"LogUniform({self.low}, {self.high})"


class IntUniform:
    """Integers uniform in [low, high] inclusive (e.g. number of units)."""

    def __init__(self, low: int, high: int) -> None:
        if not low <= high:
            raise ValueError(f"IntUniform: need low <= high, got {low}, {high}")
        self.low, self.high = int(low), int(high)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high + 1))

    def __repr__(self) -> str:
        return f"IntUniform({self.low}, {self.high})"


class Choice:
    """One of a fixed list of options (e.g. activation in ["relu", "tanh"])."""

    def __init__(self, options: Sequence[Any]) -> None:
        self.options = list(options)
        if not self.options:
            raise ValueError("Choice: needs at least one option")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def __repr__(self) -> str:
        return f"Choice({self.options})"


Distribution = Uniform | IntUniform | Choice


def _as_distribution(name: str, spec: Any) -> Distribution:
    if isinstance(spec, Uniform | IntUniform | Choice):
        return spec
    if isinstance(spec, list | tuple):
        return Choice(spec)
    raise TypeError(f"search space: {name!r} must be a list of values or a distribution "
                    f"(Uniform, LogUniform, IntUniform, Choice), got {type(spec).__name__}")


# ---- one trial -----------------------------------------------------------------------------------
def _accepts_seed(fn: Callable) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "seed" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def run_trial(fn: Callable[..., Any], params: dict[str, Any], seed: int,
              metric: str) -> dict[str, Any]:
    """Run ``fn(**params, seed=seed)`` and return a record ``{"status", "metrics", "error",
    "time"}``; exceptions become ``status="failed"`` with the message (never raised). Module-level
    so that process pools and Dask can ship it."""
    start = time.perf_counter()
    try:
        kwargs = dict(params)
        if _accepts_seed(fn) and "seed" not in kwargs:
            kwargs["seed"] = seed
        out = fn(**kwargs)
        metrics = dict(out) if isinstance(out, Mapping) else {metric: out}
        if metric not in metrics:
            raise KeyError(f"train_fn returned {sorted(metrics)} without the metric {metric!r}")
        metrics = {k: float(v) for k, v in metrics.items()}
        if not math.isfinite(metrics[metric]):
            raise FloatingPointError(f"{metric} is {metrics[metric]}")
        return {"status": "ok", "metrics": metrics, "error": "",
                "time": time.perf_counter() - start}
    except Exception as err:  # a failed trial is data, not a crash
        last = traceback.extract_tb(err.__traceback__)[-1:]
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        return {"status": "failed", "metrics": {}, "error": f"{type(err).__name__}: {err}{where}",
                "time": time.perf_counter() - start}


class _Inline(Executor):
    """Runs each submitted call at once in this process (the sequential default)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # pragma: no cover - run_trial already catches
            future.set_exception(err)
        return future


# ---- results -------------------------------------------------------------------------------------
class Results:
    """Finished trials, best first (by ``metric``, ``mode`` "min" or "max"); failed trials last.

    ``table`` is a list of flat dicts: trial, status, each hyperparameter, each metric, seed,
    time, error."""

    def __init__(self, trials: list[dict[str, Any]], metric: str, mode: str,
                 space: Mapping[str, Any]) -> None:
        self.metric, self.mode, self.space = metric, mode, dict(space)
        sign = 1.0 if mode == "min" else -1.0

        def key(t: dict) -> tuple:
            ok = t["status"] == "ok"
            return (not ok, sign * t["metrics"][metric] if ok else 0.0, t["trial"])

        self.trials = sorted(trials, key=key)

    @property
    def table(self) -> list[dict[str, Any]]:
        rows = []
        for t in self.trials:
            row = {"trial": t["trial"], "status": t["status"], **t["params"], **t["metrics"],
                   "seed": t["seed"], "time": round(t["time"], 4), "error": t["error"]}
            rows.append(row)
        return rows

    @property
    def ok(self) -> list[dict[str, Any]]:
        return [t for t in self.trials if t["status"] == "ok"]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [t for t in self.trials if t["status"] != "ok"]

    @property
    def best(self) -> dict[str, Any]:
        """The best successful trial: ``{"trial", "params", "metrics", "seed", ...}``."""
        if not self.ok:
            errors = "; ".join(sorted({t["error"] for t in self.failed}))[:300]
            raise RuntimeError(f"tune: all {len(self.trials)} trials failed: {errors}")
        return self.ok[0]

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best["params"])

    def __len__(self) -> int:
        return len(self.trials)

    def columns(self) -> list[str]:
        cols: list[str] = ["trial", "status", *self.space]
        for t in self.trials:
            cols += [k for k in t["metrics"] if k not in cols]
        return [*cols, "seed", "time", "error"]

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write the table (best first) as CSV; tuples such as layers are written as 16-16."""
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns(), restval="")
            writer.writeheader()
            for row in self.table:
                writer.writerow({k: format_value(v) for k, v in row.items()})

    def plot(self, path: str | os.PathLike) -> None:
        """Metric against each hyperparameter, one panel each (needs matplotlib); a log axis for
        a LogUniform range or positive values spanning a factor 100 or more."""
        from autonet.plot import plot_search

        plot_search(self, path)

    def format(self, limit: int = 10) -> str:
        """A plain-text table of the first ``limit`` rows; under it, why each shown trial failed
        (the same error once, with the trials that hit it)."""
        cols = [c for c in self.columns() if c != "error"]
        shown = self.table[:limit]
        rows = [[format_value(r.get(c, "")) for c in cols] for r in shown]
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
        errors: dict[str, list[str]] = {}
        for r in shown:
            if r["status"] != "ok":
                errors.setdefault(r["error"], []).append(str(r["trial"]))
        for error, trials in errors.items():
            lines.append(f"trial {', '.join(trials)} failed: {error}")
        return "\n".join(lines)


    def _repr_html_(self, limit: int = 20) -> str:
        """The trials as a table in Jupyter, best first, as ``format`` lays them out."""
        from autonet._html import html_table

        cols = self.columns()
        rows = [[format_value(r.get(c, "")) for c in cols] for r in self.table[:limit]]
        more = [f"... and {len(self) - limit} more trials"] if len(self) > limit else []
        return html_table(cols, rows, caption=f"{len(self)} trials by {self.metric} "
                          f"({self.mode}), best first", footer=more)


def format_value(v: Any) -> str:
    """A hyperparameter value as the table, the CSV and the plot show it: layer sizes (16, 16)
    as 16-16 and (8,) as 8, floats with 6 significant digits."""
    if isinstance(v, tuple | list):
        return "-".join(str(x) for x in v)
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


# ---- searches ------------------------------------------------------------------------------------
class _Search:
    def __init__(self, train_fn: Callable[..., Any], space: Mapping[str, Any], *,
                 metric: str = "val_loss", mode: str | None = None, n_trials: int | None = None,
                 seed: int = 0, same_seed: bool = True, executor: Executor | None = None,
                 n_jobs: int = 1) -> None:
        if not callable(train_fn):
            raise TypeError(f"{type(self).__name__}: train_fn must be callable")
        if not space:
            raise ValueError(f"{type(self).__name__}: the search space is empty")
        mode = mode or ("max" if any(w in metric for w in ("acc", "score", "f1")) else "min")
        if mode not in ("min", "max"):
            raise ValueError(f"{type(self).__name__}: mode must be 'min' or 'max', got {mode!r}")
        if n_trials is not None and n_trials < 1:
            raise ValueError(f"{type(self).__name__}: n_trials must be >= 1, got {n_trials}")
        if n_jobs < 1:
            raise ValueError(f"{type(self).__name__}: n_jobs must be >= 1, got {n_jobs}")
        self.train_fn, self.space = train_fn, dict(space)
        self.metric, self.mode, self.n_trials, self.seed = metric, mode, n_trials, seed
        self.same_seed = same_seed
        self.executor, self.n_jobs = executor, n_jobs

    def trial_seed(self, index: int) -> int:
        """Seed of trial ``index``, fixed by the search seed, independent of scheduling order. With
        ``same_seed`` (the default) every trial gets the same one: two settings are then compared
        on the same initialization and batch order, so the difference is the hyperparameters'
        and not luck. ``same_seed=False`` gives each trial its own (to see seed noise)."""
        key = [self.seed] if self.same_seed else [self.seed, index]
        return int(np.random.SeedSequence(key).generate_state(1)[0] % 2**31)

    def _open_executor(self) -> tuple[Executor, bool]:
        if self.executor is not None:
            return self.executor, False
        if self.n_jobs > 1:
            return ProcessPoolExecutor(self.n_jobs), True
        return _Inline(), True

    def _record(self, index: int, params: dict, future: Future) -> dict[str, Any]:
        try:
            outcome = future.result()
        except Exception as err:  # the executor itself failed (e.g. unpicklable train_fn)
            error = f"{type(err).__name__}: {err}"
            if "pickle" in error.lower():
                error += ("; trials in other processes (n_jobs > 1, Dask) need a train_fn "
                          "defined at module level, not a lambda or a nested function")
            outcome = {"status": "failed", "metrics": {}, "time": 0.0, "error": error}
        return {"trial": index, "params": params, "seed": self.trial_seed(index), **outcome}

    def _run_batch(self, executor: Executor, batch: list[tuple[int, dict]]) -> list[dict]:
        futures = [executor.submit(run_trial, self.train_fn, params, self.trial_seed(i),
                                   self.metric) for i, params in batch]
        return [self._record(i, params, f) for (i, params), f in zip(batch, futures)]

    def candidates(self) -> Iterable[dict[str, Any]]:
        raise NotImplementedError

    def planned_trials(self) -> int:
        """How many trials ``run()`` will run (the grid within its cap, or the budget)."""
        return len(list(self.candidates()))

    def run(self) -> Results:
        """Run every trial (within the budget) and return the ranked Results."""
        executor, owned = self._open_executor()
        try:
            batch = list(enumerate(self.candidates()))
            trials = self._run_batch(executor, batch)
        finally:
            if owned:
                executor.shutdown()
        return Results(trials, self.metric, self.mode, self.space)


class GridSearch(_Search):
    """Every combination of the listed values (Cartesian product), in order; ``n_trials`` caps
    the number tried. Each space entry is a list of values."""

    def candidates(self) -> Iterable[dict[str, Any]]:
        names = list(self.space)
        values = []
        for name in names:
            spec = self.space[name]
            if isinstance(spec, Choice):
                spec = spec.options
            if not isinstance(spec, list | tuple):
                raise TypeError(f"GridSearch: {name!r} must be a list of values, got {spec!r}; "
                                "use RandomSearch or BayesianSearch for continuous ranges")
            values.append(list(spec))
        combos = itertools.product(*values)
        if self.n_trials is not None:
            combos = itertools.islice(combos, self.n_trials)
        return [dict(zip(names, combo)) for combo in combos]


class RandomSearch(_Search):
    """``n_trials`` independent draws from the space: lists are uniform choices, or give
    ``Uniform``, ``LogUniform``, ``IntUniform``, ``Choice``. Random search beats grid search when
    only a few hyperparameters matter: every trial tries a new value of each."""

    def candidates(self) -> Iterable[dict[str, Any]]:
        dists = {k: _as_distribution(k, v) for k, v in self.space.items()}
        rng = np.random.default_rng(self.seed)
        return [{k: d.sample(rng) for k, d in dists.items()} for _ in range(self.n_trials or 10)]


class BayesianSearch(_Search):
    """Sequential model-based search with Optuna's TPE sampler: each new batch of trials is
    proposed from a model of which settings scored well so far. Needs ``pip install
    autonet[tune]``. With an executor, ``n_jobs`` trials (or the executor's) run per batch."""

    def __init__(self, *args: Any, batch_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_size = batch_size or self.n_jobs

    def planned_trials(self) -> int:
        return self.n_trials or 20

    def _suggest(self, trial: Any, name: str, dist: Distribution) -> Any:
        if isinstance(dist, LogUniform):
            return trial.suggest_float(name, dist.low, dist.high, log=True)
        if isinstance(dist, Uniform):
            return trial.suggest_float(name, dist.low, dist.high)
        if isinstance(dist, IntUniform):
            return trial.suggest_int(name, dist.low, dist.high)
        # Optuna categories must be plain scalars: suggest the option's index.
        return dist.options[trial.suggest_categorical(name, list(range(len(dist.options))))]

    def run(self) -> Results:
        try:
            import optuna
        except ImportError as err:
            raise ImportError("BayesianSearch needs Optuna: pip install 'autonet[tune]' (in a "
                              "source checkout: pip install -e '.[tune]')") from err
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        dists = {k: _as_distribution(k, v) for k, v in self.space.items()}
        sampler = optuna.samplers.TPESampler(seed=self.seed, n_startup_trials=min(
            5, max(1, self.planned_trials() // 3)))
        study = optuna.create_study(
            direction="minimize" if self.mode == "min" else "maximize", sampler=sampler)
        total = self.planned_trials()
        executor, owned = self._open_executor()
        trials: list[dict] = []
        try:
            while len(trials) < total:
                size = min(self.batch_size, total - len(trials))
                asked = [study.ask() for _ in range(size)]
                batch = [(len(trials) + j, {k: self._suggest(t, k, d) for k, d in dists.items()})
                         for j, t in enumerate(asked)]
                for t, record in zip(asked, self._run_batch(executor, batch)):
                    if record["status"] == "ok":
                        study.tell(t, record["metrics"][self.metric])
                    else:
                        study.tell(t, state=optuna.trial.TrialState.FAIL)
                    trials.append(record)
        finally:
            if owned:
                executor.shutdown()
        return Results(trials, self.metric, self.mode, self.space)


# ---- parsing a space from text (the CLI) ---------------------------------------------------------
def _value(text: str) -> Any:
    text = text.strip()
    if "," in text:  # a tuple such as hidden layer sizes "16,16"
        return tuple(_value(t) for t in text.split(","))
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_space(text: str) -> dict[str, Any]:
    """Parse ``"lr=0.01,0.1;layers=8|16,16;l2=log:1e-5:1e-2;dropout=uniform:0:0.5"``.

    Entries are separated by ``;``. Values are separated by ``|`` when present (so an option may
    itself contain commas, like the layer sizes ``16,16``), otherwise by ``,``. ``log:a:b``,
    ``uniform:a:b`` and ``int:a:b`` give ranges for random and Bayesian search."""
    space: dict[str, Any] = {}
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        name, sep, values = entry.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise ValueError(f"bad search-space entry {entry!r}: write name=v1,v2 or "
                             "name=a|b,c or name=log:low:high")
        kind, _, rest = values.partition(":")
        if kind in ("log", "uniform", "int") and rest:
            bounds = rest.split(":")
            if len(bounds) != 2:
                raise ValueError(f"bad range {values!r} for {name}: write {kind}:low:high")
            try:
                low, high = float(bounds[0]), float(bounds[1])
            except ValueError:
                raise ValueError(f"bad range {values!r} for {name}: bounds must be numbers") \
                    from None
            cls = {"log": LogUniform, "uniform": Uniform, "int": IntUniform}[kind]
            space[name] = cls(int(low), int(high)) if cls is IntUniform else cls(low, high)
            continue
        parts = values.split("|") if "|" in values else values.split(",")
        options = [_value(p) for p in parts if p.strip()]
        if not options:
            raise ValueError(f"bad search-space entry {entry!r}: no values")
        space[name] = options
    if not space:
        raise ValueError(f"empty search space {text!r}: write e.g. 'lr=0.01,0.1;layers=8|16,16'")
    return space
