"""The op row is the single source of truth: a throwaway primitive, defined here and nowhere else,
works everywhere the package knows about ops."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import autonet as an
from autonet.autograd.warnings import BroadcastWarning
from autonet.check import kink_of
from autonet.ops import registry
from autonet.ops.kinks import AT_TIES
from autonet.ops.namespace import AUTONET, NUMPY
from autonet.ops.primitive import Primitive


@pytest.fixture
def hinge_max():
    """A binary elementwise op with a kink where its inputs tie, registered for one test."""
    op = Primitive(
        "hinge_max", np.maximum, (
            lambda xp, g, y, a, b: g * (a >= b),
            lambda xp, g, y, a, b: g * (a < b),
        ), kind="elementwise", kink=AT_TIES, symbol="∨", method=True,
        doc="The larger of a and b (a test op).")
    # a second op whose rule calls the first through xp: works only if the namespaces have it
    square_via = Primitive(
        "square_via_hinge", lambda x: x * x,
        (lambda xp, g, y, x: 2 * g * xp.hinge_max(x, x - 1.0),),  # = 2 g x
        kind="elementwise")
    yield op, square_via
    registry.unregister("hinge_max")
    registry.unregister("square_via_hinge")


def test_a_new_row_is_exported_with_its_method_and_help(hinge_max) -> None:
    op, _ = hinge_max
    assert an.hinge_max is op and an.ops.hinge_max is op and "hinge_max" in registry.exports()
    a = an.tensor([1.0, 5.0], requires_grad=True)
    b = an.tensor([3.0, 2.0])
    np.testing.assert_array_equal(a.hinge_max(b).data, [3.0, 5.0])
    assert op.__doc__ == "The larger of a and b (a test op)."
    assert list(inspect.signature(op).parameters) == ["a", "b"]


def test_a_new_row_is_in_both_rule_namespaces_and_works_under_create_graph(hinge_max) -> None:
    op, square_via = hinge_max
    assert NUMPY.hinge_max is op.forward and AUTONET.hinge_max is op
    x = an.tensor([0.5, -1.5, 2.0], dtype="float64", requires_grad=True)
    (g,) = an.grad(square_via(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, 2 * x.data)
    (h,) = an.grad(g.sum(), x)  # d/dx of 2 x through the hinge: 2
    np.testing.assert_allclose(h, 2.0)


def test_gradcheck_knows_the_new_rows_kink(hinge_max) -> None:
    op, _ = hinge_max
    assert kink_of(op) is AT_TIES
    a = an.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    b = an.tensor([1.0, 0.0], dtype="float64", requires_grad=True)  # a tie at element 0
    with pytest.warns(an.check.KinkWarning, match="hinge_max where its two inputs tie"):
        assert an.gradcheck(op, [a, b])


def test_drawings_use_the_new_rows_symbol(hinge_max) -> None:
    op, _ = hinge_max
    x = an.tensor([1.0, 2.0], requires_grad=True, name="x")
    dot = an.viz.draw_graph(op(x, 1.5).sum()).source
    assert "x ∨ 1.5" in dot


def test_the_broadcast_warning_watches_the_new_elementwise_row(hinge_max) -> None:
    op, _ = hinge_max
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        op(an.ones(3, requires_grad=True), an.ones((3, 1)))
    assert any(issubclass(w.category, BroadcastWarning) for w in seen)


def test_unregistering_removes_every_trace(hinge_max) -> None:
    registry.unregister("hinge_max")
    assert not hasattr(an, "hinge_max") and not hasattr(NUMPY, "hinge_max")
    assert not hasattr(an.Tensor, "hinge_max")


def test_autonets_own_names_cannot_be_shadowed() -> None:
    with pytest.raises(ValueError, match="'tanh' is one of autonet's own ops"):
        Primitive("tanh", np.tanh, (lambda xp, g, y, x: g,))
    assert an.tanh.__doc__ == "Hyperbolic tangent, elementwise."


def test_every_builtin_row_says_what_it_is() -> None:
    for name, p in registry.primitives().items():
        if name in registry._BUILT_IN:
            assert p.kind in registry.KINDS and p.kind != "custom", name
            assert p.__doc__ and p.__doc__ != f"The {name} op.", f"{name} has no doc"


def test_a_rule_gets_the_output_or_a_kept_value_not_both() -> None:
    from autonet.ops.primitive import Primitive

    with pytest.raises(ValueError, match="saves_output.*keeping"):
        Primitive("both", lambda x: x, (lambda xp, g, y, x: g,), saves_output=True,
                  keeping=lambda x: (x, x), register=False)
