"""Attention, PyTorch's functional form: scaled_dot_product_attention.

For queries Q (..., L, E), keys K (..., S, E) and values V (..., S, Ev):

    weights = softmax(Q K^T * scale + mask)   (..., L, S), each row sums to 1 over the S keys
    output  = weights V                        (..., L, Ev)

scale = 1 / sqrt(E) by default, so the scores keep unit variance for unit-variance Q and K.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autonet import ops
from autonet.arguments import number
from autonet.ops.primitive import as_array
from autonet.tensor import Tensor


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None) -> Tensor:
    """softmax(Q K^T * scale + mask) V with PyTorch's mask conventions.

    ``attn_mask`` broadcasts to (..., L, S): a bool mask says which keys each query may attend
    to (True = take part, as in PyTorch's scaled_dot_product_attention); a float mask is added
    to the scores (-inf blocks). ``is_causal`` lets query i see keys 0..i only (and forbids an
    attn_mask). ``dropout_p`` drops attention weights (always, as PyTorch's functional does:
    pass 0.0 when evaluating).
    """
    q_shape, k_shape, v_shape = (np.shape(as_array(t)) for t in (query, key, value))
    if len(q_shape) < 2 or k_shape[-2:-1] != v_shape[-2:-1] or q_shape[-1:] != k_shape[-1:]:
        raise ValueError(f"scaled_dot_product_attention: query {q_shape}, key {k_shape} and value "
                         f"{v_shape} must be (..., L, E), (..., S, E) and (..., S, Ev)")
    number(dropout_p, _SDPA, "dropout_p", 0.0, 1.0)
    if scale is not None:
        number(scale, _SDPA, "scale")
    mask = additive_mask(attn_mask, is_causal, q_shape[-2], k_shape[-2], _SDPA)
    if attn_mask is not None:
        _check_mask_shape(np.shape(as_array(attn_mask)), q_shape, k_shape)
    out, _ = attention(query, key, value, mask, dropout_p, scale)
    return out


_SDPA = "scaled_dot_product_attention"


def _check_mask_shape(mask: tuple, q_shape: tuple, k_shape: tuple) -> None:
    """attn_mask must broadcast against the scores' shape (..., L, S) (leading axes it adds
    batch the result, as PyTorch's reference computation does)."""
    try:
        scores = (*np.broadcast_shapes(q_shape[:-2], k_shape[:-2]), q_shape[-2], k_shape[-2])
    except ValueError:
        return  # query and key disagree: matmul says so, naming both
    try:
        np.broadcast_shapes(mask, scores)
    except ValueError:
        raise ValueError(f"{_SDPA}: attn_mask has shape {mask}, which does not broadcast to the "
                         f"scores' shape (..., L, S) = {scores} (query {q_shape}, key {k_shape}); "
                         f"pass a mask of shape {scores[-2:]} or {scores}") from None


def additive_mask(attn_mask: Any, is_causal: bool, length: int, source_length: int,
                  name: str, true_blocks: bool = False) -> Any:
    """A bool or float mask as a float array to add to the scores (0 or -inf for bool masks),
    or None. ``true_blocks``: True marks a blocked position (MultiheadAttention's convention)
    instead of an allowed one (scaled_dot_product_attention's)."""
    if is_causal:
        if attn_mask is not None and name == _SDPA:
            raise ValueError("scaled_dot_product_attention: pass either attn_mask or "
                             "is_causal=True, not both")
        if attn_mask is None:
            allowed = np.tril(np.ones((length, source_length), dtype=bool))
            return np.where(allowed, 0.0, -np.inf)
    if attn_mask is None:
        return None
    if isinstance(attn_mask, Tensor) and attn_mask.requires_grad:
        return attn_mask  # a learned additive mask (a bias on the scores) keeps its gradient
    mask = np.asarray(as_array(attn_mask))
    if mask.dtype == bool:
        return np.where(mask if true_blocks else ~mask, -np.inf, 0.0)
    if mask.dtype.kind != "f":
        raise TypeError(f"{name}: attn_mask must be bool (which positions attend) or float "
                        f"(added to the scores), got dtype {mask.dtype}")
    return mask


def attention(query: Any, key: Any, value: Any, mask: Any, dropout_p: float,
              scale: float | None) -> tuple[Tensor, Tensor]:
    """(softmax(Q K^T scale + mask) (dropped out) V, the attention weights after dropout)."""
    e = np.shape(as_array(query))[-1]
    scale = 1.0 / math.sqrt(e) if scale is None else scale
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
    dtype = scores.dtype
    scores = scores * np.asarray(scale, dtype=dtype)
    if mask is not None:
        scores = scores + (mask.astype(dtype) if isinstance(mask, np.ndarray) else mask)
    weights = ops.softmax(scores, axis=-1)
    if dropout_p > 0.0:
        from autonet.nn.functional import dropout

        weights = dropout(weights, dropout_p, training=True)
    return ops.matmul(weights, value), weights
