"""Constants in drawings are titled by their value (small) or shape (large), not "constant 6"."""

from __future__ import annotations

import numpy as np

import autonet as an
from autonet.viz import labels
from tests.viz import dot


def _constants(root) -> dict[str, dict[str, str]]:
    found = dot.nodes(an.viz.draw_graph(root, legend=False).source)
    return {i: n for i, n in found.items() if "dashed" in n["attrs"]}


def test_scalar_operands_show_their_values():
    x = an.randn(3, requires_grad=True)
    found = dot.nodes(an.viz.draw_graph((x * 2.0 + 1).sum(), legend=False).source)
    ops = {tuple(n["label"]) for i, n in found.items() if i.startswith("op")}
    assert ("mul", "x * 2") in ops and ("add", "x + 1") in ops
    # the same numbers held as 0-d arrays / Tensors become constant boxes titled by value
    titles = sorted(n["label"][0] for n in
                    _constants((x * np.array(2.0) + an.tensor(0.5)).sum()).values())
    assert titles == ["0.5", "2"]
    assert not any(t.startswith("constant") for t in titles)


def test_small_constants_show_their_values_and_large_ones_their_shape():
    x = an.randn(2, 3, requires_grad=True)
    small = _constants((x + np.array([0.25, 1.0, -3.0])).sum())
    (node,) = small.values()
    assert node["label"] == ["[0.25, 1, -3]", "shape (3,) float64"]
    size_one = _constants((x * np.full((1, 1), 7.0)).sum())
    assert [n["label"][0] for n in size_one.values()] == ["7"]
    large = _constants((x + np.arange(6.0).reshape(2, 3)).sum())
    (node,) = large.values()
    assert node["label"][0] == "(2, 3) array"
    assert node["label"][1] == "value mean 2.5 [min 0, max 5]"


def test_named_constants_keep_their_name():
    x = an.randn(2, 3, requires_grad=True)
    mask = an.tensor(np.ones((2, 3)))
    found = dot.nodes(an.viz.draw_graph((x * mask).sum(), legend=False).source)  # names from here
    (node,) = (n for n in found.values() if "dashed" in n["attrs"])
    assert node["label"] == ["mask", "value mean 1 [min 1, max 1]", "shape (2, 3) float64"]


def test_constant_title_formats():
    assert labels.constant_title(np.float32(0.5)) == "0.5"
    assert labels.constant_title(np.array([[1, 2], [3, 4]])) == "[[1, 2], [3, 4]]"
    assert labels.constant_title(np.array([True, False])) == "[True, False]"
    assert labels.constant_title(np.zeros((5,))) == "(5,) array"
    assert labels.constant_title(np.zeros((0, 2))) == "(0, 2) array"
    assert labels.constant_title(np.array(1 / 3), precision=2) == "0.33"
