"""Running sums and products along an axis, and sorting: forward and gradient rules side by side.

* ``cumsum``: linear, so its gradient is the reversed cumulative sum of ``g``.
* ``cumprod``: d y_i / d x_j = prod_row{k <= i, k != j} x_k for i >= j, exact at zeros (see below).
* ``sort``/``topk``: values are gathered from the input (gradient back to where each value came
  from, a permutation), indices carry no gradient; ties are broken stably.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from autonet.arguments import integer
from autonet.ops.axes import check_axis, scalar_axis, takes_axis
from autonet.ops.indexing import take_along_axis
from autonet.ops.nondiff import sort_order
from autonet.ops.primitive import Primitive, as_array
from autonet.ops.registry import composite
from autonet.ops.shape import flatten, reshape
from autonet.tensor import Tensor


def _reversed_cumsum(xp, g, axis):
    return xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis)


def _cumsum_grad(xp, g, y, x, axis=None):
    if axis is None:  # numpy cumsums the flattened array
        return xp.reshape(_reversed_cumsum(xp, g, 0), x.shape)
    return _reversed_cumsum(xp, g, axis)


def _cumprod_grad(xp, g, y, x, axis=None):
    if axis is None:
        flat = xp.reshape(x, (-1,))
        return xp.reshape(_cumprod_grad(xp, g, y, flat, axis=0), x.shape)
    order = (*(d for d in range(x.ndim) if d != axis % x.ndim), axis % x.ndim)
    back = tuple(int(i) for i in np.argsort(order))
    moved = [xp.transpose(a, order) for a in (x, g, y)]
    grad = (_cumprod_grad_by_products if xp.records_graph else _cumprod_grad_at_zeros)(xp, *moved)
    return xp.transpose(grad, back)


def _cumprod_grad_at_zeros(xp, x, g, y):
    # Along the last axis, with z the first zero of a slice (n if none):
    #   j < z:  sum_row{i >= j} g_i y_i / x_j      (the y_i past z are 0, as the true terms are)
    #   j = z:  sum_row{i >= z} g_i y'_i, y' the cumprod with x_z replaced by 1
    #   j > z:  0                               (every product includes x_z = 0)
    n = x.shape[-1]
    zero = x == 0
    j = np.arange(n)
    first = np.where(zero.any(axis=-1, keepdims=True), zero.argmax(axis=-1)[..., None], n)
    before = _reversed_cumsum(xp, g * y, -1) / np.where(zero, 1, x)
    at_first = _reversed_cumsum(xp, g * np.cumprod(np.where(j == first, 1, x), axis=-1), -1)
    return np.where(j < first, before, np.where(j == first, at_first, 0))


def _cumprod_grad_by_products(xp, x, g, y):
    # For higher orders, the products of the others formed one by one (n^2 work per slice):
    # row j of c is the cumprod with x_j replaced by 1, so c[j, i] = prod_row{k <= i, k != j} x_k.
    n = x.shape[-1]
    c = xp.cumprod(xp.where(np.eye(n, dtype=bool), 1, xp.expand_dims(x, -2)), axis=-1)
    upper = np.triu(np.ones((n, n), dtype=bool))  # i >= j
    return xp.sum(xp.where(upper, c * xp.expand_dims(g, -2), 0), axis=-1)


cumsum_row = Primitive("cumsum", np.cumsum, (_cumsum_grad,), kind="reduction", export=False,
                       doc="Running sum along axis (public: an.cumsum).")
cumprod_row = Primitive("cumprod", np.cumprod, (_cumprod_grad,), saves_output=True,
                        kind="reduction", export=False,
                        doc="Running product along axis (public: an.cumprod).")


def _scan(primitive: Primitive, doc: str):
    def scan(x: Any, axis: int | None = None) -> Tensor:
        if axis is not None and np.ndim(as_array(x)) == 0:
            return reshape(primitive(x, axis=scalar_axis(primitive.name, axis)), ())
        return primitive(x, axis=axis)

    scan.__name__ = scan.__qualname__ = primitive.name
    scan.__doc__ = doc
    return composite(takes_axis(scan, name=primitive.name), name=primitive.name, method=True)


cumsum = _scan(cumsum_row, "Running sum along ``axis`` (numpy.cumsum: flattened for axis=None); "
                        "same shape as x.")
cumprod = _scan(cumprod_row, "Running product along ``axis`` (numpy.cumprod); exact gradients at "
                          "zeros.")


@composite(method=True)
@takes_axis
def sort(x: Any, axis: int | None = -1, descending: bool = False) -> Tensor:
    """Sorted values along ``axis`` (numpy.sort; flattened for axis=None); the gradient goes back
    to each value's position. Indices: ``an.argsort``; both at once: ``an.topk``."""
    if axis is None:
        x, axis = flatten(x), -1
    data = np.asarray(as_array(x))
    if data.ndim == 0:
        return reshape(x, ())
    return take_along_axis(x, sort_order("sort", data, axis, descending), axis=axis)


class TopK(NamedTuple):
    """The ``k`` largest (smallest) values along an axis and their indices."""

    values: Tensor
    indices: Tensor


@composite(method=True)
@takes_axis
def topk(x: Any, k: int, axis: int = -1, largest: bool = True, sorted: bool = True) -> TopK:
    """The ``k`` largest (``largest=False``: smallest) values along ``axis`` and their indices
    (PyTorch's topk), values in order; shapes are x's with ``axis`` of length k."""
    k = integer(k, "topk", "k")
    data = np.asarray(as_array(x))
    if data.ndim == 0:
        data, x = data.reshape(1), reshape(x, (1,))
    check_axis("topk", axis, data.ndim, data.shape)
    n = data.shape[axis]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} is out of range for axis {axis} of length {n} "
                         f"(input shape {data.shape}); use 0 <= k <= {n}")
    indices = np.take(sort_order("topk", data, axis, largest), np.arange(k), axis=axis)
    return TopK(take_along_axis(x, indices, axis=axis), Tensor._wrap(indices))
