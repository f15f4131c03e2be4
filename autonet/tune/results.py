"""Finished trials ranked best first: the table, CSV, plain text and plots of a search."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from typing import Any

from autonet.train.history import resolve_mode


class Results:
    """Finished trials, best first (by ``metric``, ``mode`` "min" or "max"); failed trials last.

    ``table`` is a list of flat dicts: trial, status, each hyperparameter, each metric, seed,
    time, error."""

    def __init__(self, trials: list[dict[str, Any]], metric: str, mode: str,
                 space: Mapping[str, Any]) -> None:
        self.metric, self.mode, self.space = metric, mode, dict(space)
        sign = 1.0 if resolve_mode(mode, metric, "Results") == "min" else -1.0

        def key(t: dict) -> tuple:
            ok = t["status"] == "ok"
            return (not ok, sign * t["metrics"][metric] if ok else 0.0, t["trial"])

        self.trials = sorted(trials, key=key)

    @property
    def table(self) -> list[dict[str, Any]]:
        rows = []
        for t in self.trials:  # a tuned seed is the trial's seed: one column, its value
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
        if not self.trials:
            raise RuntimeError("tune: the search ran no trials (its space has no candidates), "
                               "so there is no best")
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
        return [*cols, *(["seed"] if "seed" not in cols else []), "time", "error"]

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
        from autonet.tune.plot import plot_search

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


def format_value(v: Any) -> str:
    """A hyperparameter value as the table, the CSV and the plot show it: layer sizes (16, 16)
    as 16-16 and (8,) as 8, floats with 6 significant digits."""
    if isinstance(v, tuple | list):
        return "-".join(str(x) for x in v)
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
