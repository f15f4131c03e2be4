"""A corpus of bad inputs across the API: each row is (call, expected builtin error type, the
substrings its message must hold: the call's name, the argument, the value). Every bad input
must fail at once with that error: no traceback from deep inside numpy, no silent acceptance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autonet as an
from autonet import nn, optim, tune
from autonet.data import DataLoader
from autonet.optim import lr_scheduler
from autonet.train import Checkpoint, EarlyStopping, History


def _params() -> list[nn.Parameter]:
    return [nn.Parameter(np.ones(2))]


def _sgd() -> optim.SGD:
    return optim.SGD(_params(), lr=0.1)


def _fit(**kwargs: Any) -> Any:
    model = nn.Linear(2, 1)
    data = (np.ones((4, 2), np.float32), np.ones((4, 1), np.float32))
    return an.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
                  kwargs.pop("data", data), epochs=1, verbose=0, **kwargs)


def _x64() -> an.Tensor:
    return an.tensor(np.array([1.0, 2.0]), requires_grad=True)


NAN, INF = float("nan"), float("inf")

CORPUS: list[tuple[str, Callable[[], Any], type[BaseException], tuple[str, ...]]] = [
    # ops: numpy's UFuncTypeError cannot be rebuilt from a message; a TypeError names op, dtype
    ("add str", lambda: an.ones(2) + "a", TypeError, ("add", "<U1", "'a'")),
    ("mul str", lambda: an.mul(an.ones(2), "abc"), TypeError, ("mul", "<U3", "'abc'")),
    # switches that a string would turn on
    ("set_grad_enabled", lambda: an.set_grad_enabled("no"), TypeError,
     ("set_grad_enabled", "mode", "'no'")),
    ("set_detect_anomaly", lambda: an.set_detect_anomaly("off"), TypeError,
     ("set_detect_anomaly", "mode", "'off'")),
    # making tensors
    ("tensor ragged", lambda: an.tensor([[1, 2], [3]]), ValueError,
     ("tensor", "[[1, 2], [3]]", "ragged")),
    ("tensor str", lambda: an.tensor("abc"), TypeError, ("tensor", "'abc'")),
    ("tensor object", lambda: an.tensor(np.array([{}, 1], dtype=object)), TypeError,
     ("tensor", "dtype object")),
    ("tensor dtype", lambda: an.tensor([1.0], dtype="U3"), TypeError, ("tensor", "dtype", "<U3")),
    ("from_numpy str", lambda: an.from_numpy(np.array(["a"])), TypeError,
     ("from_numpy", "array", "<U1")),
    ("zeros -1", lambda: an.zeros(-1), ValueError, ("zeros", "shape", "-1")),
    ("zeros 2.5", lambda: an.zeros(2.5), TypeError, ("zeros", "shape", "2.5")),
    ("ones str", lambda: an.ones("3"), TypeError, ("ones", "shape", "'3'")),
    ("randn 3.7", lambda: an.randn(2, 3.7), TypeError, ("randn", "shape", "3.7")),
    ("rand -2", lambda: an.rand(-2), ValueError, ("rand", "shape", "-2")),
    ("full -2", lambda: an.full(-2, 1.0), ValueError, ("full", "shape", "-2")),
    ("full str", lambda: an.full(2, "x"), TypeError, ("full", "fill_value", "'x'")),
    ("zeros 4 TB", lambda: an.zeros(10**6, 10**6), MemoryError,
     ("zeros", "(1000000, 1000000)", "float32", "4000000000000 bytes")),
    ("arange step 0", lambda: an.arange(0, 10, 0), ValueError, ("arange", "step", "0")),
    ("arange nan", lambda: an.arange(0, float("nan")), ValueError, ("arange", "stop", "nan")),
    ("eye -1", lambda: an.eye(-1), ValueError, ("eye", "n", "-1")),
    ("eye 2.5", lambda: an.eye(2.5), TypeError, ("eye", "n", "2.5")),
    ("linspace -1", lambda: an.linspace(0, 1, -1), ValueError, ("linspace", "num", "-1")),
    # optimizers: every setting checked when built, not in the first step()
    ("SGD lr str", lambda: optim.SGD(_params(), lr="0.1"), TypeError, ("SGD", "lr", "'0.1'")),
    ("SGD lr nan", lambda: optim.SGD(_params(), lr=NAN), ValueError, ("SGD", "lr", "nan")),
    ("SGD lr inf", lambda: optim.SGD(_params(), lr=INF), ValueError, ("SGD", "lr", "inf")),
    ("SGD momentum", lambda: optim.SGD(_params(), momentum=-0.5), ValueError,
     ("SGD", "momentum", "-0.5")),
    ("SGD nesterov str", lambda: optim.SGD(_params(), nesterov="yes"), TypeError,
     ("SGD", "nesterov", "'yes'")),
    ("Adam betas float", lambda: optim.Adam(_params(), betas=0.9), TypeError,
     ("Adam", "betas", "0.9")),
    ("Adam betas 3", lambda: optim.Adam(_params(), betas=(0.9, 0.9, 0.9)), TypeError,
     ("Adam", "betas", "(0.9, 0.9, 0.9)")),
    ("Adam beta 1", lambda: optim.Adam(_params(), betas=(0.9, 1.0)), ValueError,
     ("Adam", "betas[1]", "1.0")),
    ("Adam eps nan", lambda: optim.Adam(_params(), eps=NAN), ValueError, ("Adam", "eps", "nan")),
    ("RMSprop alpha", lambda: optim.RMSprop(_params(), alpha=2), ValueError,
     ("RMSprop", "alpha", "2")),
    ("group lr", lambda: optim.SGD([{"params": _params(), "lr": "x"}]), TypeError,
     ("SGD", "lr", "'x'")),
    ("optimizer load str", lambda: _sgd().load_state_dict("x"), TypeError,
     ("SGD.load_state_dict", "state_dict", "str")),
    ("optimizer load groups", lambda: _sgd().load_state_dict({"state": {}, "param_groups": 3}),
     TypeError, ("SGD.load_state_dict", "param_groups", "3")),
    ("optimizer load Adam into SGD",
     lambda: _sgd().load_state_dict(optim.Adam(_params()).state_dict()), ValueError,
     ("SGD.load_state_dict", "betas", "another kind of optimizer")),
    ("optimizer load lr str", lambda: _sgd().load_state_dict(
        {"state": {}, "param_groups": [{**_sgd().state_dict()["param_groups"][0], "lr": "x"}]}),
     TypeError, ("SGD", "lr", "'x'")),
    # schedules
    ("StepLR 2.5", lambda: lr_scheduler.StepLR(_sgd(), 2.5), TypeError,
     ("StepLR", "step_size", "2.5")),
    ("StepLR 0", lambda: lr_scheduler.StepLR(_sgd(), 0), ValueError, ("StepLR", "step_size", "0")),
    ("ExponentialLR nan", lambda: lr_scheduler.ExponentialLR(_sgd(), NAN), ValueError,
     ("ExponentialLR", "gamma", "nan")),
    ("CosineAnnealingLR 1.5", lambda: lr_scheduler.CosineAnnealingLR(_sgd(), 1.5), TypeError,
     ("CosineAnnealingLR", "T_max", "1.5")),
    ("MultiStepLR", lambda: lr_scheduler.MultiStepLR(_sgd(), [2.5]), TypeError,
     ("MultiStepLR", "milestones", "2.5")),
    ("ReduceLROnPlateau factor", lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), factor=-1),
     ValueError, ("ReduceLROnPlateau", "factor", "-1")),
    ("ReduceLROnPlateau patience", lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), patience=1.5),
     TypeError, ("ReduceLROnPlateau", "patience", "1.5")),
    ("scheduler load str", lambda: lr_scheduler.StepLR(_sgd(), 2).load_state_dict("x"),
     TypeError, ("StepLR.load_state_dict", "state_dict", "str")),
    ("scheduler load keys", lambda: lr_scheduler.StepLR(_sgd(), 2).load_state_dict({"a": 1}),
     ValueError, ("StepLR.load_state_dict", "last_epoch")),
    ("plateau load str", lambda: lr_scheduler.ReduceLROnPlateau(_sgd()).load_state_dict([1]),
     TypeError, ("ReduceLROnPlateau.load_state_dict", "list")),
    # searches
    ("Choice str", lambda: tune.Choice("abc"), TypeError, ("Choice", "options", "'abc'")),
    ("Choice empty", lambda: tune.Choice([]), ValueError, ("Choice", "options", "empty")),
    ("Uniform nan", lambda: tune.Uniform(0, NAN), TypeError, ("Uniform", "high", "nan")),
    ("Uniform order", lambda: tune.Uniform(2, 1), ValueError, ("Uniform", "low=2", "high=1")),
    ("IntUniform float", lambda: tune.IntUniform(1, 2.5), TypeError, ("IntUniform", "high", "2.5")),
    ("LogUniform 0", lambda: tune.LogUniform(0, 1), ValueError, ("LogUniform", "low=0")),
    ("n_trials 2.5", lambda: tune.RandomSearch(lambda x: x, {"x": [1]}, n_trials=2.5),
     TypeError, ("RandomSearch", "n_trials", "2.5")),
    ("batch_size -1", lambda: tune.BayesianSearch(lambda x: x, {"x": [1]}, batch_size=-1),
     ValueError, ("BayesianSearch", "batch_size", "-1")),
    ("grid empty list", lambda: tune.GridSearch(lambda lr: lr, {"lr": []}), ValueError,
     ("GridSearch", "'lr'", "empty list")),
    ("space not a dict", lambda: tune.GridSearch(lambda lr: lr, [("lr", [1])]), TypeError,
     ("GridSearch", "space", "list")),
    ("no trials best", lambda: tune.Results([], "val_loss", "min", {"x": [1]}).best,
     RuntimeError, ("tune", "no trials")),
    # training
    ("fit callbacks not a list", lambda: _fit(callbacks=EarlyStopping()), TypeError,
     ("fit", "callbacks", "EarlyStopping")),
    ("fit callbacks items", lambda: _fit(callbacks=["stop"]), TypeError,
     ("fit", "callbacks", "'stop'")),
    ("fit l1 -1", lambda: _fit(l1=-1), ValueError, ("fit", "l1", "-1")),
    ("fit l2 nan", lambda: _fit(l2=NAN), ValueError, ("fit", "l2", "nan")),
    ("fit no batches", lambda: _fit(data=DataLoader((np.ones((3, 2), np.float32),
                                                     np.ones((3, 1), np.float32)),
                                                    batch_size=4, drop_last=True)),
     ValueError, ("fit", "train_data", "no batches", "batch_size=4")),
    ("EarlyStopping mode", lambda: EarlyStopping(mode="avg"), ValueError,
     ("EarlyStopping", "mode", "'avg'")),
    ("EarlyStopping patience", lambda: EarlyStopping(patience=2.5), TypeError,
     ("EarlyStopping", "patience", "2.5")),
    ("Checkpoint every", lambda: Checkpoint("x.npz", every=1.5), TypeError,
     ("Checkpoint", "every", "1.5")),
    ("Checkpoint every 0", lambda: Checkpoint("x.npz", every=0), ValueError,
     ("Checkpoint", "every", "0")),
    ("DataLoader scalars", lambda: DataLoader((1, 2)), TypeError, ("DataLoader", "(1, 2)")),
    ("History.best mode", lambda: History().best("loss", mode="up"), ValueError,
     ("History.best", "mode", "'up'")),
    # layers, losses, gradients
    ("Linear True", lambda: nn.Linear(True, 2), TypeError, ("Linear", "in_features", "True")),
    ("Linear 2.5", lambda: nn.Linear(2, 2.5), TypeError, ("Linear", "out_features", "2.5")),
    ("Linear int32", lambda: nn.Linear(2, 2, dtype="int32"), TypeError,
     ("Linear", "dtype", "int32")),
    ("Flatten 5", lambda: nn.Flatten(5)(an.ones(2, 3)), ValueError, ("Flatten", "5", "(2, 3)")),
    ("Flatten str", lambda: nn.Flatten("1"), TypeError, ("Flatten", "start_dim", "'1'")),
    ("huber delta nan", lambda: nn.functional.huber_loss(an.ones(2), an.ones(2), delta=NAN),
     ValueError, ("huber_loss", "delta", "nan")),
    ("grad of a float", lambda: an.grad(3.0, an.tensor(1.0, requires_grad=True)), TypeError,
     ("grad", "output 0", "3.0")),
    ("gradcheck eps 0", lambda: an.gradcheck(lambda t: t * 2, [_x64()], eps=0), ValueError,
     ("gradcheck", "eps", "0")),
    ("gradcheck directions 0", lambda: an.gradcheck(lambda t: t * 2, [_x64()], fast=True,
                                                    directions=0), ValueError,
     ("gradcheck", "directions", "0")),
    # random generator
    ("manual_seed -1", lambda: an.manual_seed(-1), ValueError, ("manual_seed", "seed", "-1")),
    ("manual_seed str", lambda: an.manual_seed("a"), TypeError, ("manual_seed", "seed", "'a'")),
    ("manual_seed 1.5", lambda: an.manual_seed(1.5), TypeError, ("manual_seed", "seed", "1.5")),
    ("detect_anomaly", lambda: an.detect_anomaly(check_nan="no"), TypeError,
     ("detect_anomaly", "check_nan", "'no'")),
]


@pytest.mark.parametrize("call, error, words", [(c, e, w) for _, c, e, w in CORPUS],
                         ids=[name for name, *_ in CORPUS])
def test_bad_input_raises_a_clear_builtin_error(call, error, words) -> None:
    assert error.__module__ == "builtins"
    with pytest.raises(error) as info:
        call()
    assert type(info.value).__module__ == "builtins" or type(info.value) is error
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)


def test_the_switches_still_take_bools_and_numpy_bools() -> None:
    with an.set_grad_enabled(np.bool_(False)):
        assert not an.is_grad_enabled()
    with an.set_grad_enabled(0):
        assert not an.is_grad_enabled()
    assert an.is_grad_enabled()
    an.set_detect_anomaly(True)
    an.set_detect_anomaly(False)


@pytest.mark.parametrize("call, error, words", [
    (lambda: (an.tensor([1.0], requires_grad=True) * 2).sum().backward("abc"), TypeError,
     ["backward", "grad", "str", "'abc'"]),
    (lambda: an.zeros(2, 3).swapaxes(0, 4), ValueError, ["swapaxes", "axis 4", "(2, 3)"]),
    (lambda: an.softmax(an.tensor(np.array([1000, 2000]))), TypeError, ["softmax", "int64"]),
    (lambda: an.logsumexp(an.tensor(np.array([1000, 2000]))), TypeError, ["logsumexp", "int64"]),
])
def test_the_last_deep_tracebacks_are_clear_errors(call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)
