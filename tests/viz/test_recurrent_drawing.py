"""An unrolled RNN/LSTM is drawn with one box per time step, the state flowing between them, and
the gradient flowing back through time along those edges (vanishing ones marked)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autonet as an
from tests.viz import dot

_STEP = re.compile(r"^(?:\[[\d-]+\] )?(\w+) t=(\d+)$")


def step_boxes(source: str) -> dict[int, str]:
    """{t: DOT id} of the time-step boxes."""
    found = dot.nodes(source)
    steps = {}
    for i, node in found.items():
        m = _STEP.match(node["label"][0])
        if m and "box3d" in node["attrs"]:
            steps[int(m.group(2))] = i
    return steps


def states(source: str) -> dict[int, list[str]]:
    """{t: label lines of the value that step t's box outputs}."""
    found = dot.nodes(source)
    out = {}
    for t, box in step_boxes(source).items():
        targets = [d for s, d, _ in dot.edges(source) if s == box and d.startswith("v")]
        assert len(targets) == 1, (t, targets)
        out[t] = found[targets[0]]["label"]
    return out


@pytest.mark.parametrize("layer", [an.nn.RNN(2, 3), an.nn.LSTM(2, 3), an.nn.GRU(2, 3)])
def test_one_box_per_time_step_chained_through_the_state(layer) -> None:
    out, _ = layer(an.randn(4, 2, 2))
    source = an.viz.draw_graph((out ** 2).sum(), model=layer, flow=True).source
    boxes = step_boxes(source)
    assert sorted(boxes) == [1, 2, 3, 4]  # the course's x<1> ... x<T>
    found = dot.nodes(source)
    assert found[boxes[1]]["label"][1].endswith("(x<1>, h<0>)")  # h<0>: the initial state
    assert found[boxes[2]]["label"][1].startswith("h<2> = ")
    # the state of step t feeds step t + 1, and its edge carries the gradient back through time
    for t in range(1, 4):
        value = [d for s, d, _ in dot.edges(source) if s == boxes[t] and d.startswith("v")][0]
        into_next = [a for s, d, a in dot.edges(source) if s == value and d == boxes[t + 1]]
        assert len(into_next) == 1 and dot.edge_label(into_next[0]) is not None


def test_a_vanishing_gradient_through_time_is_marked() -> None:
    an.manual_seed(0)
    rnn = an.nn.RNN(2, 4)
    with an.no_grad():
        rnn.weight_hh_l0.data *= 0.05  # each step back multiplies the gradient by about 0.05
    _, h_n = rnn(an.randn(8, 2, 2))
    labels = states(an.viz.draw_graph((h_n ** 2).sum(), model=rnn).source)
    assert "VANISHING gradient" in labels[1]
    assert "VANISHING gradient" not in labels[8]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("batch", [1, 5])
def test_healthy_lstms_show_no_vanishing_warning(seed, batch) -> None:
    an.manual_seed(seed)
    lstm = an.nn.LSTM(3, 4)
    out, _ = lstm(an.randn(5, batch, 3))
    labels = states(an.viz.draw_graph(out.sum(), model=lstm).source)
    assert sorted(labels) == list(range(1, 6))
    assert not any("VANISHING" in line for lines in labels.values() for line in lines)


def test_step_boxes_can_be_expanded_into_their_ops() -> None:
    gru = an.nn.GRU(2, 3)
    out, _ = gru(an.randn(3, 1, 2))
    source = an.viz.draw_graph(out.sum(), model=gru, expand_modules=True).source
    ops = [n["label"][0] for i, n in dot.nodes(source).items() if i.startswith("op")]
    assert ops.count("gru_cell") == 3
    assert "GRU t=1" in source and np.isfinite(out.data).all()


def _lstm_loss(bidirectional: bool = False, kind: str = "LSTM"):
    an.manual_seed(3)
    lstm = getattr(an.nn, kind)(2, 3, num_layers=2, bidirectional=bidirectional,
                                dtype=np.float64)
    out, state = lstm(an.randn(4, 2, 2).astype("float64"))
    h_n, c_n = state if kind == "LSTM" else (state, state)
    return lstm, (out ** 2).sum() + (h_n * c_n).sum()


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_recurrent_layer_is_one_node_that_the_drawing_unrolls_exactly(bidirectional,
                                                                         kind) -> None:
    # the layer records one lstm_sequence (gru_, rnn_) node per layer and direction ...
    lstm, loss = _lstm_loss(bidirectional, kind)
    fused = [n for n in an.autograd.engine.topological_order([loss._node])
             if n.name == f"{kind.lower()}_sequence"]
    assert len(fused) == 2 * (2 if bidirectional else 1)
    # ... the drawing shows one box per step of each, and its own backward through those steps
    # gives the gradients the fused node's backward gives
    source = an.viz.draw_graph(loss, model=lstm, flow=True).source
    titles = [n["label"][0] for n in dot.nodes(source).values()]
    assert sum(bool(re.search(kind + r" layer [01]( reverse)? t=\d$", t)) for t in titles) \
        == 4 * len(fused)
    walk = an.viz.walk_graph(loss)
    flow = an.viz.compute_flow(walk)
    drawn = {id(v.tensor): flow.value_grads[v.index] for v in walk.values if v.kind != "constant"}
    loss.backward()
    for name, p in lstm.named_parameters():
        np.testing.assert_allclose(drawn[id(p)], p.grad, rtol=1e-10, atol=1e-12, err_msg=name)


def test_drawing_leaves_the_fused_graph_as_it_was() -> None:
    lstm, loss = _lstm_loss()
    an.viz.draw_graph(loss, model=lstm, flow=True, highlight=[loss._node])
    names = [n.name for n in an.autograd.engine.topological_order([loss._node])]
    assert names.count("lstm_sequence") == 2 and "lstm_cell" not in names
    loss.backward()  # the original graph still runs its own backward
    assert lstm.weight_hh_l1.grad is not None


def test_highlighting_the_fused_node_marks_its_unrolled_stand_in() -> None:
    lstm, loss = _lstm_loss()
    fused = next(n for n in an.autograd.engine.topological_order([loss._node])
                 if n.name == "lstm_sequence")
    source = an.viz.draw_graph(loss, model=lstm, highlight=[fused]).source
    assert source != an.viz.draw_graph(loss, model=lstm).source


def test_backward_step_frames_count_the_unrolled_steps(tmp_path) -> None:
    an.manual_seed(0)
    lstm = an.nn.LSTM(2, 2)
    out, _ = lstm(an.randn(2, 1, 2))
    loss = out.sum()
    index = an.viz.save_backward_steps(loss, tmp_path, format="dot")
    drawn = an.viz.walk_graph(loss).root
    steps = len(an.autograd.engine.topological_order([drawn._node]))
    assert steps > len(an.autograd.engine.topological_order([loss._node]))
    assert len(sorted(index.parent.glob("frame_*"))) == steps + 1  # frames 0..steps


def test_steps_use_the_course_notation_in_both_directions() -> None:
    # 1-based steps: forward h<t> = cell(x<t>, h<t-1>) from h<0>; reverse from h<L+1>
    an.manual_seed(0)
    gru = an.nn.GRU(2, 3, bidirectional=True)
    out, _ = gru(an.randn(3, 1, 2))
    source = an.viz.draw_graph(out.sum(), model=gru).source
    for text in ("h<1> = gru_cell(x<1>, h<0>)", "h<3> = gru_cell(x<3>, h<2>)",
                 "h<3> = gru_cell(x<3>, h<4>)", "h<1> = gru_cell(x<1>, h<2>)"):
        assert text in source, text
    assert "x<0>" not in source and "t=0" not in source
