"""Functional forms of layers, activations, losses and penalties (``an.nn.functional``, usually
imported as ``F``). Losses take ``reduction='mean' | 'sum' | 'none'``.

Shapes: N examples, C classes. Inputs are batch-first (rows are examples), so the course's
Z[l] = W[l] A[l-1] + b[l] with A of shape (n[l-1], m) is written here as A @ W.T + b with A of
shape (m, n[l-1]).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autonet import ops
from autonet.arguments import integer, number, numeric
from autonet.autograd.trace import CompileError, replayed, tracing
from autonet.creation import sample
from autonet.nn.attention_functional import scaled_dot_product_attention
from autonet.nn.conv_functional import *  # noqa: F403  (conv, pooling, dropout2d)
from autonet.nn.embedding_functional import embedding, one_hot
from autonet.nn.norm_functional import batch_norm, group_norm, layer_norm
from autonet.ops import fused
from autonet.ops.axes import takes_axis
from autonet.ops.fused import linear as linear_op
from autonet.ops.nondiff import refuse_complex
from autonet.ops.primitive import as_array
from autonet.tensor import Tensor

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "dropout",
    "elastic_net_penalty", "elu", "huber_loss", "l1_loss", "l1_penalty", "l2_penalty",
    "leaky_relu", "linear", "log_softmax", "mse_loss", "nll_loss", "relu", "sigmoid", "softmax",
    "softplus", "tanh", "weight_penalty",
    # normalization, embeddings, attention, smooth activations
    "batch_norm", "embedding", "gelu", "group_norm", "layer_norm", "one_hot",
    "scaled_dot_product_attention", "silu",
]


_REDUCTIONS = ("mean", "sum", "none")


# ---- layers ------------------------------------------------------------------------------------
def _shape(a: Any) -> tuple[int, ...]:
    """``np.shape`` of a Tensor, array or nested list; the first two directly."""
    if isinstance(a, Tensor):
        return a.data.shape
    return a.shape if type(a) is np.ndarray else np.shape(a)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x (..., in) @ weight.T (in, out) + bias (out,) -> (..., out), one graph node."""
    # every layer call: Tensors' shapes read here, without a call to _shape
    w_shape = weight.data.shape if isinstance(weight, Tensor) else _shape(weight)
    x_shape = x.data.shape if isinstance(x, Tensor) else _shape(x)
    if len(w_shape) != 2 or not x_shape or x_shape[-1] != w_shape[-1]:
        raise ValueError(f"linear: input of shape {x_shape} does not fit weight of shape {w_shape} "
                         f"(out_features, in_features): the input's last dimension must be "
                         f"{w_shape[-1] if w_shape else '?'}; flatten or reshape the input, or "
                         "change in_features")
    if bias is None:
        return linear_op(x, weight)
    b_shape = bias.data.shape if isinstance(bias, Tensor) else _shape(bias)
    if b_shape != w_shape[:1]:
        raise ValueError(f"linear: bias of shape {np.shape(as_array(bias))} does not fit weight "
                         f"of shape {w_shape}; it needs shape ({w_shape[0]},)")
    return linear_op(x, weight, bias)


def dropout(x: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (inverted dropout),
    so nothing changes at evaluation time. Identity when not training or p == 0."""
    p = number(p, "dropout", "p", 0.0, 1.0)
    x = x if isinstance(x, Tensor) else Tensor(numeric(x, "dropout", "input"))
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros((), dtype=x.dtype)
    return x * sample(dropout_mask, x.shape, p, x.dtype)


def dropout_mask(generator: np.random.Generator, shape: tuple, p: float, dtype: Any) -> np.ndarray:
    """Inverted dropout's mask D: 0 with probability p, else 1 / (1 - p)."""
    keep = generator.random(shape) >= p
    mask = keep.astype(dtype)
    mask *= 1.0 / (1.0 - p)
    return mask


# ---- activations (the ops themselves, re-exported under their PyTorch names) -------------------
relu = ops.relu
sigmoid = ops.sigmoid
tanh = ops.tanh


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta elementwise (PyTorch's softplus), finite for any x; where
    beta x > threshold it is x itself, as in PyTorch. With the defaults it is the op itself,
    exact for every x (PyTorch's x above 20 differs from it by under 2e-9)."""
    beta = number(beta, "softplus", "beta", 0.0, low_open=True)
    threshold = number(threshold, "softplus", "threshold", infinite=True)
    if beta == 1.0 and threshold == 20.0:
        return ops.softplus(x)  # one node: the op itself, exact for any x
    scaled = x * beta if beta != 1.0 else x
    smooth = ops.softplus(scaled) / beta if beta != 1.0 else ops.softplus(scaled)
    return ops.where(scaled > threshold, x, smooth)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere; same shape as x."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x where x > 0, alpha * (exp(x) - 1) elsewhere; same shape as x."""
    return ops.elu(x, alpha=alpha)


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x Phi(x) (Phi the standard normal CDF, with erf); approximate='tanh' uses
    x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2, PyTorch's two forms."""
    return ops.gelu(x, approximate=approximate)


def silu(x: Any) -> Tensor:
    """x sigmoid(x) (also called swish)."""
    return ops.silu(x)


@takes_axis
def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (each slice sums to 1); same shape as x."""
    return ops.softmax(x, axis=axis)


@takes_axis
def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed stably; same shape as x."""
    return ops.log_softmax(x, axis=axis)


# ---- helpers -----------------------------------------------------------------------------------
def _reduce(name: str, loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _same_shape(name: str, input: Any, target: Any) -> None:
    a, b = np.shape(as_array(input)), np.shape(as_array(target))
    if a != b:
        raise ValueError(f"{name}: input has shape {a} but target has shape {b}; they must match "
                         f"(a silent broadcast would compare every prediction with every target). "
                         f"Reshape the target, e.g. target.reshape({a})")


def _float_target(name: str, target: Any, like: Tensor) -> Any:
    array = as_array(target)
    if np.asarray(array).dtype.kind not in "f":
        # integer or bool labels (0/1) become floats of the input's dtype
        return np.asarray(array).astype(like.dtype)
    return target


# ---- regression losses ---------------------------------------------------------------------------
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (input - target)^2; input and target of the same shape."""
    _check_reduction("mse_loss", reduction)
    _same_shape("mse_loss", input, target)
    diff = ops.sub(input, target)
    return _reduce("mse_loss", diff * diff, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error |input - target|."""
    _check_reduction("l1_loss", reduction)
    _same_shape("l1_loss", input, target)
    return _reduce("l1_loss", ops.abs(ops.sub(input, target)), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta), with d = input - target."""
    _check_reduction("huber_loss", reduction)
    _same_shape("huber_loss", input, target)
    if isinstance(delta, bool) or not isinstance(delta, int | float | np.integer | np.floating) \
            or not delta > 0 or not math.isfinite(delta):
        raise ValueError(f"huber_loss: delta must be a finite positive number, got {delta!r}")
    diff = ops.sub(input, target)
    size = ops.abs(diff)
    # the branch as a comparison op (not size.data <= delta in numpy), so that an.compile's
    # replay recomputes it from each call's values
    loss = ops.where(size <= delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
    return _reduce("huber_loss", loss, reduction)


# ---- classification losses -----------------------------------------------------------------------
def _elementwise_weight(name: str, weight: Any, like: Tensor, what: str) -> Any:
    """A weight broadcastable to the input's shape; constants take the input's dtype."""
    if isinstance(weight, str):
        raise TypeError(f"{name}: {what} must be an array, got the string {weight!r}; pass "
                        f"reduction={weight!r} by keyword")
    shape = np.shape(as_array(weight))
    try:
        fits = np.broadcast_shapes(shape, like.shape) == like.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: {what} of shape {shape} does not broadcast to the input's shape "
                         f"{like.shape}; give one value per element or per class (last axis), "
                         f"e.g. shape ({like.shape[-1] if like.shape else 1},)")
    if isinstance(weight, Tensor) and weight.requires_grad:
        return weight
    return np.asarray(as_array(weight)).astype(like.dtype)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", *,
                                     pos_weight: Any = None) -> Tensor:
    """-w [p t log s(x) + (1 - t) log(1 - s(x))] from logits x, stable for any x (one fused op).
    Targets in [0, 1] of the input's shape; for multi-label problems use one logit per label.
    ``weight`` w rescales each element's loss; ``pos_weight`` p (e.g. shape (C,), one per label,
    broadcast along the last axis) weighs the positive term: p = n_negative / n_positive balances
    a rare label. Both default to 1, as in PyTorch."""
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    _same_shape(name, input, target)
    input = input if isinstance(input, Tensor) else Tensor(input)
    args = [input, _float_target(name, target, input)]
    if pos_weight is not None:
        args.append(_elementwise_weight(name, pos_weight, input, "pos_weight"))
    loss = fused.binary_cross_entropy_with_logits(*args)
    if weight is not None:
        loss = loss * _elementwise_weight(name, weight, input, "weight")
    return _reduce(name, loss, reduction)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-[t log p + (1 - t) log(1 - p)] from probabilities p in [0, 1] (e.g. after sigmoid).
    Each log is clamped at -100, as PyTorch does, so p = 0 or 1 gives a finite loss. Prefer
    binary_cross_entropy_with_logits on the logits: it is exact where sigmoid saturates."""
    _check_reduction("binary_cross_entropy", reduction)
    _same_shape("binary_cross_entropy", input, target)
    refuse_complex("binary_cross_entropy", input)  # (before the range check, which orders)
    p = as_array(input)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], got "
                         f"values in [{np.min(p):.4g}, {np.max(p):.4g}]; apply sigmoid first or "
                         "use binary_cross_entropy_with_logits on the raw scores")
    input = input if isinstance(input, Tensor) else Tensor(input)
    target = _float_target("binary_cross_entropy", target, input)
    loss = fused.binary_cross_entropy(input, target)
    if weight is not None:
        loss = loss * _elementwise_weight("binary_cross_entropy", weight, input, "weight")
    return _reduce("binary_cross_entropy", loss, reduction)


def _check_logits(name: str, logits: Any) -> tuple[int, int]:
    shape = np.shape(as_array(logits))
    if len(shape) != 2:
        raise ValueError(f"{name}: expected input of shape (N, C) (examples x classes), got "
                         f"{shape}; for one example use x.reshape(1, -1)")
    return shape


def _check_class_targets(name: str, target: np.ndarray, n: int, c: int,
                         ignore_index: int = -100) -> np.ndarray:
    if target.shape != (n,):
        raise ValueError(f"{name}: integer targets must have shape (N,) = ({n},), one class index "
                         f"per example, got {target.shape}")
    fused.check_class_indices(name, target, c, ignore_index)
    return target


def _class_weight(name: str, weight: Any, c: int, like: Any) -> np.ndarray | None:
    """``weight`` as a constant float array of shape (C,) in the input's dtype, or None."""
    if weight is None:
        return None
    if isinstance(weight, str):
        raise TypeError(f"{name}: weight must be an array of C = {c} class weights, got the "
                        f"string {weight!r}; pass reduction={weight!r} by keyword")
    if isinstance(weight, Tensor) and weight.requires_grad:
        raise ValueError(f"{name}: class weights are constants and get no gradient; pass "
                         "weight.detach()")
    w = np.asarray(as_array(weight))
    if w.shape != (c,) or w.dtype.kind not in "iuf":
        raise ValueError(f"{name}: weight must be a 1-D array of C = {c} class weights (one per "
                         f"column of the input), got shape {w.shape} and dtype {w.dtype}")
    return w.astype(np.asarray(as_array(like)).dtype)


def _weighted_mean(name: str, loss: Tensor, denominator: float, reduction: str) -> Tensor:
    """Reduce per-example losses; 'mean' divides by the total weight of the kept examples (as
    PyTorch does). All examples ignored: the mean is nan (0 / 0) and every gradient 0."""
    if reduction != "mean":
        return _reduce(name, loss, reduction)
    total = ops.sum(loss)
    if denominator == 0:
        return total + np.asarray(np.nan, dtype=total.dtype)
    return total / np.asarray(denominator, dtype=total.dtype)


def cross_entropy(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy from logits ``input`` (N, C), as PyTorch defines it.

    ``target`` is either class indices (N,) of an integer dtype (one fused, stable op), or class
    probabilities (N, C) of a float dtype (soft labels). ``label_smoothing`` eps in [0, 1) mixes the
    targets with the uniform distribution: (1 - eps) target + eps / C.

    ``weight`` (C,) scales each class's terms: with indices the loss of example i is
    ``(1 - eps) w[t_i] (-log p_i[t_i]) + eps / C sum_j w_j (-log p_ij)``, and 'mean' divides the
    sum by ``sum_i w[t_i]`` over kept examples (not by N). Examples whose target equals
    ``ignore_index`` give loss 0 and gradient 0 and do not count in the mean. With probabilities,
    the loss of example i is ``-sum_j w_j y_ij log p_ij`` and 'mean' divides by N.
    """
    # The common call (float logits (N, C), class indices in range, no weight, no smoothing,
    # ignore_index outside [0, C), 'mean'): cheap tests that imply every full check passes, so
    # they and the kept-example mask are skipped; anything else takes the full checks below.
    shape = input.data.shape if type(input) is Tensor else ()
    if (weight is None and type(reduction) is str and reduction == "mean"
            and type(label_smoothing) is float and label_smoothing == 0.0
            and type(ignore_index) is int
            and type(target) is np.ndarray and len(shape) == 2
            and target.shape == shape[:1] and not 0 <= ignore_index < shape[1]
            and target.size and fused.in_range(target, shape[1])):
        return fused.softmax_cross_entropy(input, target, label_smoothing=0.0,
                                           ignore_index=ignore_index, mean=True)
    _check_reduction("cross_entropy", reduction)
    n, c = _check_logits("cross_entropy", input)
    label_smoothing = number(label_smoothing, "cross_entropy", "label_smoothing", 0.0, 1.0,
                             high_open=True)
    ignore_index = integer(ignore_index, "cross_entropy", "ignore_index")
    w = _class_weight("cross_entropy", weight, c, input)
    t = np.asarray(as_array(target))
    if t.dtype.kind in "iu":
        t = _check_class_targets("cross_entropy", t, n, c, ignore_index)
        args = (input, t) if w is None else (input, t, w)
        attrs = {"label_smoothing": float(label_smoothing), "ignore_index": int(ignore_index)}
        if reduction == "mean":  # PyTorch's mean (over the kept examples' weights), one node
            return fused.softmax_cross_entropy(*args, **attrs, mean=True)
        return _reduce("cross_entropy", fused.softmax_cross_entropy(*args, **attrs), reduction)
    if t.dtype.kind == "f":
        if t.shape != (n, c):
            raise ValueError(f"cross_entropy: float targets are class probabilities and must have "
                             f"the input's shape {(n, c)}, got {t.shape}; for class indices pass "
                             "an integer array of shape (N,), e.g. target.astype('int64')")
        if label_smoothing:
            target = ops.mul(target, 1 - label_smoothing) + label_smoothing / c
        log_p = ops.log_softmax(input, axis=1)
        if w is not None:
            log_p = log_p * w
        loss = -ops.sum(ops.mul(target, log_p), axis=1)
        return _reduce("cross_entropy", loss, reduction)
    raise TypeError(f"cross_entropy: target dtype {t.dtype} is neither integer class indices nor "
                    "float class probabilities")


def nll_loss(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood from log-probabilities ``input`` (N, C) (e.g. log_softmax) and
    integer class indices ``target`` (N,): ``-w[t_i] input[i, t_i]`` (w = 1 without ``weight``).
    'mean' divides by ``sum_i w[t_i]`` over kept examples; targets equal to ``ignore_index`` give
    loss 0 and gradient 0 (PyTorch's semantics)."""
    _check_reduction("nll_loss", reduction)
    n, c = _check_logits("nll_loss", input)
    w = _class_weight("nll_loss", weight, c, input)
    t = np.asarray(as_array(target))
    if t.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must hold integer class indices, got dtype {t.dtype}; "
                        "convert with target.astype('int64')")
    t = _check_class_targets("nll_loss", t, n, c, ignore_index)
    kept = t != ignore_index
    if w is None and kept.all():
        # the target's own array as the index, so that a compiled step picks each call's
        # targets; and a replay meeting an ignored target (this path would pick it) says so
        if tracing():
            replayed(_no_ignored_targets, t, ignore_index)
        picked = -ops.index(input, (np.arange(n), t))
        return _reduce("nll_loss", picked, reduction)
    if tracing():
        raise CompileError("nll_loss: targets equal to ignore_index (or class weights) make "
                           "the loss read its targets in numpy, which a compiled step would "
                           "freeze; compute this loss eagerly, or use cross_entropy on logits")
    picked = -ops.index(input, (np.arange(n), np.where(kept, t, 0)))
    dtype = np.asarray(as_array(input)).dtype
    scale = kept.astype(dtype) if w is None else np.where(kept, w[np.where(kept, t, 0)], 0)
    return _weighted_mean("nll_loss", picked * scale.astype(dtype), float(np.sum(scale)),
                          reduction)


def _no_ignored_targets(target: np.ndarray, ignore_index: int) -> None:
    if np.any(target == ignore_index):
        raise CompileError(f"nll_loss: this compiled step was traced on targets without "
                           f"ignore_index={ignore_index} and now gets some; compute the loss "
                           f"eagerly when targets can be ignored")


# ---- regularization penalties --------------------------------------------------------------------
def _params(name: str, params: Iterable[Any]) -> list[Any]:
    if isinstance(params, Tensor):
        params = [params]
    if isinstance(params, str | bytes):
        raise TypeError(f"{name}: params must be tensors (e.g. model.parameters()), got "
                        f"{params!r:.60}")
    params = list(params)
    if not params:
        raise ValueError(f"{name}: got no parameters; pass e.g. model.parameters() or a list of "
                         "weights")
    return params


def l1_penalty(params: Iterable[Any]) -> Tensor:
    """sum over params of sum |p| (lasso). Add ``lam * l1_penalty(weights)`` to the loss."""
    return _total([ops.sum(ops.abs(p)) for p in _params("l1_penalty", params)])


def l2_penalty(params: Iterable[Any]) -> Tensor:
    """sum over params of sum p^2 (squared Frobenius norms). The course's L2 term is
    ``lambd / (2 * m) * l2_penalty(weights)``."""
    return _total([ops.sum(ops.mul(p, p)) for p in _params("l2_penalty", params)])


def weight_penalty(params: Iterable[Any], l1: float = 0.0, l2: float = 0.0) -> Tensor | None:
    """``l1 * sum |W| + (l2 / 2) * sum W^2`` over ``params``: the penalty ``fit(l1=, l2=)`` adds
    to the loss (on the weight matrices), whose gradient adds ``l1 * sign(W) + l2 * W`` (so ``l2``
    is the weight decay). The course's L2 term ``lambd / (2 * m) * sum ||W[l]||^2`` is
    ``weight_penalty(weights, l2=lambd / m)``. None when both are 0 or there are no params."""
    for name, value in (("l1", l1), ("l2", l2)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number) \
                or not value >= 0:
            raise ValueError(f"weight_penalty: {name}={value!r} must be a number >= 0 (0 turns "
                             "the penalty off)")
    params = [params] if isinstance(params, Tensor) else list(params)
    if not (l1 or l2) or not params:
        return None
    total = None
    if l1:
        total = l1 * l1_penalty(params)
    if l2:
        term = (l2 / 2) * l2_penalty(params)
        total = term if total is None else total + term
    return total


def elastic_net_penalty(params: Iterable[Any], l1: float = 0.5, l2: float = 0.5) -> Tensor:
    """l1 * l1_penalty + l2 * l2_penalty."""
    l1 = number(l1, "elastic_net_penalty", "l1", low=0.0)
    l2 = number(l2, "elastic_net_penalty", "l2", low=0.0)
    params = _params("elastic_net_penalty", params)
    return l1 * l1_penalty(params) + l2 * l2_penalty(params)


def _total(terms: list[Tensor]) -> Tensor:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
