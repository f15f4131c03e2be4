"""Reductions with numpy's ``axis=`` and ``keepdims=``: forward and gradient rules side by side."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

import numpy as np

from autonet.arguments import number, numeric
from autonet.ops.axes import axis_error, scalar_axis, takes_axis
from autonet.ops.primitive import Primitive, as_array
from autonet.ops.registry import Kink, composite


def normalize_axis(axis: int | Iterable[int] | None, ndim: int,
                   op: str | None = None) -> tuple[int, ...]:
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative axes;
    an axis out of range raises the error ``axis_error`` makes, naming ``op`` (without ``op``:
    numpy's AxisError, which the Primitive or ``takes_axis`` around the caller turns into it)."""
    if axis is None or ndim == 0:  # a 0-d array has nothing to reduce over (axis 0 or -1)
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise axis_error(op, a, ndim) if op else np.exceptions.AxisError(int(a), ndim)
        out.append(int(a) % builtins.max(ndim, 1))
    return tuple(sorted(out))


def expand_reduced(xp, g, shape, axis, keepdims):
    """Give a reduced gradient ``g`` back its reduced axes as size 1, so it broadcasts over
    ``shape``."""
    if keepdims:
        return g
    kept = list(g.shape)
    for a in normalize_axis(axis, len(shape)):
        kept.insert(a, 1)
    return xp.reshape(g, tuple(kept))


def _count(shape, axis) -> int:
    n = 1  # Python ints: no numpy call (and no import) per gradient
    for a in normalize_axis(axis, len(shape)):
        n *= shape[a]
    return n


def _spread(xp, g, x, axis, keepdims):
    if axis is None and not keepdims:  # a full reduction: g is 0-d and broadcasts as it is
        return xp.broadcast_to(g, x.shape)
    return xp.broadcast_to(expand_reduced(xp, g, x.shape, axis, keepdims), x.shape)


def _extreme_grad(xp, g, y, x, axis=None, keepdims=False):
    # The gradient goes to the positions that attain the max (min); ties share it evenly.
    hit = x == expand_reduced(xp, y, x.shape, axis, keepdims)
    share = expand_reduced(xp, g, x.shape, axis, keepdims) / xp.sum(hit, axis=axis, keepdims=True)
    return share * hit


def _var(x, axis=None, keepdims=False, ddof=0):
    _check_ddof("var", x, axis, ddof)
    return np.var(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _std(x, axis=None, keepdims=False, ddof=0):
    _check_ddof("std", x, axis, ddof)
    return np.std(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _check_ddof(name, x, axis, ddof):
    n = _count(np.shape(x), axis)
    if n - ddof <= 0:
        raise ValueError(f"reducing {n} element(s) with ddof={ddof} divides by {n - ddof}; "
                         f"use a smaller ddof or reduce over more elements")


def _logsumexp(x, axis=None, keepdims=False):
    if np.asarray(x).dtype.kind not in "fc":
        raise TypeError(f"logsumexp: needs a floating tensor, got {np.asarray(x).dtype}; convert "
                        "it first, e.g. t.astype('float32') (integers would overflow)")
    # log(sum(exp(x))) = m + log(sum(exp(x - m))) with m the max, so exp never overflows.
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)  # initial: empty axes allowed
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _prod_grad(xp, g, y, x, axis=None, keepdims=False):
    # d prod / d x_i = prod of the others. Dividing y by x_i fails at zeros, so: with no zero in the
    # slice use y / x; with exactly one zero only that position gets the product of the others;
    # with two or more zeros every partial is 0. That piecewise formula has the wrong derivative
    # where two or more zeros meet, so under create_graph the products of the others are formed
    # one by one instead (n^2 work per slice of n, only for higher orders).
    if xp.records_graph:
        return expand_reduced(xp, g, x.shape, axis, keepdims) * _products_of_others(xp, x, axis)
    zero = x == 0
    nonzero_x = xp.where(zero, 1, x)
    others = expand_reduced(xp, y, x.shape, axis, keepdims) / nonzero_x
    n_zeros = xp.sum(zero, axis=axis, keepdims=True)
    prod_without_zero = xp.prod(nonzero_x, axis=axis, keepdims=True)
    at_zero = xp.where(n_zeros == 1, prod_without_zero, 0)
    return expand_reduced(xp, g, x.shape, axis, keepdims) * xp.where(zero, at_zero, others)


def _products_of_others(xp, x, axis):
    """For each element, the product of the other elements of its slice along ``axis``."""
    shape = x.shape
    reduced = normalize_axis(axis, len(shape))
    kept = [a for a in range(len(shape)) if a not in reduced]
    order = (*kept, *reduced)
    lead = tuple(shape[a] for a in kept)
    n = int(np.prod([shape[a] for a in reduced], dtype=np.int64))
    rows = xp.reshape(xp.transpose(x, order), (*lead, 1, n))
    # row i of where(eye, 1, rows) is the slice with x_i replaced by 1
    others = xp.prod(xp.where(np.eye(n, dtype=bool), 1, rows), axis=-1)
    others = xp.reshape(others, (*lead, *(shape[a] for a in reduced)))
    return xp.transpose(others, tuple(int(i) for i in np.argsort(order)))


def attaining(inputs, attrs, out):
    """Kink region of max/min: which elements attain the extreme (changes when a tie breaks)."""
    x = np.asarray(inputs[0])
    axis = attrs.get("axis", inputs[1] if len(inputs) > 1 else None)
    keepdims = attrs.get("keepdims", inputs[2] if len(inputs) > 2 else False)
    return x == expand_reduced(np, out, x.shape, axis, keepdims)


RD = "reduction"
_AXIS_DOC = " over axis (None: all; an int or a tuple), keeping reduced axes as 1 if keepdims."

sum_row = Primitive("sum", np.sum, (
    lambda xp, g, y, x, axis=None, keepdims=False: _spread(xp, g, x, axis, keepdims),
), kind=RD, export=False, doc="Sum" + _AXIS_DOC)
mean_row = Primitive("mean", np.mean, (
    lambda xp, g, y, x, axis=None, keepdims=False:
        # an empty axis: the gradient is empty too (no 1 / 0). g is scaled before it is spread:
        # the same products, one per element of g rather than of x
        _spread(xp, g * (1.0 / builtins.max(_count(x.shape, axis), 1)), x, axis, keepdims),
), kind=RD, export=False, doc="Mean" + _AXIS_DOC)
max_row = Primitive("max", np.max, (_extreme_grad,), saves_output=True, kind=RD, export=False,
                kink=Kink(attaining, "where two elements tie for the max"), ordered=True,
                doc="Maximum" + _AXIS_DOC + " Ties share the gradient equally.")
min_row = Primitive("min", np.min, (_extreme_grad,), saves_output=True, kind=RD, export=False,
                kink=Kink(attaining, "where two elements tie for the min"), ordered=True,
                doc="Minimum" + _AXIS_DOC + " Ties share the gradient equally.")
# d var / dx = 2 (x - mean) / (n - ddof);  d std / dx = (x - mean) / ((n - ddof) std), and 0 (a
# subgradient, as in PyTorch) for a constant slice, where std = 0.
var_row = Primitive("var", _var, (
    lambda xp, g, y, x, axis=None, keepdims=False, ddof=0:
        expand_reduced(xp, g, x.shape, axis, keepdims)
        * (x - xp.mean(x, axis=axis, keepdims=True)) * (2.0 / (_count(x.shape, axis) - ddof)),
), kind=RD, export=False, doc="Variance (divided by n - ddof)" + _AXIS_DOC)
std_row = Primitive("std", _std, (
    lambda xp, g, y, x, axis=None, keepdims=False, ddof=0:
        expand_reduced(xp, g / xp.where(y == 0, np.inf, y), x.shape, axis, keepdims)
        * (x - xp.mean(x, axis=axis, keepdims=True)) * (1.0 / (_count(x.shape, axis) - ddof)),
), saves_output=True, kind=RD, export=False,
    doc="Standard deviation (divided by n - ddof)" + _AXIS_DOC)
# d logsumexp / dx = softmax(x) = exp(x - logsumexp(x)).
logsumexp_row = Primitive("logsumexp", _logsumexp, (
    lambda xp, g, y, x, axis=None, keepdims=False:
        expand_reduced(xp, g, x.shape, axis, keepdims)
        * xp.exp(x - expand_reduced(xp, y, x.shape, axis, keepdims)),
), saves_output=True, kind=RD, export=False, doc="log(sum(exp(x))), computed stably" + _AXIS_DOC)
prod_row = Primitive("prod", np.prod, (_prod_grad,), saves_output=True, kind=RD, export=False,
                 doc="Product" + _AXIS_DOC + " Exact gradients with zeros in x.")


# ---- the public reductions: numpy's axis=/keepdims= (PyTorch's dim=/keepdim= too) ------------
def _reduction(primitive: Primitive, *options: str):
    def reduce(x, axis=None, keepdims=False, **kwargs):
        if type(axis) is list:  # PyTorch's dim=[0, 1]; numpy wants a tuple
            axis = tuple(axis)
        if axis is not None and np.ndim(as_array(x)) == 0:
            axis = scalar_axis(primitive.name, axis)
        return primitive(x, axis=axis, keepdims=keepdims, **kwargs)

    reduce.__name__ = reduce.__qualname__ = primitive.name
    reduce.__doc__ = type(primitive).__doc__
    reduce.__wrapped__ = primitive  # help() and inspect.signature show the row's signature
    op = takes_axis(reduce, name=primitive.name, keywords=("axis", "keepdims", *options))
    return composite(op, name=primitive.name, method=True)


sum = _reduction(sum_row)
mean = _reduction(mean_row)
max = _reduction(max_row)
min = _reduction(min_row)
var = _reduction(var_row, "ddof")
std = _reduction(std_row, "ddof")
logsumexp = _reduction(logsumexp_row)
prod = _reduction(prod_row)


def _norm_order(ord: Any, name: str) -> Any:
    """``ord`` checked: None, 'fro', 'inf', +-inf or a nonzero number p (as torch.norm's p)."""
    if isinstance(ord, str):
        if ord not in ("fro", "inf"):
            raise ValueError(f"norm: {name}={ord!r} is not supported; use None or 'fro' (the "
                             "2-norm of all values), inf, -inf or a nonzero number p for "
                             "(sum |x|^p)^(1/p)")
        return ord
    if ord is None:
        return ord
    number(ord, "norm", name, infinite=True)  # refuses True, '2'-like objects, nan
    if ord == 0:
        raise ValueError(f"norm: {name}=0 (the count of nonzero values) has no gradient and is "
                         "not supported; count them with (x != 0).sum()")
    return ord


@composite(method=True)
@takes_axis
def norm(x, ord=None, axis=None, keepdims=False, p=None):
    """The 2-norm sqrt(sum(x^2)) over ``axis`` (None: all values; numpy's vector norm, ``'fro'``
    for matrices), or the entrywise ``p``-norm sum(|x|^p)^(1/p), ``inf`` the max of |x``
    (PyTorch's torch.norm, ``t.norm(2)`` included). numpy's ``ord=`` means the same over one
    axis; over two axes any ord but None, 'fro' and 2 would be a matrix norm there, and is
    refused. At x = 0 the 2-norm's gradient is 0 (a subgradient, as in PyTorch)."""
    from autonet.ops.elementwise import abs, sqrt, where

    numeric(x, "norm", "x")
    ord = _norm_order(p if p is not None else ord, "p" if p is not None else "ord")
    ndim = np.ndim(as_array(x))
    if axis is not None and ndim:  # name norm, not the sum it is made of
        normalize_axis(axis, ndim, "norm")
    two_axes = (axis is None and ndim == 2) or (isinstance(axis, tuple | list) and len(axis) == 2)
    if p is None and ord not in (None, "fro", 2) and two_axes:
        # numpy's ord= over two axes is a matrix norm (1: the largest column sum, inf: the
        # largest row sum); PyTorch's p= is entrywise. 2 stays torch's W.norm(2), the Frobenius
        # norm of every value (numpy's would be the largest singular value)
        raise ValueError(f"norm: ord={ord!r} over two axes is numpy's matrix norm, which autonet "
                         f"does not compute; for the entrywise norm (torch.norm's) pass p={ord!r}"
                         f", or flatten first: an.norm(x.reshape(-1), ord={ord!r})")
    if ord in (None, 2, "fro"):
        squares = sum(x * x, axis=axis, keepdims=keepdims)
        zero = np.asarray(as_array(squares)) == 0
        return where(zero, 0, sqrt(where(zero, 1, squares)))
    if ord == 1:
        return sum(abs(x), axis=axis, keepdims=keepdims)
    if ord in (np.inf, "inf"):
        return max(abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:  # the limit of the p-norm as p -> -inf
        return min(abs(x), axis=axis, keepdims=keepdims)
    return sum(abs(x) ** ord, axis=axis, keepdims=keepdims) ** (1 / ord)
