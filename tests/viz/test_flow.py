"""The drawing's own backward: same gradients as an.grad, numbered in backward order, no side
effects, a clear error on freed graphs, deterministic text."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autonet as an
from autonet.autograd.engine import topological_order
from tests.viz import dot


def small_net():
    x = an.tensor(np.linspace(-1, 1, 6).reshape(3, 2), name="x")
    w = an.randn(2, 4, requires_grad=True, name="w")
    b = an.randn(4, requires_grad=True, name="b")  # broadcast over the 3 rows
    h = an.tanh(x @ w + b)
    loss = (h * h + h).mean()  # h used twice: its gradient accumulates
    return loss, [w, b]


def test_flow_gradients_equal_an_grad_and_leave_tensors_alone():
    loss, leaves = small_net()
    walk = an.viz.walk_graph(loss)
    flow = an.viz.compute_flow(walk)
    expected = an.grad(loss, leaves, retain_graph=True)
    by_tensor = {id(v.tensor): v.index for v in walk.values if v.tensor is not None}
    for leaf, g in zip(leaves, expected):
        np.testing.assert_allclose(flow.value_grads[by_tensor[id(leaf)]], g.data, rtol=1e-6)
        assert leaf.grad is None
    # every value's gradient is the sum of the gradients flowing along its outgoing edges
    for value in walk.values[1:]:
        parts = [flow.edge_grads[c] for c in value.consumers if c in flow.edge_grads]
        if parts:
            np.testing.assert_allclose(flow.value_grads[value.index], sum(parts), rtol=1e-6)
            assert all(p.shape == value.array.shape for p in parts)
    an.viz.draw_graph(loss, flow=True)
    loss.backward()  # the graph was not freed by drawing
    for leaf, g in zip(leaves, expected):
        np.testing.assert_allclose(leaf.grad, g.data, rtol=1e-6)


def test_ops_are_numbered_in_backward_visiting_order():
    loss, _ = small_net()
    source = an.viz.draw_graph(loss, flow=True, legend=False).source
    found = dot.nodes(source)
    walk = an.viz.walk_graph(loss)
    order = topological_order([loss._node])
    for k, node in enumerate(order, start=1):
        label = found[f"op{walk.op_of_node[node].index}"]["label"][0]
        assert label == f"[{k}] {node.name}"
    # backward reaches an op only after every op that consumes its output
    step = {i: int(re.match(r"\[(\d+)\]", n["label"][0]).group(1))
            for i, n in found.items() if i.startswith("op")}
    for op in walk.ops:
        for consumer, _ in op.output.consumers:
            assert step[f"op{consumer}"] < step[f"op{op.index}"]
    assert sorted(step.values()) == list(range(1, len(walk.ops) + 1))


def test_freed_graph_error_says_what_to_do():
    loss, _ = small_net()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"before \.backward\(\).*retain_graph=True"):
        an.viz.draw_graph(loss)


def test_retained_graph_draws_after_backward_and_keeps_grad():
    loss, leaves = small_net()
    loss.backward(retain_graph=True)
    before = [leaf.grad.copy() for leaf in leaves]
    an.viz.draw_graph(loss, flow=True)
    for leaf, g in zip(leaves, before):
        np.testing.assert_array_equal(leaf.grad, g)


def test_non_scalar_root_is_seeded_with_ones_or_grad_output():
    x = an.tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    y = x * x
    found = dot.nodes(an.viz.draw_graph(y, legend=False).source)
    x_label = found[dot.by_first_line(found, "x")]["label"]
    assert x_label[3] == "grad mean|g| 4 [min 2, max 6]"  # 2x
    found = dot.nodes(an.viz.draw_graph(y, grad_output=np.array([1.0, 0.0, 0.0], np.float32),
                                        legend=False).source)
    assert found[dot.by_first_line(found, "x")]["label"][3] == "grad mean|g| 0.6667 [min 0, max 2]"


def test_no_grad_root_draws_values_only():
    x = an.tensor([1.0, 2.0], name="x")
    source = an.viz.draw_graph(x * 2, legend=False).source
    assert "grad" not in source
    assert len(dot.nodes(source)) == 1


def test_same_graph_same_text_and_rebuilt_graph_same_text():
    loss, _ = small_net()
    first = an.viz.draw_graph(loss, flow=True).source
    assert an.viz.draw_graph(loss, flow=True).source == first
    an.manual_seed(0)
    again, _ = small_net()
    assert an.viz.draw_graph(again, flow=True).source == first


def test_step_frames_show_gradient_arriving():
    x = an.tensor(np.float64(3.0), requires_grad=True, name="x")
    y = x * x + x  # x gets 2x from mul and 1 from add: 7 in total
    n_steps = len(topological_order([y._node]))
    labels = []
    for k in range(n_steps + 1):
        found = dot.nodes(an.viz.draw_graph(y, step=k, legend=False).source)
        labels.append(found[dot.by_first_line(found, "x")]["label"][3])
    assert labels[0] == "grad (not reached yet)"
    assert labels[1] == "grad so far 1"  # add ran first: its part arrived, mul's not yet
    assert labels[-1] == "grad 7"
    with pytest.raises(ValueError, match="step"):
        an.viz.draw_graph(y, step=n_steps + 1)


def test_legend_explains_only_what_is_drawn():
    x = an.tensor(2.0, requires_grad=True, name="x")
    y = an.tanh(x * 3.0)
    no_grads = an.viz.draw_graph(y, grads=False).source
    assert "vanishing" not in no_grads and "exploding" not in no_grads
    assert "vanishing" in an.viz.draw_graph(y).source
    frame = an.viz.draw_graph(y, step=1).source
    assert "orange outline" in frame and "visits in this step" in frame
    assert "orange outline" not in an.viz.draw_graph(y, flow=True).source


def test_rankdir_is_checked():
    y = an.tensor(2.0, requires_grad=True) * 3.0
    assert "rankdir=TB" in an.viz.draw_graph(y, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir='XX'.*LR"):
        an.viz.draw_graph(y, rankdir="XX")


def _chain(n_ops: int) -> an.Tensor:
    """x -> tanh -> ... -> tanh: a chain of 2 * n_ops + 1 drawn nodes (values and ops)."""
    y = an.tensor([0.5, -0.5], requires_grad=True, name="x")
    for _ in range(n_ops):
        y = an.tanh(y)
    return y.sum()


def _rankdir(source: str) -> str:
    return re.search(r"rankdir=(\w+)", source).group(1)


def _longest_path(source: str) -> int:
    """Nodes on the longest path of a drawing's DOT edges (the legend aside)."""
    successors: dict[str, list[str]] = {}
    for src, dst, _ in dot.edges(source):
        if not src.startswith("legend"):
            successors.setdefault(src, []).append(dst)
    length: dict[str, int] = {}

    def longest(node: str) -> int:
        if node not in length:
            length[node] = 1 + max(map(longest, successors.get(node, [])), default=0)
        return length[node]

    return max(map(longest, list(successors)))


@pytest.mark.parametrize("flow", [False, True])
def test_rankdir_auto_draws_long_chains_top_to_bottom(flow):
    limit = an.viz.graph.TOP_TO_BOTTOM_AFTER
    # .sum() adds one op and one value: n tanh give 2 n + 3 nodes on the longest chain
    short, long = (limit - 3) // 2, (limit - 3) // 2 + 1
    assert _longest_path(an.viz.draw_graph(_chain(short), rankdir="LR").source) == limit - 1
    assert _longest_path(an.viz.draw_graph(_chain(long), rankdir="LR").source) == limit + 1
    assert _rankdir(an.viz.draw_graph(_chain(short), flow=flow).source) == "LR"
    assert _rankdir(an.viz.draw_graph(_chain(long), flow=flow).source) == "TB"
    assert _rankdir(an.viz.draw_graph(_chain(long), flow=flow, rankdir="LR").source) == "LR"
    assert _rankdir(an.viz.draw_graph(_chain(short), flow=flow, rankdir="TB").source) == "TB"


def test_rankdir_auto_keeps_small_drawings_as_they_were_and_turns_deep_networks():
    from tests.viz.test_example import load_example

    example = load_example()
    neuron = example.neuron()
    assert an.viz.draw_graph(neuron).source == an.viz.draw_graph(neuron, rankdir="LR").source
    an.manual_seed(0)  # one hidden layer, cross-entropy: left to right, byte for byte as before
    model = an.nn.Sequential(an.nn.Linear(2, 8), an.nn.Tanh(), an.nn.Linear(8, 2))
    loss = an.nn.functional.cross_entropy(model(an.randn(4, 2)), np.arange(4) % 2)
    assert _longest_path(an.viz.draw_graph(loss, model=model, rankdir="LR").source) <= \
        an.viz.graph.TOP_TO_BOTTOM_AFTER
    assert an.viz.draw_graph(loss, model=model, flow=True).source == \
        an.viz.draw_graph(loss, model=model, flow=True, rankdir="LR").source
    model, loss = example.mlp(an.nn.Sigmoid, depth=3)  # four layers: top to bottom
    deep = an.viz.draw_graph(loss, model=model, flow=True).source
    assert _rankdir(deep) == "TB"
    assert deep.replace("rankdir=TB", "rankdir=LR") == \
        an.viz.draw_graph(loss, model=model, flow=True, rankdir="LR").source
