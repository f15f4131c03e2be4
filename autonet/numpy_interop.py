"""numpy functions called on Tensors: ``np.exp(t)``, ``np.sum(t, axis=0)``, ``ndarray + t``.

numpy hands such calls to ``Tensor.__array_ufunc__`` / ``Tensor.__array_function__``, which land
here. When autonet has an op of that name (under numpy's name or its alias here) it runs, so the
result is a Tensor with its gradient, exactly as ``an.<op>`` gives. Otherwise:

* if no input requires grad, numpy runs on the arrays (what ``np.f(t)`` always did for a
  function; a ufunc's result is wrapped in a Tensor);
* if one does, a float result would silently lose the gradient, so it is an error naming what to
  use instead; results that carry no gradient anyway (``np.allclose``, ``np.shape``, integer and
  boolean arrays) are returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autonet.tensor import Tensor

# numpy's name -> autonet's, where they differ
ALIASES = {
    "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div", "power": "pow",
    "negative": "neg", "absolute": "abs", "amax": "max", "amin": "min", "concat": "concatenate",
}
# these keywords mean "numpy semantics we do not offer" (writing into an array, masks, casting)
_UFUNC_ONLY_NUMPY = ("out", "where", "casting", "order", "subok", "signature")


def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_ufunc__``: ``np.exp(t)``, ``np.add(a, t)``, ``ndarray - t``."""
    op = _autonet_op(ufunc.__name__)
    numpy_only = [k for k in kwargs if k in _UFUNC_ONLY_NUMPY]
    if method == "__call__" and op is not None and not numpy_only:
        if kwargs.get("dtype") is not None:
            return op(*inputs, **{k: v for k, v in kwargs.items() if k != "dtype"}).astype(
                kwargs["dtype"])
        return op(*inputs, **{k: v for k, v in kwargs.items() if k != "dtype"})
    described = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    result = _numpy_fallback(getattr(ufunc, method), inputs, kwargs, described, op)
    if isinstance(result, np.ndarray) and "out" not in kwargs:
        return Tensor._wrap(result)
    return result


def array_function(func: Any, args: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_function__``: ``np.sum(t)``, ``np.concatenate([t, u])``."""
    top_level = getattr(func, "__module__", "").split(".")[:2] in (["numpy"], ["numpy", "_core"],
                                                                 ["numpy", "core"])
    op = _autonet_op(func.__name__) if top_level else None
    if op is not None and "out" not in kwargs:
        return op(*args, **kwargs)
    return _numpy_fallback(func, args, kwargs, f"np.{func.__name__}", op)


def _autonet_op(numpy_name: str) -> Any:
    from autonet.ops import registry

    return registry.lookup(ALIASES.get(numpy_name, numpy_name))


def _numpy_fallback(func: Any, args: tuple, kwargs: dict, described: str, op: Any) -> Any:
    result = func(*_unwrap(args), **_unwrap(kwargs))
    if _needs_grad(args) or _needs_grad(kwargs):
        floats = [r for r in (result if isinstance(result, tuple | list) else [result])
                  if isinstance(r, np.ndarray | np.floating) and r.dtype.kind in "fc"]
        if floats:
            name = described.removeprefix("np.").split(".")[0]
            fix = (f"an.{ALIASES.get(name, name)}(...) without numpy's out=/where= keywords"
                   if op is not None else "an autonet op (e.g. an.exp(t) or t.exp() for "
                   "np.exp(t)) or build it from autonet ops")
            raise TypeError(f"{described}: autonet has no gradient for this call on a tensor "
                            f"that requires grad, so the result would silently lose it. Use "
                            f"{fix}; or call it on t.detach().numpy() if you want no gradient")
    return result


def _needs_grad(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x.requires_grad
    if isinstance(x, Mapping):
        return any(_needs_grad(v) for v in x.values())
    if isinstance(x, Sequence) and not isinstance(x, str | bytes):
        return any(_needs_grad(v) for v in x)
    return False


def _unwrap(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_unwrap(v) for v in x)
    return x
