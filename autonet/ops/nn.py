"""Fused ops for networks, where fusing buys numerical stability or speed."""

from __future__ import annotations

import numpy as np

from autonet.ops.primitive import Primitive


def _softmax(x, axis=-1):
    # Shifting by the max leaves softmax unchanged and keeps exp from overflowing (logits of 1e4).
    e = np.exp(x - np.max(x, axis=axis, keepdims=True, initial=-np.inf))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# softmax: dx = y * (g - sum(g * y));  log_softmax: dx = g - softmax(x) * sum(g).
softmax = Primitive("softmax", _softmax, (
    lambda xp, g, y, x, axis=-1: y * (g - xp.sum(g * y, axis=axis, keepdims=True)),
), saves_output=True)
log_softmax = Primitive("log_softmax", _log_softmax, (
    lambda xp, g, y, x, axis=-1: g - xp.exp(y) * xp.sum(g, axis=axis, keepdims=True),
), saves_output=True)


def _linear(x, w, b=None):
    out = np.matmul(x, w.T)
    if b is not None:
        out += b
    return out


def _rows(xp, a):
    """(..., n) -> (prod(...), n): the batch axes of a linear layer's input flattened."""
    return xp.reshape(a, (-1, a.shape[-1]))


# One fused node for Z = X @ W.T + b. Its rules give dW = dZ.T @ X directly in W's (out, in) layout
# (no transposed view to copy into .grad) and db = dZ summed over the batch axes.
linear_ = Primitive("linear", _linear, (
    lambda xp, g, y, x, w, b=None: xp.matmul(g, w),
    lambda xp, g, y, x, w, b=None: xp.matmul(xp.transpose(_rows(xp, g)), _rows(xp, x)),
    lambda xp, g, y, x, w, b=None: xp.sum(_rows(xp, g), axis=0),
))
