"""Layers with parameters or shape logic: Linear, Identity, Flatten, Dropout."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autonet import ops
from autonet.nn import functional as F
from autonet.nn import init
from autonet.nn.module import Module, Parameter
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
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty((out_features,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
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
    """Merge axes ``start_axis..end_axis`` into one: (N, 28, 28) -> (N, 784) by default."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        for name, value in (("start_axis", start_axis), ("end_axis", end_axis)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"Flatten: {name} must be an integer, got {value!r}")
        self.start_axis = start_axis
        self.end_axis = end_axis

    def forward(self, x: Any) -> Tensor:
        shape = np.shape(as_array(x))
        ndim = len(shape)
        start, end = self.start_axis % max(ndim, 1), self.end_axis % max(ndim, 1)
        if ndim == 0 or start > end or not (-ndim <= self.start_axis < ndim
                                            and -ndim <= self.end_axis < ndim):
            raise ValueError(f"Flatten: cannot flatten axes {self.start_axis}..{self.end_axis} of "
                             f"an input of shape {shape}")
        merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
        return ops.reshape(x, shape=(*shape[:start], merged, *shape[end + 1:]))

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


class Dropout(Module):
    """During training zero each element with probability p and scale the survivors by
    1 / (1 - p) (inverted dropout); in eval mode it is the identity."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = float(p)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
