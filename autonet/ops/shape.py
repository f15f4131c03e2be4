"""Shape ops: they move values around and never change them, so every gradient rule moves the
gradient back the same way (reshape back, transpose back, scatter back, slice back)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.arguments import integer
from autonet.ops.axes import check_axis, from_axis_error, takes_axis
from autonet.ops.kinks import index_arrays
from autonet.ops.primitive import PerInput, Primitive, as_array
from autonet.ops.registry import Kink, composite, register
from autonet.tensor import Tensor


def sum_to(xp, g, shape: tuple[int, ...]):
    """Sum a broadcast gradient ``g`` back to ``shape`` (the inverse of broadcasting)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return xp.reshape(g, shape) if lead or g.shape != shape else g


def _inverse_axes(axes, ndim: int):
    if axes is None:
        return None
    return tuple(np.argsort([a % ndim for a in axes]))


def _pad_slices(pad_width, shape) -> tuple[slice, ...]:
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (len(shape), 2))
    return tuple(slice(int(before), n - int(after)) for (before, after), n in zip(widths, shape))


def _scatter_add(g, index, shape):
    out = np.zeros(shape, dtype=np.result_type(g))  # (g may be a Python number)
    if _has_integer_array(index):
        np.add.at(out, index, g)  # repeated indices accumulate
    else:
        out[index] = g
    return out


def _has_integer_array(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return builtins.any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def _concatenate_grad(i, xp, g, y, *xs, axis=0):
    start = builtins.sum(np.shape(x)[axis] for x in xs[:i])
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, start + np.shape(xs[i])[axis])
    return xp.getitem(g, tuple(index))


SH = "shape"

reshape = Primitive("reshape", np.reshape, (lambda xp, g, y, x, shape: xp.reshape(g, x.shape),),
                    kind=SH, doc="x with a new shape of the same size (one entry may be -1).")
transpose = Primitive("transpose", np.transpose, (
    lambda xp, g, y, x, axes=None: xp.transpose(g, _inverse_axes(axes, x.ndim)),
), kind=SH, doc="x with its axes permuted (reversed when axes is None).")
broadcast_to = Primitive("broadcast_to", np.broadcast_to, (
    lambda xp, g, y, x, shape: sum_to(xp, g, x.shape),
), kind=SH, method=True, doc="x broadcast to shape (numpy rules); the gradient is summed back.")
getitem = Primitive("getitem", lambda x, index: x[index], (
    lambda xp, g, y, x, index: xp.scatter_add(g, index, x.shape),
), kind=SH, export=False,
    kink=Kink(index_arrays, "where a boolean mask or an index computed from the data changes "
                            "(x[x > 0] at 0, sort and topk at ties)"),
    doc="x[index] for a normalized index (the public form is an.index / t[...]).")
# scatter_add is getitem's adjoint: it places g at ``index`` in zeros of ``shape``.
scatter_add = Primitive("scatter_add", _scatter_add, (
    lambda xp, g, y, src, index, shape: xp.getitem(g, index),
), kind=SH, doc="zeros(shape) with src added at index (repeated indices accumulate).")
_concatenate = Primitive(
    "concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis), PerInput(_concatenate_grad),
    kind=SH, export=False, doc="The inputs joined along axis (public form: an.concatenate).")
_pad = Primitive("pad", lambda x, pad_width, constant_values=0:
                 np.pad(x, pad_width, mode="constant", constant_values=constant_values), (
    lambda xp, g, y, x, pad_width, constant_values=0:
        xp.getitem(g, _pad_slices(pad_width, g.shape)),
), kind=SH, export=False, doc="x padded with a constant (public form: an.pad).")


# ---- the public functions built on the primitives above ------------------------------------------
def _normalize_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


@composite
def index(x: Any, key: Any) -> Tensor:
    """``x[key]`` with numpy semantics: ints, slices, None, Ellipsis, integer arrays (repeated
    indices accumulate their gradients) and boolean masks."""
    return getitem(x, index=_normalize_index(key))


@composite
@takes_axis
def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (numpy.concatenate)."""
    _sequence_of_tensors("concatenate", tensors)
    return _concatenate(*tensors, axis=axis)


def _sequence_of_tensors(name: str, tensors: Any) -> None:
    """concatenate and stack take a list or tuple of tensors (one tensor is not one)."""
    if not isinstance(tensors, list | tuple):
        shape = getattr(tensors, "shape", None)
        got = f"a {type(tensors).__name__}" + (f" of shape {tuple(shape)}" if shape else "")
        raise TypeError(f"{name}: tensors must be a list or tuple of tensors, got {got}; "
                        f"write an.{name}([a, b], axis=...)")
    if not tensors:
        raise ValueError(f"{name}: need at least one tensor")


@composite
@takes_axis
def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of equal shape along a new axis (numpy.stack)."""
    _sequence_of_tensors("stack", tensors)
    shapes = {np.shape(as_array(t)) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}")
    ndim = len(next(iter(shapes))) + 1  # the new axis counts
    check_axis("stack", axis, ndim, next(iter(shapes)))
    return _concatenate(*(expand_dims(t, axis) for t in tensors), axis=axis)


def cut_points(call: str, indices: Any) -> list[int]:
    """The cut points of a split: a list (or 1-D array) of integers, not a string or a float."""
    if isinstance(indices, str | bytes) or not isinstance(indices, Sequence | np.ndarray):
        raise TypeError(f"{call}: indices_or_sections must be a number of equal parts or a list "
                        f"of cut points, got {indices!r:.60} ({type(indices).__name__})")
    return [integer(c, call, "indices_or_sections") for c in np.asarray(indices, object).ravel()]


@composite
@takes_axis
def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split into pieces along ``axis`` (numpy.split): a number of equal parts or a list of cuts."""
    shape = np.shape(as_array(x))
    check_axis("split", axis, len(shape), shape)
    n = shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(f"split: axis {axis} of length {n} does not split into "
                             f"{indices_or_sections} equal parts; pass a list of cut points")
        step = n // indices_or_sections
        cuts = list(range(step, n, step))
    else:
        cuts = cut_points("split", indices_or_sections)
    bounds = [0, *cuts, n]
    prefix = (slice(None),) * (axis % np.ndim(as_array(x)))
    return [getitem(x, index=(*prefix, slice(lo, hi))) for lo, hi in zip(bounds, bounds[1:])]


@composite(numpy=np.swapaxes, method=True)
def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes (numpy.swapaxes)."""
    ndim = np.ndim(as_array(x))
    axis1, axis2 = integer(axis1, "swapaxes", "axis1"), integer(axis2, "swapaxes", "axis2")
    for axis in (axis1, axis2):
        if not -ndim <= axis < ndim:
            raise ValueError(f"swapaxes: axis {axis} is out of range for a tensor of {ndim} "
                             f"dimension(s) (shape {np.shape(as_array(x))}); use an axis in "
                             f"[-{ndim}, {ndim - 1}]")
    axes = list(range(ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes=tuple(axes))


def _shape_after(name: str, numpy_fn: Any, x: Any, axis: Any) -> tuple[int, ...]:
    shape = np.shape(as_array(x))
    view = np.broadcast_to(np.empty((), dtype=bool), shape)  # no memory, only the shape
    try:
        return numpy_fn(view, axis).shape
    except np.exceptions.AxisError as error:
        raise from_axis_error(name, error, (view,)) from None
    except ValueError as error:
        raise ValueError(f"{name}: {error} (input shape {shape}, axis={axis!r})") from error


@composite(method=True)
@takes_axis
def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove size-1 axes (all, or those in ``axis``)."""
    return reshape(x, shape=_shape_after("squeeze", np.squeeze, x, axis))


@composite(numpy=np.expand_dims, method=True)
@takes_axis
def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert size-1 axes at ``axis`` (numpy.expand_dims)."""
    return reshape(x, shape=_shape_after("expand_dims", np.expand_dims, x, axis))


@composite(method=True)
@takes_axis
def unsqueeze(x: Any, axis: Any) -> Tensor:
    """PyTorch's name for ``expand_dims``: a size-1 axis at ``axis`` (``dim``); errors name
    unsqueeze, the call the user wrote."""
    return reshape(x, shape=_shape_after("unsqueeze", np.expand_dims, x, axis))


@composite(method=True)
def flatten(x: Any) -> Tensor:
    """All values in one axis, row-major."""
    return reshape(x, shape=(-1,))


register("getitem", index)  # an.getitem(x, key) is x[key], like an.index
register("cat", concatenate)  # PyTorch's name
