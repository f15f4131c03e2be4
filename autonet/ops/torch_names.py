"""PyTorch's function names for ops autonet spells numpy's way: ``an.clamp`` (clip), ``an.mm``
(matmul of two 2-D tensors), ``an.permute`` (transpose with axes) and ``an.clone`` (a copy on the
graph). Each is the op it names, so its gradient is that op's; the Tensor methods of the same
names call these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.ops.elementwise import astype, clip
from autonet.ops.linalg import matmul
from autonet.ops.primitive import as_array
from autonet.ops.registry import composite
from autonet.ops.shape import transpose
from autonet.tensor import Tensor


@composite
def clamp(x: Any, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """PyTorch's name for ``clip(x, a_min=min, a_max=max)``: gradient 1 inside, 0 outside."""
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
