"""Functions with no gradient (comparisons, sign, rounding, argmax, bitwise logic): they return
plain tensors, never a graph.

floor, ceil, round, trunc and sign are piecewise constant: their derivative is 0 wherever it
exists. autonet makes their outputs non-differentiable (requires_grad=False) rather than
recording nodes whose gradient is always 0 (PyTorch's choice): ``x.round() + x`` still has
gradient 1, and an.jvp through them gives zeros; calling ``.backward()`` on a result that
depends on x only through them raises, saying that it does not require grad."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autonet.ops.axes import from_axis_error, takes_axis
from autonet.ops.primitive import _describe, _hooks, as_array, rewrapped, unordered
from autonet.ops.registry import composite, register
from autonet.tensor import Tensor


class _Call:
    """What an.compile records of a call to one of these functions: its name and its numpy
    function (the hook of ops.primitive sees them as it sees primitives, so that a comparison
    inside a compiled step is recomputed by every replay)."""

    __slots__ = ("name", "forward")

    def __init__(self, name: str, forward: Callable[..., Any]) -> None:
        self.name, self.forward = name, forward


def refuse_complex(name: str, *args: Any) -> None:
    """Raise for complex values given to a function that orders them (a comparison, argmax,
    sort): numpy would compare them real part first, which no formula means."""
    for a in args:
        value = as_array(a)
        if type(value) in (int, float, bool):  # the usual x > 0: nothing to resolve
            continue
        dtype = getattr(value, "dtype", None)
        if (dtype.kind if dtype is not None else np.result_type(value).kind) == "c":
            raise TypeError(unordered(name, _describe(args, {})))


def _plain(numpy_fn: Callable[..., Any], name: str, public: bool = True,
           ordered: bool = False) -> Callable[..., Tensor]:
    call = _Call(name, numpy_fn)

    def fn(*args: Any, **kwargs: Any) -> Tensor:
        if ordered:
            refuse_complex(name, *args)
        try:
            out = numpy_fn(*(as_array(a) for a in args), **kwargs)
        except np.exceptions.AxisError as error:
            raise from_axis_error(name, error, args) from None
        except (ValueError, TypeError) as error:
            raise rewrapped(error, f"{name}: {error}") from error
        result = Tensor._wrap(np.asarray(out))
        if _hooks.on_call is not None:
            _hooks.on_call(call, args, kwargs, result)
        return result

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"numpy.{numpy_fn.__name__} on tensors; no gradient flows through it."
    if public:
        register(name, fn, numpy=numpy_fn, method=name in _METHODS)
    return fn


_METHODS = {"floor", "ceil", "round", "trunc", "sign", "isnan", "isinf", "isfinite"}


equal = _plain(np.equal, "equal")
not_equal = _plain(np.not_equal, "not_equal")
less = _plain(np.less, "less", ordered=True)
less_equal = _plain(np.less_equal, "less_equal", ordered=True)
greater = _plain(np.greater, "greater", ordered=True)
greater_equal = _plain(np.greater_equal, "greater_equal", ordered=True)
logical_not = _plain(np.logical_not, "logical_not")
logical_and = _plain(np.logical_and, "logical_and")
logical_or = _plain(np.logical_or, "logical_or")
sign = _plain(np.sign, "sign")
floor = _plain(np.floor, "floor")
ceil = _plain(np.ceil, "ceil")
trunc = _plain(np.trunc, "trunc")
round = _plain(np.round, "round")  # half to even, as numpy and PyTorch round
isnan = _plain(np.isnan, "isnan")
isinf = _plain(np.isinf, "isinf")
isfinite = _plain(np.isfinite, "isfinite")


def _along_axes(numpy_fn: Callable[..., Any], name: str, ordered: bool = False
                ) -> Callable[..., Tensor]:
    """A no-gradient reduction taking numpy's axis=/keepdims= (PyTorch's dim=/keepdim=), as a
    function an.<name> and a method t.<name>()."""
    return composite(takes_axis(_plain(numpy_fn, name, public=False, ordered=ordered),
                                keywords=("axis", "keepdims")), name=name, method=True)


argmax = _along_axes(np.argmax, "argmax", ordered=True)
argmin = _along_axes(np.argmin, "argmin", ordered=True)
# any/all: the module names end in _ so that Python's any() and all() stay usable here
any_ = _along_axes(np.any, "any")
all_ = _along_axes(np.all, "all")


def sort_order(name: str, data: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """The indices that sort ``data`` along ``axis``, stably (ties keep their order), for the op
    ``name`` (complex values, which have no order, are refused)."""
    refuse_complex(name, data)
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    if data.dtype.kind == "f" and np.isnan(data).any():
        # NaN above every number, as ascending puts it last and argmax picks it (PyTorch's
        # order): NaNs first, then -data, stably
        return np.moveaxis(np.lexsort((np.moveaxis(-data, axis, -1),
                                       np.moveaxis(~np.isnan(data), axis, -1))), -1, axis)
    if data.dtype.kind in "fi":  # stable among ties, like ascending
        return np.argsort(-data, axis=axis, kind="stable")
    return np.flip(np.argsort(data, axis=axis, kind="stable"), axis=axis)


@composite(method=True)
@takes_axis
def argsort(x: Any, axis: int | None = -1, descending: bool = False) -> Tensor:
    """The indices that sort x along ``axis`` (None: flattened), stably: tied values keep their
    order (numpy's kind='stable'); ``descending=True`` as PyTorch. No gradient."""
    data = np.asarray(as_array(x))
    if axis is None:
        data, axis = data.ravel(), -1
    if data.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.intp))
    return Tensor._wrap(sort_order("argsort", data, axis, descending))


def _bitwise(numpy_fn: Callable[..., Any], name: str, symbol: str) -> Callable[..., Tensor]:
    """Bitwise on integer tensors, logical on bool ones (numpy's and PyTorch's ``&``, ``|``, ``^``,
    ``~``); float operands raise, pointing at a comparison."""
    plain = _plain(numpy_fn, name, public=False)

    def fn(*args: Any) -> Tensor:
        for a in args:
            kind = np.asarray(as_array(a)).dtype.kind
            if kind not in "biu":
                raise TypeError(f"{name} ({symbol}): needs integer or bool tensors, got "
                                f"{np.asarray(as_array(a)).dtype}; compare first, e.g. "
                                f"(x > 0) {symbol} (y > 0), or use an.logical_{name[8:]}")
        return plain(*args)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = plain.__doc__
    register(name, fn, numpy=numpy_fn)
    return fn


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and", "&")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or", "|")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor", "^")
bitwise_not = _bitwise(np.invert, "bitwise_not", "~")
logical_xor = _plain(np.logical_xor, "logical_xor")
