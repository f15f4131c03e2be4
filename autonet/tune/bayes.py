"""BayesianSearch: Optuna's TPE proposes each batch of trials from the scores so far."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from autonet.tune.results import Results
from autonet.tune.search import _count, _Search
from autonet.tune.space import Distribution, IntUniform, LogUniform, Uniform, as_distribution


class BayesianSearch(_Search):
    """Sequential model-based search with Optuna's TPE sampler: each new batch of trials is
    proposed from a model of which settings scored well so far. Needs ``pip install
    autonet[tune]``. ``batch_size`` trials (default ``n_jobs``) run per batch."""

    def __init__(self, train_fn: Callable[..., Any], space: Mapping[str, Any], *,
                 batch_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(train_fn, space, **kwargs)
        self.batch_size = self.n_jobs if batch_size is None else _count(
            batch_size, "BayesianSearch", "batch_size")
        self._dists = {k: as_distribution("BayesianSearch", k, v) for k, v in self.space.items()}

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
        except ImportError:
            raise ImportError("BayesianSearch needs Optuna: pip install 'autonet[tune]' (in a "
                              "source checkout: pip install -e '.[tune]')") from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
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
                batch = [(len(trials) + j, {k: self._suggest(t, k, d)
                                            for k, d in self._dists.items()})
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
