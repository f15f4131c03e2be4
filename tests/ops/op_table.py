"""The op table: one row per differentiable op, with its numpy reference and input domain.

tests/test_ops.py drives every row through forward-vs-numpy, gradcheck and (for smooth ops)
gradgradcheck on hypothesis-drawn shapes, including broadcasting, size-1 and 0-d. A meta-test fails
when a primitive has no row, so adding an op means adding its row here.

Values are drawn by a seeded numpy generator (the seed comes from hypothesis): shapes and seeds are
what hypothesis explores and shrinks; domains keep values away from kinks and poles.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autonet as an
from autonet.ops.normalization import normalize

MAX_SIDE = 3


# ---- value domains: rng, shape -> float64 array ---------------------------------------------
def real(lo: float = -2.0, hi: float = 2.0) -> Callable:
    return lambda rng, shape: rng.uniform(lo, hi, size=shape)


def away_from_zero(scale: float = 2.0, gap: float = 0.1) -> Callable:
    """Values with |x| >= gap: keeps kinks (relu, abs at 0) and poles (1/x) out of reach."""
    return lambda rng, shape: (rng.choice([-1.0, 1.0], size=shape)
                               * rng.uniform(gap, scale, size=shape))


REAL = real()


def positive(lo: float = 0.2, hi: float = 3.0) -> Callable:
    return real(lo, hi)


def with_zeros(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """About half the values exactly 0, the rest in [-2, 2]."""
    return np.where(rng.random(shape) < 0.5, 0.0, rng.uniform(-2, 2, size=shape))


def distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """A permutation of well-separated values: no ties for max/min/maximum/prod."""
    n = int(np.prod(shape, dtype=np.int64))
    values = (rng.permutation(n) - n / 2) * 0.37 + 0.11
    return values.reshape(shape)


# ---- shape strategies ------------------------------------------------------------------------
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE)
nonscalar_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=MAX_SIDE)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def axis_args(draw: Any, shape: tuple, allow_none: bool = True, allow_tuple: bool = True) -> dict:
    """axis (None, int, negative int or tuple) and keepdims for a reduction over ``shape``."""
    ndim = len(shape)
    options = [st.none()] if allow_none or ndim == 0 else []
    if ndim:
        options.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            options.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                    unique=True).map(tuple))
    return {"axis": draw(st.one_of(options)), "keepdims": draw(st.booleans())}


@dataclass
class OpCase:
    """One row: ``fn(*tensors, **kwargs)`` must equal ``reference(*arrays, **kwargs)``.

    ``draw`` is a hypothesis strategy of (arrays, kwargs); ``smooth`` rows also get a second-order
    check; ``primitives`` names the primitives this row covers (for the meta-test).
    """

    name: str
    fn: Callable
    reference: Callable
    draw: Any
    smooth: bool = True
    primitives: tuple[str, ...] = field(default=())
    differentiable: tuple[int, ...] | None = None  # which inputs to check (default: all)
    max_examples: int | None = None  # a smaller hypothesis budget for costly rows

    def __post_init__(self) -> None:
        if not self.primitives:
            self.primitives = (self.name,)


def _arrays(domains, shape_list, seed) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.asarray(d(rng, s), dtype=np.float64) for d, s in zip(domains, shape_list)]


def unary(domain: Callable = REAL, shape_strategy: Any = shapes, **fixed: Any) -> Any:
    return st.tuples(shape_strategy, seeds).map(
        lambda t: (_arrays([domain], [t[0]], t[1]), dict(fixed)))


def broadcasting(*domains: Callable, **fixed: Any) -> Any:
    """Arrays of mutually broadcastable shapes (size-1 and missing axes, 0-d included)."""
    shape_sets = hnp.mutually_broadcastable_shapes(num_shapes=len(domains), min_dims=0,
                                                   max_dims=3, max_side=MAX_SIDE)
    return st.tuples(shape_sets, seeds).map(
        lambda t: (_arrays(domains, t[0].input_shapes, t[1]), dict(fixed)))


def reduction(domain: Callable = REAL, allow_tuple: bool = True, shape_strategy: Any = shapes,
              **fixed: Any) -> Any:
    @st.composite
    def draw(d: Any) -> tuple:
        shape = d(shape_strategy)
        kwargs = d(axis_args(shape, allow_tuple=allow_tuple))
        return _arrays([domain], [shape], d(seeds)), {**kwargs, **fixed}

    return draw()


@st.composite
def matmul_args(draw: Any) -> tuple:
    """1-D and n-D operands with broadcast batch dimensions, as numpy.matmul takes them."""
    n, k, m = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
    a_shape = draw(st.sampled_from([(k,), (*batch.input_shapes[0], n, k)]))
    b_shape = draw(st.sampled_from([(k,), (*batch.input_shapes[1], k, m)]))
    return _arrays([real(), real()], [a_shape, b_shape], draw(seeds)), {}


@st.composite
def axis_of(draw: Any, domain: Callable = REAL) -> tuple:
    shape = draw(nonscalar_shapes)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return _arrays([domain], [shape], draw(seeds)), {"axis": axis}


@st.composite
def reshape_args(draw: Any) -> tuple:
    shape = draw(shapes)
    n = int(np.prod(shape, dtype=np.int64))
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    first = draw(st.sampled_from(divisors))
    target = draw(st.sampled_from([(n,), (first, n // first), (first, -1), (n // first, 1, first)]))
    return _arrays([real()], [shape], draw(seeds)), {"shape": target}


@st.composite
def transpose_args(draw: Any) -> tuple:
    shape = draw(shapes)
    axes = draw(st.one_of(st.none(), st.permutations(range(len(shape))).map(tuple)))
    return _arrays([real()], [shape], draw(seeds)), {"axes": axes}


@st.composite
def broadcast_to_args(draw: Any) -> tuple:
    shapes_ = draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=MAX_SIDE))
    return _arrays([real()], [shapes_.input_shapes[0]], draw(seeds)), \
        {"shape": shapes_.result_shape}


@st.composite
def index_args(draw: Any) -> tuple:
    """Basic indices (ints, negative steps, None, Ellipsis) and advanced ones (integer arrays with
    repeats, boolean masks)."""
    shape = draw(nonscalar_shapes)
    n = shape[0]
    kind = draw(st.sampled_from(["int", "slice", "reverse", "none_ellipsis", "int_array", "mask"]))
    if kind == "int":
        index = draw(st.integers(-n, n - 1))
    elif kind == "slice":
        index = slice(draw(st.integers(0, n - 1)), None, draw(st.integers(1, 2)))
    elif kind == "reverse":
        index = (Ellipsis, slice(None, None, -1))
    elif kind == "none_ellipsis":
        index = (None, Ellipsis, draw(st.integers(0, shape[-1] - 1)))
    elif kind == "int_array":
        index = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))
    else:
        mask = draw(hnp.arrays(bool, shape))
        index = mask
    return _arrays([real()], [shape], draw(seeds)), {"key": index}


@st.composite
def concatenate_args(draw: Any) -> tuple:
    shape = draw(nonscalar_shapes)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    count = draw(st.integers(1, 3))
    shape_list = []
    for _ in range(count):
        s = list(shape)
        s[axis] = draw(st.integers(1, MAX_SIDE))
        shape_list.append(tuple(s))
    return _arrays([real()] * count, shape_list, draw(seeds)), {"axis": axis}


@st.composite
def stack_args(draw: Any) -> tuple:
    shape = draw(shapes)
    count = draw(st.integers(1, 3))
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    return _arrays([real()] * count, [shape] * count, draw(seeds)), {"axis": axis}


@st.composite
def pad_args(draw: Any) -> tuple:
    shape = draw(nonscalar_shapes)
    width = draw(st.one_of(st.integers(0, 2), st.tuples(*[
        st.tuples(st.integers(0, 2), st.integers(0, 2)) for _ in shape])))
    return _arrays([real()], [shape], draw(seeds)), {"pad_width": width,
                                                     "constant_values": 0.5}


@st.composite
def squeeze_args(draw: Any) -> tuple:
    shape = draw(shapes)
    ones = [i for i, s in enumerate(shape) if s == 1]
    axis = draw(st.one_of(st.none(), st.sampled_from(ones))) if ones else None
    return _arrays([real()], [shape], draw(seeds)), {"axis": axis}


@st.composite
def split_args(draw: Any) -> tuple:
    shape = draw(nonscalar_shapes)
    axis = draw(st.integers(0, len(shape) - 1))
    parts = draw(st.sampled_from([d for d in range(1, shape[axis] + 1) if shape[axis] % d == 0]))
    return _arrays([real()], [shape], draw(seeds)), {"indices_or_sections": parts, "axis": axis}


@st.composite
def where_args(draw: Any) -> tuple:
    shape_sets = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                        max_side=MAX_SIDE))
    cond_shape, a_shape, b_shape = shape_sets.input_shapes
    cond = draw(hnp.arrays(bool, cond_shape))
    a, b = _arrays([real(), real()], [a_shape, b_shape], draw(seeds))
    return [cond, a, b], {}


@st.composite
def tie_free_pair(draw: Any) -> tuple:
    (a, b), kwargs = draw(broadcasting(real(), real()))
    b = np.where(np.abs(a - b) < 0.1, b + 0.3, b)  # keep away from the tie a == b
    return [a, b], kwargs


def _clip_reference(x, a_min, a_max):
    return np.clip(x, a_min, a_max)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def _split_stack(x, indices_or_sections, axis):
    pieces = an.split(x, indices_or_sections, axis=axis)
    return an.concatenate([p * (i + 1) for i, p in enumerate(pieces)], axis=axis)


def _split_stack_reference(x, indices_or_sections, axis):
    pieces = np.split(x, indices_or_sections, axis=axis)
    return np.concatenate([p * (i + 1) for i, p in enumerate(pieces)], axis=axis)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


# ---- the table ---------------------------------------------------------------------------------
CASES: list[OpCase] = [
    # elementwise, binary with broadcasting
    OpCase("add", an.add, np.add, broadcasting(real(), real())),
    OpCase("sub", an.sub, np.subtract, broadcasting(real(), real())),
    OpCase("mul", an.mul, np.multiply, broadcasting(real(), real())),
    OpCase("div", an.div, np.divide, broadcasting(real(), away_from_zero(gap=0.5))),
    OpCase("pow", an.pow, np.power, broadcasting(positive(), real())),
    OpCase("pow_scalar", lambda x, p: x ** p, lambda x, p: x ** p, unary(real(), p=3),
           primitives=("pow",)),
    OpCase("maximum", an.maximum, np.maximum, tie_free_pair(), smooth=False),
    OpCase("minimum", an.minimum, np.minimum, tie_free_pair(), smooth=False),
    OpCase("where", an.where, np.where, where_args(), differentiable=(1, 2)),
    # elementwise, unary
    OpCase("neg", an.neg, np.negative, unary()),
    OpCase("exp", an.exp, np.exp, unary()),
    OpCase("log", an.log, np.log, unary(positive())),
    OpCase("sqrt", an.sqrt, np.sqrt, unary(positive())),
    OpCase("abs", an.abs, np.abs, unary(away_from_zero()), smooth=False),
    OpCase("sin", an.sin, np.sin, unary()),
    OpCase("cos", an.cos, np.cos, unary()),
    OpCase("tanh", an.tanh, np.tanh, unary()),
    OpCase("sigmoid", an.sigmoid, lambda x: 1 / (1 + np.exp(-x)), unary(real(-6, 6))),
    OpCase("relu", an.relu, lambda x: np.maximum(x, 0), unary(away_from_zero()), smooth=False),
    OpCase("leaky_relu", an.leaky_relu, lambda x, negative_slope: np.where(
        x > 0, x, negative_slope * x), unary(away_from_zero(), negative_slope=0.2), smooth=False),
    OpCase("elu", an.elu, _elu, unary(away_from_zero(), alpha=1.5), smooth=False),
    OpCase("softplus", an.softplus, lambda x: np.log1p(np.exp(x)), unary(real(-5, 5))),
    OpCase("clip", an.clip, _clip_reference, unary(away_from_zero(gap=0.05), a_min=-1.0,
                                                   a_max=1.0), smooth=False),
    # via extended precision and back, so the numerical derivative stays exact
    OpCase("astype", lambda x: an.astype(an.astype(x, dtype=np.longdouble) * 2, dtype=np.float64),
           lambda x: x * 2, unary()),
    # reductions
    OpCase("sum", an.sum, np.sum, reduction()),
    OpCase("mean", an.mean, np.mean, reduction()),
    OpCase("max", an.max, np.max, reduction(distinct), smooth=False),
    OpCase("min", an.min, np.min, reduction(distinct), smooth=False),
    OpCase("var", an.var, np.var, reduction(distinct)),
    OpCase("var_ddof", an.var, np.var, st.tuples(
        hnp.array_shapes(min_dims=1, max_dims=2, min_side=2, max_side=MAX_SIDE), seeds).map(
        lambda t: (_arrays([distinct], [t[0]], t[1]), {"axis": 0, "ddof": 1})),
        primitives=("var",)),
    # std = sqrt(var) has a kink where var = 0, e.g. over a single element: at least 2 per axis
    OpCase("std", an.std, np.std, reduction(distinct, shape_strategy=hnp.array_shapes(
        min_dims=1, max_dims=3, min_side=2, max_side=MAX_SIDE))),
    OpCase("logsumexp", an.logsumexp, _logsumexp, reduction()),
    OpCase("prod", an.prod, np.prod, reduction(away_from_zero(gap=0.3))),
    # prod is a polynomial: smooth at zeros too, including two or more zeros in one slice
    OpCase("prod_with_zeros", an.prod, np.prod, reduction(with_zeros), primitives=("prod",)),
    # shape
    OpCase("reshape", an.reshape, np.reshape, reshape_args()),
    OpCase("transpose", an.transpose, np.transpose, transpose_args()),
    OpCase("broadcast_to", an.broadcast_to, np.broadcast_to, broadcast_to_args()),
    OpCase("getitem", an.index, lambda x, key: x[key], index_args(),
           primitives=("getitem", "scatter_add")),
    OpCase("concatenate", lambda *xs, axis: an.concatenate(xs, axis=axis),
           lambda *xs, axis: np.concatenate(xs, axis=axis), concatenate_args()),
    OpCase("stack", lambda *xs, axis: an.stack(xs, axis=axis),
           lambda *xs, axis: np.stack(xs, axis=axis), stack_args(), primitives=()),
    OpCase("split", _split_stack, _split_stack_reference, split_args(), primitives=()),
    OpCase("pad", an.pad, lambda x, pad_width, constant_values: np.pad(
        x, pad_width, constant_values=constant_values), pad_args()),
    OpCase("squeeze", an.squeeze, np.squeeze, squeeze_args(), primitives=()),
    OpCase("expand_dims", an.expand_dims, np.expand_dims,
           st.tuples(shapes, seeds).map(lambda t: (_arrays([real()], [t[0]], t[1]),
                                                   {"axis": -1 - len(t[0]) % 2})), primitives=()),
    OpCase("swapaxes", an.swapaxes, np.swapaxes, st.tuples(nonscalar_shapes, seeds).map(
        lambda t: (_arrays([real()], [t[0]], t[1]), {"axis1": 0, "axis2": -1})), primitives=()),
    OpCase("flatten", an.flatten, np.ravel, unary(), primitives=()),
    # linear algebra
    OpCase("matmul", an.matmul, np.matmul, matmul_args()),
    # fused network ops
    OpCase("softmax", an.softmax, _softmax, axis_of()),
    OpCase("log_softmax", an.log_softmax, lambda x, axis: np.log(_softmax(x, axis)), axis_of()),
]


# ---- loss ops (nn)
@st.composite
def class_logits(draw: Any) -> tuple:
    """Logits (N, C), integer targets (N,) and a label smoothing."""
    n, c = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    rng = np.random.default_rng(draw(seeds))
    logits = rng.uniform(-3, 3, size=(n, c))
    target = rng.integers(0, c, size=n)
    return [logits, target], {"label_smoothing": draw(st.sampled_from([0.0, 0.1]))}


def _softmax_cross_entropy_reference(logits, target, label_smoothing):
    c = logits.shape[1]
    log_p = logits - _logsumexp(logits, axis=1, keepdims=True)
    soft = np.eye(c)[target] * (1 - label_smoothing) + label_smoothing / c
    return -(soft * log_p).sum(axis=1)


@st.composite
def linear_args(draw: Any) -> tuple:
    """x (..., in), weight (out, in), bias (out,)."""
    batch = tuple(draw(st.lists(st.integers(1, MAX_SIDE), max_size=2)))
    n_in, n_out = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    return _arrays([real()] * 3, [(*batch, n_in), (n_out, n_in), (n_out,)], draw(seeds)), {}


def _same_shape(*domains: Callable) -> Any:
    return st.tuples(shapes, seeds).map(
        lambda t: (_arrays(domains, [t[0]] * len(domains), t[1]), {}))


def _bce_reference(p, t):
    return -(t * np.log(p) + (1 - t) * np.log1p(-p))


CASES += [
    OpCase("softmax_cross_entropy", an.ops.fused.softmax_cross_entropy,
           _softmax_cross_entropy_reference, class_logits()),
    OpCase("softmax_cross_entropy(mean)", an.ops.fused.softmax_cross_entropy,
           lambda logits, target, label_smoothing, mean:
               _softmax_cross_entropy_reference(logits, target, label_smoothing).mean(),
           class_logits().map(lambda case: (case[0], {**case[1], "mean": True})),
           primitives=("softmax_cross_entropy",), differentiable=(0,)),
    OpCase("binary_cross_entropy_with_logits", an.ops.fused.binary_cross_entropy_with_logits,
           lambda x, t: _bce_reference(1 / (1 + np.exp(-x)), t),
           _same_shape(real(-3.0, 3.0), real(0.0, 1.0))),
    OpCase("binary_cross_entropy", an.ops.fused.binary_cross_entropy, _bce_reference,
           _same_shape(real(0.05, 0.95), real(0.0, 1.0))),
    OpCase("linear", an.nn.functional.linear, lambda x, w, b: x @ w.T + b, linear_args()),
]


@st.composite
def weighted_class_logits(draw: Any) -> tuple:
    """Logits (N, C), targets (N,) with some equal to ignore_index, class weights (C,)."""
    n, c = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    rng = np.random.default_rng(draw(seeds))
    ignore_index = draw(st.sampled_from([-100, 0]))
    target = np.where(rng.random(n) < 0.3, ignore_index, rng.integers(0, c, size=n))
    arrays = [rng.uniform(-3, 3, size=(n, c)), target, rng.uniform(0.2, 2.0, size=c)]
    return arrays, {"label_smoothing": draw(st.sampled_from([0.0, 0.1])),
                    "ignore_index": ignore_index}


def _weighted_cross_entropy_reference(logits, target, weight, label_smoothing, ignore_index):
    """PyTorch's per-example loss: (1 - eps) w_t (-log p_t) + eps / C sum_j w_j (-log p_j),
    0 where the target is ignore_index."""
    n, c = logits.shape
    log_p = logits - _logsumexp(logits, axis=1, keepdims=True)
    kept = target != ignore_index
    t = np.where(kept, target, 0)
    nll = -weight[t] * log_p[np.arange(n), t]
    smooth = -(log_p * weight).sum(axis=1) / c
    return np.where(kept, (1 - label_smoothing) * nll + label_smoothing * smooth, 0.0)


CASES += [
    OpCase("softmax_cross_entropy(weight, ignore_index)", an.ops.fused.softmax_cross_entropy,
           _weighted_cross_entropy_reference, weighted_class_logits(),
           primitives=("softmax_cross_entropy",), differentiable=(0,)),
]


def _bce_pos_weight_reference(x, t, pos_weight):
    """-p t log s(x) - (1 - t) log(1 - s(x)), the definition (fine for |x| <= 3)."""
    s = 1 / (1 + np.exp(-x))
    return -(pos_weight * t * np.log(s) + (1 - t) * np.log1p(-s))


CASES += [
    OpCase("binary_cross_entropy_with_logits(pos_weight)",
           an.ops.fused.binary_cross_entropy_with_logits, _bce_pos_weight_reference,
           broadcasting(real(-3.0, 3.0), real(0.0, 1.0), real(0.2, 3.0)),
           primitives=("binary_cross_entropy_with_logits",)),
]


# ---- convolution and pooling (autonet/ops/conv.py); plain-loop references ------------------------
CONV_EXAMPLES = 25  # each example gradchecks a few hundred elements: a budget keeps it < 30 s


def conv2d_loops(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """The definition, one output element at a time: y[n, o, i, j] = b[o] + sum over the group's
    channels c and kernel offsets (u, v) of w[o, c, u, v] x_pad[n, c, i s + u d, j s + v d]."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.zeros((n, c, h + 2 * padding[0], wd + 2 * padding[1]))
    xp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + wd] = x
    ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    for b_ in range(n):
        for oc in range(o):
            group = oc // (o // groups)
            for i in range(ho):
                for j in range(wo):
                    total = 0.0 if b is None else b[oc]
                    for ci in range(cg):
                        for u in range(kh):
                            for v in range(kw):
                                total += w[oc, ci, u, v] * xp[b_, group * cg + ci,
                                                              i * stride[0] + u * dilation[0],
                                                              j * stride[1] + v * dilation[1]]
                    out[b_, oc, i, j] = total
    return out


def conv_transpose2d_loops(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                           dilation=(1, 1), groups=1):
    """Each input pixel x[n, c, i, j] adds w[c, o, u, v] x into out_full[n, o, i s + u d, ...]."""
    n, c_in, h, wd = x.shape
    _, og, kh, kw = w.shape
    full = np.zeros((n, og * groups, (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1
                     + output_padding[0], (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1
                     + output_padding[1]))
    for b_ in range(n):
        for ci in range(c_in):
            group = ci // (c_in // groups)
            for i in range(h):
                for j in range(wd):
                    for oc in range(og):
                        for u in range(kh):
                            for v in range(kw):
                                full[b_, group * og + oc, i * stride[0] + u * dilation[0],
                                     j * stride[1] + v * dilation[1]] += w[ci, oc, u, v] * \
                                    x[b_, ci, i, j]
    out = full[:, :, padding[0]:full.shape[2] - padding[0], padding[1]:full.shape[3] - padding[1]]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def conv2d_weight_loops(x, g, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0),
                        dilation=(1, 1), groups=1):
    """dw[o, c, u, v] = sum over n, i, j of g[n, o, i, j] x_pad[n, c of o's group, i s + u d,
    j s + v d]."""
    n, c, h, wd = x.shape
    o = g.shape[1]
    cg, (kh, kw) = c // groups, kernel_size
    xp = np.zeros((n, c, h + 2 * padding[0], wd + 2 * padding[1]))
    xp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + wd] = x
    dw = np.zeros((o, cg, kh, kw))
    for oc in range(o):
        group = oc // (o // groups)
        for ci in range(cg):
            for u in range(kh):
                for v in range(kw):
                    for b_ in range(n):
                        for i in range(g.shape[2]):
                            for j in range(g.shape[3]):
                                dw[oc, ci, u, v] += g[b_, oc, i, j] * xp[
                                    b_, group * cg + ci, i * stride[0] + u * dilation[0],
                                    j * stride[1] + v * dilation[1]]
    return dw


def max_pool2d_loops(x, kernel_size=(1, 1), stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                     ceil_mode=False):
    """The max over each window's positions that fall inside x (padding is -inf)."""
    n, c, h, wd = x.shape
    from autonet.ops.conv import out_size

    ho = out_size(h, kernel_size[0], stride[0], padding[0], dilation[0], ceil_mode)
    wo = out_size(wd, kernel_size[1], stride[1], padding[1], dilation[1], ceil_mode)
    out = np.full((n, c, ho, wo), -np.inf)
    for i in range(ho):
        for j in range(wo):
            for u in range(kernel_size[0]):
                for v in range(kernel_size[1]):
                    r = i * stride[0] + u * dilation[0] - padding[0]
                    q = j * stride[1] + v * dilation[1] - padding[1]
                    if 0 <= r < h and 0 <= q < wd:
                        out[:, :, i, j] = np.maximum(out[:, :, i, j], x[:, :, r, q])
    return out


@st.composite
def conv_geometry(draw: Any, pool: bool = False) -> dict:
    """Kernel, stride, padding, dilation, groups and an input size that the kernel fits (sizes 1
    included), as conv2d's attributes plus the sizes."""
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(2))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(2))
    if pool:
        padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    else:
        padding = tuple(draw(st.integers(0, 2)) for _ in range(2))
    # a pooling window must reach the input (not only padding): n + p >= d (k - 1) + 1
    spatial = tuple(max(1, d * (k - 1) + 1 - (1 if pool else 2) * p) + draw(st.integers(0, 2))
                    for k, p, d in zip(kernel, padding, dilation))
    groups = 1 if pool else draw(st.sampled_from([1, 2]))
    return {"kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation,
            "groups": groups, "spatial": spatial, "n": draw(st.integers(1, 2)),
            "in_per_group": draw(st.integers(1, 2)), "out_per_group": draw(st.integers(1, 2)),
            "bias": draw(st.booleans()), "seed": draw(seeds)}


def _conv_attrs(geo: dict) -> dict:
    return {"stride": geo["stride"], "padding": geo["padding"], "dilation": geo["dilation"],
            "groups": geo["groups"]}


@st.composite
def conv2d_args(draw: Any) -> tuple:
    geo = draw(conv_geometry())
    g = geo["groups"]
    shapes_ = [(geo["n"], g * geo["in_per_group"], *geo["spatial"]),
               (g * geo["out_per_group"], geo["in_per_group"], *geo["kernel"])]
    if geo["bias"]:
        shapes_.append((g * geo["out_per_group"],))
    return _arrays([real()] * len(shapes_), shapes_, geo["seed"]), _conv_attrs(geo)


def _conv_output_size(geo: dict) -> tuple:
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(
        geo["spatial"], geo["kernel"], geo["stride"], geo["padding"], geo["dilation"]))


@st.composite
def conv_transpose2d_args(draw: Any) -> tuple:
    """x (N, C_in, H, W) is conv2d's output-sized; output_padding recovers any skipped rows."""
    geo = draw(conv_geometry())
    g = geo["groups"]
    size = _conv_output_size(geo)
    extra = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(geo["stride"],
                                                                         geo["dilation"]))
    shapes_ = [(geo["n"], g * geo["out_per_group"], *size),
               (g * geo["out_per_group"], geo["in_per_group"], *geo["kernel"])]
    if geo["bias"]:
        shapes_.append((g * geo["in_per_group"],))
    attrs = {**_conv_attrs(geo), "output_padding": extra}
    return _arrays([real()] * len(shapes_), shapes_, geo["seed"]), attrs


@st.composite
def conv2d_weight_args(draw: Any) -> tuple:
    geo = draw(conv_geometry())
    g = geo["groups"]
    shapes_ = [(geo["n"], g * geo["in_per_group"], *geo["spatial"]),
               (geo["n"], g * geo["out_per_group"], *_conv_output_size(geo))]
    return _arrays([real()] * 2, shapes_, geo["seed"]), {**_conv_attrs(geo),
                                                        "kernel_size": geo["kernel"]}


@st.composite
def max_pool2d_args(draw: Any) -> tuple:
    geo = draw(conv_geometry(pool=True))
    ceil_mode = draw(st.booleans())
    shape = (geo["n"], geo["in_per_group"], *geo["spatial"])
    return _arrays([distinct], [shape], geo["seed"]), {
        "kernel_size": geo["kernel"], "stride": geo["stride"], "padding": geo["padding"],
        "dilation": geo["dilation"], "ceil_mode": ceil_mode}


CASES += [
    OpCase("conv2d", an.ops.conv.conv2d, conv2d_loops, conv2d_args(),
           max_examples=CONV_EXAMPLES),
    OpCase("conv_transpose2d", an.ops.conv.conv_transpose2d, conv_transpose2d_loops,
           conv_transpose2d_args(), max_examples=CONV_EXAMPLES),
    OpCase("conv2d_weight", an.ops.conv.conv2d_weight, conv2d_weight_loops,
           conv2d_weight_args(), max_examples=CONV_EXAMPLES),
    # distinct values: no ties, so the max of each window is unique and its gradient exact
    OpCase("max_pool2d", an.ops.conv.max_pool2d, max_pool2d_loops, max_pool2d_args(),
           smooth=False, max_examples=CONV_EXAMPLES),
]


# ---- normalization and smooth activations (ops/normalization.py)
_math_erf = np.vectorize(math.erf, otypes=[np.float64])


def _normalize_reference(x, axis, eps):
    """(x - mean) / sqrt(var + eps), each slice along ``axis`` by an explicit loop."""
    out = np.empty_like(x)
    kept = [a for a in range(x.ndim) if a not in axis]
    order = (*kept, *axis)
    moved = np.transpose(x, order)
    lead = moved.shape[:len(kept)]
    result = np.empty_like(moved)
    for index in np.ndindex(*lead):
        values = moved[index].ravel()
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / len(values)
        result[index] = (moved[index] - mean) / math.sqrt(var + eps)
    out[...] = np.transpose(result, np.argsort(order))
    return out


@st.composite
def normalize_args(draw: Any) -> tuple:
    """x of 1-3 dims (size-1 sides included), a tuple of axes to normalize over, eps."""
    shape = draw(nonscalar_shapes)
    axis = tuple(sorted(draw(st.lists(st.integers(0, len(shape) - 1), min_size=1,
                                      max_size=len(shape), unique=True))))
    eps = draw(st.sampled_from([1e-5, 0.1]))
    return _arrays([distinct], [shape], draw(seeds)), {"axis": axis, "eps": eps}


def _gelu_reference(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _math_erf(x / math.sqrt(2)))


CASES += [
    OpCase("normalize", normalize, _normalize_reference, normalize_args()),
    OpCase("erf", an.erf, _math_erf, unary(real(-3.0, 3.0))),
    OpCase("gelu", an.gelu, _gelu_reference, unary(real(-4.0, 4.0))),
    OpCase("gelu(tanh)", an.gelu, _gelu_reference, unary(real(-4.0, 4.0), approximate="tanh"),
           primitives=("gelu",)),
    OpCase("silu", an.silu, lambda x: x / (1 + np.exp(-x)), unary(real(-6.0, 6.0))),
]


# ---- recurrent cells (nn/recurrent.py): gate pre-activations, state, recurrent weight and bias
@st.composite
def recurrent_cell_args(draw: Any, gates: int, min_rows: int, max_rows: int) -> tuple:
    """gx (N, G H), state (N, S, H), w_hh (G H, H)[, b_hh (G H,)]: the rows of the state past
    the ones a cell reads (h, or h and c) get a zero gradient."""
    n, hidden = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    rows = draw(st.integers(min_rows, max_rows))
    shapes_ = [(n, gates * hidden), (n, rows, hidden), (gates * hidden, hidden)]
    if draw(st.booleans()):
        shapes_.append((gates * hidden,))
    return _arrays([real(-1.5, 1.5)] * len(shapes_), shapes_, draw(seeds)), {}


def _sigmoid_reference(z):
    return 1 / (1 + np.exp(-z))


def _lstm_cell_reference(gx, state, w_hh, b_hh=0.0):
    h, c = state[:, 0], state[:, 1]
    z = gx + h @ w_hh.T + b_hh
    i, f, g, o = np.split(z, 4, axis=1)
    i, f, g, o = _sigmoid_reference(i), _sigmoid_reference(f), np.tanh(g), _sigmoid_reference(o)
    c = f * c + i * g
    return np.stack([o * np.tanh(c), c, i, f, g, o, np.tanh(c)], axis=1)


def _gru_cell_reference(gx, state, w_hh, b_hh=0.0):
    h = state[:, 0]
    a = h @ w_hh.T + b_hh
    xr, xz, xn = np.split(gx, 3, axis=1)
    ar, az, an_ = np.split(a, 3, axis=1)
    r, z = _sigmoid_reference(xr + ar), _sigmoid_reference(xz + az)
    n = np.tanh(xn + r * an_)
    return np.stack([(1 - z) * n + z * h, r, z, n, an_], axis=1)


CASES += [
    OpCase("lstm_cell", an.ops.recurrent.lstm_cell, _lstm_cell_reference,
           recurrent_cell_args(4, 2, 3)),
    OpCase("gru_cell", an.ops.recurrent.gru_cell, _gru_cell_reference,
           recurrent_cell_args(3, 1, 2)),
]


# ---- a whole LSTM or GRU layer in one node (nn/recurrent.py): the cell over L steps, either way
@st.composite
def sequence_args(draw: Any, gates: int, min_rows: int) -> tuple:
    """gx (L, N, G H), state (N, S, H) with S in min_rows..3, w_hh (G H, H)[, b_hh], reverse."""
    steps, n, hidden = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    rows = draw(st.integers(min_rows, 3))
    shapes_ = [(steps, n, gates * hidden), (n, rows, hidden), (gates * hidden, hidden)]
    if draw(st.booleans()):
        shapes_.append((gates * hidden,))
    arrays = _arrays([real(-1.5, 1.5)] * len(shapes_), shapes_, draw(seeds))
    return arrays, {"reverse": draw(st.booleans())}


def _sequence_reference(cell):
    def reference(gx, state, w_hh, b_hh=0.0, reverse=False):
        out = [None] * len(gx)
        for t in (reversed(range(len(gx))) if reverse else range(len(gx))):
            state = cell(gx[t], state, w_hh, b_hh)
            out[t] = state
        return np.stack(out, axis=0)
    return reference


@st.composite
def rnn_sequence_args(draw: Any, nonlinearity: str) -> tuple:
    """gx (L, N, H), h_0 (N, H), w_hh (H, H)[, b_hh (H,)], nonlinearity, reverse."""
    steps, n, hidden = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    shapes_ = [(steps, n, hidden), (n, hidden), (hidden, hidden)]
    if draw(st.booleans()):
        shapes_.append((hidden,))
    arrays = _arrays([real(-1.5, 1.5)] * len(shapes_), shapes_, draw(seeds))
    return arrays, {"nonlinearity": nonlinearity, "reverse": draw(st.booleans())}


def _rnn_step_reference(gx, h, w_hh, b_hh=0.0, nonlinearity="tanh"):
    z = gx + h @ w_hh.T + b_hh
    return np.tanh(z) if nonlinearity == "tanh" else np.maximum(z, 0)


def _rnn_sequence_reference(gx, state, w_hh, b_hh=0.0, nonlinearity="tanh", reverse=False):
    step = lambda gx_t, h, w, b: _rnn_step_reference(gx_t, h, w, b, nonlinearity)  # noqa: E731
    return _sequence_reference(step)(gx, state, w_hh, b_hh, reverse)


CASES += [
    OpCase("rnn_sequence", an.ops.recurrent.rnn_sequence, _rnn_sequence_reference,
           rnn_sequence_args("tanh"), max_examples=25),
    OpCase("rnn_sequence(relu)", an.ops.recurrent.rnn_sequence, _rnn_sequence_reference,
           rnn_sequence_args("relu"), max_examples=25, primitives=("rnn_sequence",)),
    OpCase("lstm_sequence", an.ops.recurrent.lstm_sequence,
           _sequence_reference(_lstm_cell_reference), sequence_args(4, 2), max_examples=25),
    OpCase("gru_sequence", an.ops.recurrent.gru_sequence,
           _sequence_reference(_gru_cell_reference), sequence_args(3, 1), max_examples=25),
]
