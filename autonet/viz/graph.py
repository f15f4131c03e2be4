"""draw_graph: a computation graph, its values and the gradients of its root, as a graphviz Digraph.

The pipeline: walk the graph from the root (walk.py), run the drawing's own backward (flow.py),
group module calls (modules.py), decide what is shown (scene.py: boxes collapse module internals,
``max_nodes`` cuts the rest), then emit nodes, clusters and edges in a fixed order so the DOT text
is deterministic (painter.py, clusters.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import graphviz

from autonet.autograd.engine import topological_order
from autonet.autograd.graph import Node
from autonet.check.graph import GraphCheckReport
from autonet.tensor import Tensor
from autonet.viz import labels, styles
from autonet.viz.flow import compute_flow, gradients_at
from autonet.viz.modules import group_calls
from autonet.viz.painter import Painter, add_summary
from autonet.viz.scene import Scene, apply_max_nodes, build_scene
from autonet.viz.walk import Walk, walk_graph

LARGE_CHOICES = ("summarize", "raise")
RANKDIRS = ("auto", "LR", "TB", "RL", "BT")
# rankdir="auto": a drawing whose longest chain (values and ops from an input to the root, as
# drawn) has more than this many nodes goes top to bottom. Each layer of a network in course
# notation adds 4 (a layer box, Z[l], an activation box, A[l]), each ~350 pt wide left to right.
# The neuron (9) and a one-hidden-layer network with cross-entropy (11, ~3,900 pt wide) stay left
# to right; networks of three layers and more (13 and up, 4,400 pt to 10,000 pt and more) are
# drawn top to bottom, about 2,000 pt wide whatever their depth.
TOP_TO_BOTTOM_AFTER = 12


def draw_graph(
    root: Tensor,
    *,
    model: Any = None,
    params: Mapping[str, Tensor] | None = None,
    grads: bool = True,
    flow: bool = False,
    precision: int = 4,
    expand_modules: bool = False,
    notation: bool = True,
    constants: bool = True,
    names: str | None = "auto",
    grad_output: Any = None,
    vanish: float = 1e-3,
    explode: float = 1e3,
    max_nodes: int = 500,
    on_large: str = "summarize",
    legend: bool = True,
    rankdir: str = "auto",
    title: str | None = None,
    step: int | None = None,
    highlight: Iterable[Node] | GraphCheckReport | None = None,
) -> graphviz.Digraph:
    """Draw the computation that produced ``root``, with values and the gradients of ``root``.

    Value boxes show a name, the value (the number for one element, else mean/min/max), shape and
    dtype, and the gradient of ``root`` with respect to it. Op ellipses show the op and its
    attributes. Gradients are computed by the drawing itself (a private backward through the same
    rules); no tensor's ``.grad`` changes and ``.backward()`` need not have been called.

    Args:
        root: the tensor to draw from (any shape; a non-scalar root is seeded with ones, i.e. the
            gradient of ``root.sum()``, unless ``grad_output`` is given).
        model: a Module; its parameters are labelled by dotted name (``layers.0.weight``) and its
            submodules title the module boxes.
        params: ``{name: tensor}`` labels for parameters (with or instead of ``model``).
        grads: show the gradient of ``root`` in each value box.
        flow: draw derivative flow: edges labelled with the gradient flowing back along them,
            widths by its size, ops numbered by the step at which backward visits them.
        precision: significant digits of the numbers shown.
        expand_modules: draw every op inside module calls (nested dashed clusters); by default each
            call of an innermost module is one box (W[l], b[l], Z[l], A[l] for Linear stacks).
        notation: use the course's notation for Linear+activation stacks.
        constants: draw array operands that need no gradient (the data X, masks) as grey boxes.
        names: ``"auto"`` names unnamed leaves after the caller's variables; None does not look.
        grad_output: the gradient to start backward from (shape of ``root``).
        vanish, explode: gradient-health thresholds: vanishing when sum |grad| is below
            ``vanish`` times that of the layers after it, exploding when mean |grad| is above
            ``explode`` x ``max(mean |value|, 1)`` (autonet/viz/health.py).
        max_nodes: most boxes and ellipses drawn; beyond it the nodes farthest from the root are
            summarized in one note (``on_large="summarize"``) or a ValueError is raised
            (``on_large="raise"``).
        legend: add a legend of the colours used.
        rankdir: graphviz direction: ``"LR"`` (left to right), ``"TB"`` (top to bottom), or
            ``"auto"``: ``"TB"`` when the longest drawn chain of values and ops is longer than
            ``TOP_TO_BOTTOM_AFTER`` (12) nodes, as for networks of three or more layers, else
            ``"LR"``.
        title: a caption on top of the picture.
        step: draw the state after this many backward steps (0 = only the seed at the root), as
            ``save_backward_steps`` does for each frame; implies ``flow``.
        highlight: op Nodes (or Tensors they produced) to draw in red: those whose gradient
            rule ``an.check_graph`` found wrong. A report of ``an.check_graph`` can be passed
            directly (its ``bad_nodes`` are used; ``report.draw()`` does this). A module box that
            holds a highlighted op is highlighted too. Nodes must belong to this graph.

    Returns:
        A ``graphviz.Digraph``: shows inline in Jupyter, ``.source`` is the DOT text,
        ``.render(path, format="svg")`` draws it (or use ``an.viz.save_graph``).
    """
    _check_options(precision, max_nodes, on_large, vanish, explode, rankdir)
    walk = walk_graph(root, constants=constants)
    marked = _highlighted_ops(walk, highlight)
    root = walk.root  # the unrolled copy when the graph holds a fused loop (see unroll.py)
    has_graph = root._node is not None
    if step is not None:
        flow = True
    steps = [walk.op_of_node[n].index for n in topological_order([root._node])] if has_graph \
        else []
    if step is not None and not 0 <= step <= len(steps):
        raise ValueError(f"draw_graph: step={step} is outside 0..{len(steps)} (this graph has "
                         f"{len(steps)} backward steps)")
    module_names = labels.module_names(model)
    param_names = labels.dotted_parameter_names(model, params)
    caller = labels.caller_names() if names == "auto" else {}
    grouping = group_calls(walk, steps[::-1], module_names, notation=notation)
    scene = build_scene(walk, grouping, expand_modules)
    dropped = apply_max_nodes(scene, walk, max_nodes, on_large)  # may raise: before the backward
    want_grads = (grads or flow) and root.requires_grad
    result = compute_flow(walk, grad_output) if want_grads else None

    grads_now, complete = gradients_at(walk, result, step)
    painter = Painter(walk, result, grouping, scene, precision, vanish, explode, flow, step,
                       grads_now, complete, param_names, caller, module_names, marked)
    if rankdir == "auto":
        rankdir = "TB" if longest_chain(scene) > TOP_TO_BOTTOM_AFTER else "LR"
    graph = graphviz.Digraph("autonet", graph_attr={"rankdir": rankdir, "fontname": styles.FONT},
                             node_attr={"fontname": styles.FONT, "fontsize": "11"},
                             edge_attr={"fontname": styles.FONT, "fontsize": "9"})
    if title:
        graph.attr(label=title, labelloc="t", fontsize="14")
    painter.emit(graph, expand_modules)
    if dropped:
        add_summary(graph, scene, walk, dropped, max_nodes, marked)
    if legend:
        kinds = [k for k in styles.KIND_TEXT if any(
            painter.kind(walk.values[i]) == k for i in scene.value_ids)]
        shown = {i for ops in scene.units.values() for i in ops}
        styles.add_legend(graph, kinds, flow, bool(scene.unit_call), vanish, explode,
                          highlight=bool(marked & shown), gradients=result is not None,
                          step=painter.current is not None,
                          notation=any(c.notation and shown.intersection(c.ops)
                                       for c in grouping.calls))
    return graph


def _check_options(precision: int, max_nodes: int, on_large: str, vanish: float,
                   explode: float, rankdir: str) -> None:
    if not isinstance(precision, int) or precision < 1:
        raise ValueError(f"draw_graph: precision={precision!r} must be a positive int (digits)")
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes={max_nodes!r} must be a positive int")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir={rankdir!r}; use one of {RANKDIRS} (LR: left to "
                         "right, TB: top to bottom, auto: TB for long chains)")
    if on_large not in LARGE_CHOICES:
        raise ValueError(f"draw_graph: on_large={on_large!r}; use one of {LARGE_CHOICES}")
    if not 0 <= vanish < explode:
        raise ValueError(f"draw_graph: need 0 <= vanish < explode, got vanish={vanish}, "
                         f"explode={explode}")


def longest_chain(scene: Scene) -> int:
    """The number of nodes on the longest path of the drawn graph (values and units, the legend
    and notes aside): how many ranks graphviz lays out along ``rankdir``."""
    nodes = [*scene.value_ids.values(), *scene.units]
    successors: dict[str, list[str]] = {n: [] for n in nodes}
    waiting = dict.fromkeys(nodes, 0)
    for edge in scene.edges:
        successors[edge.src].append(edge.dst)
        waiting[edge.dst] += 1
    length = dict.fromkeys(nodes, 1)
    ready = [n for n in nodes if not waiting[n]]
    while ready:  # Kahn's order: a node's length is final when all its inputs are done
        node = ready.pop()
        for nxt in successors[node]:
            length[nxt] = max(length[nxt], length[node] + 1)
            waiting[nxt] -= 1
            if not waiting[nxt]:
                ready.append(nxt)
    return max(length.values(), default=0)


def _highlighted_ops(walk: Walk, highlight: Any) -> set[int]:
    """Indices (into ``walk.ops``) of the ops to highlight; checks that each belongs here."""
    if highlight is None:
        return set()
    if isinstance(highlight, GraphCheckReport):
        highlight = highlight.bad_nodes
    elif isinstance(highlight, Node | Tensor):
        highlight = [highlight]
    elif isinstance(highlight, str | bytes) or not isinstance(highlight, Iterable):
        raise TypeError(f"draw_graph: highlight= takes op Nodes (e.g. report.bad_nodes) or an "
                        f"an.check_graph report, got {type(highlight).__name__}")
    marked: set[int] = set()
    strangers: list[str] = []
    for item in highlight:
        node = item._node if isinstance(item, Tensor) else item
        if not isinstance(node, Node):
            what = "a leaf Tensor (no op made it)" if isinstance(item, Tensor) else \
                f"a {type(item).__name__}"
            raise TypeError(f"draw_graph: highlight= holds {what}; pass the op Nodes to mark "
                            "(tensor.grad_fn, or report.bad_nodes of an.check_graph)")
        op = walk.op_of_node.get(walk.copies.get(node, node))
        if op is None:
            strangers.append(node.name)
        else:
            marked.add(op.index)
    if strangers:
        raise ValueError(f"draw_graph: highlight= holds {len(strangers)} op(s) that are not in "
                         f"the graph of this root ({', '.join(strangers[:3])}); pass nodes of "
                         "this graph, e.g. an.check_graph(root).bad_nodes for the same root")
    return marked
