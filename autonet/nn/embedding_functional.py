"""Lookup tables, PyTorch's functional forms: embedding (rows of a weight by index), one_hot."""

from __future__ import annotations

from typing import Any

import numpy as np

from autonet import ops
from autonet.arguments import integer
from autonet.ops.primitive import as_array
from autonet.tensor import Tensor


def integer_indices(name: str, input: Any, size: int, what: str) -> np.ndarray:
    """``input`` as an integer array with every value in [0, size); a clear error otherwise."""
    indices = np.asarray(as_array(input))
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got dtype {indices.dtype}; convert "
                        "with x.astype('int64')")
    bad = indices[(indices < 0) | (indices >= size)]
    if bad.size:
        raise IndexError(f"{name}: index {int(bad.flat[0])} is out of range for {what} {size}; "
                         f"indices must be in [0, {size - 1}]")
    return indices


def embedding(input: Any, weight: Any, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input`` of any
    shape: output (*input.shape, embedding_dim). The row ``padding_idx`` gets no gradient (its
    value is still looked up, as in PyTorch)."""
    shape = np.shape(as_array(weight))
    if len(shape) != 2:
        raise ValueError(f"embedding: weight must have shape (num_embeddings, embedding_dim), "
                         f"got {shape}")
    if padding_idx is not None:
        integer(padding_idx, "embedding", "padding_idx", -shape[0], shape[0] - 1)
    indices = integer_indices("embedding", input, shape[0], "num_embeddings")
    rows = ops.index(weight, indices)
    if padding_idx is None or not rows.requires_grad:
        return rows
    padding_idx = padding_idx + shape[0] if padding_idx < 0 else padding_idx
    keep = (indices != padding_idx)[..., None]
    if keep.all():
        return rows
    # the padding rows' values as a constant: same forward, no gradient flows to that row
    return ops.where(keep, rows, rows.data)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices of any shape -> int64 (*shape, num_classes) with a 1 at each index;
    ``num_classes=-1`` takes max index + 1."""
    indices = np.asarray(as_array(tensor))
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {indices.dtype}")
    integer(num_classes, "one_hot", "num_classes", minimum=-1)
    if num_classes == -1:
        num_classes = int(indices.max()) + 1 if indices.size else 0
    indices = integer_indices("one_hot", indices, num_classes, "num_classes")
    return Tensor(np.arange(num_classes) == indices[..., None], dtype=np.int64)
