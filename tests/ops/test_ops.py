"""Every row of the op table: forward against numpy, gradients against central differences
(float64), second derivatives for smooth ops, dtype preservation, no mutation, no aliasing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autonet as an
from autonet.ops import registry
from tests.ops.op_table import CASES as TABLE
from tests.ops.op_table import OpCase
from tests.ops.op_table_everyday import EVERYDAY_CASES

CASES = TABLE + EVERYDAY_CASES

# hypothesis draws every broadcastable pair of shapes, (n,) against (n, 1) included, on purpose
pytestmark = pytest.mark.filterwarnings("ignore::autonet.autograd.warnings.BroadcastWarning")

IDS = [case.name for case in CASES]


def _tensors(case: OpCase, arrays: list[np.ndarray], dtype=np.float64) -> list[an.Tensor]:
    checked = case.differentiable if case.differentiable is not None else range(len(arrays))
    return [an.tensor(a.astype(dtype) if a.dtype.kind == "f" else a,
                      requires_grad=i in checked and a.dtype.kind == "f")
            for i, a in enumerate(arrays)]


def _call(case: OpCase, tensors: list, kwargs: dict):
    return lambda *ts: case.fn(*ts, **kwargs)


def _budgeted(test):
    """Give a row with ``max_examples`` that smaller hypothesis budget (the profile's otherwise)."""
    def run(case: OpCase) -> None:
        body = given(data=st.data())(lambda data: test(case, data))
        if case.max_examples:
            body = settings(max_examples=min(case.max_examples,
                                             settings.default.max_examples))(body)
        body()

    run.__name__, run.__doc__ = test.__name__, test.__doc__
    return run


@pytest.mark.parametrize("case", CASES, ids=IDS)
@_budgeted
def test_forward_matches_numpy(case: OpCase, data) -> None:
    arrays, kwargs = data.draw(case.draw)
    out = case.fn(*_tensors(case, arrays), **kwargs)
    expected = case.reference(*arrays, **kwargs)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@_budgeted
def test_gradient_matches_central_differences(case: OpCase, data) -> None:
    arrays, kwargs = data.draw(case.draw)
    tensors = _tensors(case, arrays)
    assert an.gradcheck(_call(case, tensors, kwargs), tensors)


@pytest.mark.parametrize("case", [c for c in CASES if c.smooth], ids=[c.name for c in CASES
                                                                       if c.smooth])
@_budgeted
def test_second_derivatives_match(case: OpCase, data) -> None:
    arrays, kwargs = data.draw(case.draw)
    tensors = _tensors(case, arrays)
    assert an.gradgradcheck(_call(case, tensors, kwargs), tensors, atol=1e-4)


RECURRENT = [c for c in CASES if c.name in ("lstm_cell", "gru_cell", "lstm_sequence",
                                            "gru_sequence", "rnn_sequence",
                                            "rnn_sequence(relu)")]


@pytest.mark.parametrize("case", RECURRENT, ids=[c.name for c in RECURRENT])
@_budgeted
def test_create_graph_gradients_equal_the_fast_ones(case: OpCase, data) -> None:
    """gradgradcheck differentiates the create_graph gradient against differences of itself, so
    it cannot see a create_graph path (a second formula, like lstm_sequence's) that is wrong at
    first order: compare it with the numpy path, checked by central differences above."""
    arrays, kwargs = data.draw(case.draw)
    tensors = _tensors(case, arrays)
    out = case.fn(*tensors, **kwargs)
    seed = an.tensor(np.random.default_rng(0).standard_normal(out.shape))
    wanted = [t for t in tensors if t.requires_grad]
    fast = an.grad((out * seed).sum(), wanted, retain_graph=True)
    graph = an.grad((out * seed).sum(), wanted, create_graph=True)
    for a, b in zip(fast, graph):
        np.testing.assert_allclose(b.data, a.data, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@_budgeted
def test_float32_in_float32_out_no_mutation_no_aliasing(case: OpCase, data) -> None:
    arrays, kwargs = data.draw(case.draw)
    tensors = _tensors(case, arrays, dtype=np.float32)
    before = [t.data.copy() for t in tensors]
    out = case.fn(*tensors, **kwargs)
    if case.name != "astype":
        assert out.dtype == np.float32
    (out * an.tensor(np.ones(out.shape, np.float32))).sum().backward()
    grads = [t.grad for t in tensors if t.requires_grad]
    for t, b in zip(tensors, before):
        np.testing.assert_array_equal(t.data, b)  # inputs untouched
        if t.requires_grad:
            assert t.grad.dtype == np.float32 and t.grad.shape == t.shape
            assert not np.shares_memory(t.grad, t.data)
    for i, g in enumerate(grads):  # no two gradients share memory
        assert all(not np.shares_memory(g, h) for h in grads[i + 1:])


def test_every_primitive_has_a_row() -> None:
    covered = {p for case in CASES for p in case.primitives}
    builtin = {name for name, p in registry.primitives().items()
               if type(p).__module__ == "autonet.ops" and name in registry._BUILT_IN}
    missing = builtin - covered
    assert not missing, f"primitives without a row in tests/ops/op_table.py: {sorted(missing)}"


def test_rule_namespaces_offer_the_same_names() -> None:
    from autonet.ops.namespace import AUTONET, NUMPY

    assert set(vars(NUMPY)) == set(vars(AUTONET))
