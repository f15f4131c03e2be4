"""The fit loop: mini-batches, validation, History, progress bar, callbacks, checkpoints.

    history = an.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01),
                     (X_train, y_train), epochs=100, val_data=(X_val, y_val), batch_size=32,
                     callbacks=[an.train.EarlyStopping(patience=10)])
    history["val_loss"], history.best("val_loss")

One epoch is one pass over the training data; one step is one mini-batch: forward, loss,
backward, optimizer step. ``batch_size`` picks stochastic (1), mini-batch, or batch (N) descent.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autonet.autograd.graph import no_grad
from autonet.data.dataset import Dataset
from autonet.data.loader import DataLoader
from autonet.tensor import Tensor

__all__ = ["Callback", "Checkpoint", "EarlyStopping", "History", "TrainingDiverged",
           "accuracy", "evaluate", "fit", "load_checkpoint", "predict", "save_checkpoint"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; ``.history`` holds the epochs finished before it."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


# ---- History -------------------------------------------------------------------------------------
class History:
    """Per-epoch records: ``history["loss"]`` is the list of training losses, one per epoch; also
    "accuracy", "val_loss", "val_accuracy" (when available), "lr" (the rate used in the epoch) and
    "time" (seconds). ``history.epoch`` lists the epoch numbers (1-based)."""

    def __init__(self) -> None:
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}

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
        values = np.asarray(self[key], dtype=np.float64)
        mode = mode or _mode_for(key)
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


def _mode_for(key: str) -> str:
    return "max" if any(w in key for w in ("acc", "score", "f1")) else "min"


# ---- metrics -------------------------------------------------------------------------------------
def accuracy(output: np.ndarray, target: np.ndarray, threshold: float = 0.0) -> float | None:
    """Fraction classified right: argmax over classes for (N, C) outputs with class-index targets;
    ``output > threshold`` for one logit (N,) or (N, 1) against 0/1 targets. None for
    regression-like targets (non-integer values)."""
    output, target = np.asarray(output), np.asarray(target)
    if output.ndim == 2 and output.shape[1] > 1 and target.ndim == 1:
        return float(np.mean(output.argmax(axis=1) == target))
    if output.ndim == 2 and output.shape[1] > 1 and target.shape == output.shape \
            and _is_one_hot(target):
        # one-hot targets (MSE on softmax outputs): the class is the argmax of both
        return float(np.mean(output.argmax(axis=1) == target.argmax(axis=1)))
    if output.size == target.size and np.all((target == 0) | (target == 1)):
        return float(np.mean((output.reshape(-1) > threshold) == target.reshape(-1)))
    return None


def _is_one_hot(target: np.ndarray) -> bool:
    return bool(np.all((target == 0) | (target == 1)) and np.all(target.sum(axis=1) == 1))


def _threshold(loss_fn: Any, model: Any = None) -> float:
    """0.5 for probabilities, 0 for logits: probabilities when the loss is BCELoss (or
    binary_cross_entropy) or, for any other loss (a lambda, a wrapper), when the model's last
    module is a Sigmoid."""
    name = getattr(loss_fn, "__name__", type(loss_fn).__name__).lower()
    if name in ("bceloss", "binary_cross_entropy"):
        return 0.5
    last = model
    while last is not None and type(last).__name__ in ("Sequential", "ModuleList"):
        last = last[-1] if len(last) else None
    return 0.5 if type(last).__name__ == "Sigmoid" else 0.0


# ---- callbacks -----------------------------------------------------------------------------------
class Callback:
    """Hooks into ``fit``. ``state`` has model, optimizer, scheduler, history, epoch (1-based,
    just finished), logs (this epoch's record), loader, callbacks, and ``stop`` (set True to end
    training). A callback that remembers something across epochs returns it from ``state_dict``
    so that a Checkpoint saves it and ``fit(resume=...)`` gives it back."""

    def state_dict(self) -> dict[str, Any]:
        """What this callback must carry over a checkpoint: numbers, strings, None, arrays, and
        dicts/lists of them (stored with an.save). Default: nothing."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Take back what ``state_dict`` returned; on resume fit calls it after
        ``on_train_begin``, so it overrides whatever that reset."""

    def on_train_begin(self, state: TrainState) -> None:
        pass

    def on_epoch_end(self, state: TrainState) -> None:
        pass

    def on_train_end(self, state: TrainState) -> None:
        pass

    def on_diverged(self, state: TrainState) -> None:
        """The loss became NaN/Inf and fit is about to raise TrainingDiverged (on_train_end is
        not called: the weights are not worth saving)."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs
    in a row (training ends ``patience`` epochs after the best one; 0 acts like 1); with
    ``restore_best_weights`` the model ends with the weights of its best epoch."""

    def __init__(self, monitor: str = "val_loss", patience: int = 10, min_delta: float = 0.0,
                 mode: str | None = None, restore_best_weights: bool = True) -> None:
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, patience, abs(min_delta)
        self.mode = mode or _mode_for(monitor)
        self.restore_best_weights = restore_best_weights
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
                self.best_state = {k: np.array(v, copy=True)
                                   for k, v in state.model.state_dict().items()}
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
        self.best_state = None if best_state is None else {
            k: np.array(v, copy=True) for k, v in best_state.items()}


class Checkpoint(Callback):
    """Save everything needed to resume (model, optimizer, scheduler, epoch, history, the
    loader's and autonet's random generators, every callback's ``state_dict``, whether a callback
    stopped the run) to ``path`` every ``every`` epochs and at the end. Resume with
    ``fit(..., resume=path)`` and the same callbacks; training then continues bit-identically.

    Wherever it sits in the callback list, fit runs a Checkpoint's ``on_epoch_end`` after the
    other callbacks' (so the file holds their state for that epoch) and its ``on_train_end``
    before theirs (so the file holds the last weights, not those EarlyStopping restores)."""

    def __init__(self, path: str | os.PathLike, every: int = 1) -> None:
        if every < 1:
            raise ValueError(f"Checkpoint: every must be >= 1, got {every}")
        self.path, self.every = Path(path), every

    def on_epoch_end(self, state: TrainState) -> None:
        if state.epoch % self.every == 0:
            save_checkpoint(self.path, state)

    def on_train_end(self, state: TrainState) -> None:
        if state.epoch and state.epoch % self.every != 0:
            save_checkpoint(self.path, state)


# ---- checkpoint files (an.save: one .npz, no pickle) -------------------------------------------
def save_checkpoint(path: str | os.PathLike, state: TrainState) -> None:
    """Write the resumable state of a run (see Checkpoint) to ``path``."""
    from autonet.creation import rng
    from autonet.io import save

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save({
        "format": _FORMAT,
        "epoch": state.epoch,
        "stop": state.stop,
        # by position: [class name, state]; _restore checks the names against the resumed run
        "callbacks": [[type(cb).__name__, cb.state_dict()] for cb in state.callbacks],
        "model": state.model.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "scheduler": state.scheduler.state_dict() if state.scheduler is not None else None,
        "history": state.history.state_dict(),
        "loader_rng": state.loader.rng_state(),
        "global_rng": rng().bit_generator.state,
    }, path)


_FORMAT = "autonet-fit-checkpoint-2"
_OLD_FORMAT = "autonet-fit-checkpoint-1"  # before callbacks' states and the stop flag


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """The dict written by ``save_checkpoint``: model, optimizer, scheduler state dicts, epoch,
    stop, history, the random generator states, and "callbacks" ([class name, state] each)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"load_checkpoint: {path} does not exist")
    from autonet.io import load

    tree = load(path)
    if not isinstance(tree, dict) or tree.get("format") not in (_FORMAT, _OLD_FORMAT):
        raise ValueError(f"load_checkpoint: {path} is not an autonet checkpoint")
    return tree


# ---- the loop ------------------------------------------------------------------------------------
class TrainState:
    """What callbacks see; see Callback."""

    def __init__(self, model: Any, optimizer: Any, scheduler: Any, history: History,
                 loader: DataLoader, callbacks: Sequence[Callback] = ()) -> None:
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.history, self.loader, self.callbacks = history, loader, list(callbacks)
        self.epoch = 0
        self.logs: dict[str, float] = {}
        self.stop = False


def _loader(data: Any, batch_size: int, shuffle: bool, seed: int | None, name: str) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset | tuple | list):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, seed=seed)
    raise TypeError(f"fit: {name} must be a DataLoader, a Dataset or a tuple (X, y), "
                    f"got {type(data).__name__}")


def _split(batch: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, tuple | list) or len(batch) < 2:
        raise ValueError("fit: each batch must be (inputs, targets); build the DataLoader from "
                         "a dataset that yields pairs, e.g. TensorDataset(X, y)")
    return batch[0], batch[1]


def _penalty(model: Any, l1: float, l2: float) -> Tensor | None:
    """L1 and L2 on the weight matrices (parameters with ndim >= 2; biases are not penalized):
    l1·Σ|W| + (l2/2)·ΣW², whose gradient adds l2·W, i.e. weight decay l2."""
    if not l1 and not l2:
        return None
    total = None
    for p in model.parameters():
        if p.ndim < 2:
            continue
        term = 0.0
        if l1:
            term = (p.abs().sum() * l1) + term
        if l2:
            term = (p * p).sum() * (l2 / 2) + term
        total = term if total is None else total + term
    return total


def _lr(optimizer: Any) -> float:
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else math.nan


def evaluate(model: Any, loss_fn: Callable, data: Any, batch_size: int = 256,
             metrics: Mapping[str, Callable] | None = None) -> dict[str, float]:
    """Mean loss (and accuracy for classification) of ``model`` on ``data`` in eval mode, without
    recording a graph. Returns {"loss": ..., "accuracy": ...}."""
    loader = _loader(data, batch_size, False, None, "data")
    was_training = getattr(model, "training", False)
    model.eval()
    total, n, outs, targets = 0.0, 0, [], []
    try:
        with no_grad():
            for batch in loader:
                x, y = _split(batch)
                out = model(x)
                total += float(loss_fn(out, y).item()) * len(y.data)
                n += len(y.data)
                outs.append(out.data)
                targets.append(y.data)
    finally:
        model.train(was_training)
    output, target = np.concatenate(outs), np.concatenate(targets)
    result = {"loss": total / n}
    acc = accuracy(output, target, _threshold(loss_fn, model))
    if acc is not None:
        result["accuracy"] = acc
    for name, fn in (metrics or {}).items():
        result[name] = float(fn(output, target))
    return result


def predict(model: Any, x: Any, batch_size: int = 1024) -> np.ndarray:
    """Model outputs for inputs ``x`` of shape (N, ...) in eval mode, as one numpy array."""
    x = x.data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            parts = [model(Tensor._wrap(np.ascontiguousarray(x[i:i + batch_size]))).data
                     for i in range(0, len(x), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(parts)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel, whose stderr is no terminal but shows tqdm's widget."""
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    shell = getattr(sys.modules["IPython"], "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _progress(total: int, verbose: int, desc: str, leave: bool, position: int) -> Any:
    if verbose < 1 or not (sys.stderr.isatty() or _in_notebook()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, leave=leave, position=position, dynamic_ncols=True,
                unit="batch" if position else "epoch")


def fit(model: Any, loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: Any, train_data: Any,
        epochs: int = 10, val_data: Any = None, scheduler: Any = None,
        callbacks: Sequence[Callback] = (), batch_size: int = 32, shuffle: bool = True,
        seed: int | None = 0, l1: float = 0.0, l2: float = 0.0,
        metrics: Mapping[str, Callable] | None = None, verbose: int = 1,
        resume: str | os.PathLike | None = None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data`` and return its History.

    Args:
        model: an nn.Module; called as ``model(x)`` on a batch of inputs.
        loss_fn: ``loss_fn(output, target) -> scalar Tensor``, e.g. nn.CrossEntropyLoss().
        optimizer: an optim.Optimizer over ``model.parameters()``.
        train_data: a DataLoader, a Dataset, or a tuple ``(X, y)`` (then batched with
            ``batch_size``, shuffled each epoch with ``seed``).
        val_data: same forms; evaluated after every epoch (eval mode, no graph).
        scheduler: an lr_scheduler, stepped once per epoch (ReduceLROnPlateau gets the
            validation loss, or the training loss without val_data).
        callbacks: EarlyStopping, Checkpoint, or your own Callback subclasses.
        l1, l2: penalties on the weight matrices added to the loss (see ``_penalty``).
        metrics: extra ``name -> fn(output array, target array)`` computed on validation data.
        verbose: 0 silent; 1 progress bars when stderr is a terminal or in Jupyter; 2 also one
            line per epoch.
        resume: a checkpoint file from ``Checkpoint``: restores model, optimizer, scheduler,
            history, random generators and the callbacks' states (pass the same kinds of
            callbacks in the same order), then runs the remaining epochs up to ``epochs``
            (none if a callback had stopped the run).

    Raises:
        TrainingDiverged: the loss became NaN/Inf; the message names the epoch and batch.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    loader = _loader(train_data, batch_size, shuffle, seed, "train_data")
    val_loader = None if val_data is None else _loader(val_data, max(batch_size, 256), False,
                                                      None, "val_data")
    history = History()
    callbacks = list(callbacks)
    state = TrainState(model, optimizer, scheduler, history, loader, callbacks)
    saved_callbacks = None if resume is None else _restore(state, resume)
    threshold = _threshold(loss_fn, model)
    for cb in callbacks:
        cb.on_train_begin(state)
    for cb, cb_state in zip(callbacks, saved_callbacks or ()):
        cb.load_state_dict(cb_state)
    # Checkpoints save after the others' epoch end and before their train end (see Checkpoint)
    savers = [cb for cb in callbacks if isinstance(cb, Checkpoint)]
    others = [cb for cb in callbacks if not isinstance(cb, Checkpoint)]
    epoch_bar = _progress(epochs, verbose, "epochs", True, 0)
    if epoch_bar is not None:
        epoch_bar.update(state.epoch)
    try:
        last = state.epoch if state.stop else epochs  # a stopped run stays stopped
        for epoch in range(state.epoch + 1, last + 1):
            start = time.perf_counter()
            lr = _lr(optimizer)
            logs = _train_epoch(state, loss_fn, epoch, l1, l2, threshold, verbose)
            if val_loader is not None:
                val = evaluate(model, loss_fn, val_loader, metrics=metrics)
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["lr"] = lr
            if scheduler is not None:
                if type(scheduler).__name__ == "ReduceLROnPlateau":
                    scheduler.step(logs.get("val_loss", logs["loss"]))
                else:
                    scheduler.step()
            logs["time"] = time.perf_counter() - start
            history.append(epoch, logs)
            state.epoch, state.logs = epoch, logs
            if epoch_bar is not None:
                epoch_bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()
                                       if k in ("loss", "val_loss", "accuracy", "val_accuracy")})
                epoch_bar.update(1)
            if verbose >= 2:
                print(f"epoch {epoch}/{epochs}: " + "  ".join(
                    f"{k}={v:.4g}" for k, v in logs.items()), file=sys.stderr)
            for cb in others + savers:
                cb.on_epoch_end(state)
            if state.stop:
                break
    except TrainingDiverged:
        for cb in callbacks:
            cb.on_diverged(state)
        raise
    finally:
        if epoch_bar is not None:
            epoch_bar.close()
    for cb in savers + others:
        cb.on_train_end(state)
    return history


def _train_epoch(state: TrainState, loss_fn: Callable, epoch: int, l1: float, l2: float,
                 threshold: float, verbose: int) -> dict[str, float]:
    model, optimizer, loader = state.model, state.optimizer, state.loader
    model.train()
    total, correct, n, counted = 0.0, 0.0, 0, 0
    bar = _progress(len(loader), verbose, f"epoch {epoch}", False, 1)
    try:
        for b, batch in enumerate(loader, start=1):
            x, y = _split(batch)
            optimizer.zero_grad()
            output = model(x)
            loss = loss_fn(output, y)
            value = float(loss.item())
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"fit: the loss is {value} at epoch {epoch}, batch {b} of {len(loader)} "
                    f"(lr={_lr(optimizer):.4g}); lower the learning rate, standardize the "
                    "inputs, or check the data for NaN/Inf", state.history)
            penalty = _penalty(model, l1, l2)
            (loss if penalty is None else loss + penalty).backward()
            optimizer.step()
            size = len(y.data)
            total, n = total + value * size, n + size
            acc = accuracy(output.data, y.data, threshold)
            if acc is not None:
                correct, counted = correct + acc * size, counted + size
            if bar is not None:
                bar.set_postfix(loss=f"{value:.4g}")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    logs = {"loss": total / n}
    if counted:
        logs["accuracy"] = correct / counted
    return logs


def _restore(state: TrainState, path: str | os.PathLike) -> list[Any] | None:
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
    state.model.load_state_dict(tree["model"])
    state.optimizer.load_state_dict(tree["optimizer"])
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

