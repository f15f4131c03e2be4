"""Functions with no gradient (comparisons, sign, argmax): they return plain tensors, never a
graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autonet.ops.primitive import as_array
from autonet.ops.registry import register
from autonet.tensor import Tensor


def _plain(numpy_fn: Callable[..., Any], name: str) -> Callable[..., Tensor]:
    def fn(*args: Any, **kwargs: Any) -> Tensor:
        try:
            out = numpy_fn(*(as_array(a) for a in args), **kwargs)
        except (ValueError, TypeError) as error:
            raise type(error)(f"{name}: {error}") from error
        return Tensor._wrap(np.asarray(out))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"numpy.{numpy_fn.__name__} on tensors; no gradient flows through it."
    register(name, fn, numpy=numpy_fn, method=name in _METHODS)
    return fn


_METHODS = {"argmax", "argmin"}


equal = _plain(np.equal, "equal")
not_equal = _plain(np.not_equal, "not_equal")
less = _plain(np.less, "less")
less_equal = _plain(np.less_equal, "less_equal")
greater = _plain(np.greater, "greater")
greater_equal = _plain(np.greater_equal, "greater_equal")
logical_not = _plain(np.logical_not, "logical_not")
logical_and = _plain(np.logical_and, "logical_and")
logical_or = _plain(np.logical_or, "logical_or")
sign = _plain(np.sign, "sign")
floor = _plain(np.floor, "floor")
isnan = _plain(np.isnan, "isnan")
isfinite = _plain(np.isfinite, "isfinite")
argmax = _plain(np.argmax, "argmax")
argmin = _plain(np.argmin, "argmin")
