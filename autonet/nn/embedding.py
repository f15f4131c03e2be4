"""Embedding: a learned lookup table, one row (vector) per token, PyTorch's names and arguments."""

from __future__ import annotations

from typing import Any

import numpy as np

from autonet.arguments import integer, number
from autonet.autograd.graph import no_grad
from autonet.nn import embedding_functional as F
from autonet.nn import init
from autonet.nn.module import Module, Parameter
from autonet.tensor import Tensor, get_default_dtype


class Embedding(Module):
    """Row i of ``weight`` stands for token i: input indices (*) -> output (*, embedding_dim).

    Args:
        num_embeddings: the vocabulary size (rows).
        embedding_dim: the size of each vector (columns).
        padding_idx: a row that starts at zeros and gets no gradient (for padding tokens).
        max_norm: when given, looked-up rows longer than max_norm (in the norm_type norm) are
            rescaled to that length in place, before the lookup, as in PyTorch.

    Attributes:
        weight: (num_embeddings, embedding_dim), drawn from N(0, 1) as in PyTorch.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight: Any = None,
                 _freeze: bool = False, dtype: Any = None) -> None:
        super().__init__()
        if scale_grad_by_freq or sparse:
            raise ValueError("Embedding: scale_grad_by_freq and sparse gradients are not "
                             "supported; leave them False")
        integer(num_embeddings, "Embedding", "num_embeddings", minimum=1)
        integer(embedding_dim, "Embedding", "embedding_dim", minimum=1)
        if padding_idx is not None:
            integer(padding_idx, "Embedding", "padding_idx")
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding({num_embeddings}, {embedding_dim}): padding_idx "
                                 f"{padding_idx} must be within num_embeddings")
            padding_idx = padding_idx % num_embeddings
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = padding_idx
        # rows are rescaled to length max_norm: a length <= 0 (or nan) is no length to keep
        self.max_norm = max_norm if max_norm is None else number(
            max_norm, "Embedding", "max_norm", low=0.0, low_open=True, infinite=True)
        self.norm_type = number(norm_type, "Embedding", "norm_type", low=0.0, low_open=True,
                                infinite=True)
        if _weight is None:
            dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
            self.weight = Parameter.empty((num_embeddings, embedding_dim), dtype, "Embedding")
            self.weight.requires_grad = not _freeze
            self.reset_parameters()
        else:
            weight = Parameter(_weight.data if isinstance(_weight, Tensor) else _weight,
                               requires_grad=not _freeze)
            if weight.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight has shape {weight.shape}, expected "
                                 f"{(num_embeddings, embedding_dim)}")
            self.weight = weight

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` (num_embeddings, embedding_dim);
        ``freeze`` keeps it from being trained (requires_grad False)."""
        array = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if array.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D "
                             f"(num_embeddings, embedding_dim), got shape {array.shape}")
        return cls(array.shape[0], array.shape[1], padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, _weight=array, _freeze=freeze)

    def forward(self, input: Any) -> Tensor:
        label = f"Embedding({self.num_embeddings}, {self.embedding_dim})"
        indices = F.integer_indices(label, input, self.num_embeddings, "num_embeddings")
        if self.max_norm is not None:
            self._renormalize(indices)
        return F.embedding(indices, self.weight, self.padding_idx)

    def _renormalize(self, indices: np.ndarray) -> None:
        with no_grad():
            rows = np.unique(indices)
            w = self.weight.data
            norms = np.linalg.norm(w[rows], ord=self.norm_type, axis=1)
            long = norms > self.max_norm
            scale = self.max_norm / (norms[long] + 1e-7)
            w[rows[long]] *= scale[:, None].astype(w.dtype)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        return text
