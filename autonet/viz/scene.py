"""What a drawing shows: DOT ids for the shown values and units (single ops, or whole module calls
when collapsed), the edges between them, and the cut to ``max_nodes``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from autonet.autograd.warnings import warn_at_user_code
from autonet.viz.modules import Call, Grouping
from autonet.viz.walk import Value, Walk


@dataclass(eq=False, slots=True)
class Edge:
    src: str
    dst: str
    parts: list[tuple[int, int]] = field(default_factory=list)  # (op, input position) it carries
    value: Value | None = None  # the value whose gradient flows back along it (input edges)


@dataclass(eq=False)
class Scene:
    """What is drawn: DOT ids for shown values and units (ops or module boxes), and edges."""

    value_ids: dict[int, str]
    unit_of_op: dict[int, str]
    units: dict[str, list[int]]  # unit id -> op indices (one op, or a module call's ops)
    unit_call: dict[str, Call]
    edges: list[Edge]
    rank: dict[str, float]  # breadth-first rank, for max_nodes
    cut_targets: list[str] = field(default_factory=list)  # kept nodes with inputs cut off


def build_scene(walk: Walk, grouping: Grouping, expand: bool) -> Scene:
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
    edges: dict[tuple[str, str], Edge] = {}
    for op in walk.ops:
        unit = unit_of_op[op.index]
        if op.output.index in value_ids:
            edges.setdefault((unit, value_ids[op.output.index]),
                             Edge(unit, value_ids[op.output.index]))
        for position, value in op.inputs:
            if value.index not in value_ids:
                continue  # produced and consumed inside one collapsed module call
            edge = edges.setdefault((value_ids[value.index], unit),
                                    Edge(value_ids[value.index], unit, value=value))
            edge.parts.append((op.index, position))
    # breadth-first rank: a value, then the op that made it
    rank: dict[str, float] = {vid: 2.0 * i for i, vid in value_ids.items()}
    for unit, ops in units.items():
        rank[unit] = min(2.0 * walk.ops[i].output.index + 1 for i in ops)
    return Scene(value_ids, unit_of_op, units, unit_call, list(edges.values()), rank)


def apply_max_nodes(scene: Scene, walk: Walk, max_nodes: int, on_large: str) -> int:
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
