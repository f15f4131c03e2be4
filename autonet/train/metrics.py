"""Accuracy of classifier outputs, and the decision threshold a loss implies."""

from __future__ import annotations

from typing import Any

import numpy as np

from autonet.nn.containers import ModuleList, Sequential
from autonet.nn.functional import binary_cross_entropy
from autonet.nn.losses import BCELoss


def accuracy(output: np.ndarray, target: np.ndarray, threshold: float = 0.0) -> float | None:
    """Fraction classified right: argmax over classes for (N, C) outputs with class-index targets
    (targets that are no class, such as an ignore_index of -100, not counted);
    ``output > threshold`` for one logit (N,) or (N, 1) against 0/1 targets. None for
    regression-like targets (non-integer values)."""
    output, target = np.asarray(output), np.asarray(target)
    if output.ndim == 2 and output.shape[1] > 1 and target.ndim == 1:
        kept = (target >= 0) & (target < output.shape[1])  # an ignore_index (-100) is no class
        if not kept.any():
            return None
        return float(np.mean(output.argmax(axis=1)[kept] == target[kept]))
    if output.ndim == 2 and output.shape[1] > 1 and target.shape == output.shape \
            and _is_one_hot(target):
        # one-hot targets (MSE on softmax outputs): the class is the argmax of both
        return float(np.mean(output.argmax(axis=1) == target.argmax(axis=1)))
    if output.size == target.size and np.all((target == 0) | (target == 1)):
        return float(np.mean((output.reshape(-1) > threshold) == target.reshape(-1)))
    return None


def _is_one_hot(target: np.ndarray) -> bool:
    return bool(np.all((target == 0) | (target == 1)) and np.all(target.sum(axis=1) == 1))


def threshold_for(loss_fn: Any, model: Any = None) -> float:
    """0.5 for probabilities, 0 for logits: probabilities when the loss is BCELoss (or
    binary_cross_entropy) or, for any other loss (a lambda, a wrapper), when the model's last
    module is a Sigmoid."""
    if isinstance(loss_fn, BCELoss) or loss_fn is binary_cross_entropy:
        return 0.5
    last = model
    while isinstance(last, Sequential | ModuleList):
        last = last[-1] if len(last) else None
    return 0.5 if getattr(last, "outputs_probabilities", False) else 0.0
