"""Reverse-mode autodiff: walk the recorded graph from the outputs back to the leaves.

The only place that knows about ordering, accumulation, broadcasting, freeing and changed inputs:

* order: the nodes reachable from the outputs (an iterative walk, so graph depth is limited by
  memory only, never by Python's recursion limit), latest-created first: every node was created
  after the nodes that made its inputs, so that is a topological order;
* accumulation: gradients are keyed by Node (by the Tensor itself for leaves), popped as soon as
  their node runs; the first contribution is kept as is, a second one makes a fresh sum that later
  ones are added into in place;
* broadcasting: a rule's result is summed back to its input's shape here, once, for every op;
* freeing: after a node's rules ran, its saved arrays and parent links are dropped unless
  ``retain_graph`` is set;
* changed inputs: an input changed in place after its node saved it (``Tensor._written`` later
  than ``Node.seq``) stops backward when a rule reads it (check_unchanged).
"""

from __future__ import annotations

import dis
import inspect
import threading
from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from autonet.autograd.graph import Node, enable_grad
from autonet.ops.namespace import AUTONET, NUMPY
from autonet.ops.shape import sum_to
from autonet.tensor import Tensor

FREED_MESSAGE = (
    "backward: the graph through '{op}' was already freed by an earlier backward. Pass "
    "retain_graph=True to the first backward (or an.grad) to run backward through it again, or "
    "recompute the forward pass")


class _Observers:
    """Optional hooks for anomaly detection and warnings; None costs one check per node."""

    __slots__ = ("on_gradient", "on_backward_start", "tracer")

    def __init__(self) -> None:
        self.on_gradient = None  # (node, input index, gradient) -> None
        # (nodes in backward order, retain_graph, accumulates: whether results go into .grad)
        self.on_backward_start = None
        self.tracer = None  # an.compile while it records: runs backward() and an.grad itself


class _Running(threading.local):
    """What the engine is doing in this thread, for observers that ask (anomaly mode): the Node
    whose rule runs under create_graph (ops it records belong to that rule), else None."""

    rule_of: Node | None = None


observers = _Observers()
running = _Running()
_NO_ATTRS: dict = {}


def topological_order(roots: Iterable[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, each after every node that consumes its output."""
    found = list(dict.fromkeys(roots))
    stack = found[:]
    seen = set(found)
    visit = seen.add
    keep = found.append
    while stack:
        node = stack.pop()
        parents = node.parents
        if parents is None:
            raise RuntimeError(FREED_MESSAGE.format(op=node.name))
        for parent in parents:
            if parent is not None and (up := parent._node) is not None and up not in seen:
                visit(up)
                keep(up)
                stack.append(up)
    # in discovery order a chain is already latest-first, which the sort then only checks
    found.sort(key=_creation, reverse=True)
    return found


_creation = attrgetter("seq")


def _seed(root: Tensor, grad: Any, create_graph: bool) -> Any:
    if grad is not None and not isinstance(grad, Tensor | np.ndarray | np.generic | int | float
                                           | list | tuple):
        raise TypeError(f"backward: grad must be an array (or Tensor) of the output's shape "
                        f"{root.shape}, got {type(grad).__name__} {grad!r:.40}")
    if not root._requires_grad:
        raise RuntimeError("backward: this tensor does not require grad and has no graph; create "
                           "the inputs with requires_grad=True (and outside an.no_grad())")
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward: output has shape {root.shape}; the gradient is implicit only for "
                f"one-element outputs. Reduce it first (e.g. .sum() or .mean()) or pass "
                f"grad= an array of shape {root.shape}")
        if not create_graph:
            return np.ones_like(root.data)  # the output's shape and dtype already
        grad = np.ones_like(root.data)
    shape = np.shape(grad.data if isinstance(grad, Tensor) else grad)
    if shape != root.shape:
        # (n, 1) for (n,) and the like are accepted; anything else would be silently wrong
        if tuple(n for n in shape if n != 1) != tuple(n for n in root.shape if n != 1):
            raise ValueError(f"backward: grad has shape {shape} but the output has shape "
                             f"{root.shape}; pass a gradient of the output's shape")
        grad = grad.reshape(root.shape)
    if create_graph:
        return grad if isinstance(grad, Tensor) else Tensor._wrap(np.asarray(grad, root.dtype))
    return np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=root.dtype)


def run_backward(roots: Sequence[Tensor], grads: Sequence[Any], *, retain_graph: bool,
                 create_graph: bool = False, targets: Sequence[Tensor] | None = None,
                 ) -> dict[Any, Any]:
    """Propagate ``grads`` (one per root) back through the graph.

    Returns the gradient of every leaf reached (keyed by the leaf Tensor) or, with ``targets``, of
    each target (keyed by the target's Node, or by the Tensor for leaf targets).
    """
    if observers.tracer is not None:  # an.compile records it (an.grad) or refuses it
        return observers.tracer.run_backward(list(roots), list(grads), retain_graph,
                                             create_graph, targets)
    accumulated, owned, order = _start(roots, grads, retain_graph, create_graph, targets is None)
    wanted = None
    results: dict[Any, Any] = {}
    if targets is not None:
        wanted = _on_path_to(order, targets)
        target_keys = {t._node if t._node is not None else t for t in targets}
    xp = AUTONET if create_graph else NUMPY
    on_gradient = observers.on_gradient
    for node in order:
        g = accumulated.pop(node, None)
        if targets is not None:
            if node in target_keys:
                results[node] = g
        elif node.retained is not None and (kept := node.retained()) is not None:
            _store_grad(kept, g, node in owned)
        owned.discard(node)
        parents = node.parents
        if g is not None and (wanted is None or node in wanted):
            rule_of = node.primitive.rule
            attrs = node.attrs or _NO_ATTRS
            if create_graph:
                # (what a keeping forward kept is not the output: the rule computes it anew)
                y = _output_tensor(node) if node.primitive.saves_output else None
                inputs = [p if p is not None else a for p, a in zip(parents, node.inputs)]
            else:
                y = node.out
                inputs = node.inputs
            for i, parent in enumerate(parents):
                if parent is None:
                    continue
                written = parent._written  # changed in place after a node saved it?
                if written and (written > node.seq or parent._node is not None):
                    check_unchanged(node, i, parent)
                up = parent._node
                key = parent if up is None else up
                if wanted is not None and key not in wanted:
                    continue
                rule = rule_of(i)
                if rule is None:
                    raise RuntimeError(
                        f"backward: '{node.name}' has no gradient with respect to its input "
                        f"{i}; pass that input as a constant (e.g. .detach()) instead")
                if create_graph:
                    running.rule_of, outer = node, running.rule_of
                    try:
                        with enable_grad():
                            gi = _fit(rule(xp, g, y, *inputs, **attrs), parent, xp, True)
                    finally:
                        running.rule_of = outer
                else:
                    gi = rule(xp, g, y, *inputs, **attrs)
                    if on_gradient is not None:
                        on_gradient(node, i, gi)
                    data = parent.data
                    if gi.shape != data.shape or gi.dtype != data.dtype:
                        gi = _fit(gi, parent, xp, False)
                if key in accumulated:
                    _accumulate(accumulated, owned, key, gi, create_graph)
                else:
                    accumulated[key] = gi
                    if gi is not g and type(gi) is np.ndarray and gi.base is None:
                        owned.add(key)
        if not retain_graph:
            node.parents = node.inputs = node.attrs = node.out = None

    if targets is not None:
        for t in targets:
            if t._node is None and t in accumulated:
                results[t] = accumulated[t]
        return results
    return {key: (g, key in owned) for key, g in accumulated.items()}


def _start(roots: Sequence[Tensor], grads: Sequence[Any], retain_graph: bool, create_graph: bool,
           accumulates: bool) -> tuple[dict, set, list[Node]]:
    """The seeds (the gradients of the roots), the set of keys whose array was made here (so
    adding into it in place is safe), and the nodes in backward order."""
    accumulated: dict[Any, Any] = {}
    owned: set = set()
    for root, grad in zip(roots, grads):
        key = root._node if root._node is not None else root
        _accumulate(accumulated, owned, key, _seed(root, grad, create_graph), create_graph)
    order = topological_order(r._node for r in roots if r._node is not None)
    if observers.on_backward_start is not None:
        observers.on_backward_start(order, retain_graph, accumulates)
    return accumulated, owned, order


def _propagate(order: list[Node], accumulated: dict, owned: set, retain_graph: bool) -> None:
    """The loop of ``backward`` (numpy gradients into every leaf): the same steps as the general
    loop of ``run_backward``, without the create_graph and target bookkeeping, and with
    the one- and two-input rule calls spelled out (no argument tuple to build per rule)."""
    on_gradient = observers.on_gradient
    pop = accumulated.pop
    get = accumulated.get
    own = owned.add
    for node in order:
        g = pop(node, None)
        if node.retained is not None and (kept := node.retained()) is not None:
            _store_grad(kept, g, node in owned)
        # (a node's key is never looked up again once popped, so it may stay in ``owned``)
        if g is not None:
            vjps = node.primitive.vjps
            attrs = node.attrs
            y = node.out
            inputs = node.inputs
            n = len(inputs)
            i = -1
            for parent in node.parents:
                i += 1
                if parent is None:
                    continue
                # changed in place after this node, or the op that made it, saved it? (a
                # parameter the optimizer stepped before this forward: neither, no call)
                written = parent._written
                if written and (written > node.seq or parent._node is not None):
                    check_unchanged(node, i, parent)
                try:  # Primitive.rule(i), inlined
                    rule = vjps[i]
                except IndexError:
                    rule = None
                if rule is None:
                    raise RuntimeError(
                        f"backward: '{node.name}' has no gradient with respect to its input "
                        f"{i}; pass that input as a constant (e.g. .detach()) instead")
                if attrs:
                    gi = rule(NUMPY, g, y, *inputs, **attrs)
                elif n == 2:
                    gi = rule(NUMPY, g, y, inputs[0], inputs[1])
                elif n == 1:
                    gi = rule(NUMPY, g, y, inputs[0])
                else:
                    gi = rule(NUMPY, g, y, *inputs)
                if on_gradient is not None:
                    on_gradient(node, i, gi)
                data = parent.data
                # builtin dtypes are singletons, so `is not` is exact here; _fit compares again
                if gi.shape != data.shape or gi.dtype is not data.dtype:
                    gi = _fit(gi, parent, NUMPY, False)
                up = parent._node
                key = parent if up is None else up
                total = get(key)
                if total is None:
                    accumulated[key] = gi
                    if gi is not g and type(gi) is np.ndarray and gi.base is None:
                        own(key)
                elif key in owned:
                    total += gi
                    accumulated[key] = total  # 0-d results are numpy scalars: += rebinds
                else:
                    accumulated[key] = total + gi
                    own(key)
        if not retain_graph:
            node.parents = node.inputs = node.attrs = node.out = None


def check_unchanged(node: Node, i: int, parent: Tensor) -> None:
    """Raise if ``parent``, input ``i`` of ``node``, was changed in place (under no_grad, by
    ``t[...] = v`` or an optimizer step) after ``node`` saved it and a rule of ``node`` reads it,
    or after the op that made it saved it as its output: the gradient would silently use the
    changed values (PyTorch's "modified by an inplace operation")."""
    written = parent._written
    saved_by = None
    if written > node.seq and any(
            _reads(node.primitive.rule(j), i) for j, p in enumerate(node.parents) if p is not None):
        saved_by = node
    up = parent._node
    if saved_by is None and up is not None and written > up.seq and up.primitive.saves_output:
        saved_by = up
    if saved_by is not None:
        what = f"'{parent.name}'" if parent.name else f"a tensor of shape {parent.shape}"
        role = "input" if saved_by is node else "output"
        raise RuntimeError(
            f"backward: {what} was changed in place (t += v under no_grad, t[...] = v, or an "
            f"optimizer step) after '{saved_by.name}' saved it as its {role} for the gradient, "
            f"which would use the changed values. Change it after backward, or compute with a "
            f"copy (t.clone(), or t.detach().clone() outside the graph)")


def _reads(rule: Any, i: int) -> bool:
    """Whether gradient rule ``rule(xp, g, y, *inputs)`` may read input ``i`` (True unless its
    code plainly never loads that parameter)."""
    code = getattr(rule, "__code__", None)
    if code is None or code.co_flags & inspect.CO_VARARGS:  # not a plain function, or *inputs
        return True
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    if 3 + i >= len(names):
        return True
    name = names[3 + i]
    if name in code.co_cellvars:  # read by an inner function
        return True
    for instruction in dis.get_instructions(code):
        if instruction.opname.startswith(("LOAD_FAST", "LOAD_DEREF")):
            value = instruction.argval
            if value == name or (isinstance(value, tuple) and name in value):
                return True
    return False


def _output_tensor(node: Node) -> Tensor:
    """A Tensor standing for ``node``'s output, so rules under create_graph can differentiate
    through ``y`` as well (it is keyed by the same Node)."""
    t = Tensor._wrap(node.out)
    t._requires_grad = True
    t._node = node
    return t


def _fit(g: Any, parent: Tensor, xp: Any, create_graph: bool) -> Any:
    """Sum a broadcast gradient back to the parent's shape and give it the parent's dtype."""
    if g.shape != parent.data.shape:
        g = sum_to(xp, g, parent.data.shape)
    if g.dtype != parent.data.dtype:
        g = xp.astype(g, dtype=parent.data.dtype) if create_graph else g.astype(parent.data.dtype)
    return g


def _accumulate(accumulated: dict, owned: set, key: Any, g: Any, create_graph: bool) -> None:
    if key not in accumulated:
        accumulated[key] = g
    elif create_graph:
        accumulated[key] = accumulated[key] + g
    elif key in owned:
        total = accumulated[key]
        total += g
        accumulated[key] = total
    else:
        accumulated[key] = accumulated[key] + g
        owned.add(key)


def _on_path_to(order: list[Node], targets: Sequence[Tensor]) -> set:
    """Keys (Nodes and leaf Tensors) from which some target can be reached: only their gradients
    are worth computing."""
    wanted = {t._node if t._node is not None else t for t in targets}
    for node in reversed(order):  # parents before consumers
        if node in wanted:
            continue
        for parent in node.parents:
            if parent is not None:
                key = parent._node if parent._node is not None else parent
                if key in wanted:
                    wanted.add(node)
                    break
    return wanted


def _store_grad(tensor: Tensor, g: np.ndarray, owned: bool) -> None:
    """Add ``g`` into ``tensor.grad`` (a fresh array the first time, so grads never alias)."""
    grad = tensor._grad  # (the .grad property's storage: leaves and retained tensors only here)
    if grad is None:
        tensor._grad = g if owned and g.flags.writeable else np.array(g, dtype=tensor.data.dtype)
    else:
        grad += g
        tensor._grad = grad  # in place for arrays; a number set by the user is replaced


def backward(roots: Sequence[Tensor], grads: Sequence[Any], retain_graph: bool = False) -> None:
    """Accumulate the gradients of ``roots`` into ``.grad`` of every leaf that requires grad."""
    if observers.tracer is not None:
        observers.tracer.backward(roots, grads, retain_graph)
        return
    accumulated, owned, order = _start(roots, grads, retain_graph, False, True)
    _propagate(order, accumulated, owned, retain_graph)
    for leaf, g in accumulated.items():
        _store_grad(leaf, g, leaf in owned)
