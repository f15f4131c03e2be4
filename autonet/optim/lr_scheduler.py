"""Learning-rate schedules: call ``scheduler.step()`` once per epoch (after ``optimizer.step()``).

Each schedule is a closed-form function of the epoch counter and the groups' initial learning
rates, so it works with any optimizer and its ``state_dict()`` is a few numbers.

Schedules compose as in PyTorch: step two of them each epoch (warm-up ``LinearLR`` with
``ExponentialLR``, say) and their factors multiply, and an lr set by hand is kept and then scheduled
on from. Each scheduler carries over the ratio between a group's current lr and its own closed-form
value of the previous epoch; alone and untouched that ratio is exactly 1, so the sequence is the
closed form bit for bit. (``LambdaLR`` overwrites the lr, as PyTorch's does.)
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.arguments import function, integer, number, state_mapping
from autonet.optim.optimizer import Optimizer


class LRScheduler:
    """Base: sets each group's 'lr' to ``_lr(base_lr, epoch)`` on every ``step()``."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an an.optim optimizer, got "
                            f"{type(optimizer).__name__}")
        last_epoch = integer(last_epoch, type(self).__name__, "last_epoch", minimum=-1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        elif any("initial_lr" not in g for g in optimizer.param_groups):
            raise KeyError(f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                           "'initial_lr' in every param group (load the optimizer state first)")
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    _chainable = True

    def _lr(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the learning rates."""
        groups = self.optimizer.param_groups
        if "_closed_lr" not in self.__dict__:  # constructing: the epoch before is the base lr
            self._closed_lr = (list(self.base_lrs) if self.last_epoch == -1 else
                               [self._lr(b, self.last_epoch) for b in self.base_lrs])
        self.last_epoch += 1
        closed = [self._lr(base, self.last_epoch) for base in self.base_lrs]
        for group, new, old in zip(groups, closed, self._closed_lr):
            # another scheduler's factor, or an lr set by hand, survives as current / old
            if self._chainable and old != 0 and group["lr"] != old:
                new = new * (group["lr"] / old)
            group["lr"] = new
        self._closed_lr = closed
        self._last_lr = [g["lr"] for g in groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group after the last ``step()``."""
        return list(self._last_lr)

    def _initial_step(self) -> None:
        """Step as the constructor does, from the lrs as they are now (SequentialLR resets them
        to the initial ones and then starts its first schedule with this)."""
        self.__dict__.pop("_closed_lr", None)
        self.step()

    def _restart(self, epoch: int) -> None:
        """Jump to ``epoch`` and set the closed-form lrs, overwriting the current ones (what
        PyTorch's SequentialLR does when a schedule takes over at its milestone)."""
        self.last_epoch = epoch
        self._closed_lr = [self._lr(base, epoch) for base in self.base_lrs]
        for group, lr in zip(self.optimizer.param_groups, self._closed_lr):
            group["lr"] = lr
        self._last_lr = list(self._closed_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer (and functions, which cannot be saved)."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()
                if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_mapping(state_dict, f"{type(self).__name__}.load_state_dict", self.state_dict())
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch), overwriting whatever the lr was (as in PyTorch)."""

    _chainable = False

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float],
                 last_epoch: int = -1) -> None:
        self.lr_lambda = function(lr_lambda, "LambdaLR", "lr_lambda", "a function of the epoch "
                                  "giving the lr factor (e.g. lambda epoch: 0.95 ** epoch)")
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, epoch: int) -> float:
        # the factor is checked as an optimizer checks its lr: a negative or NaN one would
        # climb the loss or poison every parameter from this epoch on
        return base_lr * number(self.lr_lambda(epoch), "LambdaLR", f"lr_lambda({epoch})", 0.0)


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = integer(step_size, "StepLR", "step_size", minimum=1)
        self.gamma = number(gamma, "StepLR", "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones <= epoch)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if not isinstance(milestones, Sequence):
            raise TypeError(f"MultiStepLR: milestones must be a list of epochs, got "
                            f"{milestones!r}")
        self.milestones = sorted(integer(m, "MultiStepLR", "milestones", minimum=0)
                                 for m in milestones)
        self.gamma = number(gamma, "MultiStepLR", "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch (the course's exponential learning-rate decay)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = number(gamma, "ExponentialLR", "gamma", low=0.0)
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = integer(T_max, "CosineAnnealingLR", "T_max", minimum=1)
        self.eta_min = number(eta_min, "CosineAnnealingLR", "eta_min", low=0.0)
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch
                                                                       / self.T_max)) / 2


class LinearLR(LRScheduler):
    """Warm-up: lr = base_lr * factor, with factor going linearly from start_factor (epoch 0) to
    end_factor (epoch total_iters), then constant."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        start_factor = number(start_factor, "LinearLR", "start_factor", 0.0, 1.0, low_open=True)
        end_factor = number(end_factor, "LinearLR", "end_factor", 0.0, 1.0)
        total_iters = integer(total_iters, "LinearLR", "total_iters")
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: need 0 < start_factor <= 1 and 0 <= end_factor <= 1, got "
                             f"{start_factor}, {end_factor}")
        if total_iters <= 0:
            raise ValueError(f"LinearLR: total_iters must be positive, got {total_iters}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = int(total_iters)
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr: float, epoch: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class ReduceLROnPlateau:
    """Multiply the learning rates by ``factor`` when a metric stopped improving for more than
    ``patience`` epochs: ``scheduler.step(val_loss)`` once per epoch.

    A value improves on the best when (mode 'min', threshold_mode 'rel') it is below
    best * (1 - threshold); 'abs' uses best - threshold; mode 'max' mirrors both. After a
    reduction, ``cooldown`` epochs pass before bad epochs count again; lr never drops below
    ``min_lr``, and changes smaller than ``eps`` are skipped.
    """

    steps_on_metric = True  # fit calls step(metric) with the monitored value, not step()

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | Sequence[float] = 0.0,
                 eps: float = 1e-8) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: expected an an.optim optimizer, got "
                            f"{type(optimizer).__name__}")
        factor = number(factor, "ReduceLROnPlateau", "factor", low=0.0, high=1.0, low_open=True,
                        high_open=True)
        patience = integer(patience, "ReduceLROnPlateau", "patience", minimum=0)
        cooldown = integer(cooldown, "ReduceLROnPlateau", "cooldown", minimum=0)
        threshold = number(threshold, "ReduceLROnPlateau", "threshold", low=0.0)
        eps = number(eps, "ReduceLROnPlateau", "eps", low=0.0)
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode "
                             f"'rel' or 'abs', got {mode!r}, {threshold_mode!r}")
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, Sequence) and not isinstance(min_lr, str) \
            else [min_lr] * n
        if len(min_lrs) != n:
            raise ValueError(f"ReduceLROnPlateau: {len(min_lrs)} min_lr values for {n} groups")
        self.min_lrs = [number(m, "ReduceLROnPlateau", "min_lr", low=0.0) for m in min_lrs]
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def _is_better(self, value: float) -> bool:
        if self.mode == "min":
            bound = (self.best * (1 - self.threshold) if self.threshold_mode == "rel"
                     else self.best - self.threshold)
            return value < bound
        bound = (self.best * (1 + self.threshold) if self.threshold_mode == "rel"
                 else self.best + self.threshold)
        return value > bound

    def step(self, metrics: float) -> None:
        """Record this epoch's metric (e.g. validation loss) and reduce the lr if it plateaued."""
        value = _metric(metrics)
        self.last_epoch += 1
        if self._is_better(value):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()
                if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state_mapping(state_dict, "ReduceLROnPlateau.load_state_dict", self.state_dict())
        self.__dict__.update(state_dict)


class _Composite:
    """Shared by SequentialLR and ChainedScheduler: checks and nested state dicts."""

    _schedulers: list[Any]

    def _check(self, optimizer: Optimizer, schedulers: Sequence[Any], allowed: tuple) -> None:
        name = type(self).__name__
        if not schedulers:
            raise ValueError(f"{name}: expects at least one scheduler, got none")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"{name}: ReduceLROnPlateau (index {i}) needs a metric in "
                                 "step(metric); step it yourself after this one")
            if not isinstance(scheduler, allowed):
                raise TypeError(f"{name}: scheduler at index {i} is a {type(scheduler).__name__}"
                                f"; expected one of {', '.join(a.__name__ for a in allowed)}")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"{name}: scheduler {type(scheduler).__name__} at index {i} "
                                 "drives another optimizer; all must share one")

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group after the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """This scheduler's counters and, under '_schedulers', each wrapped one's state dict."""
        state = {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        inner = state.pop("_schedulers")
        if len(inner) != len(self._schedulers):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state has "
                             f"{len(inner)} schedulers, this one wraps {len(self._schedulers)}")
        self.__dict__.update(state)
        for scheduler, saved in zip(self._schedulers, inner):
            scheduler.load_state_dict(saved)


class SequentialLR(_Composite):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` until
    ``milestones[1]``, ... (PyTorch's SequentialLR): warm-up then decay is
    ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)], [5])``.

    Construction resets the lrs to the groups' initial ones and starts the first schedule afresh.
    At each milestone the next schedule restarts at its own epoch 0 from the initial lrs: lr =
    that schedule's closed form at epoch 0 (so an ExponentialLR restarts at base_lr, whatever
    the lr was). Call ``step()`` once per epoch; only the active schedule moves.
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        self._check(optimizer, schedulers, (LRScheduler,))
        milestones = [integer(m, "SequentialLR", "milestones") for m in milestones]
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: {len(schedulers)} schedulers need "
                             f"{len(schedulers) - 1} milestones (the epochs where the next one "
                             f"takes over), got {len(milestones)}")
        if milestones != sorted(milestones):
            raise ValueError(f"SequentialLR: milestones must be increasing, got {milestones}")
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:  # undo the step each made when it was constructed
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect.bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        """Advance one epoch: step the active schedule, or restart the next one at a milestone."""
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._restart(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_Composite):
    """Step several schedules together with one ``step()`` (PyTorch's ChainedScheduler); their
    factors multiply: ``ChainedScheduler([LinearLR(opt, 0.5, total_iters=4),
    ExponentialLR(opt, 0.9)])`` gives lr = base_lr * warm-up(e) * 0.9^e."""

    def __init__(self, schedulers: Sequence[Any], optimizer: Optimizer | None = None) -> None:
        if optimizer is None and schedulers:
            optimizer = getattr(schedulers[0], "optimizer", None)
        self._check(optimizer, schedulers, (LRScheduler, SequentialLR, ChainedScheduler))
        self.optimizer = optimizer
        self._schedulers = list(schedulers)
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def step(self) -> None:
        """Step every wrapped schedule once, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]


def _metric(metrics: Any) -> float:
    """ReduceLROnPlateau.step's metric as a float: a number, a numpy scalar or a one-element
    Tensor or array (NaN is kept: a NaN loss is no improvement, as in PyTorch)."""
    if not isinstance(metrics, str | bytes | bool) and np.size(metrics) == 1:
        try:
            return float(np.asarray(getattr(metrics, "data", metrics)).item())
        except (TypeError, ValueError):
            pass
    raise TypeError(f"ReduceLROnPlateau.step: metrics must be a number (the monitored value, "
                    f"e.g. the validation loss), got {metrics!r:.60} ({type(metrics).__name__})")
