"""GridSearch and RandomSearch, and the base every search shares: arguments, trial seeds, the
executor, running trials in batches."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

import numpy as np

from autonet.train.history import resolve_mode
from autonet.tune.results import Results
from autonet.tune.space import Choice, as_distribution
from autonet.tune.trial import Inline, run_trial

MAX_GRID = 10**6  # a bigger grid without an n_trials cap would never finish: refused


def _count(value: Any, call: str, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{call}: {name} must be an integer >= {minimum}, got {value!r} "
                        f"({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{call}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


class _Search:
    def __init__(self, train_fn: Callable[..., Any], space: Mapping[str, Any], *,
                 metric: str = "val_loss", mode: str | None = None, n_trials: int | None = None,
                 seed: int = 0, same_seed: bool = True, executor: Executor | None = None,
                 n_jobs: int = 1) -> None:
        call = type(self).__name__
        if not callable(train_fn):
            raise TypeError(f"{call}: train_fn must be callable, got {train_fn!r}")
        if not isinstance(space, Mapping):
            raise TypeError(f"{call}: space must be a dict of name -> values or distribution, "
                            f"got {space!r} ({type(space).__name__})")
        if not space:
            raise ValueError(f"{call}: the search space is empty; give e.g. "
                             "{'lr': [0.01, 0.1]}")
        for name in space:
            if not isinstance(name, str):
                raise TypeError(f"{call}: space names must be strings, got {name!r}")
        if not isinstance(metric, str):
            raise TypeError(f"{call}: metric must be a string such as 'val_loss', got "
                            f"{metric!r}")
        if n_trials is not None:
            n_trials = _count(n_trials, call, "n_trials")
        _count(seed, call, "seed", minimum=0)
        if not isinstance(same_seed, bool | np.bool_):
            raise TypeError(f"{call}: same_seed must be True or False, got {same_seed!r}")
        if executor is not None and not isinstance(executor, Executor):
            raise TypeError(f"{call}: executor must be a concurrent.futures.Executor (e.g. "
                            f"client.get_executor() of Dask), got {type(executor).__name__}")
        self.train_fn, self.space = train_fn, dict(space)
        self.metric, self.mode = metric, resolve_mode(mode, metric, call)
        self.n_trials, self.seed, self.same_seed = n_trials, int(seed), bool(same_seed)
        self.executor, self.n_jobs = executor, _count(n_jobs, call, "n_jobs")

    def trial_seed(self, index: int) -> int:
        """Seed of trial ``index``, fixed by the search seed, independent of scheduling order. With
        ``same_seed`` (the default) every trial gets the same one: two settings are then compared
        on the same initialization and batch order, so the difference is the hyperparameters'
        and not luck. ``same_seed=False`` gives each trial its own (to see seed noise). A tuned
        ``seed`` in the space is the trial's seed instead."""
        key = [self.seed] if self.same_seed else [self.seed, index]
        return int(np.random.SeedSequence(key).generate_state(1)[0] % 2**31)

    def _seed_of(self, index: int, params: dict) -> int:
        tuned = params.get("seed")
        if isinstance(tuned, int | np.integer) and not isinstance(tuned, bool) and tuned >= 0:
            return int(tuned)
        return self.trial_seed(index)

    def _open_executor(self) -> tuple[Executor, bool]:
        if self.executor is not None:
            return self.executor, False
        if self.n_jobs > 1:
            return ProcessPoolExecutor(self.n_jobs), True
        return Inline(), True

    def _record(self, index: int, params: dict, future: Future) -> dict[str, Any]:
        try:
            outcome = future.result()
        except Exception as err:  # the executor itself failed (e.g. unpicklable train_fn)
            error = f"{type(err).__name__}: {err}"
            if "pickle" in error.lower():
                error += ("; trials in other processes (n_jobs > 1, Dask) need a train_fn "
                          "defined at module level, not a lambda or a nested function")
            outcome = {"status": "failed", "metrics": {}, "time": 0.0, "error": error}
        return {"trial": index, "params": params, "seed": self._seed_of(index, params),
                **outcome}

    def _run_batch(self, executor: Executor, batch: list[tuple[int, dict]]) -> list[dict]:
        futures = [executor.submit(run_trial, self.train_fn, params, self._seed_of(i, params),
                                   self.metric) for i, params in batch]
        return [self._record(i, params, f) for (i, params), f in zip(batch, futures)]

    def candidates(self) -> Iterable[dict[str, Any]]:
        raise NotImplementedError

    def planned_trials(self) -> int:
        """How many trials ``run()`` will run (the grid within its cap, or the budget)."""
        return sum(1 for _ in self.candidates())

    def run(self) -> Results:
        """Run every trial (within the budget) and return the ranked Results. Candidates are
        drawn lazily, a few batches of trials in flight at a time."""
        executor, owned = self._open_executor()
        trials: list[dict] = []
        try:
            pending = enumerate(self.candidates())
            while batch := list(itertools.islice(pending, max(64, 4 * self.n_jobs))):
                trials += self._run_batch(executor, batch)
        finally:
            if owned:
                executor.shutdown()
        return Results(trials, self.metric, self.mode, self.space)


class GridSearch(_Search):
    """Every combination of the listed values (Cartesian product), in order, enumerated lazily;
    ``n_trials`` caps the number tried. Each space entry is a list of values. A grid of more
    than ``MAX_GRID`` (a million) combinations needs an ``n_trials`` cap."""

    def __init__(self, train_fn: Callable[..., Any], space: Mapping[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(train_fn, space, **kwargs)
        self._values = []
        for name, spec in self.space.items():
            if isinstance(spec, Choice):
                spec = spec.options
            if not isinstance(spec, list | tuple):
                raise TypeError(f"GridSearch: {name!r} must be a list of values, got {spec!r}; "
                                "use RandomSearch or BayesianSearch for continuous ranges")
            if not spec:
                raise ValueError(f"GridSearch: the values of {name!r} are an empty list, so the "
                                 "grid has no combinations; give at least one value")
            self._values.append(list(spec))
        size = math.prod(len(v) for v in self._values)
        if self.n_trials is None and size > MAX_GRID:
            sizes = " x ".join(f"{n}: {len(v)}" for n, v in zip(self.space, self._values))
            raise ValueError(f"GridSearch: the grid has {size} combinations ({sizes}), more "
                             f"than {MAX_GRID} can run; cap it with n_trials= or use "
                             "RandomSearch")
        self._size = size

    def planned_trials(self) -> int:
        return self._size if self.n_trials is None else min(self._size, self.n_trials)

    def candidates(self) -> Iterator[dict[str, Any]]:
        names = list(self.space)
        combos = itertools.product(*self._values)
        if self.n_trials is not None:
            combos = itertools.islice(combos, self.n_trials)
        return (dict(zip(names, combo)) for combo in combos)


class RandomSearch(_Search):
    """``n_trials`` (default 10) independent draws from the space: lists are uniform choices,
    or give ``Uniform``, ``LogUniform``, ``IntUniform``, ``Choice``. Random search beats grid
    search when only a few hyperparameters matter: every trial tries a new value of each."""

    def __init__(self, train_fn: Callable[..., Any], space: Mapping[str, Any],
                 **kwargs: Any) -> None:
        super().__init__(train_fn, space, **kwargs)
        self._dists = {k: as_distribution(type(self).__name__, k, v)
                       for k, v in self.space.items()}

    def planned_trials(self) -> int:
        return self.n_trials or 10

    def candidates(self) -> Iterator[dict[str, Any]]:
        rng = np.random.default_rng(self.seed)
        return ({k: d.sample(rng) for k, d in self._dists.items()}
                for _ in range(self.planned_trials()))
