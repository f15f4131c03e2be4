"""The course's neuron o = tanh(x1*w1 + x2*w2 + b), checked against hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autonet as an
from tests.viz import dot

X1, X2, W1, W2, B = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432


def fmt(x: float, digits: int = 4) -> str:
    return "0" if x == 0 else f"{x:.{digits}g}"


def expected() -> dict[str, tuple[float, float]]:
    """name -> (value, d o / d value), worked out by hand with the chain rule."""
    n = X1 * W1 + X2 * W2 + B
    o = math.tanh(n)
    dn = 1 - o * o  # tanh' = 1 - tanh^2
    return {"x1": (X1, W1 * dn), "w1": (W1, X1 * dn), "x2": (X2, W2 * dn),
            "w2": (W2, X2 * dn), "b": (B, dn), "o": (o, 1.0), "n": (n, dn)}


def neuron(named: bool = True):
    kw = lambda n: {"name": n} if named else {}
    x1 = an.tensor(np.float64(X1), requires_grad=True, **kw("x1"))
    x2 = an.tensor(np.float64(X2), requires_grad=True, **kw("x2"))
    w1 = an.tensor(np.float64(W1), requires_grad=True, **kw("w1"))
    w2 = an.tensor(np.float64(W2), requires_grad=True, **kw("w2"))
    b = an.tensor(np.float64(B), requires_grad=True, **kw("b"))
    n = x1 * w1 + x2 * w2 + b
    n.name = "n"
    o = an.tanh(n)
    return o, (x1, x2, w1, w2, b)


def test_neuron_nodes_show_values_and_hand_computed_gradients():
    o, leaves = neuron()
    source = an.viz.draw_graph(o, legend=False).source
    found = dot.nodes(source)
    want = expected()
    for name in ("x1", "x2", "w1", "w2", "b", "n"):
        value, grad = want[name]
        label = found[dot.by_first_line(found, name)]["label"]
        assert label[1] == f"value {fmt(value)}"
        assert label[2] == "scalar float64"
        assert label[3] == f"grad {fmt(grad)}"
    root = found["v0"]["label"]
    assert root[:4] == ["output", f"value {fmt(want['o'][0])}", "scalar float64", "grad 1"]
    # 10 values, 5 ops (tanh, add, add, mul, mul); 5 op->value and 9 value->op edges
    ops = [n["label"][0] for i, n in found.items() if i.startswith("op")]
    assert sorted(ops) == ["add", "add", "mul", "mul", "tanh"]
    assert len([i for i in found if i.startswith("v")]) == 10
    assert len(dot.edges(source)) == 14
    assert all(leaf.grad is None for leaf in leaves)  # drawing never touches .grad


def test_neuron_zero_gradient_is_highlighted():
    o, _ = neuron()
    found = dot.nodes(an.viz.draw_graph(o, legend=False).source)
    w2 = found[dot.by_first_line(found, "w2")]  # d o / d w2 = x2 = 0
    assert "ZERO gradient" in w2["label"]
    assert "#1155cc" in w2["attrs"]
    w1 = found[dot.by_first_line(found, "w1")]
    assert not any("gradient" in line for line in w1["label"])


def test_neuron_flow_edges_carry_local_derivative_times_upstream():
    o, _ = neuron()
    source = an.viz.draw_graph(o, flow=True, legend=False).source
    found = dot.nodes(source)
    want = expected()
    labelled = {(s, d): dot.edge_label(a) for s, d, a in dot.edges(source)}
    for name in ("x1", "w1", "x2", "w2", "b"):
        src = dot.by_first_line(found, name)
        (dst,) = [d for s, d in labelled if s == src]
        assert labelled[(src, dst)] == fmt(want[name][1])
    # the edge into tanh carries the seed 1 (no upstream before it)
    n_id = dot.by_first_line(found, "n")
    (into_tanh,) = [a for s, d, a in dot.edges(source) if s == n_id]
    assert dot.edge_label(into_tanh) == fmt(want["n"][1])


def test_precision_option():
    o, _ = neuron()
    found = dot.nodes(an.viz.draw_graph(o, precision=7, legend=False).source)
    b = found[dot.by_first_line(found, "b")]["label"]
    assert b[1] == f"value {fmt(B, 7)}"
    assert b[3] == f"grad {fmt(expected()['b'][1], 7)}"


def test_leaves_named_after_caller_variables_when_unnamed():
    o, _ = neuron(named=False)
    x1, x2, w1, w2, b = _  # the drawing reads these local names
    found = dot.nodes(an.viz.draw_graph(o, legend=False).source)
    for name in ("x1", "x2", "w1", "w2", "b"):
        dot.by_first_line(found, name)
    plain = dot.nodes(an.viz.draw_graph(o, legend=False, names=None).source)
    assert sum(n["label"][0].startswith("leaf ") for n in plain.values()) == 5


def test_op_attributes_and_constants_are_shown():
    x = an.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True, name="x")
    y = an.leaky_relu(x, negative_slope=0.2) ** 2
    z = (1 - y).sum(axis=1)
    found = dot.nodes(an.viz.draw_graph(z, legend=False).source)
    ops = {tuple(n["label"]) for i, n in found.items() if i.startswith("op")}
    assert ("leaky_relu", "slope=0.2") in ops
    assert ("pow", "exponent 2") in ops
    assert ("sub", "1 - x") in ops
    assert ("sum", "axis=1") in ops
    x_label = found[dot.by_first_line(found, "x")]["label"]
    assert x_label[1] == "value mean 1.5 [min -2, max 4]"
    assert x_label[2] == "shape (2, 2) float32"


def test_vanishing_and_exploding_are_flagged():
    w = an.tensor(np.float64(10.0), requires_grad=True, name="w")
    z = w * 2.0
    z.name = "z"
    s = an.sigmoid(z)  # sigmoid'(20) ~ 2e-9: saturated
    found = dot.nodes(an.viz.draw_graph(s, legend=False).source)
    assert "VANISHING gradient" in found[dot.by_first_line(found, "z")]["label"]
    p = w ** 10  # d/dw = 10 w^9 = 1e10 against a value of 10
    found = dot.nodes(an.viz.draw_graph(p, legend=False).source)
    w_node = found[dot.by_first_line(found, "w")]
    assert "EXPLODING gradient" in w_node["label"]
    assert "#cc0000" in w_node["attrs"]


def test_legend_names_the_kinds_drawn():
    o, _ = neuron()
    source = an.viz.draw_graph(o, params={"w1": _[2], "w2": _[3]}).source
    assert "legend" in dot.nodes(source) or "legend [label=<" in source
    assert "parameter (model weight)" in source and "leaf tensor (requires grad)" in source
    assert "constant (no gradient)" not in source


def test_bad_options_raise_with_the_fix():
    o, _ = neuron()
    with pytest.raises(ValueError, match="precision"):
        an.viz.draw_graph(o, precision=0)
    with pytest.raises(ValueError, match="on_large"):
        an.viz.draw_graph(o, on_large="crash")
    with pytest.raises(TypeError, match="Tensor"):
        an.viz.draw_graph(np.ones(3))
    with pytest.raises(ValueError, match="grad_output"):
        an.viz.draw_graph(o, grad_output=np.ones(3))
