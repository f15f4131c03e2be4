"""Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autonet.optim.optimizer import Optimizer


class SGD(Optimizer):
    """PyTorch's SGD. With g = grad + weight_decay * p:

        b = g                                  (first step)
        b = momentum * b + (1 - dampening) * g (later steps)
        d = g + momentum * b if nesterov else b    (d = g when momentum == 0)
        p = p - lr * d

    Plain gradient descent of the course is ``SGD(params, lr=alpha)``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        if group.get("nesterov") and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov momentum needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray,
                state: dict[str, Any]) -> None:
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        if weight_decay:
            grad = self.decayed_grad(grad, param, weight_decay)
        step = self.scratch_like(param)  # reused every step: no fresh temporary to page in
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, copy=True)
            else:
                dampening = group["dampening"]
                buf *= momentum
                buf += grad if dampening == 0 else np.multiply(grad, 1 - dampening, out=step)
            if group["nesterov"]:
                np.multiply(buf, momentum, out=step)
                step += grad
                grad = step
            else:
                grad = buf
        np.multiply(grad, group["lr"], out=step)
        param -= step
