"""Op-table rows for the everyday ops PyTorch and numpy users reach for (issue 12): the same
OpCase rows as op_table.py, in their own file to keep each short. test_ops.py runs both."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autonet as an
from tests.ops.op_table import (
    MAX_SIDE,
    REAL,
    OpCase,
    _arrays,
    away_from_zero,
    broadcasting,
    distinct,
    nonscalar_shapes,
    positive,
    real,
    seeds,
    shapes,
    unary,
    with_zeros,
)

matrix_shapes = hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=MAX_SIDE)


@st.composite
def scan_args(draw: Any, domain: Any = REAL) -> tuple:
    """x of any shape (0-d too) and axis None, or an int (negative too)."""
    shape = draw(shapes)
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-max(ndim, 1), max(ndim, 1) - 1)))
    return _arrays([domain], [shape], draw(seeds)), {"axis": axis}


def _scan_reference(numpy_fn):
    def reference(x, axis):
        if x.ndim == 0 and axis is not None:
            return x.copy()
        return numpy_fn(x, axis=axis)
    return reference


# einsum: equations with their letters' roles (matrix products, diagonals, sums, broadcasting)
EQUATIONS = ["ij,jk->ik", "ii->i", "ii->", "ij->", "ij->j", "i,i", "i,j->ij", "bij,bjk->bik",
             "...ij->...ji", "ij,ij->ij", "iij->j", "ij,jk,kl->il", "ji", "...i,...i->..."]


@st.composite
def einsum_args(draw: Any) -> tuple:
    equation = draw(st.sampled_from(EQUATIONS))
    sizes = {c: draw(st.integers(1, MAX_SIDE)) for c in "bijkl"}
    batch = tuple(draw(st.lists(st.integers(1, MAX_SIDE), max_size=2)))
    terms = equation.split("->")[0].split(",")
    shape_list = [batch * ("..." in t) + tuple(sizes[c] for c in t.replace("...", ""))
                  for t in terms]
    return _arrays([real()] * len(terms), shape_list, draw(seeds)), {"equation": equation}


@st.composite
def tensordot_args(draw: Any) -> tuple:
    k = draw(st.integers(0, 2))
    shared = tuple(draw(st.integers(1, MAX_SIDE)) for _ in range(k))
    a_rest = tuple(draw(st.lists(st.integers(1, MAX_SIDE), max_size=2)))
    b_rest = tuple(draw(st.lists(st.integers(1, MAX_SIDE), max_size=2)))
    axes = draw(st.sampled_from([k, (list(range(len(a_rest), len(a_rest) + k)), list(range(k)))]))
    return _arrays([real()] * 2, [a_rest + shared, shared + b_rest], draw(seeds)), {"axes": axes}


@st.composite
def dot_args(draw: Any) -> tuple:
    k = draw(st.integers(1, MAX_SIDE))
    a = draw(st.sampled_from([(), (k,), (2, k), (2, 1, k)]))
    b = draw(st.sampled_from([(), (k,), (k, 3), (2, k, 3)]))
    return _arrays([real()] * 2, [a, b], draw(seeds)), {}


@st.composite
def repeat_args(draw: Any) -> tuple:
    shape = draw(shapes)
    axis = draw(st.one_of(st.none(), *([st.integers(-len(shape), len(shape) - 1)]
                                       if shape else [])))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    repeats = draw(st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), min_size=n,
                                                         max_size=n)))
    return _arrays([real()], [shape], draw(seeds)), {"repeats": repeats, "axis": axis}


@st.composite
def tile_args(draw: Any) -> tuple:
    shape = draw(shapes)
    reps = draw(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), max_size=3).map(tuple)))
    return _arrays([real()], [shape], draw(seeds)), {"reps": reps}


@st.composite
def flip_args(draw: Any) -> tuple:
    shape = draw(shapes)
    axis = draw(st.one_of(st.none(), *([st.integers(-len(shape), len(shape) - 1)]
                                       if shape else [])))
    return _arrays([real()], [shape], draw(seeds)), {"axis": axis}


@st.composite
def roll_args(draw: Any) -> tuple:
    shape = draw(shapes)
    shift = draw(st.integers(-4, 4))
    axis = draw(st.one_of(st.none(), *([st.integers(-len(shape), len(shape) - 1)]
                                       if shape else [])))
    return _arrays([real()], [shape], draw(seeds)), {"shift": shift, "axis": axis}


@st.composite
def triangle_args(draw: Any) -> tuple:
    return (_arrays([real()], [draw(matrix_shapes)], draw(seeds)),
            {"k": draw(st.integers(-2, 2))})


@st.composite
def diag_args(draw: Any) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=MAX_SIDE))
    return _arrays([real()], [shape], draw(seeds)), {"k": draw(st.integers(-2, 2))}


@st.composite
def trace_args(draw: Any) -> tuple:
    shape = draw(matrix_shapes)
    a1, a2 = draw(st.permutations(range(len(shape))))[:2]
    return _arrays([real()], [shape], draw(seeds)), {"offset": draw(st.integers(-1, 1)),
                                                     "axis1": a1, "axis2": a2}


@st.composite
def along_axis_args(draw: Any) -> tuple:
    """x, integer indices along ``axis`` (repeats included) broadcasting in the other axes."""
    shape = draw(nonscalar_shapes)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(draw(seeds))
    index_shape = [draw(st.sampled_from([1, n])) for n in shape]
    index_shape[axis] = draw(st.integers(1, MAX_SIDE))
    indices = rng.integers(-shape[axis], shape[axis], size=index_shape)
    return _arrays([real()], [shape], draw(seeds)), {"indices": indices, "axis": axis}


@st.composite
def gather_args(draw: Any) -> tuple:
    """PyTorch gather: index no larger than input outside ``axis``."""
    shape = draw(nonscalar_shapes)
    axis = draw(st.integers(0, len(shape) - 1))
    rng = np.random.default_rng(draw(seeds))
    index_shape = [draw(st.integers(1, n)) for n in shape]
    index_shape[axis] = draw(st.integers(1, MAX_SIDE))
    index = rng.integers(0, shape[axis], size=index_shape)
    return _arrays([real()], [shape], draw(seeds)), {"axis": axis, "index": index}


def _gather_reference(x, axis, index):
    sliced = x[tuple(slice(0, n) if d != axis else slice(None)
                     for d, n in enumerate(index.shape))]
    return np.take_along_axis(sliced, index, axis=axis)


@st.composite
def scatter_args(draw: Any) -> tuple:
    """input, src (index's shape) and an index that may repeat (last write wins)."""
    (x,), kwargs = draw(gather_args())
    index = kwargs["index"]
    src = _arrays([real()], [index.shape], draw(seeds))[0]
    return [x, src], {"axis": kwargs["axis"], "index": index}


def _scatter(x, src, axis, index):
    return an.scatter(x, axis, index, src)


def _scatter_reference(x, src, axis, index):
    out = x.copy()
    for position in np.ndindex(*index.shape):
        target = list(position)
        target[axis] = index[position]
        out[tuple(target)] = src[position]
    return out


@st.composite
def masked_fill_args(draw: Any) -> tuple:
    shape_sets = draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3,
                                                        max_side=MAX_SIDE))
    mask = draw(hnp.arrays(bool, shape_sets.input_shapes[0]))
    return _arrays([real()], [shape_sets.result_shape], draw(seeds)), {"mask": mask,
                                                                       "value": 0.5}


@st.composite
def sort_args(draw: Any) -> tuple:
    shape = draw(shapes)
    options = [st.none()] + ([st.integers(-len(shape), len(shape) - 1)] if shape else [])
    axis = draw(st.one_of(options)) if shape else None
    return _arrays([distinct], [shape], draw(seeds)), {"axis": axis,
                                                       "descending": draw(st.booleans())}


def _sort_reference(x, axis, descending):
    out = np.sort(x, axis=axis)
    return np.flip(out, axis=-1 if axis is None else axis) if descending else out


@st.composite
def topk_args(draw: Any) -> tuple:
    shape = draw(nonscalar_shapes)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    k = draw(st.integers(0, shape[axis]))
    return _arrays([distinct], [shape], draw(seeds)), {"k": k, "axis": axis,
                                                       "largest": draw(st.booleans())}


def _topk_reference(x, k, axis, largest):
    order = np.argsort(-x if largest else x, axis=axis)
    return np.take_along_axis(x, np.take(order, np.arange(k), axis=axis), axis=axis)


@st.composite
def stacking_args(draw: Any) -> tuple:
    """Tensors that vstack/hstack accept: equal shapes (0-d to 3-d) but for the joined axis."""
    shape = draw(shapes)
    count = draw(st.integers(1, 3))
    return _arrays([real()] * count, [shape] * count, draw(seeds)), {}


@st.composite
def array_split_args(draw: Any) -> tuple:
    shape = draw(nonscalar_shapes)
    axis = draw(st.integers(0, len(shape) - 1))
    return _arrays([real()], [shape], draw(seeds)), {"parts": draw(st.integers(1, 4)),
                                                     "axis": axis}


def _array_split(x, parts, axis):
    pieces = an.array_split(x, parts, axis=axis)
    return an.concatenate([p * (i + 1) for i, p in enumerate(pieces)], axis=axis)


def _array_split_reference(x, parts, axis):
    pieces = np.array_split(x, parts, axis=axis)
    return np.concatenate([p * (i + 1) for i, p in enumerate(pieces)], axis=axis)


@st.composite
def pad_mode_args(draw: Any) -> tuple:
    shape = draw(nonscalar_shapes)
    width = draw(st.one_of(st.integers(0, 3), st.tuples(*[
        st.tuples(st.integers(0, 3), st.integers(0, 3)) for _ in shape])))
    mode = draw(st.sampled_from(["edge", "reflect", "symmetric", "wrap"]))
    return _arrays([real()], [shape], draw(seeds)), {"pad_width": width, "mode": mode}


@st.composite
def norm_args(draw: Any) -> tuple:
    shape = draw(nonscalar_shapes)
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    return _arrays([away_from_zero()], [shape], draw(seeds)), {
        "p": draw(st.sampled_from([None, 1, 3, 2.5, np.inf, -np.inf])), "axis": axis,
        "keepdims": draw(st.booleans())}


def _norm_reference(x, p, axis, keepdims):
    """torch.norm's entrywise p-norm (numpy's ord= over one axis is the same)."""
    p = 2 if p is None else p
    if np.isinf(p):
        return (np.max if p > 0 else np.min)(np.abs(x), axis=axis, keepdims=keepdims)
    return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def _dot_reference(a, b):
    return np.dot(a, b)


EVERYDAY_CASES: list[OpCase] = [
    # elementwise
    OpCase("square", an.square, np.square, unary()),
    OpCase("rsqrt", an.rsqrt, lambda x: 1 / np.sqrt(x), unary(positive())),
    OpCase("log1p", an.log1p, np.log1p, unary(real(-0.5, 2.0))),
    OpCase("expm1", an.expm1, np.expm1, unary()),
    OpCase("log2", an.log2, np.log2, unary(positive())),
    OpCase("log10", an.log10, np.log10, unary(positive())),
    OpCase("exp2", an.exp2, np.exp2, unary()),
    OpCase("tan", an.tan, np.tan, unary(real(-1.2, 1.2))),
    OpCase("sinh", an.sinh, np.sinh, unary()),
    OpCase("cosh", an.cosh, np.cosh, unary()),
    OpCase("arcsin", an.arcsin, np.arcsin, unary(real(-0.9, 0.9))),
    OpCase("arccos", an.arccos, np.arccos, unary(real(-0.9, 0.9))),
    OpCase("arctan", an.arctan, np.arctan, unary()),
    # b > 0 keeps (b, a) away from the branch cut on the negative b axis and the origin
    OpCase("arctan2", an.arctan2, np.arctan2, broadcasting(real(), positive())),
    OpCase("logaddexp", an.logaddexp, np.logaddexp, broadcasting(real(-5, 5), real(-5, 5))),
    # jumps where a / b crosses an integer (kinks.py tells gradcheck)
    OpCase("mod", an.mod, np.mod, broadcasting(real(-3, 3), away_from_zero(gap=0.5)),
           smooth=False),
    OpCase("mod_operator", lambda a, b: a % b, np.mod,
           broadcasting(real(-3, 3), away_from_zero(gap=0.5)), smooth=False, primitives=("mod",)),
    OpCase("fmod", an.fmod, np.fmod, broadcasting(real(-3, 3), away_from_zero(gap=0.5)),
           smooth=False),
    # scans and sorting
    OpCase("cumsum", an.cumsum, _scan_reference(np.cumsum), scan_args()),
    OpCase("cumprod", an.cumprod, _scan_reference(np.cumprod), scan_args(away_from_zero())),
    # a polynomial: exact at zeros, including two or more zeros in one slice
    OpCase("cumprod_with_zeros", an.cumprod, _scan_reference(np.cumprod), scan_args(with_zeros),
           primitives=("cumprod",)),
    OpCase("sort", an.sort, _sort_reference, sort_args(), smooth=False, primitives=()),
    OpCase("topk", lambda x, **kw: an.topk(x, **kw).values, _topk_reference, topk_args(),
           smooth=False, primitives=()),
    # contractions
    OpCase("einsum", lambda *xs, equation: an.einsum(equation, *xs),
           lambda *xs, equation: np.einsum(equation, *xs), einsum_args()),
    OpCase("tensordot", an.tensordot, np.tensordot, tensordot_args(), primitives=()),
    OpCase("dot", an.dot, _dot_reference, dot_args(), primitives=()),
    OpCase("trace", an.trace, np.trace, trace_args(), primitives=()),
    OpCase("diag", an.diag, np.diag, diag_args(), primitives=()),
    # rearranging
    OpCase("flip", an.flip, np.flip, flip_args(), primitives=()),
    OpCase("roll", an.roll, np.roll, roll_args(), primitives=()),
    OpCase("repeat", an.repeat, np.repeat, repeat_args(), primitives=()),
    OpCase("tile", an.tile, np.tile, tile_args(), primitives=()),
    OpCase("tril", an.tril, np.tril, triangle_args(), primitives=()),
    OpCase("triu", an.triu, np.triu, triangle_args(), primitives=()),
    OpCase("pad_modes", an.pad, np.pad, pad_mode_args(), primitives=()),
    OpCase("vstack", lambda *xs: an.vstack(xs), lambda *xs: np.vstack(xs), stacking_args(),
           primitives=()),
    OpCase("hstack", lambda *xs: an.hstack(xs), lambda *xs: np.hstack(xs), stacking_args(),
           primitives=()),
    OpCase("array_split", _array_split, _array_split_reference, array_split_args(),
           primitives=()),
    # indexing along an axis
    OpCase("take_along_axis", an.take_along_axis, np.take_along_axis, along_axis_args(),
           primitives=()),
    OpCase("gather", an.gather, _gather_reference, gather_args(), primitives=()),
    OpCase("scatter", _scatter, _scatter_reference, scatter_args(), primitives=()),
    OpCase("masked_fill", an.masked_fill, lambda x, mask, value: np.where(mask, value, x),
           masked_fill_args(), primitives=()),
    OpCase("norm", an.norm, _norm_reference, norm_args(), smooth=False, primitives=()),
]

