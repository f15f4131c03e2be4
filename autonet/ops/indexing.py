"""Picking values by index along an axis: numpy's take_along_axis, PyTorch's gather, scatter and
masked_fill. All are composites of getitem, scatter_add and where, so their gradients are exact
(repeated indices accumulate) and work at any order."""

from __future__ import annotations

from typing import Any

import numpy as np

from autonet.ops.axes import axis_error, takes_axis
from autonet.ops.elementwise import where
from autonet.ops.primitive import as_array
from autonet.ops.registry import composite
from autonet.ops.shape import broadcast_to, getitem, reshape, scatter_add
from autonet.tensor import Tensor


def _integer_indices(name: str, index: Any, ndim: int) -> np.ndarray:
    index = np.asarray(as_array(index))
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got {index.dtype}; convert them with "
                        ".astype(int)")
    if index.ndim != ndim:
        raise ValueError(f"{name}: indices have {index.ndim} dimension(s) and the input {ndim}; "
                         "they need the same number (add size-1 axes with expand_dims)")
    return index


def _along(index: np.ndarray, axis: int, sizes: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """The integer-array index that reads ``index`` along ``axis`` and position ``p`` (of
    ``range(sizes[d])``, broadcast) along every other axis ``d``."""
    ndim = len(sizes)
    parts = []
    for d in range(ndim):
        if d == axis:
            parts.append(index)
        else:
            shape = [1] * ndim
            shape[d] = sizes[d]
            parts.append(np.arange(sizes[d]).reshape(shape))
    return tuple(parts)


def _axis(name: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise axis_error(name, axis, ndim)
    return axis % ndim


@composite(method=True)
@takes_axis
def take_along_axis(x: Any, indices: Any, axis: int | None) -> Tensor:
    """numpy.take_along_axis: ``out[..., j, ...] = x[..., indices[..., j, ...], ...]`` along
    ``axis``; indices broadcast against x in the other axes (axis=None: x flattened)."""
    if axis is None:
        x, axis = reshape(x, shape=(-1,)), 0
    shape = np.shape(as_array(x))
    axis = _axis("take_along_axis", axis, len(shape))
    index = _integer_indices("take_along_axis", indices, len(shape))
    return getitem(x, index=_along(index, axis, shape))


@composite(method=True)
@takes_axis
def gather(input: Any, axis: int, index: Any) -> Tensor:
    """PyTorch's gather(input, dim, index): ``out[i][j] = input[index[i][j]][j]`` for axis 0;
    out has index's shape, which may be smaller than input's in the other axes."""
    shape = np.shape(as_array(input))
    axis = _axis("gather", axis, len(shape))
    index = _integer_indices("gather", index, len(shape))
    too_big = [d for d in range(len(shape)) if d != axis and index.shape[d] > shape[d]]
    if too_big:
        raise ValueError(f"gather: index shape {index.shape} exceeds input shape {shape} in "
                         f"axis {too_big[0]} (only axis {axis} may be longer)")
    return getitem(input, index=_along(index, axis, index.shape))


@composite(method=True)
@takes_axis
def scatter(input: Any, axis: int, index: Any, src: Any) -> Tensor:
    """PyTorch's scatter(input, dim, index, src): a copy of input with ``out[index[i][j]][j] =
    src[i][j]`` for axis 0 (src a tensor at least index's shape, or a number). Where an index
    repeats, the last write wins and only that source value gets the gradient."""
    shape = np.shape(as_array(input))
    axis = _axis("scatter", axis, len(shape))
    index = _integer_indices("scatter", index, len(shape))
    where_to = _along(index, axis, index.shape)
    if np.ndim(as_array(src)) == 0:
        if not isinstance(src, Tensor):
            src = np.asarray(src, dtype=np.result_type(as_array(input), src))
        src = broadcast_to(src, index.shape)
    else:
        src = getitem(src, index=tuple(slice(0, n) for n in index.shape))
    ids = np.arange(index.size).reshape(index.shape)
    last = np.full(shape, -1)
    last[where_to] = ids
    winner = last[where_to] == ids  # the write that survives at each target position
    written = scatter_add(where(winner, src, 0), index=where_to, shape=shape)
    return where(last >= 0, written, input)


@composite(method=True)
def masked_fill(x: Any, mask: Any, value: Any) -> Tensor:
    """``value`` where the boolean ``mask`` (broadcast to x) is True, x elsewhere (PyTorch's
    masked_fill); no gradient flows to the filled positions."""
    mask = np.asarray(as_array(mask))
    if mask.dtype != bool:
        raise TypeError(f"masked_fill: the mask must be boolean, got {mask.dtype}; e.g. x > 0")
    out = where(mask, value, x)
    if out.shape != np.shape(as_array(x)):
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to the "
                         f"input's shape {np.shape(as_array(x))}")
    return out
