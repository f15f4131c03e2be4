"""Python lists (and tuples) passed where an op takes a tensor: ``an.mean([x, x + 2])``.

numpy reads such a list as one array, so autonet does too, but keeping the gradient: a list that
holds Tensors is stacked into one with ``an.stack`` (recorded like any op), and a list of plain
numbers becomes a tensor as ``an.tensor`` makes it (float32 by default). ``Primitive.__call__``
calls this only on its slow path, when an argument in a tensor position is a list or a tuple.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autonet.tensor import Tensor


def tensor_inputs(primitive: Any, args: Sequence[Any]) -> tuple:
    """``args`` with every list or tuple in a position the op differentiates made a Tensor."""
    return tuple(as_tensor(a, primitive.name)
                 if type(a) in (list, tuple) and primitive.rule(i) is not None else a
                 for i, a in enumerate(args))


def as_tensor(sequence: Sequence[Any], op_name: str) -> Tensor:
    """One Tensor for a (nested) list: stacked, with the gradient, when it holds Tensors."""
    if not _holds_tensor(sequence):
        return Tensor(sequence)
    from autonet.ops.shape import stack

    parts = [as_tensor(p, op_name) if type(p) in (list, tuple) else
             p if isinstance(p, Tensor) else Tensor(p) for p in sequence]
    shapes = [p.shape for p in parts]
    if len(set(shapes)) > 1:
        raise ValueError(f"{op_name}: a list of tensors is read as one tensor (stacked, as numpy "
                         f"does), but their shapes differ: {shapes}; combine them yourself "
                         "(an.concatenate, an.stack after reshaping) or call the op on each")
    if not parts:
        return Tensor(sequence)
    return stack(parts)


def _holds_tensor(sequence: Sequence[Any]) -> bool:
    return any(isinstance(p, Tensor) or (type(p) in (list, tuple) and _holds_tensor(p))
               for p in sequence)
