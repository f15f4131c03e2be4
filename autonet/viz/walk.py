"""Walk a recorded graph from its root, iteratively, into plain lists of values and ops.

Numbers come from the breadth-first visiting order from the root (never from ``id()``), so the same
graph always gives the same numbering and the same DOT text. Graphs of any depth are walked with an
explicit queue: no recursion.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autonet.autograd.graph import Node
from autonet.tensor import Tensor
from autonet.viz.unroll import unrolled_graph

FREED_MESSAGE = (
    "draw_graph: the graph through '{op}' was freed by an earlier backward(), so it can no longer "
    "be drawn. Call an.viz.draw_graph(...) before .backward(), or pass retain_graph=True to "
    "backward() (the drawing computes the gradients it shows by itself)")


@dataclass(eq=False, slots=True)
class Value:
    """A value box: a tensor (leaf, intermediate or the root) or a constant array an op read.

    ``index`` is the breadth-first position from the root (the root is 0).
    """

    index: int
    array: np.ndarray
    tensor: Tensor | None = None  # None for constant arrays
    node: Node | None = None  # the op that produced it (None for leaves and constants)
    kind: str = "intermediate"  # output | intermediate | leaf | parameter | constant
    consumers: list[tuple[int, int]] = field(default_factory=list)  # (op index, input position)


@dataclass(eq=False, slots=True)
class Op:
    """An op call: the Node, the value it produced, and the drawn inputs as (position, Value)."""

    index: int
    node: Node
    output: Value
    inputs: list[tuple[int, Value]] = field(default_factory=list)


@dataclass(eq=False)
class Walk:
    """Everything reachable from ``root``: ``values[0]`` is the root; ops in visiting order.
    ``root`` is the unrolled copy of the drawn tensor when its graph holds a fused loop;
    ``copies`` maps the original nodes to the copy's."""

    root: Tensor
    values: list[Value]
    ops: list[Op]
    op_of_node: dict[Node, Op]
    copies: dict[Node, Node] = field(default_factory=dict)


def walk_graph(root: Tensor, constants: bool = True) -> Walk:
    """Collect the values and ops reachable from ``root`` (breadth first, no recursion).

    Args:
        root: the tensor to draw from.
        constants: also collect array operands that need no gradient (inputs X, masks...);
            Python numbers are shown in their op's label instead.

    Raises:
        TypeError: ``root`` is not a Tensor.
        RuntimeError: part of the graph was freed by a backward without ``retain_graph=True``.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor to draw from, got {type(root).__name__}; "
                        "pass the result of a computation on tensors with requires_grad=True")
    root, copies = unrolled_graph(root)  # a fused loop (one LSTM layer) drawn step by step
    top = Value(0, root.data, root, root._node, kind="output")
    values = [top]
    ops: list[Op] = []
    op_of_node: dict[Node, Op] = {}
    seen: dict[Any, Value] = {root._node if root._node is not None else root: top}
    queue = deque([top])
    while queue:
        value = queue.popleft()
        node = value.node
        if node is None:
            continue
        if node.freed:
            raise RuntimeError(FREED_MESSAGE.format(op=node.name))
        op = Op(len(ops), node, value)
        ops.append(op)
        op_of_node[node] = op
        for position, (parent, raw) in enumerate(zip(node.parents, node.inputs)):
            if parent is not None:
                key: Any = parent._node if parent._node is not None else parent
            elif constants and isinstance(raw, np.ndarray):
                key = ("constant", id(raw))  # the array is alive (held by the node): id is safe
            else:
                continue
            found = seen.get(key)
            if found is None:
                if parent is None:
                    found = Value(len(values), raw, kind="constant")
                else:
                    kind = "intermediate" if parent._node is not None else "leaf"
                    found = Value(len(values), parent.data, parent, parent._node, kind=kind)
                    queue.append(found)
                seen[key] = found
                values.append(found)
            found.consumers.append((op.index, position))
            op.inputs.append((position, found))
    return Walk(root, values, ops, op_of_node, copies)
