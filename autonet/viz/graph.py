"""draw_graph: a computation graph, its values and the gradients of its root, as a graphviz Digraph.

The pipeline: walk the graph from the root (walk.py), run the drawing's own backward (flow.py),
group module calls (modules.py), decide what is shown (boxes collapse module internals,
``max_nodes`` cuts the rest), then emit nodes, clusters and edges in a fixed order so the DOT text
is deterministic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import graphviz
import numpy as np

from autonet.autograd.engine import topological_order
from autonet.autograd.graph import Node
from autonet.check_graph import GraphCheckReport
from autonet.tensor import Tensor
from autonet.viz import labels, styles
from autonet.viz.flow import Flow, compute_flow
from autonet.viz.modules import Call, Grouping, group_calls, module_label
from autonet.viz.walk import Value, Walk, walk_graph
from autonet.warnings import warn_at_user_code

LARGE_CHOICES = ("summarize", "raise")
RANKDIRS = ("LR", "TB", "RL", "BT")


@dataclass(eq=False, slots=True)
class _Edge:
    src: str
    dst: str
    parts: list[tuple[int, int]] = field(default_factory=list)  # (op, input position) it carries
    value: Value | None = None  # the value whose gradient flows back along it (input edges)


@dataclass(eq=False)
class _Scene:
    """What is drawn: DOT ids for shown values and units (ops or module boxes), and edges."""

    value_ids: dict[int, str]
    unit_of_op: dict[int, str]
    units: dict[str, list[int]]  # unit id -> op indices (one op, or a module call's ops)
    unit_call: dict[str, Call]
    edges: list[_Edge]
    rank: dict[str, float]  # breadth-first rank, for max_nodes
    cut_targets: list[str] = field(default_factory=list)  # kept nodes with inputs cut off


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
    rankdir: str = "LR",
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
        vanish, explode: gradient-health thresholds, relative to ``max(mean |value|, 1)``.
        max_nodes: most boxes and ellipses drawn; beyond it the nodes farthest from the root are
            summarized in one note (``on_large="summarize"``) or a ValueError is raised
            (``on_large="raise"``).
        legend: add a legend of the colours used.
        rankdir: graphviz direction, ``"LR"`` (left to right) or ``"TB"``.
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
    scene = _layout(walk, grouping, expand_modules)
    dropped = _apply_max_nodes(scene, walk, max_nodes, on_large)  # may raise: before the backward
    want_grads = (grads or flow) and root.requires_grad
    result = compute_flow(walk, grad_output) if want_grads else None

    grads_now, complete = _gradients_at(walk, result, step)
    painter = _Painter(walk, result, grouping, scene, precision, vanish, explode, flow, step,
                       grads_now, complete, param_names, caller, module_names, marked)
    graph = graphviz.Digraph("autonet", graph_attr={"rankdir": rankdir, "fontname": styles.FONT},
                             node_attr={"fontname": styles.FONT, "fontsize": "11"},
                             edge_attr={"fontname": styles.FONT, "fontsize": "9"})
    if title:
        graph.attr(label=title, labelloc="t", fontsize="14")
    painter.emit(graph, expand_modules)
    if dropped:
        _add_summary(graph, scene, walk, dropped, max_nodes, marked)
    if legend:
        kinds = [k for k in styles.KIND_TEXT if any(
            painter.kind(walk.values[i]) == k for i in scene.value_ids)]
        shown_marked = any(i in marked for ops in scene.units.values() for i in ops)
        styles.add_legend(graph, kinds, flow, bool(scene.unit_call), vanish, explode,
                          highlight=shown_marked, gradients=result is not None,
                          step=painter.current is not None)
    return graph


def _check_options(precision: int, max_nodes: int, on_large: str, vanish: float,
                   explode: float, rankdir: str) -> None:
    if not isinstance(precision, int) or precision < 1:
        raise ValueError(f"draw_graph: precision={precision!r} must be a positive int (digits)")
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes={max_nodes!r} must be a positive int")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir={rankdir!r}; use one of {RANKDIRS} (LR: left to "
                         "right, TB: top to bottom)")
    if on_large not in LARGE_CHOICES:
        raise ValueError(f"draw_graph: on_large={on_large!r}; use one of {LARGE_CHOICES}")
    if not 0 <= vanish < explode:
        raise ValueError(f"draw_graph: need 0 <= vanish < explode, got vanish={vanish}, "
                         f"explode={explode}")


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
        op = walk.op_of_node.get(node)
        if op is None:
            strangers.append(node.name)
        else:
            marked.add(op.index)
    if strangers:
        raise ValueError(f"draw_graph: highlight= holds {len(strangers)} op(s) that are not in "
                         f"the graph of this root ({', '.join(strangers[:3])}); pass nodes of "
                         "this graph, e.g. an.check_graph(root).bad_nodes for the same root")
    return marked


def _layout(walk: Walk, grouping: Grouping, expand: bool) -> _Scene:
    """Decide the drawn units and values, and the edges between them."""
    unit_of_op: dict[int, str] = {}
    units: dict[str, list[int]] = {}
    unit_call: dict[str, Call] = {}
    hidden: set[int] = set()
    for op in walk.ops:
        call = grouping.call_of_op.get(op.index)
        if call is not None and not expand:
            unit = f"m{call.index}"
            if unit not in units:
                unit_call[unit] = call
                hidden.update(v.index for v in call.internal)
        else:
            unit = f"op{op.index}"
        unit_of_op[op.index] = unit
        units.setdefault(unit, []).append(op.index)
    value_ids = {v.index: f"v{v.index}" for v in walk.values if v.index not in hidden}
    edges: dict[tuple[str, str], _Edge] = {}
    for op in walk.ops:
        unit = unit_of_op[op.index]
        if op.output.index in value_ids:
            edges.setdefault((unit, value_ids[op.output.index]),
                             _Edge(unit, value_ids[op.output.index]))
        for position, value in op.inputs:
            if value.index not in value_ids:
                continue  # produced and consumed inside one collapsed module call
            edge = edges.setdefault((value_ids[value.index], unit),
                                    _Edge(value_ids[value.index], unit, value=value))
            edge.parts.append((op.index, position))
    # breadth-first rank: a value, then the op that made it
    rank: dict[str, float] = {vid: 2.0 * i for i, vid in value_ids.items()}
    for unit, ops in units.items():
        rank[unit] = min(2.0 * walk.ops[i].output.index + 1 for i in ops)
    return _Scene(value_ids, unit_of_op, units, unit_call, list(edges.values()), rank)


def _apply_max_nodes(scene: _Scene, walk: Walk, max_nodes: int, on_large: str) -> int:
    """Keep the ``max_nodes`` nodes nearest the root; returns how many were dropped."""
    total = len(scene.value_ids) + len(scene.units)
    if total <= max_nodes:
        return 0
    counts = Counter(op.node.name for op in walk.ops)
    common = ", ".join(f"{name} x{n:,}" for name, n in counts.most_common(3))
    message = (f"draw_graph: the graph has {total:,} nodes to draw ({len(walk.ops):,} ops: "
               f"{common}), more than max_nodes={max_nodes:,}")
    if on_large == "raise":
        raise ValueError(message + "; pass a larger max_nodes=, on_large='summarize' to draw the "
                         "part nearest the output, or draw a smaller part of the computation")
    warn_at_user_code(message + f"; drawing the {max_nodes:,} nearest the output and summarizing "
                      "the rest (pass max_nodes= to change)")
    ordered = sorted(scene.rank, key=lambda key: scene.rank[key])
    keep = set(ordered[:max_nodes])
    scene.value_ids = {i: vid for i, vid in scene.value_ids.items() if vid in keep}
    scene.units = {u: ops for u, ops in scene.units.items() if u in keep}
    scene.unit_call = {u: c for u, c in scene.unit_call.items() if u in keep}
    cut = [e for e in scene.edges if e.src not in keep and e.dst in keep]
    scene.edges = [e for e in scene.edges if e.src in keep and e.dst in keep]
    scene.cut_targets = list(dict.fromkeys(e.dst for e in cut))
    return total - max_nodes


def _add_summary(graph: graphviz.Digraph, scene: _Scene, walk: Walk, dropped: int,
                 max_nodes: int, marked: set[int]) -> None:
    text = (f"... {dropped:,} more nodes not drawn\\n(max_nodes={max_nodes:,}; the "
            f"whole graph has {len(walk.ops):,} ops)")
    shown = {i for ops in scene.units.values() for i in ops}
    hidden = len(marked - shown)
    if hidden:
        text += f"\\n{hidden} highlighted op(s) among them"
    graph.node("summary", text, **styles.SUMMARY_STYLE)
    for target in scene.cut_targets:
        graph.edge("summary", target, style="dashed", color="#999999")


def _gradients_at(walk: Walk, result: Flow | None, step: int | None,
                  ) -> tuple[dict[int, np.ndarray], set[int]]:
    """Gradients known after ``step`` backward steps (all of them when step is None), and the
    values whose gradient is complete by then."""
    if result is None:
        return {}, set()
    if step is None:
        return result.value_grads, set(result.value_grads)
    done = {op for op in result.steps[:step]}
    known: dict[int, np.ndarray] = {0: result.seed}
    complete = {0}
    for value in walk.values[1:]:
        if value.tensor is None:
            continue
        parts = [result.edge_grads.get(c) for c in value.consumers if c[0] in done]
        parts = [p for p in parts if p is not None]
        if parts:
            known[value.index] = sum(parts[1:], parts[0])
        if all(c[0] in done for c in value.consumers):
            complete.add(value.index)
    return known, complete


class _Painter:
    """Turns the scene into graphviz nodes, clusters and edges."""

    def __init__(self, walk: Walk, result: Flow | None, grouping: Grouping, scene: _Scene,
                 precision: int, vanish: float, explode: float, flow: bool, step: int | None,
                 grads: dict[int, np.ndarray], complete: set[int], param_names: dict[int, str],
                 caller: dict[int, str], module_names: dict[int, str],
                 marked: set[int]) -> None:
        self.walk, self.result, self.grouping, self.scene = walk, result, grouping, scene
        self.marked = marked
        self.precision, self.vanish, self.explode = precision, vanish, explode
        self.flow, self.step, self.grads, self.complete = flow, step, grads, complete
        self.param_names, self.caller, self.module_names = param_names, caller, module_names
        self.current = (result.steps[step - 1] if result is not None and step else None)
        done = result.steps[:step] if (result is not None and step is not None) else None
        self.done = set(done) if done is not None else None

    # ---- values -------------------------------------------------------------------------------
    def kind(self, value: Value) -> str:
        t = value.tensor
        if value.kind == "leaf" and t is not None and (
                id(t) in self.param_names or type(t).__name__ == "Parameter"):
            return "parameter"
        return value.kind

    def value_name(self, value: Value) -> str:
        t = value.tensor
        alias = self.grouping.aliases.get(value.index)
        name = None
        if t is not None:
            name = self.param_names.get(id(t)) or t.name
            if name is None and value.node is None:
                name = self.caller.get(id(t))
        elif value.kind == "constant":
            name = self.caller.get(id(value.array))
        if alias and name and alias != name:
            return f"{alias} = {name}"
        return alias or name or ""

    def value_label(self, value: Value) -> tuple[str, dict[str, str]]:
        kind = self.kind(value)
        lines = []
        name = self.value_name(value)
        if value.index == 0:
            lines.append(f"{name} (output)" if name else "output")
        elif name:
            lines.append(name)
        elif kind in ("leaf", "parameter", "constant"):
            lines.append(f"{kind} {value.index}")
        lines.append(f"value {labels.summarize(value.array, self.precision)}")
        lines.append(labels.describe_shape(value.array))
        attrs = dict(styles.KINDS[kind])
        g = self.grads.get(value.index)
        if value.tensor is not None and self.result is not None:
            if g is None:
                lines.append("grad (not reached yet)" if self.step is not None else "grad none")
            else:
                partial = value.index not in self.complete
                head = "grad so far" if partial else "grad"
                lines.append(f"{head} {labels.summarize(g, self.precision)}")
                if not partial:
                    health = styles.gradient_health(labels.mean_abs(g),
                                                    labels.mean_abs(value.array),
                                                    self.vanish, self.explode)
                    if health != "ok":
                        lines.append(f"{health.upper()} gradient")
                        attrs.update(styles.EXPLODING if health == "exploding"
                                     else styles.VANISHING)
        return _join(lines), attrs

    # ---- ops and module boxes -----------------------------------------------------------------
    def unit_label(self, unit: str) -> tuple[str, dict[str, str]]:
        ops = self.scene.units[unit]
        call = self.scene.unit_call.get(unit)
        steps = [self.result.step_of_op[i] for i in ops] if self.result is not None else []
        prefix = ""
        if self.flow and steps:
            lo, hi = min(steps), max(steps)
            prefix = f"[{lo}] " if lo == hi else f"[{lo}-{hi}] "
        if call is None:
            node = self.walk.ops[ops[0]].node
            lines = labels.op_text(node.name, node.inputs, node.parents, node.attrs,
                                   self.precision)
            lines[0] = prefix + lines[0]
            attrs = dict(styles.OP_STYLE)
        else:
            lines = [prefix + call.title]
            if call.notation:
                lines.append(call.notation)
            kinds = Counter(self.walk.ops[i].node.name for i in call.ops)  # forward order
            lines.append(", ".join(f"{n}" if c == 1 else f"{n} x{c}" for n, c in kinds.items()))
            attrs = dict(styles.MODULE_STYLE)
        marked = [i for i in ops if i in self.marked]
        if marked:
            attrs.update(styles.HIGHLIGHT)
            if call is not None:
                lines.append("wrong rule: " + ", ".join(
                    dict.fromkeys(self.walk.ops[i].node.name for i in marked)))
        if self.current is not None and self.current in ops:
            attrs.update(styles.CURRENT_STEP)
        return _join(lines), attrs

    # ---- emission -----------------------------------------------------------------------------
    def emit(self, graph: graphviz.Digraph, expand: bool) -> None:
        clusters = _Clusters(self.module_names)
        items: list[tuple[float, str, tuple]] = []
        for index, vid in self.scene.value_ids.items():
            value = self.walk.values[index]
            items.append((self.scene.rank[vid], vid, self._value_place(value, expand)))
        for unit, ops in self.scene.units.items():
            call = self.scene.unit_call.get(unit)
            scope = call.scope[:-1] if call is not None else self.walk.ops[ops[0]].node.scope
            items.append((self.scene.rank[unit], unit, (scope, expand)))
        items.sort(key=lambda item: item[0])
        for _, name, (scope, full) in items:
            target = clusters.graph_for(scope, full, self.grouping, graph)
            if name.startswith("v"):
                label, attrs = self.value_label(self.walk.values[int(name[1:])])
            else:
                label, attrs = self.unit_label(name)
            target.node(name, graphviz.nohtml(label), **attrs)
        clusters.attach(graph)
        self._emit_edges(graph)

    def _value_place(self, value: Value, expand: bool) -> tuple[tuple, bool]:
        """The scope whose cluster holds a value: its producer's, or its module's for a
        parameter; inside collapsed calls the box's parent."""
        if value.node is not None:
            call = self.grouping.call_of_op.get(self.walk.op_of_node[value.node].index)
            if call is None:
                return value.node.scope, expand
            return (call.scope, True) if expand else (call.scope[:-1], False)
        for call in self.grouping.calls:
            if value in call.inputs and _owns(call.module, value.tensor):
                return (call.scope, True) if expand else (call.scope[:-1], False)
        return (), False

    def _emit_edges(self, graph: graphviz.Digraph) -> None:
        shown = [e for e in self.scene.edges if e.parts]
        largest = 0.0
        if self.flow and self.result is not None:
            for edge in shown:
                g = self._edge_grad(edge)
                if g is not None:
                    largest = max(largest, labels.mean_abs(g))
        for edge in self.scene.edges:
            attrs: dict[str, str] = {"color": styles.FORWARD_EDGE}
            g = self._edge_grad(edge) if edge.parts and self.flow else None
            if g is not None:
                size = labels.mean_abs(g)
                attrs = {"label": labels.summarize(g, self.precision),
                         "color": styles.GRAD_EDGE, "fontcolor": styles.GRAD_EDGE,
                         "penwidth": styles.edge_width(size, largest)}
                source = edge.value.array if edge.value is not None else g
                health = styles.gradient_health(size, labels.mean_abs(source),
                                                self.vanish, self.explode)
                if health != "ok":
                    colour = styles.EXPLODING if health == "exploding" else styles.VANISHING
                    attrs["color"] = attrs["fontcolor"] = colour["color"]
            graph.edge(edge.src, edge.dst, **attrs)

    def _edge_grad(self, edge: _Edge) -> np.ndarray | None:
        if self.result is None:
            return None
        parts = [self.result.edge_grads.get(p) for p in edge.parts
                 if self.done is None or p[0] in self.done]
        parts = [p for p in parts if p is not None]
        return sum(parts[1:], parts[0]) if parts else None


class _Clusters:
    """Nested ``cluster_k`` subgraphs keyed by module scope, built bottom-up (no recursion)."""

    def __init__(self, module_names: dict[int, str]) -> None:
        self.module_names = module_names
        self.graphs: dict[tuple, graphviz.Digraph] = {}
        self.parent: dict[tuple, tuple | None] = {}
        self.depth: dict[tuple, int] = {}

    def graph_for(self, scope: tuple, innermost_is_call: bool, grouping: Grouping,
                  top: graphviz.Digraph) -> graphviz.Digraph:
        if not scope:
            return top
        parent: tuple | None = None
        key: tuple = ()
        for depth, module in enumerate(scope):
            last = depth == len(scope) - 1
            key = ("call", id(scope)) if (last and innermost_is_call) else \
                ("module", *(id(m) for m in scope[:depth + 1]))
            if key not in self.graphs:
                title = self._title(module, key, grouping)
                sub = graphviz.Digraph(name=f"cluster_{len(self.graphs)}")
                sub.attr(label=graphviz.nohtml(title), fontname=styles.FONT,
                         **styles.CLUSTER_STYLE)
                self.graphs[key] = sub
                self.parent[key] = parent
                self.depth[key] = depth
            parent = key
        return self.graphs[key]

    def _title(self, module: Any, key: tuple, grouping: Grouping) -> str:
        title = module_label(module, self.module_names)
        if key[0] == "call":
            for call in grouping.calls:
                if id(call.scope) == key[1] and call.notation:
                    return f"{title}\\n{call.notation}"
        return title

    def attach(self, top: graphviz.Digraph) -> None:
        # deepest first, so each child is complete when copied into its parent
        for key in sorted(self.graphs, key=lambda k: -self.depth[k]):
            parent = self.parent[key]
            (top if parent is None else self.graphs[parent]).subgraph(self.graphs[key])


def _owns(module: Any, tensor: Tensor | None) -> bool:
    if tensor is None:
        return False
    own = getattr(module, "_parameters", None)
    candidates = own.values() if isinstance(own, Mapping) else vars(module).values()
    return any(c is tensor for c in candidates)


def _join(lines: list[str]) -> str:
    return "\\n".join(line.replace("\\", "\\\\") for line in lines)
