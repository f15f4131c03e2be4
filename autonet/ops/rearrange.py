"""Rearranging values: flip, roll, repeat, tile, triangles, diagonals, padding by reflection or
wrapping, stacking and uneven splits. Each is a composite of getitem (integer-array indices
accumulate repeated gradients), scatter_add, where and concatenate, so gradients are exact."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.arguments import allocate, integer, numeric
from autonet.ops.axes import takes_axis
from autonet.ops.elementwise import where
from autonet.ops.primitive import as_array
from autonet.ops.reduce import normalize_axis, sum
from autonet.ops.registry import composite
from autonet.ops.shape import _pad as pad_
from autonet.ops.shape import (
    concatenate,
    cut_points,
    getitem,
    reshape,
    scatter_add,
    split,
    transpose,
)
from autonet.tensor import Tensor


def _shape(x: Any) -> tuple[int, ...]:
    return np.shape(as_array(x))


def _take(x: Any, positions: np.ndarray, axis: int) -> Tensor:
    """x with ``axis`` replaced by the values at ``positions`` along it."""
    return getitem(x, index=(slice(None),) * axis + (np.asarray(positions, dtype=np.intp),))


@composite(numpy=np.flip, method=True)
@takes_axis
def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order along ``axis`` (None: every axis), as numpy.flip."""
    numeric(x, "flip", "x")
    axes = normalize_axis(axis, len(_shape(x)), "flip")
    return getitem(x, index=tuple(slice(None, None, -1) if d in axes else slice(None)
                                  for d in range(len(_shape(x)))))


@composite(method=True)
@takes_axis
def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """Shift values along ``axis`` cyclically by ``shift`` (numpy.roll; axis=None: flattened)."""
    if axis is None:
        return reshape(roll(reshape(x, shape=(-1,)), shift, axis=0), shape=_shape(x))
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    out = x
    for s, a in zip(shifts.ravel(), axes.ravel()):
        (a,) = normalize_axis(int(a), len(_shape(x)), "roll")
        n = _shape(x)[a]
        s = integer(s.item(), "roll", "shift")
        out = _take(out, (np.arange(n) - s) % max(n, 1), a)
    return out


@composite(method=True)
@takes_axis
def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (numpy.repeat; axis=None: flattened).
    PyTorch's ``x.repeat(2, 3)`` tiles instead: that is ``an.tile(x, (2, 3))``."""
    if axis is None:
        x, axis = reshape(x, shape=(-1,)), 0
    (axis,) = normalize_axis(axis, len(_shape(x)), "repeat")
    for r in np.ravel(np.asarray(repeats, dtype=object)):
        integer(r, "repeat", "repeats", minimum=0)
    n = _shape(x)[axis] if _shape(x) else 1
    return _take(x, np.repeat(np.arange(n), repeats), axis)


@composite(method=True)
def tile(x: Any, reps: Any) -> Tensor:
    """Repeat the whole tensor ``reps`` times along each axis (numpy.tile, PyTorch's repeat)."""
    reps = tuple(integer(r, "tile", "reps", minimum=0) for r in
                 ((reps,) if np.ndim(reps) == 0 else reps))
    shape = _shape(x)
    ndim = max(len(shape), len(reps))
    shape = (1,) * (ndim - len(shape)) + shape
    reps = (1,) * (ndim - len(reps)) + reps
    out = reshape(x, shape=shape)

    def repeated() -> Tensor:
        result = out
        for axis, (n, r) in enumerate(zip(shape, reps)):
            if r != 1:
                result = _take(result, np.tile(np.arange(n), r), axis)
        return result

    # a result too big for memory names tile and its shape, not the getitem it is made of
    return allocate("tile", tuple(n * r for n, r in zip(shape, reps)),
                    np.asarray(as_array(x)).dtype, repeated, written=True)


def _triangle(name: str, x: Any, keep: np.ndarray) -> Tensor:
    if len(_shape(x)) < 2:
        raise ValueError(f"{name}: needs at least 2 dimensions (the last two form the matrix), "
                         f"got shape {_shape(x)}")
    return where(keep, x, 0)


@composite(method=True)
def tril(x: Any, k: int = 0) -> Tensor:
    """The lower triangle of the last two axes (on and below diagonal ``k``), zeros above."""
    k = integer(k, "tril", "k")
    n, m = _shape(x)[-2:] if len(_shape(x)) >= 2 else (0, 0)
    return _triangle("tril", x, np.tri(n, m, k, dtype=bool))


@composite(method=True)
def triu(x: Any, k: int = 0) -> Tensor:
    """The upper triangle of the last two axes (on and above diagonal ``k``), zeros below."""
    k = integer(k, "triu", "k")
    n, m = _shape(x)[-2:] if len(_shape(x)) >= 2 else (0, 0)
    return _triangle("triu", x, ~np.tri(n, m, k - 1, dtype=bool))


def _diagonal_positions(n: int, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    length = max(min(n, m - k) if k >= 0 else min(n + k, m), 0)
    steps = np.arange(length)
    return steps + max(-k, 0), steps + max(k, 0)


@composite(method=True)
def diag(x: Any, k: int = 0) -> Tensor:
    """numpy.diag: the k-th diagonal of a matrix (a vector), or the square matrix with vector x on
    its k-th diagonal."""
    k = integer(k, "diag", "k")
    shape = _shape(x)
    if len(shape) == 2:
        return getitem(x, index=_diagonal_positions(*shape, k))
    if len(shape) == 1:
        size = shape[0] + abs(k)
        return scatter_add(x, index=_diagonal_positions(size, size, k), shape=(size, size))
    raise ValueError(f"diag: needs a 1-D or 2-D tensor, got shape {shape}; for a batch of "
                     "matrices use an.einsum('...ii->...i', x)")


@composite(method=True)
def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum of the diagonal ``offset`` over ``axis1`` and ``axis2`` (numpy.trace)."""
    offset = integer(offset, "trace", "offset")
    axis1, axis2 = integer(axis1, "trace", "axis1"), integer(axis2, "trace", "axis2")
    ndim = len(_shape(x))
    if ndim < 2:
        raise ValueError(f"trace: needs at least 2 dimensions, got shape {_shape(x)}")
    a1, a2 = (normalize_axis(a, ndim, "trace")[0] for a in (axis1, axis2))
    rest = [d for d in range(ndim) if d not in (a1, a2)]
    moved = transpose(x, axes=(a1, a2, *rest))
    rows, cols = _diagonal_positions(_shape(x)[a1], _shape(x)[a2], offset)
    return sum(getitem(moved, index=(rows, cols)), axis=0)


# numpy's name for each padding mode, with PyTorch's spellings as aliases
_PAD_MODES = {"edge": "edge", "replicate": "edge", "reflect": "reflect",
              "symmetric": "symmetric", "wrap": "wrap", "circular": "wrap"}


@composite(method=True)
def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: float = 0) -> Tensor:
    """numpy.pad: ``pad_width`` as in numpy ((before, after) per axis, or one pair, or one
    number); ``mode`` 'constant' (with ``constant_values``), 'edge' (PyTorch's 'replicate'),
    'reflect', 'symmetric', or 'wrap' (PyTorch's 'circular')."""
    if mode == "constant":
        return pad_(x, pad_width=pad_width, constant_values=constant_values)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unknown mode {mode!r}; use 'constant', "
                         + ", ".join(repr(m) for m in _PAD_MODES))
    shape = _shape(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (len(shape), 2))
    out = x
    for axis, (n, (before, after)) in enumerate(zip(shape, widths)):
        if before or after:
            if n == 0:
                raise ValueError(f"pad: cannot pad an empty axis {axis} (shape {shape}) in mode "
                                 f"{mode!r}")
            # the padded positions of arange(n) say which value each output position copies
            source = np.pad(np.arange(n), (int(before), int(after)), mode=_PAD_MODES[mode])
            out = _take(out, source, axis)
    return out


@composite
def vstack(tensors: Sequence[Any]) -> Tensor:
    """Stack as rows (numpy.vstack): 1-D tensors of length n become rows (1, n)."""
    return concatenate([_at_least(t, 2) for t in tensors], axis=0)


@composite
def hstack(tensors: Sequence[Any]) -> Tensor:
    """Stack as columns (numpy.hstack): along axis 0 for 1-D tensors, axis 1 otherwise."""
    parts = [_at_least(t, 1) for t in tensors]
    return concatenate(parts, axis=0 if parts and parts[0].ndim == 1 else 1)


def _at_least(t: Any, ndim: int) -> Tensor:
    shape = _shape(t)
    if len(shape) >= ndim:
        return t if isinstance(t, Tensor) else Tensor(t)
    return reshape(t, shape=(1,) * (ndim - len(shape)) + shape)


@composite
@takes_axis
def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """numpy.array_split: like split, but a number of parts need not divide the axis (the first
    ``n % parts`` pieces are one longer)."""
    if not isinstance(indices_or_sections, int | np.integer):
        return split(x, cut_points("array_split", indices_or_sections), axis=axis)
    parts = int(indices_or_sections)
    if parts <= 0:
        raise ValueError(f"array_split: the number of parts must be positive, got {parts}")
    n = _shape(x)[normalize_axis(axis, len(_shape(x)), "array_split")[0]]
    sizes = [n // parts + (1 if i < n % parts else 0) for i in range(parts)]
    return split(x, list(np.cumsum(sizes)[:-1]), axis=axis)
