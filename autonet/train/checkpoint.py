"""Resumable checkpoints of a fit run: the Checkpoint callback, the file (one .npz written with
an.save, no pickle), and restoring a run from it."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from autonet.arguments import integer
from autonet.train.callbacks import Callback, TrainState

_FORMAT = "autonet-fit-checkpoint-2"
_OLD_FORMAT = "autonet-fit-checkpoint-1"  # before callbacks' states and the stop flag
_ENTRIES = {"epoch", "model", "optimizer", "scheduler", "history", "loader_rng", "global_rng"}


class Checkpoint(Callback):
    """Save everything needed to resume (model, optimizer, scheduler, epoch, history, the
    loader's and autonet's random generators, every callback's ``state_dict``, whether a callback
    stopped the run) to ``path`` every ``every`` epochs and at the end. Resume with
    ``fit(..., resume=path)`` and the same callbacks; training then continues bit-identically.

    Wherever it sits in the callback list, fit runs a Checkpoint's ``on_epoch_end`` after the
    other callbacks' (so the file holds their state for that epoch) and its ``on_train_end``
    before theirs (so the file holds the last weights, not those EarlyStopping restores)."""

    def __init__(self, path: str | os.PathLike, every: int = 1) -> None:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"Checkpoint: path must be a str or os.PathLike, got {path!r} "
                            f"({type(path).__name__})")
        self.path, self.every = Path(path), integer(every, "Checkpoint", "every", minimum=1)

    def on_epoch_end(self, state: TrainState) -> None:
        if state.epoch % self.every == 0:
            save_checkpoint(self.path, state)

    def on_train_end(self, state: TrainState) -> None:
        if state.epoch and state.epoch % self.every != 0:
            save_checkpoint(self.path, state)


def save_checkpoint(path: str | os.PathLike, state: TrainState) -> None:
    """Write the resumable state of a run (see Checkpoint) to ``path``."""
    from autonet.creation import rng
    from autonet.io import save

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save({
        "format": _FORMAT,
        "epoch": state.epoch,
        "stop": state.stop,
        # by position: [class name, state]; restore checks the names against the resumed run
        "callbacks": [[type(cb).__name__, cb.state_dict()] for cb in state.callbacks],
        "model": state.model.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "optimizer_kind": type(state.optimizer).__name__,
        "scheduler": state.scheduler.state_dict() if state.scheduler is not None else None,
        "history": state.history.state_dict(),
        "loader_rng": state.loader.rng_state(),
        "global_rng": rng().bit_generator.state,
    }, path)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """The dict written by ``save_checkpoint``: model, optimizer, scheduler state dicts, epoch,
    stop, history, the random generator states, and "callbacks" ([class name, state] each)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"load_checkpoint: {path} does not exist")
    from autonet.io import load

    tree = load(path)
    if not isinstance(tree, dict) or tree.get("format") not in (_FORMAT, _OLD_FORMAT):
        raise ValueError(f"load_checkpoint: {path} is not an autonet checkpoint")
    missing = sorted(_ENTRIES - set(tree))
    if missing:
        raise ValueError(f"load_checkpoint: {path} lacks the entries {missing}; it is not a "
                         "complete fit checkpoint (write one with the Checkpoint callback)")
    epoch = tree["epoch"]
    if type(epoch) is not int or epoch < 0:
        raise ValueError(f"load_checkpoint: {path} has epoch={epoch!r}; a checkpoint's epoch "
                         "is the number of finished epochs, an integer >= 0")
    if type(tree.get("stop", False)) is not bool:
        raise ValueError(f"load_checkpoint: {path} has stop={tree['stop']!r}, not True/False")
    for key in ("model", "optimizer", "history"):
        if not isinstance(tree[key], dict):
            raise ValueError(f"load_checkpoint: {path} has a {key} entry of type "
                             f"{type(tree[key]).__name__}, not the dict state_dict() gives")
    return tree


def restore(state: TrainState, path: str | os.PathLike) -> list[Any] | None:
    """Load ``path`` into ``state``; return the callbacks' saved states (in order) for fit to
    hand to ``load_state_dict`` after ``on_train_begin``, or None for an old checkpoint."""
    from autonet.creation import rng

    tree = load_checkpoint(path)
    saved = tree.get("callbacks")
    if saved is not None:
        names = [type(cb).__name__ for cb in state.callbacks]
        if names != [name for name, _ in saved]:
            raise ValueError(f"fit: {path} was saved with callbacks {[n for n, _ in saved]} "
                             f"but resume got {names}; pass the same kinds of callbacks in the "
                             "same order (or load_checkpoint the weights into a fresh run)")
    elif any(type(cb).state_dict is not Callback.state_dict for cb in state.callbacks):
        warnings.warn(f"fit: {path} predates saved callback states; callbacks such as "
                      "EarlyStopping start afresh", RuntimeWarning, stacklevel=3)
    kind = tree.get("optimizer_kind", type(state.optimizer).__name__)
    if kind != type(state.optimizer).__name__:
        raise ValueError(f"fit: {path} was saved by a {kind} optimizer but resume got a "
                         f"{type(state.optimizer).__name__}; resume with the same optimizer")
    state.model.load_state_dict(tree["model"])
    state.optimizer.load_state_dict(tree["optimizer"])
    if state.scheduler is None and tree["scheduler"] is not None:
        raise ValueError(f"fit: {path} was saved with a scheduler but none was given; pass "
                         "the same scheduler to resume")
    if state.scheduler is not None:
        if tree["scheduler"] is None:
            raise ValueError(f"fit: {path} was saved without a scheduler but one was given")
        state.scheduler.load_state_dict(tree["scheduler"])
    state.history.load_state_dict(tree["history"])
    state.loader.set_rng_state(tree["loader_rng"])
    rng().bit_generator.state = tree["global_rng"]
    state.epoch = int(tree["epoch"])
    state.stop = bool(tree.get("stop", False))
    return None if saved is None else [cb_state for _, cb_state in saved]
