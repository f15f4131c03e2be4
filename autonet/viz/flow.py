"""The backward pass of a drawing: gradients of the drawn root, per value and per edge.

The drawing runs its own backward with the numpy namespace, through the same rules and in the same
order as the engine (``topological_order``), so no tensor's ``.grad`` changes and the graph is not
freed. Doing it here (rather than through ``run_backward``) also yields what a picture of derivative
flow needs: the gradient flowing along each edge (a rule's output for that input, summed back to the
input's shape) and the step at which backward visits each op.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from autonet.autograd.engine import topological_order
from autonet.ops.namespace import NUMPY
from autonet.ops.shape import sum_to
from autonet.viz.walk import Walk


@dataclass(eq=False)
class Flow:
    """Gradients of the root of a Walk.

    Attributes:
        value_grads: ``{value index: gradient array}`` (same shape as the value).
        edge_grads: ``{(op index, input position): gradient flowing along that edge}``.
        step_of_op: ``{op index: 1-based step at which backward visits the op}``.
        steps: op indices in backward visiting order (``steps[k - 1]`` runs at step ``k``).
        seed: the gradient the root starts with.
    """

    value_grads: dict[int, np.ndarray]
    edge_grads: dict[tuple[int, int], np.ndarray]
    step_of_op: dict[int, int]
    steps: list[int]
    seed: np.ndarray


def seed_gradient(root_data: np.ndarray, grad_output: Any = None) -> np.ndarray:
    """The starting gradient: ``grad_output`` if given (shape of the root), else ones, i.e. the
    gradient of ``root.sum()`` (``1`` for a scalar root)."""
    if grad_output is None:
        return np.ones_like(root_data)
    g = np.asarray(getattr(grad_output, "data", grad_output))
    if g.shape != root_data.shape:
        raise ValueError(f"draw_graph: grad_output has shape {g.shape} but the root has shape "
                         f"{root_data.shape}; pass an array of the root's shape")
    return g.astype(root_data.dtype, copy=False)


def compute_flow(walk: Walk, grad_output: Any = None) -> Flow:
    """Backward from ``walk.root`` over the walked ops, leaving every tensor untouched."""
    root = walk.root
    seed = seed_gradient(root.data, grad_output)
    value_grads: dict[int, np.ndarray] = {0: seed}
    edge_grads: dict[tuple[int, int], np.ndarray] = {}
    step_of_op: dict[int, int] = {}
    steps: list[int] = []
    if root._node is None:
        return Flow(value_grads, edge_grads, step_of_op, steps, seed)
    for node in topological_order([root._node]):
        op = walk.op_of_node[node]
        steps.append(op.index)
        step_of_op[op.index] = len(steps)
        g = value_grads.get(op.output.index)
        if g is None:
            continue
        attrs = node.attrs or {}
        for position, value in op.inputs:
            if value.tensor is None:  # constants get no gradient
                continue
            rule = node.primitive.rule(position)
            if rule is None:
                continue
            gi = np.asarray(rule(NUMPY, g, node.out, *node.inputs, **attrs))
            shape = value.array.shape
            if gi.shape != shape:
                gi = np.asarray(sum_to(NUMPY, gi, shape))
            gi = gi.astype(value.array.dtype, copy=False)
            edge_grads[(op.index, position)] = gi
            before = value_grads.get(value.index)
            value_grads[value.index] = gi if before is None else before + gi
    return Flow(value_grads, edge_grads, step_of_op, steps, seed)


def gradient_along(flow: Flow, edges: Iterable[tuple[int, int]],
                   done: set[int] | None = None) -> np.ndarray | None:
    """The sum of the gradients flowing along ``edges`` ((op index, input position) pairs) whose
    op backward has visited (every op when ``done`` is None); None when there are none."""
    parts = [flow.edge_grads.get(e) for e in edges if done is None or e[0] in done]
    parts = [p for p in parts if p is not None]
    return sum(parts[1:], parts[0]) if parts else None


def gradients_at(walk: Walk, flow: Flow | None, step: int | None,
                 ) -> tuple[dict[int, np.ndarray], set[int]]:
    """Gradients known after ``step`` backward steps (all of them when step is None), and the
    values whose gradient is complete by then."""
    if flow is None:
        return {}, set()
    if step is None:
        return flow.value_grads, set(flow.value_grads)
    done = set(flow.steps[:step])
    known: dict[int, np.ndarray] = {0: flow.seed}
    complete = {0}
    for value in walk.values[1:]:
        if value.tensor is None:
            continue
        g = gradient_along(flow, value.consumers, done)
        if g is not None:
            known[value.index] = g
        if all(c[0] in done for c in value.consumers):
            complete.add(value.index)
    return known, complete

