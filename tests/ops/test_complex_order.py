"""Complex numbers have no order: every op that compares values refuses them with a clear error
(numpy would compare them real part first and return a result no formula means), while the ops
that are defined for complex numbers keep taking them, and the ordering ops keep taking reals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autonet as an
from autonet.ops import registry

F = an.nn.functional
TARGET = np.array([0, 1])

# (name the error must give, call on x (2, 2)); each also runs on real x below
ORDERING: list[tuple[str, Callable[[an.Tensor], Any]]] = [
    ("relu", an.relu),
    ("relu", lambda x: an.nn.ReLU()(x)),
    ("leaky_relu", F.leaky_relu),
    ("elu", F.elu),
    ("clip", lambda x: an.clamp(x, -1, 1)),
    ("maximum", lambda x: an.maximum(x, 0)),
    ("minimum", lambda x: an.minimum(0.5, x)),
    ("max", lambda x: x.max()),
    ("max", lambda x: an.max(x, axis=1, keepdims=True)),
    ("min", lambda x: x.min(axis=0)),
    ("max_pool2d", lambda x: F.max_pool2d(x.reshape(1, 1, 2, 2), 2)),
    ("softmax_cross_entropy", lambda x: F.cross_entropy(x, TARGET)),
    ("binary_cross_entropy_with_logits",
     lambda x: F.binary_cross_entropy_with_logits(x, np.ones((2, 2)))),
    ("binary_cross_entropy", lambda x: F.binary_cross_entropy(an.sigmoid(x), np.ones((2, 2)))),
    ("erf", an.erf),
    ("gelu", F.gelu),
    ("greater", lambda x: x > 0),
    ("less_equal", lambda x: x <= 0),
    ("less", lambda x: an.less(x, 1)),
    ("greater_equal", lambda x: an.greater_equal(0, x)),
    ("argmax", lambda x: an.argmax(x, axis=1)),
    ("argmin", lambda x: x.argmin()),
    ("sort", an.sort),
    ("argsort", lambda x: an.argsort(x, descending=True)),
    ("topk", lambda x: an.topk(x, 1)),
]


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("name, call", ORDERING, ids=[f"{n}-{i}" for i, (n, _) in
                                                      enumerate(ORDERING)])
def test_ordering_ops_refuse_complex_values_naming_the_op(name, call, dtype,
                                                          requires_grad) -> None:
    x = an.tensor(np.array([[1 - 2j, -1 + 3j], [0.25 + 0j, -2 - 1j]], dtype),
                  requires_grad=requires_grad, name="z")
    with pytest.raises(TypeError) as caught:
        call(x)
    message = str(caught.value)
    assert message.startswith(f"{name}:"), message
    assert "complex" in message and str(np.dtype(dtype)) in message and "real values" in message


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, call", ORDERING, ids=[f"{n}-{i}" for i, (n, _) in
                                                      enumerate(ORDERING)])
def test_ordering_ops_still_take_real_values(name, call, dtype) -> None:
    x = an.tensor(np.array([[0.5, -1.0], [0.25, 0.75]], dtype))
    out = call(x)
    values = out.values if isinstance(out, tuple) else out
    assert np.isfinite(np.asarray(values.numpy(), dtype=np.float64)).all()


def test_every_row_marked_ordered_is_in_the_table() -> None:
    # a new ordering op gets its refusal tested here: its row is marked, its call listed above
    marked = {name for name, row in registry._ROWS.items() if getattr(row, "ordered", False)}
    assert marked and marked <= {name for name, _ in ORDERING}


# ops defined for complex numbers (analytic, or the modulus, or equality) keep taking them
COMPLEX_OK: list[Callable[[an.Tensor], Any]] = [
    an.exp, an.tanh, an.sigmoid, an.sin, abs, an.sqrt, lambda x: x * x + 1, lambda x: x / 2,
    lambda x: x.sum(axis=0), lambda x: x.mean(), lambda x: x == x, lambda x: an.where(x == x, x, 0),
    lambda x: F.gelu(x, approximate="tanh"), lambda x: an.softmax(x, axis=1), lambda x: x.T @ x,
]


@pytest.mark.parametrize("call", COMPLEX_OK)
def test_ops_defined_for_complex_numbers_still_take_them(call) -> None:
    z = np.array([[1 - 2j, -1 + 0.5j], [0.25 + 0j, -0.5 - 1j]])
    out = call(an.tensor(z))
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nan_is_above_every_number_in_descending_sort_and_topk(axis, seed):
    # ascending sort puts NaN last and argmax picks it: descending and topk put it first
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5))
    x[rng.random((4, 5)) < 0.3] = np.nan
    down = an.sort(an.tensor(x), axis=axis, descending=True).numpy()
    up = an.sort(an.tensor(x), axis=axis).numpy()
    flipped_up = np.flip(up, axis=axis)  # NaNs first, then the numbers from the largest
    assert np.array_equal(down, flipped_up, equal_nan=True)
    k = 2
    values = an.topk(an.tensor(x), k, axis=axis).values.numpy()
    assert np.array_equal(values, np.take(down, np.arange(k), axis=axis), equal_nan=True)
    t = an.tensor(x, requires_grad=True)
    an.sort(t, axis=axis, descending=True).sum().backward()
    assert np.array_equal(t.grad, np.ones_like(x))  # every value goes back to its own place
