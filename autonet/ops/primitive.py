"""Primitive: one differentiable op, its numpy forward and its gradient rules side by side.

A gradient rule (a vector-Jacobian product) for input ``i`` has the signature::

    rule(xp, g, y, *inputs, **attrs) -> gradient for input i

``g`` is the gradient of the final output with respect to this op's output ``y``; ``inputs`` are
what the forward received. Rules are written with Python operators and the functions of the
namespace ``xp`` (autonet/ops/namespace.py):

* in an ordinary backward ``xp`` is numpy (plus a few helpers) and ``g``, ``y``, ``inputs`` are
  arrays, so backward costs numpy calls and nothing more;
* under ``create_graph=True`` ``xp`` is autonet itself and they are Tensors, so the same rule
  records a graph of its own and can be differentiated again. There is no second rulebook.

Rules may return a gradient of a broadcast shape; the engine sums it back to the input's shape.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.autograd.graph import Node, grad_mode, next_seq
from autonet.ops import registry
from autonet.ops.axes import from_axis_error
from autonet.ops.registry import KINDS, Kink
from autonet.ops.sequence_inputs import tensor_inputs
from autonet.tensor import Tensor, as_array  # noqa: F401  (as_array: ops import it here)

Rule = Callable[..., Any]


class Primitive:
    """A differentiable op. Calling it on Tensors (or arrays and scalars) runs the forward and, when
    grad mode is on and some input requires grad, records a Node for backward.

    Args:
        name: the op's name, shown in errors and graph drawings; ``an.<name>`` when exported.
        forward: ``forward(*arrays, **attrs) -> array``, numpy in and out.
        vjps: one rule per positional input (None for an input that is never differentiable),
            or a ``PerInput`` for ops with any number of inputs.
        saves_output: keep the output array for the rules (they receive it as ``y``).
        keeping: ``keeping(*arrays, **attrs) -> (output, kept)``, the forward that also returns
            something it computed on the way that the rules would otherwise compute again (the
            softmax of a cross-entropy). It runs when a node is recorded and the rules receive
            ``kept`` as ``y`` in an ordinary backward; they get None under create_graph and in
            compile's replay (which run ``forward``), and then compute it from the inputs.

    What the rest of the package needs to know about the op sits on the row too (keywords):
        kind: one of ``registry.KINDS``; ``"elementwise"`` ops with two or more inputs are watched
            by the rank-1 broadcast warning.
        kink: a ``Kink`` saying where the op has no derivative, for the gradient checkers.
        symbol: an operator symbol for drawings (``x + 2`` rather than ``add``).
        hint: what to check when this op's rule is found wrong (shown by ``an.check_graph``).
        unrolled: for a fused loop (lstm_sequence), ``unrolled(inputs, attrs, scope) -> Tensor``
            recomputing the same output from per-step ops on ``inputs`` (Tensors where the node
            had parents); ``scope`` is the innermost scope of the node, or None. Drawings use it
            to show one box per step (autonet/viz/unroll.py).
        doc: the op's docstring, shown by ``help(an.<name>)``.
        ordered: the op compares values (max, relu, clip): complex inputs, which have no order
            (numpy would compare them real part first), are refused.
        method: also offer the op as ``Tensor.<name>`` (unless Tensor defines that method itself).
        export: expose it as ``autonet.<name>``; False for a primitive behind a composite.
        register: False for primitives that are not part of the op set (custom Functions).
    """

    __slots__ = ("name", "forward", "vjps", "saves_output", "keeping", "kind", "kink", "symbol",
                 "hint", "watch_rank1", "unrolled", "ordered")

    def __init__(self, name: str, forward: Callable[..., Any], vjps: Sequence[Rule | None],
                 saves_output: bool = False, *, kind: str = "custom", kink: Kink | None = None,
                 symbol: str | None = None, hint: str | None = None, doc: str | None = None,
                 method: bool = False, export: bool = True, register: bool = True,
                 unrolled: Callable[..., Tensor] | None = None,
                 keeping: Callable[..., tuple[Any, Any]] | None = None,
                 ordered: bool = False) -> None:
        if kind not in KINDS:
            raise ValueError(f"Primitive {name!r}: kind={kind!r} is not one of {KINDS}")
        if keeping is not None and saves_output:
            raise ValueError(f"Primitive {name!r}: the rules' y is either the output "
                             "(saves_output) or what the forward kept (keeping), not both")
        self.name = name
        self.forward = forward
        self.vjps = vjps
        self.saves_output = saves_output
        self.keeping = keeping
        self.kind = kind
        self.watch_rank1 = kind == "elementwise"  # the rank-1 broadcast warning's ops
        self.kink = kink
        self.symbol = symbol
        self.hint = hint
        self.unrolled = unrolled
        self.ordered = ordered
        # A class of its own per op, so help(an.exp) and inspect.signature show the op, not this
        # class (an instance cannot carry __doc__ with __slots__).
        self.__class__ = type(name, (type(self),), {
            "__slots__": (), "__doc__": doc or f"The {name} op.",
            "__signature__": _signature(forward, vjps), "__module__": "autonet.ops",
        })
        if register:
            registry.register(name, self, numpy=forward, export=export, method=method)

    def rule(self, i: int) -> Rule | None:
        """The gradient rule for input ``i`` (None when that input has no gradient): the one way
        the engine, the drawings and the checkers look a rule up."""
        try:
            return self.vjps[i]
        except IndexError:
            return None

    def __call__(self, *args: Any, **attrs: Any) -> Tensor:
        # The hot path of the eager engine: one- and two-input calls (almost every op) unpack
        # without building lists or calling helpers, and nothing is recorded unless some input
        # requires grad.
        n = len(args)
        if n == 2:
            a, b = args
            if isinstance(a, Tensor):
                pa = a if a._requires_grad else None
                a = a.data
            elif (type(a) is list or type(a) is tuple) and self.rule(0) is not None:
                return self(*tensor_inputs(self, args), **attrs)  # slow path: lists
            else:
                pa = None
            if isinstance(b, Tensor):
                pb = b if b._requires_grad else None
                b = b.data
            elif (type(b) is list or type(b) is tuple) and self.rule(1) is not None:
                return self(*tensor_inputs(self, args), **attrs)
            else:
                pb = None
            inputs = (a, b)
            parents = (pa, pb) if pa is not None or pb is not None else None
            rank1 = self.watch_rank1 and ((type(a) is np.ndarray and a.ndim == 1)
                                          or (type(b) is np.ndarray and b.ndim == 1))
        elif n == 1:
            a = args[0]
            if isinstance(a, Tensor):
                parents = (a,) if a._requires_grad else None
                a = a.data
            elif (type(a) is list or type(a) is tuple) and self.rule(0) is not None:
                return self(*tensor_inputs(self, args), **attrs)  # slow path: lists
            else:
                parents = None
            inputs = (a,)
            rank1 = False
        elif n == 3 and isinstance(args[0], Tensor) and isinstance(args[1], Tensor) \
                and isinstance(args[2], Tensor):
            # three Tensors (a linear layer's x, weight and bias): no lists to look for
            a, b, c = args
            inputs = (a.data, b.data, c.data)
            parents = ((a if a._requires_grad else None, b if b._requires_grad else None,
                        c if c._requires_grad else None)
                       if a._requires_grad or b._requires_grad or c._requires_grad else None)
            rank1 = self.watch_rank1 and _has_rank1(inputs)
        else:
            inputs, parents = _unpack(self, args)
            if inputs is None:
                return self(*tensor_inputs(self, args), **attrs)  # slow path: lists
            rank1 = n > 1 and self.watch_rank1 and _has_rank1(inputs)
        try:
            if self.keeping is None or parents is None or not grad_mode.enabled:
                out = self.forward(*inputs, **attrs) if attrs else self.forward(*inputs)
                kept = None
            else:  # a node will be recorded: keep what the rules would compute again
                out, kept = self.keeping(*inputs, **attrs)
        except np.exceptions.AxisError as error:
            raise from_axis_error(self.name, error, args) from None
        except MemoryError as error:  # numpy's own subclass, naming no op: say which, and why
            raise MemoryError(f"{self.name}: {error} {_describe(args, attrs)}; that is more "
                              "than this machine can give: use smaller inputs") from None
        except (ValueError, TypeError, IndexError) as error:
            raise _rewrapped(self.name, error, args, attrs) from error
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        kind = out.dtype.kind
        if kind not in "fbiuc":  # a string or object input passed through a shape op unchanged
            raise TypeError(f"{self.name}: the result would hold {out.dtype} values, not numbers "
                            f"{_describe(args, attrs)}; tensors hold bool, integer, float or "
                            "complex values: pass numbers")
        if kind == "c" and self.ordered:  # (an ordered op's output is complex for complex inputs)
            raise TypeError(unordered(self.name, _describe(args, attrs)))
        # only an (n,) array meeting an (n, 1) column makes (..., n, n): the rank-1 test first
        # (rank1: an elementwise op with two or more inputs, one of them (n,)), it is rarely
        # true, while square outputs are common
        if rank1 and out.ndim > 1 and out.shape[-1] == out.shape[-2]:
            from autonet.autograd.warnings import check_rank1_broadcast

            check_rank1_broadcast(self.name, inputs, out)
        result = _new_tensor(Tensor)
        result.data = out
        result._grad = None
        result.name = None
        result._written = 0
        if parents is not None and grad_mode.enabled and kind in "fc":
            result._requires_grad = True
            node = result._node = _new_node(Node)
            node.primitive = self
            node.parents = parents
            node.inputs = inputs
            node.attrs = attrs or None
            node.out = out if self.saves_output else kept
            node.scope = grad_mode.scope
            node.seq = next_seq()
            if _hooks.on_forward is not None:
                _hooks.on_forward(node, out)
        else:
            result._requires_grad = False
            result._node = None
        if _hooks.on_call is not None:
            _hooks.on_call(self, args, attrs, result)
        return result

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


_new_tensor = Tensor.__new__
_new_node = Node.__new__  # Node's fields are set in __call__ as Node.__init__ sets them


def rewrapped(error: Exception, message: str) -> Exception:
    """``error`` again with ``message`` (the op's name and inputs added): of the same type where
    that type takes a message alone and is not numpy's, else (numpy's UFuncTypeError needs its
    dtypes; DTypePromotionError is no builtin) of the builtin base it derives from."""
    if not type(error).__module__.startswith("numpy"):  # numpy's own types (DTypePromotionError)
        try:                                             # become the builtin they derive from
            return type(error)(message)
        except Exception:
            pass
    kind = next(k for k in (IndexError, TypeError, ValueError) if isinstance(error, k))
    return kind(message)


def _has_rank1(inputs: Sequence[Any]) -> bool:
    """Whether an input is a rank-1 array (the one shape the rank-1 broadcast warning is about)."""
    for x in inputs:  # noqa: SIM110  (a loop: no generator per call on the hot path)
        if type(x) is np.ndarray and x.ndim == 1:
            return True
    return False


def _rewrapped(name: str, error: Exception, args: Sequence[Any], attrs: dict) -> Exception:
    """A forward's numpy error again, its message naming the op and its inputs."""
    hint = _BROADCAST_HINT if "could not be broadcast" in str(error) else ""
    return rewrapped(error, f"{name}: {error} {_describe(args, attrs)}{hint}")


def _unpack(primitive: Primitive, args: Sequence[Any]) -> tuple[tuple | None, tuple | None]:
    """Raw inputs and per-input parents (None where no grad is needed; None overall when no
    input needs one) of a call with any number of arguments; inputs None when an argument is a
    list or tuple the op differentiates, to be made a tensor first (``tensor_inputs``)."""
    inputs = []
    parents = []
    record = False
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            inputs.append(a.data)
            if a._requires_grad:
                parents.append(a)
                record = True
                continue
        elif (type(a) is list or type(a) is tuple) and primitive.rule(i) is not None:
            return None, None
        else:
            inputs.append(a)
        parents.append(None)
    return tuple(inputs), tuple(parents) if record else None


class PerInput:
    """The gradient rules of an op that takes any number of inputs (concatenate):
    ``rule(i, xp, g, y, *inputs, **attrs)`` gives the gradient for input ``i``."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Any]) -> None:
        self.rule = rule

    def __getitem__(self, i: int) -> Rule:
        return lambda *args, **attrs: self.rule(i, *args, **attrs)


class _Hooks:
    """Optional observers; None keeps the hot path to one check each. ``on_forward`` sees every
    recorded Node (anomaly detection), ``on_call`` every call, recorded or not (an.compile)."""

    __slots__ = ("on_forward", "on_call")

    def __init__(self) -> None:
        self.on_forward: Callable[[Node, np.ndarray], None] | None = None
        self.on_call: Callable[[Primitive, tuple, dict, Tensor], None] | None = None


_hooks = _Hooks()


_BROADCAST_HINT = ("; numpy broadcasting needs equal sizes or 1 in each trailing dimension: "
                   "reshape an input (e.g. x.reshape(-1, 1)) or transpose it")


def unordered(name: str, inputs: str) -> str:
    """The error for complex values given to an op that compares them (numpy would order them
    real part first, a result no formula means; PyTorch refuses them too)."""
    return (f"{name}: complex numbers have no order, so {name} (which compares values) is "
            f"undefined for them {inputs}; pass real values instead (abs(x) is the modulus)")


def _describe(args: Sequence[Any], attrs: dict) -> str:
    """The inputs of a failed call, for its error message: names, shapes and dtypes."""
    parts = []
    for a in args:
        name = f"{a.name}: " if isinstance(a, Tensor) and a.name else ""
        shape = getattr(a, "shape", None)
        dtype = getattr(a, "dtype", None)
        parts.append(f"{name}{tuple(shape)} {dtype}" if shape is not None else repr(a)[:40])
    text = "(inputs: " + ", ".join(parts)
    if attrs:
        text += "; " + ", ".join(f"{k}={v!r}"[:60] for k, v in attrs.items())
    return text + ")"


def _signature(forward: Callable[..., Any], vjps: Any) -> inspect.Signature | None:
    """The op's call signature: its inputs and attributes as a rule names them (a rule is
    ``rule(xp, g, y, *inputs, **attrs)``), else the forward's own; None if neither tells."""
    rules = [r for r in vjps if r is not None] if isinstance(vjps, Sequence) else []
    for candidate in rules[:1]:
        try:
            params = list(inspect.signature(candidate).parameters.values())[3:]
            return inspect.Signature(params)
        except (TypeError, ValueError):
            pass
    try:
        return inspect.signature(forward)
    except (TypeError, ValueError):
        return None

