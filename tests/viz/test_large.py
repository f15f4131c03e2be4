"""Huge graphs: walked without recursion, summarized or refused above max_nodes, never a crash."""

from __future__ import annotations

import sys

import pytest

import autonet as an
from tests.viz import dot

DEPTH = 100_000


@pytest.fixture(scope="module")
def chain():
    x = an.tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(DEPTH):
        y = y * 1.0
    return y


def test_walk_covers_a_100k_chain_deeper_than_the_recursion_limit(chain):
    assert sys.getrecursionlimit() < DEPTH
    walk = an.viz.walk_graph(chain)
    assert len(walk.ops) == DEPTH and len(walk.values) == DEPTH + 1


def test_huge_graph_is_summarized_near_the_output(chain):
    with pytest.warns(UserWarning, match=r"200,001 nodes.*max_nodes=300"):
        graph = an.viz.draw_graph(chain, max_nodes=300, flow=True)
    found = dot.nodes(graph.source)
    drawn = [i for i in found if i.startswith(("v", "op"))]
    assert len(drawn) == 300
    assert "v0" in drawn and "op0" in drawn  # the output end is kept
    assert "more nodes not drawn" in " ".join(found["summary"]["label"])
    assert "x" not in [n["label"][0] for n in found.values()]  # the far leaf is cut
    # gradients shown are those of the whole chain (d y / d anything = 1)
    assert all(n["label"][-1] == "grad 1" for i, n in found.items() if i.startswith("v"))


def test_huge_graph_can_be_refused(chain):
    with pytest.raises(ValueError, match=r"200,001 nodes.*max_nodes=1,000.*on_large"):
        an.viz.draw_graph(chain, max_nodes=1000, on_large="raise")
