"""Hooks into fit: the Callback base, the TrainState it sees, and EarlyStopping."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autonet.arguments import flag, integer, number
from autonet.data.loader import DataLoader
from autonet.train.history import History, resolve_mode


class TrainState:
    """What callbacks see; see Callback."""

    def __init__(self, model: Any, optimizer: Any, scheduler: Any, history: History,
                 loader: DataLoader, callbacks: Sequence[Callback] = ()) -> None:
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.history, self.loader, self.callbacks = history, loader, list(callbacks)
        self.epoch = 0
        self.logs: dict[str, float] = {}
        self.stop = False
        self.compiled: dict[str, Any] | None = None  # fit(compile=True): the compiled steps


class Callback:
    """Hooks into ``fit``. ``state`` has model, optimizer, scheduler, history, epoch (1-based,
    just finished), logs (this epoch's record), loader, callbacks, ``stop`` (set True to end
    training), and ``compiled`` (None, or with ``fit(compile=True)`` the compiled steps
    {"train": ..., "val": ...}). A callback that remembers something across epochs returns it
    from ``state_dict`` so that a Checkpoint saves it and ``fit(resume=...)`` gives it back."""

    def state_dict(self) -> dict[str, Any]:
        """What this callback must carry over a checkpoint: numbers, strings, None, arrays, and
        dicts/lists of them (stored with an.save). Default: nothing."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Take back what ``state_dict`` returned; on resume fit calls it after
        ``on_train_begin``, so it overrides whatever that reset."""

    def on_train_begin(self, state: TrainState) -> None:
        pass

    def on_batch_end(self, state: TrainState, batch: int, loss: float) -> None:
        """After each optimizer step: ``batch`` is its 1-based number in the epoch, ``loss`` the
        value minimized on it (including fit's L1/L2 penalty when there is one)."""

    def on_epoch_end(self, state: TrainState) -> None:
        pass

    def on_train_end(self, state: TrainState) -> None:
        pass

    def on_diverged(self, state: TrainState) -> None:
        """The loss became NaN/Inf and fit is about to raise TrainingDiverged (on_train_end is
        not called: the weights are not worth saving)."""


class BatchLosses(Callback):
    """Records the loss of every mini-batch step (``.losses``, with ``.epochs`` saying which
    epoch each came from): the course's "cost per iteration" plot is ``plt.plot(cb.losses)``."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.epochs: list[int] = []

    def state_dict(self) -> dict[str, Any]:
        return {"losses": list(self.losses), "epochs": list(self.epochs)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.losses = [float(v) for v in state["losses"]]
        self.epochs = [int(v) for v in state["epochs"]]

    def on_batch_end(self, state: TrainState, batch: int, loss: float) -> None:
        self.losses.append(float(loss))
        self.epochs.append(state.epoch + 1)  # state.epoch is the last finished one


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs
    in a row (training ends ``patience`` epochs after the best one; 0 acts like 1); with
    ``restore_best_weights`` the model ends with the weights of its best epoch."""

    def __init__(self, monitor: str = "val_loss", patience: int = 10, min_delta: float = 0.0,
                 mode: str | None = None, restore_best_weights: bool = True) -> None:
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be a logged name such as 'val_loss', "
                            f"got {monitor!r}")
        patience = integer(patience, "EarlyStopping", "patience", minimum=0)
        min_delta = number(min_delta, "EarlyStopping", "min_delta")
        self.monitor, self.patience, self.min_delta = monitor, patience, abs(min_delta)
        self.mode = resolve_mode(mode, monitor, "EarlyStopping")
        self.restore_best_weights = flag(restore_best_weights, "EarlyStopping",
                                         "restore_best_weights")
        self.best: float = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.best_state: dict[str, np.ndarray] | None = None
        self.wait = 0
        self.stopped_epoch = 0

    def on_train_begin(self, state: TrainState) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait, self.best_state, self.stopped_epoch, self.best_epoch = 0, None, 0, 0

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, state: TrainState) -> None:
        if self.monitor not in state.logs:
            raise KeyError(f"EarlyStopping: {self.monitor!r} is not logged (have "
                           f"{sorted(state.logs)}); pass val_data to fit or monitor 'loss'")
        value = state.logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best_weights:
                self.best_state = _copy_arrays(state.model.state_dict())
        else:
            self.wait += 1
            if self.wait >= max(self.patience, 1):
                self.stopped_epoch = state.epoch
                state.stop = True

    def on_train_end(self, state: TrainState) -> None:
        if self.restore_best_weights and self.best_state is not None:
            state.model.load_state_dict(self.best_state)

    def on_diverged(self, state: TrainState) -> None:
        self.on_train_end(state)  # leave the model with its best weights, not NaN

    def state_dict(self) -> dict[str, Any]:
        return {"monitor": self.monitor, "mode": self.mode, "best": float(self.best),
                "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_state": self.best_state}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if (state["monitor"], state["mode"]) != (self.monitor, self.mode):
            raise ValueError(f"EarlyStopping: the checkpoint watched {state['monitor']!r} "
                             f"({state['mode']}), this one watches {self.monitor!r} "
                             f"({self.mode}); resume with the same monitor and mode")
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])
        self.wait, self.stopped_epoch = int(state["wait"]), int(state["stopped_epoch"])
        best_state = state["best_state"]
        self.best_state = None if best_state is None else _copy_arrays(best_state)


def _copy_arrays(weights: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.array(v, copy=True) for k, v in weights.items()}
