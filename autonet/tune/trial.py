"""One trial: ``train_fn(**params, seed=seed)`` under the trial's random generator, its outcome
recorded (a failure is data, never raised)."""

from __future__ import annotations

import inspect
import math
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from typing import Any


def accepts_seed(fn: Callable) -> bool:
    """Whether ``fn`` takes a ``seed`` keyword (or ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "seed" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def run_trial(fn: Callable[..., Any], params: dict[str, Any], seed: int,
              metric: str) -> dict[str, Any]:
    """Run ``fn(**params, seed=seed)`` with this thread's random generator seeded by ``seed``
    and return a record ``{"status", "metrics", "error", "time"}``; exceptions become
    ``status="failed"`` with the message (never raised). A ``seed`` in ``params`` (a tuned
    seed) is passed as it is. Module-level so that process pools and Dask can ship it."""
    from autonet.random import seeded

    start = time.perf_counter()
    try:
        kwargs = dict(params)
        if accepts_seed(fn) and "seed" not in kwargs:
            kwargs["seed"] = seed
        with seeded(seed):  # this thread's draws (init, dropout) come from the trial seed
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


class Inline(Executor):
    """Runs each submitted call at once in this process (the sequential default)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # pragma: no cover - run_trial already catches
            future.set_exception(err)
        return future
