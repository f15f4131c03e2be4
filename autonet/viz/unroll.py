"""Fused loops drawn step by step: a copy of the graph where every node of a primitive with an
``unrolled`` rule (lstm_sequence: a whole LSTM layer in one node) is replaced by the per-step ops
that compute the same output, so a drawing shows one box per time step and the gradient flowing
back through time between them.

The user's graph is never changed: every node from the fused one to the root is copied (same
primitive, saved inputs, attributes, output and scope), leaves are shared. Graphs without a fused
loop are returned as they are.
"""

from __future__ import annotations

from typing import Any

from autonet.autograd.engine import topological_order
from autonet.autograd.graph import Node, enable_grad, grad_mode
from autonet.tensor import Tensor


def unrolled_graph(root: Tensor) -> tuple[Tensor, dict[Node, Node]]:
    """(root of the unrolled copy, {original node: node standing for it in the copy}); the root
    itself and an empty map when nothing is fused or part of the graph was freed (the walk then
    reports that)."""
    if root._node is None:
        return root, {}
    try:
        order = topological_order([root._node])
    except RuntimeError:  # freed by a backward: walk_graph raises the drawing's own message
        return root, {}
    if not any(node.primitive.unrolled is not None for node in order):
        return root, {}
    copies: dict[Node, Node] = {}
    replaced: dict[Node, Tensor] = {}  # fused node -> the unrolled Tensor standing for its output
    tensors: dict[int, tuple[Tensor, Tensor]] = {}  # id(original) -> (original, copy)

    def copy_of(t: Tensor) -> Tensor:
        if t._node is None:
            return t
        if t._node in replaced:
            return replaced[t._node]
        known = tensors.get(id(t))
        if known is None:
            new = Tensor._wrap(t.data, t.name)
            new._requires_grad = True
            new._node = copies[t._node]
            known = tensors[id(t)] = (t, new)
        return known[1]

    for node in reversed(order):  # producers first: creation numbers stay a topological order
        parents = tuple(None if p is None else copy_of(p) for p in node.parents)
        unroll = node.primitive.unrolled
        if unroll is not None:
            inputs = [p if p is not None else a for p, a in zip(parents, node.inputs)]
            outer, grad_mode.scope = grad_mode.scope, node.scope[:-1]
            try:
                with enable_grad():
                    out = unroll(inputs, node.attrs or {}, node.scope[-1] if node.scope else None)
            finally:
                grad_mode.scope = outer
            replaced[node] = out
            copies[node] = out._node
            continue
        copy = Node(node.primitive, parents, node.inputs, node.attrs, node.out)
        copy.scope = node.scope
        if node.site is not None:
            copy.site = node.site
        copies[node] = copy
    return copy_of(root), copies


def renamed(nodes: Any, copies: dict[Node, Node]) -> Any:
    """A Node or Tensor of the original graph as the copy's (anything else unchanged)."""
    if isinstance(nodes, Tensor) and nodes._node in copies:
        return copies[nodes._node]
    if isinstance(nodes, Node):
        return copies.get(nodes, nodes)
    return nodes
