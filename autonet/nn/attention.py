"""MultiheadAttention with PyTorch's arguments, parameter names and semantics.

Each of the num_heads heads attends with its own slice of the projections: for head h,
    Q_h = query W_q,h^T + b_q,h,   K_h, V_h likewise   (head_dim = embed_dim / num_heads columns)
    head_h = softmax(Q_h K_h^T / sqrt(head_dim) + mask) V_h
and the heads, concatenated back to embed_dim columns, go through ``out_proj`` (a Linear).
W_q, W_k, W_v are stacked in ``in_proj_weight`` (3 embed_dim, embed_dim), as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autonet import ops
from autonet.arguments import flag, integer, number
from autonet.nn import init
from autonet.nn.attention_functional import additive_mask, attention
from autonet.nn.layers import Linear
from autonet.nn.module import Module, Parameter
from autonet.ops.primitive import as_array
from autonet.tensor import Tensor, get_default_dtype


class MultiheadAttention(Module):
    """Attention of num_heads heads in parallel, PyTorch's ``nn.MultiheadAttention``.

    Args:
        embed_dim: E, the size of each query vector (and of the output).
        num_heads: H; E must be divisible by H (head_dim = E / H).
        dropout: probability of dropping an attention weight in train().
        bias: learn in_proj_bias (3E,) and out_proj.bias (E,).
        kdim, vdim: sizes of key and value vectors (default E); when they differ from E the
            projections are q_proj_weight, k_proj_weight, v_proj_weight instead of
            in_proj_weight.
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).

    Shapes: query (L, N, E), key (S, N, kdim), value (S, N, vdim) (or batch first, or
    unbatched (L, E)) -> output (L, N, E) and attention weights (N, L, S) averaged over heads
    (or (N, H, L, S) with average_attn_weights=False).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, dtype: Any = None) -> None:
        super().__init__()
        integer(embed_dim, "MultiheadAttention", "embed_dim", minimum=1)
        integer(num_heads, "MultiheadAttention", "num_heads", minimum=1)
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention({embed_dim}, num_heads={num_heads}): embed_dim "
                             f"{embed_dim} is not divisible by num_heads {num_heads}; each head "
                             "gets embed_dim / num_heads columns, so pick num_heads among the "
                             f"divisors of {embed_dim}")
        bias, batch_first = (flag(bias, "MultiheadAttention", "bias"),
                             flag(batch_first, "MultiheadAttention", "batch_first"))
        if flag(add_bias_kv, "MultiheadAttention", "add_bias_kv") or \
                flag(add_zero_attn, "MultiheadAttention", "add_zero_attn"):
            raise ValueError("MultiheadAttention: add_bias_kv and add_zero_attn are not "
                             "supported; leave them False")
        number(dropout, "MultiheadAttention", "dropout", low=0.0, high=1.0)
        self.kdim = embed_dim if kdim is None else integer(kdim, "MultiheadAttention", "kdim",
                                                             minimum=1)
        self.vdim = embed_dim if vdim is None else integer(vdim, "MultiheadAttention", "vdim",
                                                             minimum=1)
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout = float(dropout)
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter.empty((3 * embed_dim, embed_dim), dtype,
                                                  type(self).__name__)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter.empty((embed_dim, embed_dim), dtype, type(self).__name__)
            self.k_proj_weight = Parameter.empty((embed_dim, self.kdim), dtype, type(self).__name__)
            self.v_proj_weight = Parameter.empty((embed_dim, self.vdim), dtype, type(self).__name__)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter.empty(3 * embed_dim, dtype, type(self).__name__)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's: Xavier-uniform projections, zero biases (out_proj.weight keeps Linear's)."""
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight,
                  self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _label(self) -> str:
        return f"MultiheadAttention({self.embed_dim}, num_heads={self.num_heads})"

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False
                ) -> tuple[Tensor, Tensor | None]:
        """Returns (output, attention weights or None with need_weights=False).

        key_padding_mask (N, S): True (or -inf) marks keys to ignore, e.g. padding tokens.
        attn_mask (L, S) or (N * num_heads, L, S): True (or -inf, added) blocks query i from
        key j (MultiheadAttention's convention: True = blocked). is_causal without attn_mask
        lets query i see keys 0..i only.
        """
        batched = self._check_inputs(query, key, value)
        q, k, v = (self._as_batch_first(t, batched) for t in (query, key, value))
        n, length, _ = q.shape
        source = k.shape[1]
        q, k, v = self._project(q, k, v, query is key and key is value)
        mask = self._mask(attn_mask, key_padding_mask, is_causal, n, length, source, batched)
        heads, weights = attention(q, k, v, mask, self.dropout if self.training else 0.0, None)
        # (N, H, L, head_dim) -> (N, L, E): the heads side by side
        merged = ops.reshape(ops.transpose(heads, axes=(0, 2, 1, 3)),
                             shape=(n, length, self.embed_dim))
        out = self.out_proj(merged)
        if not batched:
            out = ops.reshape(out, shape=(length, self.embed_dim))
        elif not self.batch_first:
            out = ops.swapaxes(out, 0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = ops.mean(weights, axis=1)
        return out, (weights if batched else ops.squeeze(weights, axis=0))

    def _check_inputs(self, query: Any, key: Any, value: Any) -> bool:
        shapes = [tuple(np.shape(as_array(t))) for t in (query, key, value)]
        rank = len(shapes[0])
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        sizes = (self.embed_dim, self.kdim, self.vdim)
        for what, shape, size in zip(("query", "key", "value"), shapes, sizes):
            if rank not in (2, 3) or len(shape) != rank or shape[-1] != size:
                raise ValueError(f"{self._label()}: {what} has shape {shape}, expected a 3-D "
                                 f"{layout} (batch_first={self.batch_first}) or unbatched 2-D "
                                 f"(L, E) input whose last axis is {size}; query, key and value "
                                 f"shapes were {shapes[0]}, {shapes[1]}, {shapes[2]}")
        batch = 0 if self.batch_first else 1
        if rank == 3 and not shapes[0][batch] == shapes[1][batch] == shapes[2][batch]:
            raise ValueError(f"{self._label()}: query, key and value must have the same batch "
                             f"size N, got shapes {shapes[0]}, {shapes[1]}, {shapes[2]} {layout}")
        if shapes[1][:-1] != shapes[2][:-1]:
            raise ValueError(f"{self._label()}: key {shapes[1]} and value {shapes[2]} must have "
                             "the same source length S and batch size")
        return rank == 3

    def _as_batch_first(self, t: Any, batched: bool) -> Tensor:
        if not batched:
            return ops.expand_dims(t, 0)
        return t if self.batch_first else ops.swapaxes(t, 0, 1)

    def _project(self, q: Tensor, k: Tensor, v: Tensor, same: bool) -> list[Tensor]:
        """Q, K, V (N, *, E) -> per head (N, H, *, head_dim)."""
        from autonet.nn.functional import linear

        e = self.embed_dim
        b = self.in_proj_bias
        biases = [None] * 3 if b is None else [ops.index(b, slice(i * e, (i + 1) * e))
                                               for i in range(3)]
        if self._qkv_same_embed_dim and same:
            projected = ops.split(linear(q, self.in_proj_weight, b), 3, axis=-1)
        else:
            if self._qkv_same_embed_dim:
                weights = [ops.index(self.in_proj_weight, slice(i * e, (i + 1) * e))
                           for i in range(3)]
            else:
                weights = [self.q_proj_weight, self.k_proj_weight, self.v_proj_weight]
            projected = [linear(t, w, bias) for t, w, bias in zip((q, k, v), weights, biases)]
        n = q.shape[0]
        return [ops.transpose(ops.reshape(p, shape=(n, p.shape[1], self.num_heads,
                                                    self.head_dim)), axes=(0, 2, 1, 3))
                for p in projected]

    def _mask(self, attn_mask: Any, key_padding_mask: Any, is_causal: bool, n: int,
              length: int, source: int, batched: bool) -> Any:
        """One additive mask broadcasting to (N, H, L, S), or None."""
        mask = additive_mask(attn_mask, is_causal, length, source, self._label(),
                             true_blocks=True)
        if mask is not None:
            shape = tuple(np.shape(as_array(mask)))
            if shape == (length, source):
                pass
            elif shape == (n * self.num_heads, length, source):
                mask = ops.reshape(mask, shape=(n, self.num_heads, length, source)) \
                    if isinstance(mask, Tensor) else mask.reshape(n, self.num_heads, length,
                                                                  source)
            else:
                raise ValueError(f"{self._label()}: attn_mask has shape {shape}, expected "
                                 f"(L, S) = {(length, source)} or (N * num_heads, L, S) = "
                                 f"{(n * self.num_heads, length, source)}")
        if key_padding_mask is not None:
            padding = additive_mask(key_padding_mask, False, length, source, self._label(),
                                    true_blocks=True)
            shape = tuple(np.shape(as_array(padding)))
            expected = (n, source) if batched else (source,)
            if shape != expected:
                raise ValueError(f"{self._label()}: key_padding_mask has shape {shape}, expected "
                                 f"(N, S) = {expected}: one entry per key of each example")
            padding = ops.reshape(padding, shape=(n, 1, 1, source)) \
                if isinstance(padding, Tensor) else np.reshape(padding, (n, 1, 1, source))
            mask = padding if mask is None else mask + padding
        return mask

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
                f"batch_first={self.batch_first}")
