"""RMSprop with optional momentum and centering."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autonet.optim.optimizer import Optimizer


class RMSprop(Optimizer):
    """PyTorch's RMSprop. With g = grad + weight_decay * p:

        v = alpha v + (1 - alpha) g^2
        centered: a = alpha a + (1 - alpha) g;  denom = sqrt(v - a^2) + eps
        otherwise denom = sqrt(v) + eps
        momentum > 0: b = momentum b + g / denom;  p = p - lr b
        otherwise p = p - lr g / denom
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered})

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray,
                state: dict[str, Any]) -> None:
        lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum = group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        if wd:
            grad = self.decayed_grad(grad, param, wd)
        work = self.scratch_like(param)  # every temporary of the update, in one reused array
        v = state["square_avg"]
        v *= alpha
        np.multiply(grad, grad, out=work)
        work *= 1 - alpha
        v += work
        if group["centered"]:
            a = state["grad_avg"]
            a *= alpha
            a += np.multiply(grad, 1 - alpha, out=work)
            np.multiply(a, a, out=work)
            denom = np.subtract(v, work, out=work)
            np.sqrt(denom, out=denom)
        else:
            denom = np.sqrt(v, out=work)
        denom += eps
        step = np.divide(grad, denom, out=work)
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += step
            step = np.multiply(buf, lr, out=work)
        else:
            step *= lr
        param -= step
