"""PyTorch's function names for ops autonet spells numpy's way: ``an.clamp`` (clip), ``an.mm``
(matmul of two 2-D tensors), ``an.permute`` (transpose with axes), ``an.clone`` (a copy on the
graph), ``an.expand`` (broadcast_to, -1 keeping a size) and ``an.outer`` (numpy's name too). Each
is the op it names (or a product of reshaped inputs), so its gradient is that op's; the Tensor
methods of the same names call these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.ops.elementwise import astype, clip, mul
from autonet.ops.linalg import matmul
from autonet.ops.primitive import as_array
from autonet.ops.registry import composite
from autonet.ops.shape import broadcast_to, reshape, transpose
from autonet.tensor import Tensor


@composite
def clamp(x: Any, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """PyTorch's name for ``clip(x, a_min=min, a_max=max)``: gradient 1 inside, 0 outside."""
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not isinstance(bound, Tensor) and \
                np.asarray(bound).dtype.kind not in "biuf":
            raise TypeError(f"clamp: {name} must be a number, an array or a Tensor (or None), "
                            f"got {bound!r} ({type(bound).__name__}); e.g. "
                            f"an.clamp(x, min=0.0, max=1.0)")
    return clip(x, min, max)


@composite
def mm(a: Any, b: Any) -> Tensor:
    """PyTorch's matrix product of two 2-D tensors (a (n, k) @ b (k, m) -> (n, m))."""
    if np.ndim(as_array(a)) != 2 or np.ndim(as_array(b)) != 2:
        raise ValueError(f"mm: needs two 2-D tensors, got shapes {np.shape(as_array(a))} and "
                         f"{np.shape(as_array(b))}; use matmul (@) for other shapes")
    return matmul(a, b)


@composite
def permute(x: Any, *dims: Any) -> Tensor:
    """PyTorch's name for ``transpose(x, axes)``: ``an.permute(t, (2, 0, 1))`` or
    ``an.permute(t, 2, 0, 1)``."""
    if len(dims) == 1 and isinstance(dims[0], Sequence | np.ndarray):
        dims = tuple(dims[0])
    return transpose(x, tuple(int(d) for d in dims) or None)


@composite
def clone(x: Any) -> Tensor:
    """A copy of the values that stays on the graph (gradients flow back to ``x``)."""
    return astype(x, dtype=as_array(x).dtype)


@composite
def expand(x: Any, *sizes: Any) -> Tensor:
    """PyTorch's ``t.expand(3, -1)``: ``broadcast_to`` with -1 keeping the size of that axis; new
    axes go in front. ``(1, 4)`` expanded to ``(3, -1)`` is ``(3, 4)``; the gradient sums back."""
    if len(sizes) == 1 and isinstance(sizes[0], Sequence | np.ndarray):
        sizes = tuple(sizes[0])
    shape = np.shape(as_array(x))
    new = len(sizes) - len(shape)  # axes added in front
    if new < 0:
        raise _cannot_expand(shape, sizes)
    target = []
    for i, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise TypeError(f"expand: sizes must be integers, got {size!r} at position {i}")
        old = shape[i - new] if i >= new else None
        if size == -1 and old is None:
            raise ValueError(f"expand: -1 at position {i} is a new axis of sizes {tuple(sizes)} "
                             f"for shape {shape}; give new axes their size")
        size = old if size == -1 else int(size)
        if size < 0 or (old is not None and old not in (1, size)):
            raise _cannot_expand(shape, sizes)
        target.append(size)
    return broadcast_to(x, tuple(target))


def _cannot_expand(shape: tuple, sizes: tuple) -> ValueError:
    return ValueError(f"expand: a tensor of shape {shape} cannot expand to {tuple(sizes)}: give "
                      "one size per axis (new axes in front), each equal to the axis's size, or "
                      "any size where the axis has size 1 (-1 keeps one)")


@composite
def outer(a: Any, b: Any) -> Tensor:
    """a (n,) and b (m,) -> (n, m) with entries a_i b_j, as np.outer and torch.outer (inputs of
    other shapes are flattened first, as numpy does)."""
    return mul(reshape(a, (-1, 1)), reshape(b, (1, -1)))
