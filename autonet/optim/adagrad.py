"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autonet.arguments import number
from autonet.optim.optimizer import Optimizer


class Adagrad(Optimizer):
    """PyTorch's Adagrad. At step t, with g = grad + weight_decay * p:

        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g^2                    (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        lr_decay = number(lr_decay, "Adagrad", "lr_decay", low=0.0)
        initial_accumulator_value = number(initial_accumulator_value, "Adagrad",
                                           "initial_accumulator_value", low=0.0)
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "eps": eps})

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray,
                state: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            grad = self.decayed_grad(grad, param, group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        work = self.scratch_like(param)  # every temporary of the update, in one reused array
        s = state["sum"]
        s += np.multiply(grad, grad, out=work)
        denom = np.sqrt(s, out=work)
        denom += group["eps"]
        step = np.divide(grad, denom, out=work)
        step *= clr
        param -= step
