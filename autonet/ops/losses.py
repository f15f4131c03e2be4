"""Fused loss primitives: one node each, numerically stable for any logits.

* ``softmax_cross_entropy(logits (N, C), target (N,) int)`` -> per-example loss (N,)
      loss_i = logsumexp(x_i) - (1 - eps) x_i[t_i] - eps * mean_j x_ij     (eps: label smoothing)
      d loss_i / d x_i = softmax(x_i) - ((1 - eps) onehot(t_i) + eps / C)
* ``binary_cross_entropy_with_logits(x, t)`` -> elementwise loss
      loss = max(x, 0) - x t + log(1 + exp(-|x|))        (= -t log s(x) - (1 - t) log(1 - s(x)))
      d/dx = sigmoid(x) - t,   d/dt = -x
* ``binary_cross_entropy(p, t)`` from probabilities, each log clamped at -100 (PyTorch's choice)
      d/dp = (p - t) / max(p (1 - p), 1e-12),   d/dt = log(1 - p) - log(p)
"""

from __future__ import annotations

import numpy as np

from autonet.ops.primitive import Primitive, as_array


def _softmax_cross_entropy(logits, target, label_smoothing=0.0):
    n = logits.shape[0]
    m = np.max(logits, axis=1, keepdims=True)
    # logsumexp shifted by the row max: exp never overflows, even for logits of 1e4.
    lse = np.log(np.sum(np.exp(logits - m), axis=1)) + m[:, 0]
    loss = lse - (1 - label_smoothing) * logits[np.arange(n), target]
    if label_smoothing:
        loss -= label_smoothing * np.mean(logits, axis=1)
    return loss


def _softmax_cross_entropy_grad(xp, g, y, logits, target, label_smoothing=0.0):
    n, c = logits.shape
    # softmax recomputed from the logits shifted by each row's max (picked by index: the argmax is
    # a constant, like the targets), so it is exact and cannot overflow.
    rows = np.arange(n)
    top = xp.getitem(logits, (rows, np.argmax(as_array(logits), axis=1)))
    soft = xp.exp(logits - xp.expand_dims(top, 1))
    soft = soft / xp.sum(soft, axis=1, keepdims=True)
    smoothed = (np.arange(c) == target[:, None]) * (1 - label_smoothing) + label_smoothing / c
    return xp.expand_dims(g, 1) * (soft - smoothed.astype(soft.dtype))


def _bce_with_logits(x, t):
    out = np.maximum(x, 0)
    out -= x * t
    out += np.log1p(np.exp(-np.abs(x)))
    return out


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
    "softmax_cross_entropy", _softmax_cross_entropy, (_softmax_cross_entropy_grad, None))
binary_cross_entropy_with_logits = Primitive(
    "binary_cross_entropy_with_logits", _bce_with_logits, (
        lambda xp, g, y, x, t: g * (xp.sigmoid(x) - t),
        lambda xp, g, y, x, t: -g * x,
    ))
binary_cross_entropy = Primitive("binary_cross_entropy", _bce, (
    _bce_grad_p,
    lambda xp, g, y, p, t: g * (_clamped_log(xp, 1 - p) - _clamped_log(xp, p)),
))
