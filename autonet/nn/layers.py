"""Layers with parameters or shape logic: Linear, Identity, Flatten, Unflatten, Dropout."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autonet import ops
from autonet.arguments import number
from autonet.nn import functional as F
from autonet.nn import init
from autonet.nn.module import Module, add_weight_and_bias
from autonet.tensor import Tensor, as_array, get_default_dtype


class Linear(Module):
    """Z = X @ W.T + b: the course's Z[l] = W[l] A[l-1] + b[l], batch-first.

    Args:
        in_features: n[l-1], the size of each input example.
        out_features: n[l], the number of units.
        bias: learn b[l] (default True).
        dtype: parameter dtype (default float32).

    Attributes:
        weight: W[l] of shape (out_features, in_features) = (n[l], n[l-1]).
        bias: b[l] of shape (out_features,), or None.

    Shapes: input (..., in_features) -> output (..., out_features).

    Initialization is PyTorch's default: W ~ U(-1/sqrt(n[l-1]), 1/sqrt(n[l-1])) (kaiming_uniform_
    with a = sqrt(5)), and b from the same range. For deep ReLU nets re-initialize with
    ``init.kaiming_normal_(layer.weight, nonlinearity='relu')``; for tanh with
    ``init.xavier_uniform_(layer.weight, gain=init.calculate_gain('tanh'))``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"Linear: {name} must be a positive integer, got {value!r} "
                                f"({type(value).__name__})")
            if value <= 0:
                raise ValueError(f"Linear: {name} must be a positive integer, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear: dtype must be a float dtype (float32, float64) for "
                            f"parameters that learn, got {dtype}")
        add_weight_and_bias(self, (out_features, in_features), out_features, bias, dtype, "Linear")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw W and b again from the default distributions."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. for an optional layer)."""

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` into one (PyTorch's defaults 1 and -1): (N, 8, 2, 2) ->
    (N, 32), keeping the batch axis. ``start_axis``/``end_axis`` are numpy-style aliases."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1, *, start_axis: int | None = None,
                 end_axis: int | None = None) -> None:
        super().__init__()
        self.start_dim = start_dim if start_axis is None else start_axis
        self.end_dim = end_dim if end_axis is None else end_axis
        for name, value in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"Flatten: {name} must be an integer, got {value!r}")

    @property
    def start_axis(self) -> int:
        return self.start_dim

    @property
    def end_axis(self) -> int:
        return self.end_dim

    def forward(self, x: Any) -> Tensor:
        shape = np.shape(as_array(x))
        ndim = len(shape)
        start, end = self.start_dim % max(ndim, 1), self.end_dim % max(ndim, 1)
        if ndim == 0 or start > end or not (-ndim <= self.start_dim < ndim
                                            and -ndim <= self.end_dim < ndim):
            raise ValueError(f"Flatten: cannot flatten dims {self.start_dim}..{self.end_dim} of "
                             f"an input of shape {shape}")
        merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return ops.reshape(x, shape=(*shape[:start], merged, *shape[end + 1:]))

    course_symbol = "flatten"  # graph drawings name its output flatten(A[l])

    def course_label(self) -> str:
        """'flatten dims 1..-1 into one' (each example's values in one row)."""
        return f"flatten dims {self.start_dim}..{self.end_dim} into one"

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``: Unflatten(1, (1, 8, 8)) turns (N, 64) into
    (N, 1, 8, 8) (the inverse of Flatten)."""

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim = int(dim)
        self.unflattened_size = tuple(int(s) for s in unflattened_size)

    def forward(self, x: Any) -> Tensor:
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        ndim = len(shape)
        if not -ndim <= self.dim < ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for an input of shape "
                             f"{shape}")
        dim = self.dim % ndim
        sizes = self.unflattened_size
        known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
        if (-1 not in sizes and known != shape[dim]) or (-1 in sizes and shape[dim] % known):
            raise ValueError(f"Unflatten: dim {self.dim} of the input {shape} has size "
                             f"{shape[dim]}, which does not split into {sizes} (product "
                             f"{known}); choose sizes whose product is {shape[dim]}")
        return ops.reshape(x, shape=(*shape[:dim], *sizes, *shape[dim + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """During training zero each element with probability p and scale the survivors by
    1 / (1 - p) (inverted dropout); in eval mode it is the identity."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        p = number(p, "Dropout", "p", low=0.0, high=1.0)
        self.p = p

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
