"""The fit loop: epochs of mini-batch steps (forward, loss, backward, optimizer step), validation,
the learning-rate schedule, History, progress bars and callbacks.

One epoch is one pass over the training data; one step is one mini-batch: forward, loss,
backward, optimizer step. ``batch_size`` picks stochastic (1), mini-batch, or batch (m, all
training examples) gradient descent.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autonet.arguments import flag, integer, number
from autonet.autograd.compile import compile as compile_step
from autonet.nn.functional import weight_penalty
from autonet.tensor import Tensor
from autonet.train.callbacks import Callback, TrainState
from autonet.train.checkpoint import Checkpoint, restore
from autonet.train.evaluation import as_loader, evaluate, split_batch
from autonet.train.history import History, mode_for
from autonet.train.metrics import accuracy, threshold_for
from autonet.train.progress import progress_bar


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; ``.history`` holds the epochs finished before it."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


TrainingDiverged.__module__ = "autonet.train"  # tracebacks name the public path


def fit(model: Any, loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: Any, train_data: Any,
        epochs: int = 10, val_data: Any = None, scheduler: Any = None,
        callbacks: Sequence[Callback] = (), batch_size: int = 32, shuffle: bool = True,
        seed: int | None = 0, l1: float = 0.0, l2: float = 0.0,
        metrics: Mapping[str, Callable] | None = None, verbose: int = 1,
        resume: str | os.PathLike | None = None, compile: bool = False) -> History:
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
        callbacks: EarlyStopping, Checkpoint, BatchLosses, or your own Callback subclasses
            (``on_batch_end(state, batch, loss)`` runs after every step).
        l1, l2: penalties on the weight matrices (parameters with 2 or more dimensions)
            added to the loss: ``l1 * sum |W| + (l2 / 2) * sum W^2``
            (``an.nn.functional.weight_penalty``); the course's ``lambd / (2m) sum ||W||^2`` is
            ``l2=lambd / m``. History's "loss" stays the data loss (comparable with
            "val_loss"); with a penalty "cost" records loss + penalty, the course's J
            (``history.cost_key`` names the one to plot).
        metrics: extra ``name -> fn(output array, target array)`` computed on validation data.
        verbose: 0 silent; 1 progress bars when stderr is a terminal or in Jupyter; 2 also one
            line per epoch.
        resume: a checkpoint file from ``Checkpoint``: restores model, optimizer, scheduler,
            history, random generators and the callbacks' states (pass the same kinds of
            callbacks in the same order), then runs the remaining epochs up to ``epochs``
            (none if a callback had stopped the run).
        compile: run each training step (forward, loss, penalty, backward) and each validation
            step through ``an.compile``: traced on the first batch of each shape, replayed as
            straight-line numpy afterwards; the run equals the eager one bit for bit (the
            optimizer step stays eager). A partial last batch is one more trace. The first
            replays also run eagerly and raise CompileError at the first op that differs
            (a loss or layer that froze a value at trace time). Callbacks see the compiled
            steps as ``state.compiled`` ({"train": ..., "val": ...}; their ``traces`` and
            ``replays`` count what ran, checked replays aside).

    Raises:
        TrainingDiverged: the loss became NaN/Inf; the message names the epoch and batch.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    if isinstance(callbacks, Callback) or not isinstance(callbacks, Sequence | tuple):
        raise TypeError(f"fit: callbacks must be a list of Callbacks, got {callbacks!r:.60}; "
                        "write callbacks=[EarlyStopping()]")
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be Callback instances, got {cb!r:.60}")
    l1, l2 = number(l1, "fit", "l1", low=0.0), number(l2, "fit", "l2", low=0.0)
    compile = flag(compile, "fit", "compile")
    seed = None if seed is None else integer(seed, "fit", "seed", minimum=0)
    batch_size = integer(batch_size, "fit", "batch_size", minimum=1)
    verbose = int(verbose) if isinstance(verbose, bool) else integer(verbose, "fit", "verbose",
                                                                          minimum=0)
    shuffle = flag(shuffle, "fit", "shuffle")
    _check_loss_and_optimizer(model, loss_fn, optimizer)
    loader = _batches(as_loader(train_data, batch_size, shuffle, seed, "train_data"),
                      "train_data")
    val_loader = None if val_data is None else _batches(
        as_loader(val_data, max(batch_size, 256), False, None, "val_data"), "val_data")
    history = History()
    history.cost_key = "cost" if (l1 or l2) else "loss"
    plateau_key = "loss" if val_loader is None else "val_loss"
    if getattr(scheduler, "steps_on_metric", False):
        _check_plateau_mode(scheduler, plateau_key)
    if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise ValueError(f"fit: the scheduler {type(scheduler).__name__} was made for another "
                         "optimizer than the one fit steps, so it would never change this one's "
                         "learning rate; make it from the same optimizer: "
                         "Scheduler(optimizer, ...)")
    callbacks = list(callbacks)
    state = TrainState(model, optimizer, scheduler, history, loader, callbacks)
    saved_callbacks = None if resume is None else restore(state, resume)
    train_step = _train_step(model, loss_fn, l1, l2)
    val_step = _val_step(model, loss_fn)
    if compile:  # the first replays are checked against eager: what froze fails loudly there
        train_step = compile_step(train_step, check=True)
        val_step = compile_step(val_step, check=True)
        state.compiled = {"train": train_step, "val": val_step}
    threshold = threshold_for(loss_fn, model)
    for cb in callbacks:
        cb.on_train_begin(state)
    for cb, cb_state in zip(callbacks, saved_callbacks or ()):
        cb.load_state_dict(cb_state)
    # Checkpoints save after the others' epoch end and before their train end (see Checkpoint)
    savers = [cb for cb in callbacks if isinstance(cb, Checkpoint)]
    others = [cb for cb in callbacks if not isinstance(cb, Checkpoint)]
    epoch_bar = progress_bar(epochs, verbose, "epochs", True, 0)
    if epoch_bar is not None:
        epoch_bar.update(state.epoch)
    try:
        last = state.epoch if state.stop else epochs  # a stopped run stays stopped
        for epoch in range(state.epoch + 1, last + 1):
            start = time.perf_counter()
            lr = _lr(optimizer)
            logs = _train_epoch(state, train_step, epoch, bool(l1 or l2), threshold, verbose)
            if val_loader is not None:
                val = evaluate(model, loss_fn, val_loader, metrics=metrics, step=val_step)
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["lr"] = lr
            if scheduler is not None:
                if getattr(scheduler, "steps_on_metric", False):
                    scheduler.step(logs[plateau_key])
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


def _train_step(model: Any, loss_fn: Callable, l1: float, l2: float) -> Callable:
    """One step without the update: ``step(x, y) -> (output, loss, objective)`` with the
    gradients of ``objective`` (loss + L1/L2 penalty) accumulated into the parameters."""
    def train_step(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        output = model(x)
        loss = loss_fn(output, y)
        penalty = _penalty(model, l1, l2)
        objective = loss if penalty is None else loss + penalty
        objective.backward()
        return output, loss, objective
    return train_step


def _val_step(model: Any, loss_fn: Callable) -> Callable:
    """``step(x, y) -> (output, loss)``, run by evaluate in eval mode without a graph."""
    def val_step(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        output = model(x)
        return output, loss_fn(output, y)
    return val_step


def _train_epoch(state: TrainState, train_step: Callable, epoch: int, penalized: bool,
                 threshold: float, verbose: int) -> dict[str, float]:
    model, optimizer, loader = state.model, state.optimizer, state.loader
    model.train()
    total, cost, correct, n, counted = 0.0, 0.0, 0.0, 0, 0
    bar = progress_bar(len(loader), verbose, f"epoch {epoch}", False, 1)
    try:
        for b, batch in enumerate(loader, start=1):
            x, y = split_batch(batch)
            optimizer.zero_grad()
            output, loss, objective = train_step(x, y)
            value = float(loss.item())
            if not math.isfinite(value):
                raise TrainingDiverged(
                    f"fit: the loss is {value} at epoch {epoch}, batch {b} of {len(loader)} "
                    f"(lr={_lr(optimizer):.4g}); lower the learning rate, standardize the "
                    "inputs, or check the data for NaN/Inf", state.history)
            optimizer.step()
            size = len(y.data)
            total, n = total + value * size, n + size
            cost += float(objective.item()) * size
            acc = accuracy(output.data, y.data, threshold)
            if acc is not None:
                correct, counted = correct + acc * size, counted + size
            if bar is not None:
                bar.set_postfix(loss=f"{value:.4g}")
                bar.update(1)
            for cb in state.callbacks:
                cb.on_batch_end(state, b, float(objective.item()) if penalized else value)
    finally:
        if bar is not None:
            bar.close()
    logs = {"loss": total / n}
    if penalized:
        logs["cost"] = cost / n
    if counted:
        logs["accuracy"] = correct / counted
    return logs


def _penalty(model: Any, l1: float, l2: float) -> Tensor | None:
    """fit's L1/L2 term on the weight matrices (parameters with ndim >= 2; biases are not
    penalized): ``an.nn.functional.weight_penalty``, the one implementation."""
    if not l1 and not l2:
        return None
    return weight_penalty([p for p in model.parameters() if p.ndim >= 2], l1, l2)


def _batches(loader: Any, name: str) -> Any:
    """``loader``, unless it gives no batches (an epoch would divide by zero batches)."""
    if len(loader) == 0:
        raise ValueError(f"fit: {name} gives no batches ({len(loader.dataset)} samples, "
                         f"batch_size={loader.batch_size}, drop_last={loader.drop_last}); "
                         "use a smaller batch_size or drop_last=False")
    return loader


def _check_loss_and_optimizer(model: Any, loss_fn: Any, optimizer: Any) -> None:
    """A loss class passed uninstantiated, or an optimizer over another model's parameters,
    would fail far away or train nothing in silence."""
    if isinstance(loss_fn, type):
        raise TypeError(f"fit: loss_fn is the class {loss_fn.__name__}; pass an instance, "
                        f"e.g. {loss_fn.__name__}() (or a function loss(output, target))")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable as loss_fn(output, target), got "
                        f"{type(loss_fn).__name__}")
    if not all(callable(getattr(optimizer, m, None)) for m in ("zero_grad", "step")):
        raise TypeError(f"fit: optimizer must have zero_grad() and step(), as an an.optim "
                        f"optimizer such as SGD(model.parameters(), lr=0.1) does; got "
                        f"{optimizer!r:.60} ({type(optimizer).__name__})")
    groups = getattr(optimizer, "param_groups", None)
    parameters = getattr(model, "parameters", None)
    if groups is None or parameters is None:
        return
    mine = {id(p) for p in parameters()}
    theirs = [p for g in groups for p in g["params"]]
    if mine and theirs and not any(id(p) in mine for p in theirs):
        raise ValueError(f"fit: the optimizer updates {len(theirs)} parameter(s), none of which "
                         f"belongs to the model being trained ({len(mine)} parameters), so "
                         f"training would change nothing; build it over this model: "
                         f"{type(optimizer).__name__}(model.parameters(), ...)")


def _check_plateau_mode(scheduler: Any, key: str) -> None:
    """fit hands a metric-driven scheduler (ReduceLROnPlateau) ``key`` every epoch; its mode
    must agree with the way ``key`` improves (the rule EarlyStopping and the searches use)."""
    expected = mode_for(key)
    mode = getattr(scheduler, "mode", expected)
    if mode != expected:
        raise ValueError(f"fit: {type(scheduler).__name__}(mode={mode!r}) is stepped with "
                         f"{key}, which improves towards its {expected}imum; build it with "
                         f"mode={expected!r}")


def _lr(optimizer: Any) -> float:
    """The learning rate of the first parameter group (NaN for an optimizer without groups)."""
    groups = getattr(optimizer, "param_groups", None)
    return float(groups[0]["lr"]) if groups else math.nan
