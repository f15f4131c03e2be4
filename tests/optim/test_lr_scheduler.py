"""Learning-rate schedules: the lr sequence of each, composition with optimizers, state dicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autonet as an
from autonet import nn, optim
from autonet.optim import lr_scheduler as S


def _optimizer(lr: float = 1.0, kind=optim.SGD) -> optim.Optimizer:
    return kind([nn.Parameter(np.zeros(2))], lr=lr)


def _sequence(scheduler, epochs: int = 8) -> list[float]:
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(epochs - 1):
        scheduler.optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def test_step_lr() -> None:
    lrs = _sequence(S.StepLR(_optimizer(1.0), step_size=3, gamma=0.5))
    assert lrs == pytest.approx([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])


def test_multi_step_lr() -> None:
    lrs = _sequence(S.MultiStepLR(_optimizer(2.0), milestones=[5, 2], gamma=0.1))
    assert lrs == pytest.approx([2, 2, 0.2, 0.2, 0.2, 0.02, 0.02, 0.02])


def test_exponential_lr() -> None:
    lrs = _sequence(S.ExponentialLR(_optimizer(1.0), gamma=0.9), 5)
    assert lrs == pytest.approx([1, 0.9, 0.81, 0.729, 0.6561])


def test_cosine_annealing_lr() -> None:
    lrs = _sequence(S.CosineAnnealingLR(_optimizer(1.0), T_max=4, eta_min=0.2), 5)
    half = 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2
    assert lrs == pytest.approx([1.0, half, 0.6, 1.2 - half, 0.2])


def test_linear_warmup() -> None:
    lrs = _sequence(S.LinearLR(_optimizer(0.1), start_factor=0.25, total_iters=3), 6)
    assert lrs == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


def test_lambda_lr() -> None:
    lrs = _sequence(S.LambdaLR(_optimizer(0.5), lambda epoch: 1 / (1 + epoch)), 4)
    assert lrs == pytest.approx([0.5, 0.25, 0.5 / 3, 0.125])


def test_schedules_apply_per_group_and_to_any_optimizer() -> None:
    opt = optim.Adam([{"params": [nn.Parameter(np.zeros(1))], "lr": 1.0},
                      {"params": [nn.Parameter(np.zeros(1))], "lr": 0.1}])
    sched = S.StepLR(opt, step_size=1, gamma=0.5)
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.5, 0.05])
    assert sched.get_last_lr() == pytest.approx([0.5, 0.05])


def test_reduce_on_plateau() -> None:
    opt = _optimizer(1.0)
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    lrs = []
    for loss in [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]:
        sched.step(loss)
        lrs.append(opt.param_groups[0]["lr"])
    # PyTorch's rule, written out: count bad epochs, reset during cooldown, halve past patience
    expected, lr, bad, cool, best = [], 1.0, 0, 0, math.inf
    for loss in [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]:
        if loss < best * (1 - 1e-4):
            best, bad = loss, 0
        else:
            bad += 1
        if cool:
            cool, bad = cool - 1, 0
        if bad > 1:
            lr, cool, bad = max(lr * 0.5, 0.2), 1, 0
        expected.append(lr)
    assert lrs == pytest.approx(expected)
    # by hand: reductions at epochs 3 and 6, then the third one stops at min_lr
    assert lrs == pytest.approx([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2])


def test_reduce_on_plateau_max_mode_and_min_lr() -> None:
    opt = _optimizer(1.0)
    sched = S.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, min_lr=0.05)
    for accuracy in [0.5, 0.6, 0.6, 0.6, 0.6]:
        sched.step(accuracy)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    with pytest.raises(ValueError, match=r"factor must be a finite number in \(0, 1\)"):
        S.ReduceLROnPlateau(opt, factor=1.0)


@pytest.mark.parametrize("make", [
    lambda o: S.StepLR(o, step_size=2, gamma=0.5),
    lambda o: S.CosineAnnealingLR(o, T_max=5),
    lambda o: S.LinearLR(o, total_iters=4),
    lambda o: S.MultiStepLR(o, milestones=[1, 3]),
], ids=["StepLR", "Cosine", "LinearLR", "MultiStepLR"])
def test_scheduler_state_dict_resumes_the_sequence(make) -> None:
    opt = _optimizer(1.0)
    sched = make(opt)
    for _ in range(3):
        sched.step()
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    tail = _sequence(sched, 4)

    opt2 = _optimizer(1.0)
    sched2 = make(opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert _sequence(sched2, 4) == tail
    assert all(isinstance(v, int | float | list | str | bool | type(None))
               for v in saved_sched.values())


def test_plateau_state_dict_round_trip() -> None:
    opt = _optimizer(1.0)
    sched = S.ReduceLROnPlateau(opt, patience=0)
    sched.step(1.0)
    sched.step(2.0)
    state = sched.state_dict()
    other = S.ReduceLROnPlateau(_optimizer(1.0), patience=5)
    other.load_state_dict(state)
    assert other.best == 1.0 and other.patience == 0


def test_scheduler_errors() -> None:
    with pytest.raises(TypeError, match="an.optim optimizer"):
        S.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size"):
        S.StepLR(_optimizer(), step_size=0)
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_optimizer(), step_size=1, last_epoch=3)


def test_two_schedulers_stepped_together_multiply() -> None:
    # PyTorch's documented chaining: ExponentialLR and MultiStepLR both stepped every epoch give
    # lr = base * 0.9^e * 0.1^(milestones passed); LinearLR warm-up times ExponentialLR likewise.
    opt = _optimizer(1.0)
    schedulers = [S.ExponentialLR(opt, gamma=0.9), S.MultiStepLR(opt, milestones=[2, 4])]
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(6):
        for s in schedulers:
            s.step()
        lrs.append(opt.param_groups[0]["lr"])
    expected = [0.9**e * 0.1 ** sum(e >= m for m in (2, 4)) for e in range(7)]
    assert lrs == pytest.approx(expected, rel=1e-12)

    opt = _optimizer(2.0)
    schedulers = [S.LinearLR(opt, start_factor=0.5, total_iters=3), S.ExponentialLR(opt, 0.8)]
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(5):
        for s in schedulers:
            s.step()
        lrs.append(opt.param_groups[0]["lr"])
    warm = [0.5 + 0.5 * min(e, 3) / 3 for e in range(6)]
    assert lrs == pytest.approx([2.0 * w * 0.8**e for e, w in enumerate(warm)], rel=1e-12)


def test_lr_set_by_hand_is_scheduled_on_from() -> None:
    opt = _optimizer(1.0)
    sched = S.StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    opt.param_groups[0]["lr"] = 10.0  # e.g. a manual restart
    lrs = []
    for _ in range(4):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == pytest.approx([5.0, 5.0, 2.5, 2.5])


def test_lambda_lr_overwrites_like_pytorch() -> None:
    opt = _optimizer(1.0)
    sched = S.LambdaLR(opt, lambda e: 0.5**e)
    opt.param_groups[0]["lr"] = 7.0
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.5


# ---- SequentialLR and ChainedScheduler ---------------------------------------------------------
def test_sequential_lr_hands_over_at_the_milestones() -> None:
    opt = _optimizer(1.0)
    sched = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.1, total_iters=3),
                                 S.ExponentialLR(opt, gamma=0.9)], milestones=[3])
    # epochs 0-2: warm-up 0.1 + 0.9 e / 3; from epoch 3 the decay restarts at its own epoch 0
    expected = [0.1 + 0.9 * e / 3 for e in range(3)] + [0.9 ** (e - 3) for e in range(3, 9)]
    assert _sequence(sched, 9) == pytest.approx(expected, rel=1e-12)
    assert sched.get_last_lr() == pytest.approx([0.9**5])


def test_sequential_lr_with_three_schedules_restarts_each_from_the_initial_lr() -> None:
    opt = _optimizer(2.0)
    sched = S.SequentialLR(opt, [S.ExponentialLR(opt, 0.5), S.StepLR(opt, 2, 0.1),
                                 S.CosineAnnealingLR(opt, T_max=4, eta_min=0.2)], [2, 5])
    cosine = [0.2 + 1.8 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]
    expected = [2.0, 1.0] + [2.0 * 0.1 ** (e // 2) for e in range(3)] + cosine
    assert _sequence(sched, 9) == pytest.approx(expected, rel=1e-12)


def test_sequential_lr_keeps_a_hand_set_lr_until_the_next_milestone() -> None:
    opt = _optimizer(1.0)
    sched = S.SequentialLR(opt, [S.StepLR(opt, 1, 0.5), S.ExponentialLR(opt, 0.5)], [4])
    sched.step()
    opt.param_groups[0]["lr"] = 8.0  # scheduled on from by the active StepLR
    lrs = []
    for _ in range(5):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    # 8 * 0.5^(e - 1) through epoch 3; at the milestone (epoch 4) ExponentialLR restarts from the
    # initial lr 1.0, as PyTorch's closed-form restart does
    assert lrs == pytest.approx([4.0, 2.0, 1.0, 0.5, 0.25])


def test_chained_scheduler_multiplies_the_factors() -> None:
    opt = _optimizer(2.0)
    sched = S.ChainedScheduler([S.LinearLR(opt, start_factor=0.5, total_iters=4),
                                S.MultiStepLR(opt, milestones=[2, 5], gamma=0.1)])
    warm = [0.5 + 0.5 * min(e, 4) / 4 for e in range(8)]
    expected = [2.0 * w * 0.1 ** sum(e >= m for m in (2, 5)) for e, w in enumerate(warm)]
    assert _sequence(sched, 8) == pytest.approx(expected, rel=1e-12)
    assert sched.get_last_lr() == pytest.approx(expected[-1:])


@pytest.mark.parametrize("make", [
    lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.25, total_iters=2),
                                 S.CosineAnnealingLR(o, T_max=6)], [2]),
    lambda o: S.ChainedScheduler([S.StepLR(o, 2, 0.5), S.ExponentialLR(o, 0.9)]),
    lambda o: S.ChainedScheduler([S.SequentialLR(o, [S.ExponentialLR(o, 0.5),
                                                     S.StepLR(o, 3, 0.1)], [2]),
                                  S.LinearLR(o, 0.5, total_iters=3)]),
], ids=["SequentialLR", "ChainedScheduler", "nested"])
def test_composite_state_dict_resumes_the_sequence(make, tmp_path) -> None:
    opt = _optimizer(1.0)
    sched = make(opt)
    for _ in range(3):
        opt.step()
        sched.step()
    an.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "c.npz")
    tail = _sequence(sched, 6)

    opt2 = _optimizer(1.0)
    sched2 = make(opt2)
    checkpoint = an.load(tmp_path / "c.npz")
    opt2.load_state_dict(checkpoint["optimizer"])
    sched2.load_state_dict(checkpoint["scheduler"])
    assert _sequence(sched2, 6) == tail


def test_composite_errors() -> None:
    opt, other = _optimizer(), _optimizer()
    with pytest.raises(ValueError, match="2 schedulers need 1 milestones"):
        S.SequentialLR(opt, [S.StepLR(opt, 1), S.StepLR(opt, 1)], [])
    with pytest.raises(ValueError, match="another optimizer"):
        S.SequentialLR(opt, [S.StepLR(opt, 1), S.StepLR(other, 1)], [2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        S.ChainedScheduler([S.StepLR(opt, 1), S.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match="ChainedScheduler; expected one of LRScheduler"):
        S.SequentialLR(opt, [S.ChainedScheduler([S.StepLR(opt, 1)])], [])
    with pytest.raises(ValueError, match="at least one scheduler"):
        S.ChainedScheduler([])
    with pytest.raises(ValueError, match="increasing"):
        S.SequentialLR(opt, [S.StepLR(opt, 1)] * 3, [4, 2])
    sched = S.ChainedScheduler([S.StepLR(opt, 1)])
    with pytest.raises(ValueError, match="has 2 schedulers, this one wraps 1"):
        sched.load_state_dict({"_schedulers": [{}, {}]})
