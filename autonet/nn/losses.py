"""Losses as modules: ``criterion = CrossEntropyLoss(); loss = criterion(logits, labels)``.
Each wraps the function of the same name in ``autonet.nn.functional``."""

from __future__ import annotations

from typing import Any

import numpy as np

from autonet.arguments import integer, number
from autonet.nn import functional as F
from autonet.nn.module import Module
from autonet.tensor import Tensor


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error mean((input - target)²); input and target of the same shape."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error mean(|input - target|); input and target of the same shape."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Squared error below ``delta``, linear above it (see ``functional.huber_loss``)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = number(delta, "HuberLoss", "delta", low=0.0, low_open=True)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class _WeightedLoss(_Loss):
    """A loss with optional per-class weights, kept as a buffer (saved in ``state_dict()``)."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if isinstance(weight, str):
            raise TypeError(f"{type(self).__name__}: weight must be an array, got the string "
                            f"{weight!r}; pass reduction={weight!r} by keyword")
        if weight is not None and not isinstance(weight, Tensor):
            weight = Tensor(np.asarray(weight))
        self.register_buffer("weight", weight)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities (after a Sigmoid); ``weight`` rescales each
    element's loss (broadcast against the input)."""

    def __init__(self, weight: Any = None, *, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy on logits (sigmoid fused in, stable); also the multi-label loss.
    ``weight`` rescales each element's loss, ``pos_weight`` (one per label) the positive term."""

    def __init__(self, weight: Any = None, *, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(weight, reduction)
        if pos_weight is not None and not isinstance(pos_weight, Tensor):
            pos_weight = Tensor(np.asarray(pos_weight))
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy on logits (N, C) with class indices (N,) or probabilities (N, C);
    optional class ``weight`` (C,), ``ignore_index`` and ``label_smoothing`` as in PyTorch (see
    ``functional.cross_entropy``)."""

    def __init__(self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = integer(ignore_index, "CrossEntropyLoss", "ignore_index")
        self.label_smoothing = number(label_smoothing, "CrossEntropyLoss", "label_smoothing",
                                      0.0, 1.0, high_open=True)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood on log-probabilities (after LogSoftmax); optional class
    ``weight`` (C,) and ``ignore_index`` as in PyTorch."""

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = integer(ignore_index, "NLLLoss", "ignore_index")

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)
