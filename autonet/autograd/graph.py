"""The recorded computation graph: grad mode and the Node an op leaves behind.

A Node is what one primitive op call leaves in the graph: which primitive ran, the tensors it read
that need a gradient (``parents``), the raw input arrays and attributes its gradient rule needs,
and, only when the rule asks for it, the output array. Nodes hold no closures and never point at
their output tensor, so a graph is plain references with no cycles: dropping the last tensor frees
it.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from contextlib import ContextDecorator
from typing import Any

from autonet.arguments import flag


class _GradMode(threading.local):
    """Per-thread switch: when off, ops run on raw arrays and record nothing."""

    def __init__(self) -> None:
        self.enabled = True
        self.scope: tuple = ()  # the Modules being called, outermost first (see module_scope)


grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return grad_mode.enabled


class set_grad_enabled(ContextDecorator):
    """Switch graph recording on or off, PyTorch's way. Called on its own,
    ``an.set_grad_enabled(False)`` switches it off from then on (until switched back); as
    ``with an.set_grad_enabled(False):`` it restores the previous mode at the end of the block; as
    a decorator ``@an.set_grad_enabled(False)`` it applies to each call of the function only."""

    _switches_when_created = True  # no_grad(), enable_grad() wait for their block

    def __init__(self, mode: bool) -> None:
        self.mode = flag(mode, "set_grad_enabled", "mode")
        self._previous: list[bool] = []
        self._before: bool | None = None  # the mode this call switched away from, until used
        if self._switches_when_created:
            self._before = grad_mode.enabled
            grad_mode.enabled = self.mode

    def __enter__(self) -> set_grad_enabled:
        before, self._before = self._before, None
        self._previous.append(grad_mode.enabled if before is None else before)
        grad_mode.enabled = self.mode
        return self

    def __exit__(self, *exc: object) -> None:
        grad_mode.enabled = self._previous.pop()

    def __call__(self, func: Any) -> Any:
        if self._before is not None:  # decorating: the switch is for the calls, not from now on
            grad_mode.enabled, self._before = self._before, None
        return super().__call__(func)


class no_grad(set_grad_enabled):
    """``with an.no_grad():`` (or ``@an.no_grad()``): run ops without recording a graph."""

    _switches_when_created = False

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """``with an.enable_grad():``: record the graph again inside a ``no_grad`` block."""

    _switches_when_created = False

    def __init__(self) -> None:
        super().__init__(True)


class inference_mode(set_grad_enabled):
    """``with an.inference_mode():`` is ``no_grad`` under PyTorch's name (autonet has no separate
    inference tensors); ``inference_mode(False)`` records as usual."""

    _switches_when_created = False

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not flag(mode, "inference_mode", "mode"))


class _Draws:
    """Random arrays made inside a computation (``autonet.creation.sample``): where they come
    from (``generator``, set by autonet.creation) and an observer (an.compile records them)."""

    __slots__ = ("generator", "on_sample")

    def __init__(self) -> None:
        self.generator: Any = None  # () -> numpy Generator of the calling thread
        self.on_sample: Any = None  # (draw, args, out) -> None


draws = _Draws()


class module_scope:
    """While active, every recorded Node remembers ``module`` (innermost last in ``node.scope``), so
    drawings can box the ops a Module made. ``nn.Module.__call__`` enters it."""

    __slots__ = ("module", "_previous")

    def __init__(self, module: Any) -> None:
        self.module = module

    def __enter__(self) -> None:
        self._previous = grad_mode.scope
        grad_mode.scope = (*self._previous, self.module)

    def __exit__(self, *exc: object) -> None:
        grad_mode.scope = self._previous


next_seq = itertools.count().__next__  # creation numbers (Node.seq)


class Node:
    """One recorded op call.

    Attributes:
        primitive: the op that ran (its name and gradient rules).
        parents: per input, the Tensor if it requires grad, else None.
        inputs: per input, the raw array (or Python scalar) the forward saw.
        attrs: keyword attributes of the call (axis, shape, ...), or None.
        out: the output array when the rule needs it, else None.
        retained: weak reference to the output tensor after ``retain_grad()``.
        scope: the Modules whose call made it, outermost first (empty outside modules).
        site: where user code created it (only under ``detect_anomaly``).
        seq: creation number; a node's inputs were made by nodes with smaller numbers, so sorting
            by it in decreasing order is a topological order for backward.
    """

    # retained and site are rarely set: class-level defaults (a per-node dict appears only when
    # one is set) keep recording a node to the five assignments it needs. Primitive.__call__
    # makes its nodes with Node.__new__ and the same assignments (a type call costs more than
    # them); keep the two in step
    __slots__ = ("primitive", "parents", "inputs", "attrs", "out", "scope", "seq", "__weakref__",
                 "__dict__")
    retained: weakref.ref | None = None
    site: str | None = None

    def __init__(self, primitive: Any, parents: tuple, inputs: tuple, attrs: dict | None,
                 out: Any) -> None:
        self.primitive = primitive
        self.parents = parents
        self.inputs = inputs
        self.attrs = attrs
        self.out = out
        self.scope: tuple = grad_mode.scope
        self.seq = next_seq()

    @property
    def name(self) -> str:
        return self.primitive.name

    @property
    def freed(self) -> bool:
        return self.inputs is None

    def free(self) -> None:
        """Drop saved arrays and the links to the parents (backward without retain_graph)."""
        self.parents = None
        self.inputs = None
        self.attrs = None
        self.out = None

    def __repr__(self) -> str:
        return f"<Node {self.name}{' (freed)' if self.freed else ''}>"
