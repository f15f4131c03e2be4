"""Gradients as functions: ``grad`` (any order, via ``create_graph``), ``vjp``, ``jvp``, ``hvp``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.autograd.engine import observers, run_backward
from autonet.ops.torch_names import clone
from autonet.tensor import Tensor, as_array


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, list | tuple) else [x]


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is left untouched).

    Args:
        outputs: tensor(s) to differentiate; one-element tensors need no ``grad_outputs``.
        inputs: tensor(s) to differentiate with respect to (leaves or intermediates).
        grad_outputs: gradient(s) with respect to each output, shaped like it (the vector of a
            vector-Jacobian product).
        retain_graph: keep the graph for another backward; defaults to ``create_graph``.
        create_graph: record the gradient computation itself, so the result can be
            differentiated again (second and higher derivatives, Hessian-vector products).
        allow_unused: return None for an input the outputs do not depend on, instead of raising.

    Returns:
        One Tensor per input, of the input's shape.
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: output {i} must be a Tensor computed from the inputs, got "
                            f"{t!r:.60} ({type(t).__name__})")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad; create it with "
                               "requires_grad=True so the outputs depend on it differentiably")
    seeds = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    if len(seeds) != len(outputs):
        raise ValueError(f"grad: got {len(seeds)} grad_outputs for {len(outputs)} outputs")
    retain = create_graph if retain_graph is None else retain_graph
    found = run_backward(outputs, seeds, retain_graph=retain, create_graph=create_graph,
                         targets=inputs)
    result = []
    for i, t in enumerate(inputs):
        g = found.get(t._node if t._node is not None else t)
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {t.shape}) is not used to compute the "
                                   "outputs; pass allow_unused=True to get None for it")
            result.append(None)
        elif isinstance(g, Tensor):  # create_graph, or a compiled trace: a copy for a repeat
            result.append(clone(g) if any(g is r for r in result) else g)
        else:
            result.append(Tensor._wrap(np.array(g, dtype=t.dtype)))
    return tuple(result)


def vjp(fn: Callable[..., Tensor], inputs: Sequence[Tensor], v: Any,
        create_graph: bool = False) -> tuple[Tensor, tuple[Tensor, ...]]:
    """``(fn(*inputs), v^T J)``: the output and the vector-Jacobian product with ``v``."""
    _check_fn("vjp", fn)
    inputs = [_requiring_grad(x) for x in _as_list(inputs)]
    out = fn(*inputs)
    if not (isinstance(out, Tensor) and out.requires_grad):  # no dependence (a constant, sign)
        return out, tuple(Tensor._wrap(np.zeros_like(x.data)) for x in inputs)
    return out, grad(out, inputs, v, create_graph=create_graph, allow_unused=True)


def jvp(fn: Callable[..., Tensor], inputs: Sequence[Tensor], v: Sequence[Any],
        create_graph: bool = False) -> tuple[Tensor, tuple[Tensor, ...]]:
    """``(fn(*inputs), J v)``: the Jacobian-vector product, by the double-vjp trick: ``u -> J^T u``
    is linear in ``u``, and its vjp with ``v`` is ``J v``."""
    _check_fn("jvp", fn)
    inputs = [_requiring_grad(x) for x in _as_list(inputs)]
    out = fn(*inputs)
    outs = _as_list(out)
    # outputs that do not depend on the inputs differentiably (a constant, sign, floor) get J v = 0
    live = [k for k, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
    dummies = [Tensor(np.zeros_like(outs[k].data), requires_grad=True) for k in live]
    g = grad([outs[k] for k in live], inputs, dummies, create_graph=True,
             allow_unused=True) if live else ()
    used = [(gi, vi) for gi, vi in zip(g, _as_list(v)) if gi is not None and gi.requires_grad]
    jv: list[Any] = [None] * len(outs)
    if used:
        found = grad([gi for gi, _ in used], dummies, [vi for _, vi in used],
                     create_graph=create_graph, allow_unused=True)
        for k, j in zip(live, found):
            jv[k] = j
    jv = tuple(j if j is not None else Tensor._wrap(np.zeros_like(np.asarray(o.data)))
               for j, o in zip(jv, outs))
    return out, jv if isinstance(out, list | tuple) else jv[0]


def hvp(fn: Callable[..., Tensor], inputs: Sequence[Tensor], v: Sequence[Any]
        ) -> tuple[Tensor, ...]:
    """Hessian-vector product ``H v`` of a scalar ``fn`` at ``inputs``, without forming ``H``."""
    _check_fn("hvp", fn)
    inputs = [_requiring_grad(x) for x in _as_list(inputs)]
    out = fn(*inputs)
    g = grad(out, inputs, create_graph=True)
    return grad(list(g), inputs, _as_list(v), allow_unused=True)


def _check_fn(call: str, fn: Any) -> None:
    if not callable(fn):
        raise TypeError(f"{call}: fn must be a function of the inputs, got {fn!r:.60} "
                        f"({type(fn).__name__})")


def _requiring_grad(x: Any) -> Tensor:
    if isinstance(x, Tensor) and x.requires_grad:
        return x
    leaf = Tensor(as_array(x), requires_grad=True)
    if observers.tracer is not None:  # an.compile: in a replay, the copy holds that call's x
        observers.tracer.on_copy(leaf, x)
    return leaf
