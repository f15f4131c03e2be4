"""A corpus of bad inputs across the API: each row is (call, expected builtin error type, the
substrings its message must hold: the call's name, the argument, the value). Every bad input
must fail at once with that error: no traceback from deep inside numpy, no silent acceptance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autonet as an
from autonet import nn, optim


def _params() -> list[nn.Parameter]:
    return [nn.Parameter(np.ones(2))]


def _sgd() -> optim.SGD:
    return optim.SGD(_params(), lr=0.1)


def _fit(**kwargs: Any) -> Any:
    model = nn.Linear(2, 1)
    data = (np.ones((4, 2), np.float32), np.ones((4, 1), np.float32))
    return an.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
                  kwargs.pop("data", data), epochs=1, verbose=0, **kwargs)


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
