"""Text for graph nodes and edges: numbers, array summaries, op attributes, tensor names.

Every function here is pure and deterministic (no ids, no addresses), so the same graph gives the
same DOT text.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from autonet.autograd.function import FunctionCtx
from autonet.tensor import Tensor


def format_number(x: float, precision: int = 4) -> str:
    """``x`` with ``precision`` significant digits (``-0`` shown as ``0``)."""
    x = float(x)
    if x == 0.0:
        return "0"
    return f"{x:.{precision}g}"


def summarize(array: Any, precision: int = 4) -> str:
    """One line for an array: the number for one element, else ``mean m [min a, max b]``."""
    a = np.asarray(array)
    if a.size == 1:
        value = a.reshape(()).item()
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, complex):
            return f"{format_number(value.real, precision)}{format_number(value.imag, precision)}j"
        return format_number(value, precision)
    if a.size == 0:
        return "empty"
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    if a.dtype.kind == "c":
        a = np.abs(a)
    with np.errstate(all="ignore"):
        mean, lo, hi = a.mean(dtype=np.float64), a.min(), a.max()
    return (f"mean {format_number(mean, precision)} [min {format_number(lo, precision)}, "
            f"max {format_number(hi, precision)}]")


# Constants with at most this many elements are titled by their values, larger ones by their shape.
CONSTANT_VALUES = 4


def constant_title(array: Any, precision: int = 4, max_values: int = CONSTANT_VALUES) -> str:
    """Title for an unnamed constant box: its value for one element (``2``, ``0.5``), its values
    for up to ``max_values`` elements (``[0, 1, 2]``, nested like the array), else its shape
    (``(2, 3) array``)."""
    a = np.asarray(array)
    if a.size == 1:
        return summarize(a, precision)
    if 0 < a.size <= max_values:
        def text(item: Any) -> str:
            if isinstance(item, list):
                return "[" + ", ".join(text(i) for i in item) + "]"
            return summarize(np.asarray(item), precision)
        return text(a.tolist())
    return f"{tuple(a.shape)} array"


def summarize_gradient(array: Any, precision: int = 4) -> str:
    """One line for a gradient: the number for one element, else ``mean|g| m [min a, max b]``.

    The magnitude, not the signed mean: the signed mean of a gradient often cancels to ~0 (the
    logits' gradient of softmax cross-entropy sums to 0 in every row) however large it is."""
    a = np.asarray(array)
    if a.size <= 1 or a.dtype.kind not in "fiu":
        return summarize(a, precision)
    with np.errstate(all="ignore"):
        lo, hi = a.min(), a.max()
    return (f"mean|g| {format_number(mean_abs(a), precision)} [min {format_number(lo, precision)}"
            f", max {format_number(hi, precision)}]")


def describe_shape(array: Any) -> str:
    """``shape (3, 4) float32``; scalars read ``scalar float32``."""
    a = np.asarray(array)
    shape = "scalar" if a.ndim == 0 else "shape " + str(tuple(a.shape))
    return f"{shape} {a.dtype}"


def mean_abs(array: Any) -> float:
    """Mean absolute value in float64 (0 for empty arrays)."""
    a = np.asarray(array)
    if a.size == 0 or a.dtype.kind not in "fciub":
        return 0.0
    with np.errstate(all="ignore"):
        return float(np.abs(a).mean(dtype=np.float64))


def _short(value: Any, limit: int = 24) -> str:
    if isinstance(value, np.ndarray):
        text = f"array{tuple(value.shape)}" if value.size > 4 else np.array2string(
            value, separator=",", precision=4)
    elif isinstance(value, float | np.floating):
        text = format_number(value)
    elif isinstance(value, np.dtype | type):
        text = np.dtype(value).name
    elif isinstance(value, tuple):
        text = "(" + ",".join(_short(v, limit) for v in value) + ("," if len(value) == 1 else "")
        text += ")"
    elif isinstance(value, slice):
        text = ":".join("" if p is None else str(p) for p in (value.start, value.stop, value.step))
        text = text.rstrip(":") or ":"
    elif value is Ellipsis:
        text = "..."
    else:
        text = repr(value)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 3] + "..."


# Friendlier names for the attributes an op call records (the keyword of the forward).
_ATTR_NAMES = {"negative_slope": "slope", "index": "index", "a_min": "min", "a_max": "max"}


def op_text(name: str, inputs: tuple | None, parents: tuple | None, attrs: Mapping | None,
            precision: int = 4, symbol: str | None = None) -> list[str]:
    """Lines for an op node: the op name, its constant scalar operands, then its attributes.
    ``symbol`` is the op row's operator symbol (``+`` for add), if it has one.

    ``pow`` with a constant exponent reads ``pow  x**2``; ``sub`` from a constant ``1 - x``.
    """
    lines = [name]
    if inputs is not None and parents is not None:
        constants = [
            (i, v) for i, (v, p) in enumerate(zip(inputs, parents))
            if p is None and not isinstance(v, np.ndarray)
        ]
        if constants and symbol is not None and len(inputs) == 2:
            i, v = constants[0]
            c = _short(v)
            lines.append(f"x {symbol} {c}" if i == 1 else f"{c} {symbol} x")
            if name == "pow" and i == 1:
                lines[-1] = f"exponent {c}"
        else:
            lines.extend(f"const[{i}] = {_short(v)}" for i, v in constants)
    for key, value in (attrs or {}).items():
        if isinstance(value, FunctionCtx):
            lines.append("custom Function")  # its ctx holds saved arrays, nothing to print
            continue
        if value is None or value is False:
            continue  # defaults such as axis=None, keepdims=False only add noise
        lines.append(f"{_ATTR_NAMES.get(key, key)}={_short(value)}")
    return lines


def caller_names(skip_prefix: str | tuple[str, ...] = ("autonet.viz", "autonet.check.graph"),
                 ) -> dict[int, str]:
    """Variable names of the Tensors (and of their arrays) in the first frame outside autonet.viz
    (and outside ``report.draw()`` of an.check_graph).

    Returns ``{id(object): name}`` for Tensor objects and their ``.data`` arrays. Cheap: one frame's
    locals, no deeper. Used only to name leaves and constants, where nothing better is known.
    """
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").startswith(skip_prefix):
        frame = frame.f_back
    if frame is None:
        return {}
    names: dict[int, str] = {}
    for var, obj in list(frame.f_locals.items()):
        if var.startswith("_"):
            continue
        if isinstance(obj, Tensor):
            names.setdefault(id(obj), var)
            names.setdefault(id(obj.data), var)
    return names


def dotted_parameter_names(model: Any = None, params: Mapping[str, Tensor] | None = None,
                           ) -> dict[int, str]:
    """``{id(tensor): dotted name}`` from ``model.named_parameters()`` and/or a ``params`` dict."""
    names: dict[int, str] = {}
    pairs: Iterable = ()
    if model is not None:
        if not hasattr(model, "named_parameters"):
            raise TypeError(f"draw_graph: model= needs a Module with named_parameters(), got "
                            f"{type(model).__name__}; pass params={{name: tensor}} instead")
        pairs = model.named_parameters()
    for name, tensor in (*pairs, *(params or {}).items()):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"draw_graph: params['{name}'] is a {type(tensor).__name__}, "
                            "expected a Tensor")
        names.setdefault(id(tensor), name)
    return names


def module_names(model: Any) -> dict[int, str]:
    """``{id(module): dotted name}`` for ``model`` and every submodule (the root is ``''``),
    walked iteratively through ``named_children()`` (or ``_modules``)."""
    names: dict[int, str] = {}
    if model is None:
        return names
    stack = [("", model)]
    while stack:
        prefix, module = stack.pop()
        if id(module) in names:
            continue
        names[id(module)] = prefix
        children = _children(module)
        for child_name, child in reversed(children):
            stack.append((f"{prefix}.{child_name}" if prefix else str(child_name), child))
    return names


def _children(module: Any) -> list[tuple[str, Any]]:
    if hasattr(module, "named_children"):
        return [(n, c) for n, c in module.named_children() if c is not None]
    mods = getattr(module, "_modules", None)
    if isinstance(mods, Mapping):
        return [(n, c) for n, c in mods.items() if c is not None]
    return []
