"""Fused ops for networks: one node each where fusing buys numerical stability or speed.

* ``softmax`` / ``log_softmax`` along ``axis``, shifted by the max (stable for logits of 1e4).
* ``linear(x (..., in), w (out, in)[, b (out,)])`` -> (..., out): Z = X @ W.T + b in one node.
* ``softmax_cross_entropy(logits (N, C), target (N,) int[, weight (C,)])`` -> per-example loss
  (N,), with class weights w (default 1), label smoothing eps and a mask m_i = [t_i != ignore_index]
  (PyTorch's weighted, smoothed cross-entropy, before its reduction; ``mean=True``: their mean,
  the same values as ``mean`` of them with its rule, in one node):
      loss_i = m_i [(1 - eps) w_t (lse_i - x_it) + eps / C sum_j w_j (lse_i - x_ij)],  t = t_i
      d loss_i / d x_i = a_i softmax(x_i) - m_i ((1 - eps) w_t onehot(t) + eps / C w)
      with a_i = m_i ((1 - eps) w_t + eps / C sum_j w_j)        (the row sum of the second term)
* ``binary_cross_entropy_with_logits(x, t[, pos_weight])`` -> elementwise loss
      loss = max(x, 0) - x t + log(1 + exp(-|x|))        (= -t log s(x) - (1 - t) log(1 - s(x)))
      d/dx = sigmoid(x) - t,   d/dt = -x
  with pos_weight p (PyTorch's -p t log s(x) - (1 - t) log(1 - s(x))), using
  -log s(x) = softplus(-x) = max(-x, 0) + log(1 + exp(-|x|)) and l = 1 + (p - 1) t:
      loss = (1 - t) x + l softplus(-x)
      d/dx = (1 - t) - l sigmoid(-x),   d/dt = -x + (p - 1) softplus(-x),   d/dp = t softplus(-x)
* ``binary_cross_entropy(p, t)`` from probabilities, each log clamped at -100 (PyTorch's choice)
      d/dp = (p - t) / max(p (1 - p), 1e-12),   d/dt = log(1 - p) - log(p)
"""

from __future__ import annotations

import math

import numpy as np

from autonet.ops.axes import takes_axis
from autonet.ops.primitive import Primitive, as_array
from autonet.ops.registry import composite


def _floating(name, x):
    if np.asarray(x).dtype.kind not in "fc":
        raise TypeError(f"{name}: needs a floating tensor, got {np.asarray(x).dtype}; convert it "
                        "first, e.g. t.astype('float32') (integer logits would overflow)")


def _softmax(x, axis=-1):
    _floating("softmax", x)
    # Shifting by the max leaves softmax unchanged and keeps exp from overflowing (logits of 1e4).
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _log_softmax(x, axis=-1):
    _floating("log_softmax", x)
    shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# softmax: dx = y * (g - sum(g * y));  log_softmax: dx = g - softmax(x) * sum(g).
softmax_row = Primitive("softmax", _softmax, (
    lambda xp, g, y, x, axis=-1: y * (g - xp.sum(g * y, axis=axis, keepdims=True)),
), saves_output=True, kind="fused", export=False,
    doc="exp(x) / sum(exp(x)) along axis, shifted by the max (stable for any logits).")
log_softmax_row = Primitive("log_softmax", _log_softmax, (
    lambda xp, g, y, x, axis=-1: g - xp.exp(y) * xp.sum(g, axis=axis, keepdims=True),
), saves_output=True, kind="fused", export=False,
    doc="x - logsumexp(x) along axis, computed stably.")
softmax = composite(takes_axis(softmax_row, keywords=("axis",)), name="softmax", method=True)
log_softmax = composite(takes_axis(log_softmax_row, keywords=("axis",)), name="log_softmax",
                        method=True)

def _linear(x, w, b=None):
    if x.ndim > 2:  # one (rows, in) @ (in, out) product: numpy loops over stacked matrices
        rows = x.reshape(math.prod(x.shape[:-1]), x.shape[-1])
        out = np.matmul(rows, w.T).reshape(*x.shape[:-1], w.shape[0])
    else:
        out = np.matmul(x, w.T)
    if b is not None:
        out += b
    return out


def _rows(xp, a):
    """(..., n) -> (prod(...), n): the batch axes of a linear layer's input flattened."""
    return a if a.ndim == 2 else xp.reshape(a, (-1, a.shape[-1]))


def _linear_grad_x(xp, g, y, x, w, b=None):
    if g.ndim > 2:  # as in the forward: one product over all rows
        return xp.reshape(_rows(xp, g) @ w, x.shape)
    return g @ w


def _column_sums(xp, g):
    """g (..., out) summed over its batch axes -> (out,): numpy's add.reduce itself on arrays (the
    reduction ndarray.sum runs, without its Python-level wrapper), Tensor.sum under create_graph."""
    g = _rows(xp, g)
    return np.add.reduce(g, axis=0) if type(g) is np.ndarray else g.sum(axis=0)


# One fused node for Z = X @ W.T + b. Its rules give dW = dZ.T @ X directly in W's (out, in) layout
# (no transposed view to copy into .grad) and db = dZ summed over the batch axes. ``@`` and .T are
# the array's (or Tensor's) own: the same product and transpose, without a Python-level call in
# between on every step.
linear = Primitive("linear", _linear, (
    _linear_grad_x,
    lambda xp, g, y, x, w, b=None: _rows(xp, g).T @ _rows(xp, x),
    lambda xp, g, y, x, w, b=None: _column_sums(xp, g),
), kind="fused", export=False,
    doc="x (..., in) @ w.T (out, in) + b (out,) -> (..., out); public form nn.functional.linear.")


class _UnsignedOfSameSize(dict):
    """dtype -> the unsigned integer dtype of its size, or None for other dtypes and byte orders;
    each computed on its first look-up."""

    def __missing__(self, dtype: np.dtype) -> np.dtype | None:
        unsigned = np.dtype(f"u{dtype.itemsize}") if dtype.kind in "iu" and dtype.isnative else None
        self[dtype] = unsigned
        return unsigned


_UNSIGNED = _UnsignedOfSameSize()


def in_range(target: np.ndarray, c: int) -> bool:
    """Whether integer ``target`` (non-empty) holds only class indices in [0, c), in one reduction:
    viewed as unsigned of the same size, a negative index is above any class count. False for
    other dtypes and byte orders (the full check then decides)."""
    unsigned = _UNSIGNED[target.dtype]
    # the ufunc reduction itself: ndarray.max would add a Python frame (numpy's _amax)
    return unsigned is not None and bool(np.maximum.reduce(target.view(unsigned)) < c)


def check_class_indices(name: str, target: np.ndarray, c: int, ignore_index: int) -> None:
    """Raise unless every target is a class index in [0, c) or ``ignore_index``: numpy would
    take a negative index from the end, silently. The forward checks every call (a compiled
    step's replay too), the functional form before it."""
    if not target.size or in_range(target, c) or (target.min() >= 0 and target.max() < c):
        return
    bad = target[((target < 0) | (target >= c)) & (target != ignore_index)]
    if bad.size:
        raise ValueError(f"{name}: target class index {int(bad[0])} is out of range for {c} "
                         f"classes; targets must be integers in [0, {c - 1}] (or ignore_index="
                         f"{ignore_index} for examples to skip)")


def _row_weights(target, weight, ignore_index, dtype):
    """Targets made safe to index with (ignored rows point at class 0), and m_i w_{t_i} (N,)."""
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    picked = keep.astype(dtype) if weight is None else np.where(keep, weight[safe], 0).astype(dtype)
    return safe, picked, keep.astype(dtype)


def _plain(target, weight, label_smoothing, ignore_index) -> bool:
    """No class weights, no smoothing and no ignored example: the common case, where every
    example's factor m_i w_{t_i} is 1 and the loss and gradient need no weighting at all."""
    # ``not in``: the same test as (target != ignore_index).all(), without .all()'s dispatch
    return weight is None and not label_smoothing and ignore_index not in target


def _softmax_cross_entropy(logits, target, weight=None, label_smoothing=0.0, ignore_index=-100,
                           mean=False):
    check_class_indices("cross_entropy", target, logits.shape[1], ignore_index)
    # (safe targets, m_i w_t, m_i) unless plain, computed once for the loss and its mean
    weights = None if _plain(target, weight, label_smoothing, ignore_index) else \
        _row_weights(target, weight, ignore_index, logits.dtype)
    loss = _per_example(logits, target, weight, label_smoothing, weights)
    if not mean:
        return loss
    # PyTorch's 'mean' divides by sum_i m_i w_t (the kept examples' count without weights)
    return mean_of(loss) if weights is None else weighted_mean_of(loss, np.add.reduce(weights[1]))


def weighted_mean_of(loss, total_weight):
    """sum(loss) / total_weight in the loss's dtype; nan (0 / 0) when every example is ignored."""
    total = np.add.reduce(loss, axis=None)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total.dtype.type(total / total_weight)


def _softmax_cross_entropy_keeping(logits, target, weight=None, label_smoothing=0.0,
                                   ignore_index=-100, mean=False):
    """The forward, and in the plain case the softmax it computed on the way (None otherwise):
    the rule's softmax - onehot(t) starts from it instead of computing it again. The same loss, and
    the same softmax values as the rule computes (the same exp, row sums and division)."""
    if not _plain(target, weight, label_smoothing, ignore_index):
        return _softmax_cross_entropy(logits, target, weight, label_smoothing, ignore_index,
                                      mean), None
    # (its one caller, nn.functional.cross_entropy, checked the targets; forward checks them
    # itself, for a compiled step's replay)
    rows, top, soft, total = shifted_exp(logits)
    loss = np.log(total) + top - logits[rows, target]  # lse - x_it, as _per_example
    soft /= total[:, None]
    return (mean_of(loss) if mean else loss), soft


def shifted_exp(logits):
    """(rows, top, e, total) of logits (N, C): np.arange(N), each row's max top (N,), e =
    exp(logits - top) (N, C) and its row sums (N,). Shifted by the max, exp never overflows, even
    for logits of 1e4; the max is picked at the argmax, as numpy's max along a short last axis
    takes three times as long (the same element, up to the sign of a zero, which changes no
    exp). The forward's lse and the rule's softmax both start from it."""
    rows = np.arange(logits.shape[0])
    top = logits[rows, logits.argmax(axis=1)]
    e = np.exp(logits - top[:, None])
    return rows, top, e, np.add.reduce(e, axis=1)  # add.reduce: np.sum's reduction


def mean_of(loss):
    """np.mean(loss) computed as np.mean computes it (the sum, divided by the count as an intp,
    in the sum's type) without its Python-level dispatch; float16 and empty losses go to it."""
    if loss.dtype.kind != "f" or loss.dtype.itemsize < 4 or not loss.size:
        return np.mean(loss)
    total = np.add.reduce(loss, axis=None)
    return total.dtype.type(total / np.intp(loss.size))


def _per_example(logits, target, weight, label_smoothing, weights):
    """Each example's loss; ``weights``: _row_weights(...), or None in the plain case."""
    c = logits.shape[1]
    rows, top, _, total = shifted_exp(logits)
    lse = np.log(total) + top
    if weights is None:
        return lse - logits[rows, target]  # every m_i w_t = 1: no factor to apply
    safe, picked, keep = weights
    loss = picked * (lse - logits[rows, safe])
    if label_smoothing:
        if weight is None:  # eps / C sum_j (lse - x_ij) = eps (lse - mean_j x_ij)
            smooth = lse - np.mean(logits, axis=1)
        else:
            w = weight.astype(logits.dtype, copy=False)
            smooth = (np.sum(w) * lse - logits @ w) / c
        loss = (1 - label_smoothing) * loss + label_smoothing * keep * smooth
    return loss


def _softmax_cross_entropy_grad(xp, g, y, logits, target, weight=None, label_smoothing=0.0,
                                ignore_index=-100, mean=False):
    n, c = logits.shape
    dtype = as_array(logits).dtype
    # y: the softmax the keeping forward computed (plain case, numpy), else None
    plain = y is not None or _plain(target, weight, label_smoothing, ignore_index)
    if not plain:
        safe, picked, keep = _row_weights(target, weight, ignore_index, dtype)
    if mean:  # d mean / d loss_i = 1 / N (1 / sum m_i w_t when weighted): g scaled once
        total_weight = max(n, 1) if plain else float(np.add.reduce(picked))
        g = g * (1.0 / total_weight) if total_weight else g * 0  # every example ignored: 0
    # softmax recomputed from the logits shifted by each row's max (picked by index: the argmax is
    # a constant, like the targets), so it is exact and cannot overflow.
    rows = np.arange(n)
    if plain and not xp.records_graph:
        # numpy only, the same values with one fresh array instead of six: x / s in place is
        # soft / s, soft - onehot(t) changes only the targets' entries (x - 0 = x), and g times it
        # is it times g
        if y is not None:
            soft = y.copy()  # (kept for a second backward under retain_graph)
        else:
            _, _, soft, total = shifted_exp(logits)
            soft /= total[:, None]
        soft[rows, target] -= 1
        if not mean:
            g = g[:, None]
        if g.dtype is not soft.dtype:
            return g * soft
        soft *= g
        return soft
    if mean:
        g = xp.broadcast_to(g, (n,))
    top = xp.getitem(logits, (rows, np.argmax(as_array(logits), axis=1)))
    soft = xp.exp(logits - xp.expand_dims(top, 1))
    soft = soft / soft.sum(axis=1, keepdims=True)
    if plain:  # every m_i w_t = 1: softmax - onehot(t), the general form below times 1
        return xp.expand_dims(g, 1) * (soft - (np.arange(c) == target[:, None]).astype(dtype))
    hit = (1 - label_smoothing) * picked
    aimed = (np.arange(c) == safe[:, None]) * hit[:, None]  # m_i (1 - eps) w_t onehot(t)
    total = hit
    if label_smoothing:
        w = np.ones(c, dtype) if weight is None else weight.astype(dtype)
        aimed = aimed + (label_smoothing / c) * keep[:, None] * w
        total = hit + (label_smoothing / c * np.sum(w)) * keep
    return xp.expand_dims(g, 1) * (soft * total[:, None].astype(dtype) - aimed.astype(dtype))


def _bce_with_logits(x, t, pos_weight=None):
    if pos_weight is not None:
        return (1 - t) * x + (1 + (pos_weight - 1) * t) * _softplus_neg(np, x)
    out = np.maximum(x, 0)
    out -= x * t
    out += np.log1p(np.exp(-np.abs(x)))
    return out


def _softplus_neg(xp, x):
    """softplus(-x) = -log sigmoid(x) = max(-x, 0) + log(1 + exp(-|x|)), finite for any x."""
    negative = x < 0
    return xp.where(negative, -x, 0 * x) + xp.log(1 + xp.exp(xp.where(negative, x, -x)))


def _bce_with_logits_grad_x(xp, g, y, x, t, pos_weight=None):
    if pos_weight is None:
        return g * (xp.sigmoid(x) - t)
    return g * ((1 - t) - (1 + (pos_weight - 1) * t) * xp.sigmoid(-x))


def _bce_with_logits_grad_t(xp, g, y, x, t, pos_weight=None):
    if pos_weight is None:
        return -g * x
    return g * ((pos_weight - 1) * _softplus_neg(xp, x) - x)


def _clamped_log(xp, p):
    # log(max(p, e^-100)) = max(log p, -100) without ever evaluating log(0).
    return xp.log(xp.where(p > _TINY, p, _TINY))


_TINY = float(np.exp(-100.0))


def _bce(p, t):
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100.0)
        log_q = np.maximum(np.log1p(-p), -100.0)
    return -(t * log_p + (1 - t) * log_q)


def _bce_grad_p(xp, g, y, p, t):
    pq = p * (1 - p)
    return g * (p - t) / xp.where(pq > 1e-12, pq, 1e-12)


softmax_cross_entropy = Primitive(
    "softmax_cross_entropy", _softmax_cross_entropy, (_softmax_cross_entropy_grad, None, None),
    keeping=_softmax_cross_entropy_keeping, kind="fused", export=False, ordered=True,
    doc="Per-example cross-entropy of logits (N, C) and int targets (N,) -> (N,) (see above); "
        "with mean=True their mean, in the same node (the loss of nn.functional.cross_entropy).")
binary_cross_entropy_with_logits = Primitive(
    "binary_cross_entropy_with_logits", _bce_with_logits, (
        _bce_with_logits_grad_x,
        _bce_with_logits_grad_t,
        lambda xp, g, y, x, t, pos_weight: g * t * _softplus_neg(xp, x),
    ), kind="fused", export=False, ordered=True,
    doc="Elementwise binary cross-entropy of logits x and targets t (see above).")
binary_cross_entropy = Primitive("binary_cross_entropy", _bce, (
    _bce_grad_p,
    lambda xp, g, y, p, t: g * (_clamped_log(xp, 1 - p) - _clamped_log(xp, p)),
), kind="fused", export=False, ordered=True,
    doc="Elementwise binary cross-entropy of probabilities p and targets t (see above).")
