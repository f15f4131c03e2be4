"""History: the per-epoch record of a fit run, and which way each logged quantity improves."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np


class History:
    """Per-epoch records: ``history["loss"]`` is the list of training losses, one per epoch; also
    "accuracy", "val_loss", "val_accuracy" (when available), "lr" (the rate used in the epoch) and
    "time" (seconds). ``history.epoch`` lists the epoch numbers (1-based).

    "loss" is the data loss alone, never fit's L1/L2 penalty (so it compares with "val_loss");
    when fit ran with ``l1``/``l2``, "cost" records loss + penalty, the course's cost J.
    ``history.cost_key`` is the key of the quantity fit minimized ("cost" or "loss")."""

    def __init__(self) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}
        self.cost_key = "loss"

    def append(self, epoch: int, logs: Mapping[str, float]) -> None:
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            column = self.history.setdefault(key, [math.nan] * (len(self.epoch) - 1))
            column.append(float(value))
        for column in self.history.values():  # keys missing this epoch get NaN
            if len(column) < len(self.epoch):
                column.append(math.nan)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.history:
            raise KeyError(f"History has no {key!r}; it has {sorted(self.history)}")
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def keys(self) -> list[str]:
        return list(self.history)

    @property
    def last(self) -> dict[str, float]:
        """The final epoch's record."""
        return {k: v[-1] for k, v in self.history.items()} if self.epoch else {}

    def best(self, key: str = "val_loss", mode: str | None = None) -> tuple[int, float]:
        """(epoch, value) where ``key`` was best (min for losses, max for accuracies)."""
        mode = resolve_mode(mode, key, "History.best")
        values = np.asarray(self[key], dtype=np.float64)
        i = int(np.nanargmin(values) if mode == "min" else np.nanargmax(values))
        return self.epoch[i], float(values[i])

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in
                                                       self.history.items()}}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.epoch = [int(e) for e in state["epoch"]]
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}

    def to_csv(self, path: str | os.PathLike) -> None:
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *self.history])
            for i, epoch in enumerate(self.epoch):
                writer.writerow([epoch, *(f"{v[i]:.8g}" for v in self.history.values())])

    def to_json(self, path: str | os.PathLike) -> None:
        with open(path, "w") as f:
            json.dump(self.state_dict(), f, indent=1)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.last.items())
        return f"History({len(self)} epochs: {last})"

    def _repr_html_(self, limit: int = 20) -> str:
        """The epochs as a table in Jupyter (the first and last ``limit // 2`` of a long run)."""
        from autonet._html import html_table

        rows = [[epoch, *(f"{v[i]:.4g}" for v in self.history.values())]
                for i, epoch in enumerate(self.epoch)]
        if len(rows) > limit:
            rows = rows[:limit // 2] + [["..."] * len(rows[0])] + rows[-(limit // 2):]
        return html_table(["epoch", *self.history], rows, caption=f"History: {len(self)} epochs")


def mode_for(key: str) -> str:
    """Which way ``key`` improves: "max" for scores (a name containing acc, score or f1: accuracy,
    val_acc, f1_score), "min" for the rest (losses, errors). The one rule that EarlyStopping,
    History.best, fit's check of a ReduceLROnPlateau and the hyperparameter searches share."""
    return "max" if any(w in key for w in ("acc", "score", "f1")) else "min"


def resolve_mode(mode: str | None, key: str, call: str) -> str:
    """``mode`` checked ("min" or "max"), or ``mode_for(key)`` when it is None."""
    if mode is None:
        return mode_for(key)
    if mode not in ("min", "max"):
        raise ValueError(f"{call}: mode must be 'min', 'max' or None (from the name {key!r}: "
                         f"{mode_for(key)!r}), got {mode!r}")
    return mode
