"""DOT emission: labels and styles of value boxes, op ellipses and module boxes, then nodes,
clusters and edges in a fixed order (by rank) so the DOT text is deterministic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import graphviz
import numpy as np

from autonet.nn.module import Parameter
from autonet.tensor import Tensor
from autonet.viz import health, labels, styles
from autonet.viz.clusters import Clusters
from autonet.viz.flow import Flow, gradient_along
from autonet.viz.modules import Grouping
from autonet.viz.scene import Edge, Scene
from autonet.viz.walk import Value, Walk


class Painter:
    """Turns the scene into graphviz nodes, clusters and edges."""

    def __init__(self, walk: Walk, result: Flow | None, grouping: Grouping, scene: Scene,
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
        self.verdicts = (health.judge(walk, result, vanish, explode) if result is not None
                         else {})

    # ---- values -------------------------------------------------------------------------------
    def kind(self, value: Value) -> str:
        t = value.tensor
        if value.kind == "leaf" and t is not None and (
                id(t) in self.param_names or isinstance(t, Parameter)):
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
        titled_by_value = False
        if value.index == 0:
            lines.append(f"{name} (output)" if name else "output")
        elif name:
            lines.append(name)
        elif kind == "constant":  # unnamed constants read as their value (or shape)
            lines.append(labels.constant_title(value.array, self.precision))
            titled_by_value = np.asarray(value.array).size <= labels.CONSTANT_VALUES
        elif kind in ("leaf", "parameter"):
            lines.append(f"{kind} {value.index}")
        if not titled_by_value:
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
                lines.append(f"{head} {labels.summarize_gradient(g, self.precision)}")
                if not partial:
                    verdict = self.verdicts.get(value.index, "ok")
                    if verdict != "ok":
                        lines.append(f"{verdict.upper()} gradient")
                        attrs.update(styles.EXPLODING if verdict == "exploding"
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
                                   self.precision, node.primitive.symbol)
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
        clusters = Clusters(self.module_names)
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
                attrs = {"label": labels.summarize_gradient(g, self.precision),
                         "color": styles.GRAD_EDGE, "fontcolor": styles.GRAD_EDGE,
                         "penwidth": styles.edge_width(size, largest)}
                verdict = self._edge_health(edge, g)
                if verdict != "ok":
                    colour = styles.EXPLODING if verdict == "exploding" else styles.VANISHING
                    attrs["color"] = attrs["fontcolor"] = colour["color"]
            graph.edge(edge.src, edge.dst, **attrs)

    def _edge_health(self, edge: Edge, g: np.ndarray) -> str:
        """An edge explodes on its own gradient; it vanishes when the value it carries the
        gradient of does (one small contribution among several is not a vanishing gradient)."""
        source = edge.value.array if edge.value is not None else g
        if health.gradient_health(g, source, None, True, self.vanish,
                                  self.explode) == "exploding":
            return "exploding"
        value = edge.value
        if value is None or value.index not in self.complete:
            return "ok"
        verdict = self.verdicts.get(value.index, "ok")
        return "ok" if verdict == "exploding" else verdict

    def _edge_grad(self, edge: Edge) -> np.ndarray | None:
        if self.result is None:
            return None
        return gradient_along(self.result, edge.parts, self.done)


def add_summary(graph: graphviz.Digraph, scene: Scene, walk: Walk, dropped: int,
                 max_nodes: int, marked: set[int]) -> None:
    """One note for the nodes max_nodes left out, with dashed edges to where they were cut."""
    text = (f"... {dropped:,} more nodes not drawn\\n(max_nodes={max_nodes:,}; the "
            f"whole graph has {len(walk.ops):,} ops)")
    shown = {i for ops in scene.units.values() for i in ops}
    hidden = len(marked - shown)
    if hidden:
        text += f"\\n{hidden} highlighted op(s) among them"
    graph.node("summary", text, **styles.SUMMARY_STYLE)
    for target in scene.cut_targets:
        graph.edge("summary", target, style="dashed", color="#999999")


def _owns(module: Any, tensor: Tensor | None) -> bool:
    if tensor is None:
        return False
    own = getattr(module, "_parameters", None)
    candidates = own.values() if isinstance(own, Mapping) else vars(module).values()
    return any(c is tensor for c in candidates)


def _join(lines: list[str]) -> str:
    return "\\n".join(line.replace("\\", "\\\\") for line in lines)
