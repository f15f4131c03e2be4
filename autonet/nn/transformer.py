"""The Transformer encoder, PyTorch's TransformerEncoderLayer and TransformerEncoder.

One layer is self-attention and a position-wise feed-forward net, each wrapped in a residual
connection and a layer norm:

    post-norm (default):   x = norm1(x + sa(x));         x = norm2(x + ff(x))
    norm_first=True:       x = x + sa(norm1(x));         x = x + ff(norm2(x))

with sa(x) = dropout1(self_attn(x, x, x)) and ff(x) = dropout2(linear2(dropout(act(linear1(x))))).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from autonet import ops
from autonet.arguments import flag, integer, number
from autonet.nn.attention import MultiheadAttention
from autonet.nn.containers import ModuleList
from autonet.nn.layers import Dropout, Linear
from autonet.nn.module import Module
from autonet.nn.normalization import LayerNorm
from autonet.tensor import Tensor

_ACTIVATIONS: dict[str, Callable[[Any], Tensor]] = {"relu": ops.relu, "gelu": ops.gelu}


class TransformerEncoderLayer(Module):
    """Self-attention then feed-forward, each with a residual connection and a LayerNorm.

    Args:
        d_model: the size of each position's vector (E).
        nhead: attention heads (d_model must be divisible by nhead).
        dim_feedforward: hidden units of the feed-forward net (default 2048).
        dropout: dropout probability everywhere (default 0.1).
        activation: 'relu' (default), 'gelu' or a callable.
        layer_norm_eps: eps of both LayerNorms.
        batch_first: inputs (N, S, E) instead of (S, N, E).
        norm_first: normalize before each block (pre-norm) instead of after (post-norm).
        bias: biases in the linear layers and layer norms.

    Submodules (PyTorch's names): self_attn, linear1, dropout, linear2, norm1, norm2, dropout1,
    dropout2. Shapes: src (S, N, E) (or (N, S, E), or unbatched (S, E)) -> the same shape.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Any], Any] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__  # its own settings blamed on it, not on the layers inside
        integer(d_model, name, "d_model", minimum=1)
        integer(nhead, name, "nhead", minimum=1)
        integer(dim_feedforward, name, "dim_feedforward", minimum=1)
        number(dropout, name, "dropout", low=0.0, high=1.0)
        number(layer_norm_eps, name, "layer_norm_eps", low=0.0, low_open=True)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = flag(norm_first, name, "norm_first")
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"TransformerEncoderLayer: activation should be 'relu' or "
                                 f"'gelu' (or a callable), got {activation!r}")
            activation = _ACTIVATIONS[activation]
        self.activation = activation

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        """src_mask (S, S) and src_key_padding_mask (N, S) as MultiheadAttention's attn_mask
        and key_padding_mask (True = blocked)."""
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Any, attn_mask: Any, key_padding_mask: Any,
                  is_causal: bool) -> Tensor:
        out, _ = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)
        return self.dropout1(out)

    def _ff_block(self, x: Any) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """num_layers copies of ``encoder_layer`` (deep copies: each learns its own weights), applied
    in turn, then the optional ``norm``. Parameter names as PyTorch: layers.0.self_attn...

    Shapes: src as the layer takes it -> the same shape.
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"TransformerEncoder: num_layers must be a positive integer, got "
                             f"{num_layers!r}")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.add_module("norm", norm)

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
