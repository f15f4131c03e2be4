"""Custom differentiable operations written by hand, in PyTorch's shape.

    class Square(an.Function):
        @staticmethod
        def forward(ctx, x):              # numpy arrays in, one numpy array out
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):          # gradient w.r.t. the output, shaped like it
            (x,) = ctx.saved_tensors
            return 2 * x * grad           # one gradient per input (None for none)

    y = Square.apply(t)                   # a Tensor, recorded in the graph like any op

Each subclass becomes one engine ``Primitive`` named after the class (so errors, gradcheck and
``check_graph`` reports say ``Square``); ``ctx`` travels with the recorded Node as an attribute.
Backward runs on numpy arrays, so a custom Function has first derivatives only, unless the class
sets ``differentiable_backward = True`` and writes ``backward`` with autonet ops (see below).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autonet.ops.namespace import NUMPY
from autonet.ops.primitive import PerInput, Primitive
from autonet.tensor import Tensor, as_array


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: ``save_for_backward(*arrays)`` /
    ``saved_tensors``, ``needs_input_grad`` (per input), and any attribute you set on it."""

    def __init__(self, needs_input_grad: tuple[bool, ...] = ()) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple[Any, ...] = ()
        # One backward call serves every input of a pass: its results wait here, keyed by input,
        # until that input's rule takes them (then they are gone: no stale reuse, no memory kept).
        self._grad_in: Any = None
        self._pending: dict[int, Any] = {}

    def _take(self, i: int, g: Any, compute: Any) -> Any:
        """Input ``i``'s gradient for ``g``: from this pass's backward call, or a new call."""
        if self._grad_in is not g or i not in self._pending:
            needs = self.needs_input_grad
            self._pending = {k: gk for k, gk in enumerate(compute())
                             if k == i or k >= len(needs) or needs[k]}
            self._grad_in = g
        gi = self._pending.pop(i)
        if not self._pending:
            self._grad_in = None
        return gi

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays (or anything) for backward; they come back as ``saved_tensors``."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What ``save_for_backward`` kept, in order (numpy arrays, as forward saw them)."""
        return self._saved

    def fresh(self) -> FunctionCtx:
        """An empty context for re-running forward (numerical checks) without touching this one."""
        return FunctionCtx(self.needs_input_grad)


class FunctionPrimitive(Primitive):
    """The Primitive behind a Function subclass; ``function`` is the class."""

    __slots__ = ("function",)


class Function:
    """Base class of hand-written ops: define static ``forward(ctx, *inputs)`` and
    ``backward(ctx, grad)``, then call ``MyOp.apply(*inputs)``.

    * ``forward`` receives numpy arrays for Tensor arguments (other arguments as given) and returns
      one numpy array. Do not modify the inputs in place.
    * ``backward`` receives the gradient with respect to that output (a numpy array of its shape)
      and returns one gradient per input of ``forward``: an array of the input's shape (a single
      value, or a shape that broadcasts from it, is fine), or None for an input that needs none.
    * ``differentiable_backward = True`` (class attribute): under ``create_graph=True``
      (``gradgradcheck``, ``an.hvp``) ``backward`` is called with Tensors instead: ``grad`` and
      the saved inputs and output become Tensors, so a backward written with Python operators and
      ``an.`` functions records a graph and can be differentiated again. Other saved values are
      treated as constants; save the inputs (or the output) rather than values derived from them.
    """

    differentiable_backward: bool = False

    @staticmethod
    def forward(ctx: FunctionCtx, *inputs: Any) -> np.ndarray:
        raise NotImplementedError("Function subclasses define a static forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: FunctionCtx, grad: np.ndarray) -> Any:
        raise NotImplementedError("Function subclasses define a static backward(ctx, grad)")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run ``forward`` on ``args`` and record the op so backward calls ``backward``."""
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        return _primitive(cls)(*args, ctx=FunctionCtx(needs))


def _primitive(cls: type[Function]) -> FunctionPrimitive:
    cached = cls.__dict__.get("_primitive")
    if cached is None:
        if cls.forward is Function.forward or cls.backward is Function.backward:
            raise TypeError(f"{cls.__name__}: an.Function subclasses must define both static "
                            "methods forward(ctx, *inputs) and backward(ctx, grad)")

        def forward(*inputs: Any, ctx: FunctionCtx) -> np.ndarray:
            out = cls.forward(ctx, *inputs)
            if isinstance(out, Tensor):
                out = out.data
            if isinstance(out, tuple | list):
                raise TypeError(f"{cls.__name__}.forward returned {len(out)} values; an.Function "
                                "supports one output array (apply it once per output instead)")
            return np.asarray(out)

        cached = FunctionPrimitive(cls.__name__, forward, PerInput(_rule_of(cls)),
                                   saves_output=cls.differentiable_backward)
        cached.function = cls
        cls._primitive = cached
    return cached


def _rule_of(cls: type[Function]):
    def rule(i: int, xp: Any, g: Any, y: Any, *inputs: Any, ctx: FunctionCtx) -> Any:
        if xp is not NUMPY:
            return _differentiable_rule(cls, i, g, y, inputs, ctx)
        # The engine asks once per input with the same g: backward runs once per pass.
        def compute() -> tuple[Any, ...]:
            return _normalize(cls, cls.backward(ctx, g), len(inputs))

        return _checked(cls, i, ctx._take(i, g, compute), inputs[i])

    return rule


def _differentiable_rule(cls: type[Function], i: int, g: Any, y: Any, inputs: tuple,
                         ctx: FunctionCtx) -> Any:
    if not cls.differentiable_backward:
        raise RuntimeError(
            f"{cls.__name__}: custom Functions support first derivatives only; create_graph=True "
            f"(gradgradcheck, hvp, higher-order an.grad) needs a backward that records a graph. "
            f"Write {cls.__name__}.backward with Python operators and an.<op> functions (no "
            f"numpy calls) and set `differentiable_backward = True` on the class")

    def compute() -> tuple[Any, ...]:
        raw = {id(a.data): a for a in inputs if isinstance(a, Tensor)}
        if y is not None:
            raw[id(y.data)] = y
        view = FunctionCtx(ctx.needs_input_grad)
        view.__dict__.update({k: v for k, v in ctx.__dict__.items() if not k.startswith("_")})
        view._saved = tuple(raw.get(id(s), s) for s in ctx._saved)
        grads = _normalize(cls, cls.backward(view, g), len(inputs))
        for k, gk in enumerate(grads):
            if gk is not None and not isinstance(gk, Tensor):
                raise RuntimeError(
                    f"{cls.__name__}.backward returned a {type(gk).__name__} for input {k} under "
                    f"create_graph=True; with differentiable_backward = True it must compute "
                    f"with autonet ops so the result is a Tensor (numpy calls drop the graph)")
        return grads

    gi = ctx._take(i, g, compute)
    if gi is None:
        return Tensor(np.zeros(np.shape(inputs[i]), dtype=np.asarray(g.data).dtype))
    return gi


def _normalize(cls: type[Function], grads: Any, n_inputs: int) -> tuple[Any, ...]:
    if not isinstance(grads, tuple | list):
        grads = (grads,)
    if len(grads) != n_inputs:
        raise ValueError(f"{cls.__name__}.backward returned {len(grads)} gradient(s) for "
                         f"{n_inputs} input(s) of forward; return one per input (None for an "
                         f"input that needs no gradient)")
    return tuple(grads)


def _checked(cls: type[Function], i: int, gi: Any, x: Any) -> np.ndarray:
    shape = np.shape(x)
    if gi is None:
        return np.zeros(shape, dtype=getattr(x, "dtype", np.float64))
    gi = np.asarray(as_array(gi))
    try:
        joint = np.broadcast_shapes(gi.shape, shape)
    except ValueError:
        joint = None
    if joint == shape and gi.shape != shape and gi.size == 1:
        return np.array(np.broadcast_to(gi, shape))  # a scalar db for a (1, 1) b, say
    if joint is None or joint != gi.shape:
        raise ValueError(f"{cls.__name__}.backward: the gradient for input {i} has shape "
                         f"{gi.shape} but the input has shape {shape}; return an array of the "
                         f"input's shape")
    # A copy: user code may return the same array for two inputs, or an array it keeps (a saved
    # input), and the engine adds later contributions into a gradient in place.
    return np.array(gi)  # the input's shape, or a broadcast of it that the engine sums back
