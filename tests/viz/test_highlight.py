"""draw_graph(highlight=...): the ops an.check_graph blames are drawn in red, nothing else is."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import autonet as an
from autonet.ops.primitive import Primitive
from autonet.viz import styles
from tests.functions import WrongCube, load_example
from tests.viz import dot

ROOT = Path(__file__).resolve().parents[2]
RED = f'fillcolor="{styles.HIGHLIGHT["fillcolor"]}"'


# exp with the rule of a different function (g * x)
bad_exp = Primitive("bad_exp", np.exp, (lambda xp, g, y, x: g * x,))


def _graph():
    """tanh(WrongCube(x * w)).sum() + mean(w): one wrong op among several right ones."""
    rng = np.random.default_rng(0)
    x = an.tensor(rng.normal(size=(2, 3)), requires_grad=True, name="x")
    w = an.tensor(rng.normal(size=(3,)), requires_grad=True, name="w")
    cubed = WrongCube.apply(x * w)
    return x, w, cubed, an.tanh(cubed).sum() + an.mean(w)


def _red_ids(source: str) -> list[str]:
    return [i for i, n in dot.nodes(source).items() if RED in n["attrs"]]


def test_check_graph_finds_the_wrong_function_and_only_its_node_is_red():
    x, w, cubed, loss = _graph()
    report = an.check_graph(loss)
    assert report.bad_nodes == [cubed.grad_fn]
    source = an.viz.draw_graph(loss, highlight=report.bad_nodes).source
    found = dot.nodes(source)
    target = dot.by_first_line(found, "WrongCube")
    assert _red_ids(source) == [target]
    attrs = found[target]["attrs"]
    for key, value in styles.HIGHLIGHT.items():
        assert f'{key}="{value}"' in attrs or f"{key}={value}" in attrs, (key, attrs)
    # every other op keeps the ordinary op style
    ops = [i for i in found if i.startswith("op") and i != target]
    assert len(ops) == len(report.checks) - 1
    assert all(styles.OP_STYLE["fillcolor"] in found[i]["attrs"] for i in ops)
    assert styles.HIGHLIGHT_TEXT in source


def test_a_report_a_node_list_and_report_draw_give_the_same_picture():
    *_, loss = _graph()
    report = an.check_graph(loss)
    by_nodes = an.viz.draw_graph(loss, highlight=report.bad_nodes).source
    assert an.viz.draw_graph(loss, highlight=report).source == by_nodes
    assert report.draw().source == by_nodes
    flow = report.draw(flow=True, rankdir="TB").source
    assert len(_red_ids(flow)) == 1 and "rankdir=TB" in flow


def test_nothing_highlighted_means_no_red_and_no_legend_row():
    *_, loss = _graph()
    plain = an.viz.draw_graph(loss).source
    assert _red_ids(plain) == [] and styles.HIGHLIGHT_TEXT not in plain
    assert an.viz.draw_graph(loss, highlight=[]).source == plain
    # a graph whose rules are all right: its report highlights nothing
    a = an.tensor(np.array([0.5, -1.0]), requires_grad=True)
    good = an.tanh(a * 2.0).sum()
    report = an.check_graph(good)
    assert report.passed
    drawn = report.draw().source
    assert _red_ids(drawn) == [] and styles.HIGHLIGHT_TEXT not in drawn


def test_check_graph_and_drawing_leave_the_graph_alive():
    x, w, cubed, loss = _graph()
    before = an.viz.draw_graph(loss).source
    report = an.check_graph(loss)
    report.draw()
    assert an.viz.draw_graph(loss).source == before  # nothing consumed or changed
    assert not cubed.grad_fn.freed
    loss.backward()
    # backward ran through the (wrong) hand-written rule: dx = 2 (xw) w (1 - tanh(y)^2)
    xw = x.data * w.data
    expected = 2 * xw * w.data * (1 - np.tanh(xw ** 3) ** 2)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)
    with pytest.raises(RuntimeError, match="freed"):
        report.draw()


class Scaled(an.nn.Module):
    """A module whose forward uses the wrong primitive: drawn as one collapsed box."""

    def forward(self, h):
        return bad_exp(h * 0.5)


def test_a_collapsed_module_box_holding_the_wrong_op_is_red():
    layer = an.nn.Sequential(an.nn.Linear(3, 2), Scaled())
    an.manual_seed(0)
    x = an.tensor(np.random.default_rng(0).normal(size=(4, 3)))
    loss = layer(x).sum()
    report = an.check_graph(loss)
    assert [n.name for n in report.bad_nodes] == ["bad_exp"]
    source = report.draw(model=layer).source
    found = dot.nodes(source)
    red = _red_ids(source)
    assert len(red) == 1 and red[0].startswith("m")  # the module box, not a loose op
    assert "wrong rule: bad_exp" in found[red[0]]["label"]
    expanded = report.draw(model=layer, expand_modules=True).source
    [op_id] = _red_ids(expanded)
    assert dot.nodes(expanded)[op_id]["label"][0] == "bad_exp"


def test_save_graph_and_backward_steps_pass_highlight_through(tmp_path):
    *_, loss = _graph()
    report = an.check_graph(loss)
    path = an.viz.save_graph(loss, tmp_path / "g.dot", highlight=report)
    assert len(_red_ids(path.read_text())) == 1
    index = an.viz.save_backward_steps(loss, tmp_path / "steps", format="dot",
                                       highlight=report)
    frames = sorted(index.parent.glob("frame_*"))
    assert frames
    for frame in frames:
        assert len(_red_ids(frame.read_text())) == 1, frame.name


def test_a_highlighted_op_cut_by_max_nodes_is_counted_in_the_summary():
    x = an.tensor(np.array([0.3, 0.7]), requires_grad=True)
    h = bad_exp(x)
    for _ in range(6):
        h = an.sin(h)
    report = an.check_graph(h.sum())
    assert len(report.bad_nodes) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = report.draw(max_nodes=6).source
    assert _red_ids(source) == [] and styles.HIGHLIGHT_TEXT not in source
    assert "1 highlighted op(s) among them" in source


def test_bad_highlight_arguments_are_clear_errors():
    x, w, cubed, loss = _graph()
    *_, other = _graph()
    with pytest.raises(ValueError, match="not in the graph of this root"):
        an.viz.draw_graph(loss, highlight=an.check_graph(other).bad_nodes)
    with pytest.raises(TypeError, match="leaf Tensor"):
        an.viz.draw_graph(loss, highlight=[x])
    with pytest.raises(TypeError, match="got str"):
        an.viz.draw_graph(loss, highlight="WrongCube")
    with pytest.raises(TypeError, match="highlight= is this report's"):
        an.check_graph(loss).draw(highlight=[])
    # a Tensor stands for the op that made it
    assert _red_ids(an.viz.draw_graph(loss, highlight=cubed).source) == \
        _red_ids(an.viz.draw_graph(loss, highlight=[cubed.grad_fn]).source)


def test_the_example_draws_the_picture_docs_checking_shows(tmp_path):
    example = load_example("check_custom_function")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # without dot: a .dot file and an install hint
        written = example.draw_check_graph(tmp_path)
    assert written.stem == "check_graph"
    assert "LogisticCostWrong" in written.read_text()
    page = (ROOT / "docs/checking.md").read_text()
    assert "](check_graph.svg)" in page and 'save_graph(cost, "check_graph.svg"' in page
    if written.suffix == ".svg":
        assert re.search(r'<title>op\d+</title>\s*<ellipse fill="#ea9999" stroke="#cc0000"',
                         written.read_text()), "the wrong op is not filled red"
