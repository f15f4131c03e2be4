"""Real rendering with Graphviz's dot, the fallback without it, and backward-step frames."""

from __future__ import annotations

import shutil
from pathlib import Path

import graphviz
import numpy as np
import pytest

import autonet as an
from autonet.autograd.engine import topological_order

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed (CI installs it)")


def neuron():
    x = an.tensor(np.array([2.0, 0.0]), requires_grad=True, name="x")
    w = an.tensor(np.array([-3.0, 1.0]), requires_grad=True, name="w")
    b = an.tensor(np.float64(6.88), requires_grad=True, name="b")
    return an.tanh((x * w).sum() + b)


@needs_dot
def test_renders_svg_png_and_pdf_with_dot(tmp_path):
    o = neuron()
    svg = an.viz.save_graph(o, tmp_path / "neuron.svg", flow=True)
    assert svg == tmp_path / "neuron.svg"
    text = svg.read_text()
    assert "<svg" in text and "tanh" in text and "legend" in text
    png = an.viz.save_graph(o, tmp_path / "sub" / "neuron.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = an.viz.save_graph(an.viz.draw_graph(o), tmp_path / "neuron.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_dot_suffix_writes_the_source(tmp_path):
    o = neuron()
    path = an.viz.save_graph(o, tmp_path / "neuron.dot")
    assert path.read_text() == an.viz.draw_graph(o).source


def test_missing_dot_writes_source_and_says_how_to_install(tmp_path, monkeypatch):
    def missing(cmd, *args, **kwargs):
        raise graphviz.ExecutableNotFound(cmd)

    monkeypatch.setattr(graphviz.backend.execute, "run_check", missing)
    o = neuron()
    with pytest.warns(RuntimeWarning, match="apt install graphviz") as record:
        path = an.viz.save_graph(o, tmp_path / "neuron.svg")
    assert len(record) == 1 and "\n" not in str(record[0].message)
    assert path == tmp_path / "neuron.dot"
    assert path.read_text().startswith("digraph autonet")
    assert not (tmp_path / "neuron.svg").exists()


def test_backward_steps_without_dot_list_the_source_files_not_broken_pictures(
        tmp_path, monkeypatch):
    def missing(cmd, *args, **kwargs):
        raise graphviz.ExecutableNotFound(cmd)

    monkeypatch.setattr(graphviz.backend.execute, "run_check", missing)
    o = neuron()
    with pytest.warns(RuntimeWarning, match="apt install graphviz"):
        index = an.viz.save_backward_steps(o, tmp_path / "steps")
    frames, page = sorted(index.parent.glob("frame_*")), index.read_text()
    assert frames and all(p.suffix == ".dot" for p in frames)
    assert "<img" not in page and "was not found" in page and "apt install graphviz" in page
    assert all(f'<a href="{p.name}">' in page for p in frames)
    assert f"step {len(frames) - 1} of {len(frames) - 1}" in page


def test_backward_steps_as_dot_say_how_to_get_pictures(tmp_path):
    index = an.viz.save_backward_steps(neuron(), tmp_path, format="dot")
    page = index.read_text()
    assert "<img" not in page
    assert 'format="svg"' in page and "dot -Tsvg frame_000.dot -o frame_000.svg" in page
    assert all(f'<a href="{p.name}">' in page for p in tmp_path.glob("frame_*"))


@needs_dot
def test_pdf_frames_are_shown_in_a_frame_not_an_img(tmp_path):
    index = an.viz.save_backward_steps(an.tanh(an.tensor(0.5, requires_grad=True)), tmp_path,
                                       format="pdf")
    page = index.read_text()
    assert '<iframe id="picture" src="frame_000.pdf"' in page and "<img" not in page


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg"):
        an.viz.save_graph(neuron(), tmp_path / "neuron.jpeg")
    with pytest.raises(TypeError, match="options"):
        an.viz.save_graph(an.viz.draw_graph(neuron()), tmp_path / "n.svg", flow=True)


@needs_dot
def test_backward_steps_write_one_frame_per_step_and_a_flipbook(tmp_path):
    o = neuron()
    n_steps = len(topological_order([o._node]))
    index = an.viz.save_backward_steps(o, tmp_path / "steps")
    assert index == tmp_path / "steps" / "index.html"
    frames = sorted(index.parent.glob("frame_*"))
    assert [p.name for p in frames] == [f"frame_{k:03d}.svg" for k in range(n_steps + 1)]
    assert all("<svg" in p.read_text() for p in frames)
    page = index.read_text()
    assert all(p.name in page for p in frames)
    assert "step 0" in frames[0].read_text() and f"step {n_steps} of {n_steps}" in page
    leaves = [v.tensor for v in an.viz.walk_graph(o).values if v.node is None]
    assert leaves and all(t.grad is None for t in leaves)  # frames never touch .grad


def test_backward_steps_refuse_too_many_frames(tmp_path):
    x = an.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(30):
        y = an.sin(y)
    with pytest.raises(ValueError, match="max_frames"):
        an.viz.save_backward_steps(y, tmp_path, max_frames=10)
    assert not list(tmp_path.iterdir())  # refused before writing anything
    index = an.viz.save_backward_steps(y, tmp_path, format="dot", max_frames=40)
    frames = sorted(index.parent.glob("frame_*"))
    assert len(frames) == 31 and frames[0].read_text().startswith("digraph")


def test_save_graph_and_backward_steps_both_return_the_path_of_their_main_file(tmp_path):
    x = an.tensor(0.5, requires_grad=True)
    long = an.sin(an.sin(an.sin(x)))
    graph = an.viz.save_graph(long, tmp_path / "g.dot")
    index = an.viz.save_backward_steps(long, tmp_path / "steps", format="dot")
    assert isinstance(graph, Path) and isinstance(index, Path)
    assert graph == tmp_path / "g.dot" and index == tmp_path / "steps" / "index.html"
    assert [p.name for p in sorted(index.parent.glob("frame_*"))] == \
        [f"frame_{k:03d}.dot" for k in range(4)]
    (tmp_path / "steps" / "notes.txt").write_text("mine")
    # a shorter run in the same directory: the glob lists its frames only, other files stay
    again = an.viz.save_backward_steps(an.sin(x), tmp_path / "steps", format="dot")
    assert again == index
    assert [p.name for p in sorted(index.parent.glob("frame_*"))] == ["frame_000.dot",
                                                                     "frame_001.dot"]
    assert (tmp_path / "steps" / "notes.txt").read_text() == "mine"
