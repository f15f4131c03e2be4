"""Gradient clipping, calling a module with substitute parameters, and running it for outputs only
(eval mode, no graph)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from autonet.arguments import number
from autonet.autograd.graph import no_grad
from autonet.nn.module import Module
from autonet.tensor import Tensor, as_array


def _grads(params: Iterable[Tensor] | Tensor) -> list[np.ndarray]:
    if isinstance(params, Tensor):
        params = [params]
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    """Scale all gradients together, in place, so their joint norm is at most ``max_norm``.

    The norm is taken over all gradients as if concatenated into one vector (``norm_type`` may be
    ``inf``). Returns the norm before clipping.
    """
    max_norm = number(max_norm, "clip_grad_norm_", "max_norm", low=0.0, infinite=True)
    norm_type = number(norm_type, "clip_grad_norm_", "norm_type", low=0.0, low_open=True,
                       infinite=True)
    grads = _grads(parameters)
    if not grads:
        return 0.0
    if norm_type == np.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    elif norm_type == 2.0:
        # a dot product of each gradient with itself: no temporaries of the gradients' size
        total = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
    else:
        total = float(sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads)
                      ** (1.0 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total gradient norm is {total}; some gradient "
                           "holds NaN or Inf (try an.detect_anomaly() to find the op)")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads:
            g *= coef
    return total


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element, in place, to [-clip_value, clip_value]."""
    clip_value = number(clip_value, "clip_grad_value_", "clip_value", low=0.0, infinite=True)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)


def functional_call(module: Module, params: Mapping[str, Tensor], *args: Any,
                    **kwargs: Any) -> Any:
    """Call ``module(*args)`` with the parameters named in ``params`` (dotted names) replaced by
    the given tensors, then restore them. Useful to differentiate with respect to tensors that
    are not the module's own (gradcheck of a layer, meta-learning)."""
    owners = dict(module.named_modules())
    swapped = []
    try:
        for name, value in params.items():
            owner_name, _, attr = name.rpartition(".")
            owner = owners.get(owner_name)
            if owner is None or attr not in owner._parameters:
                raise KeyError(f"functional_call: {type(module).__name__} has no parameter "
                               f"{name!r}; names are those of named_parameters()")
            swapped.append((owner, attr, owner.__dict__[attr]))
            object.__setattr__(owner, attr, value)
        return module(*args, **kwargs)
    finally:
        for owner, attr, original in reversed(swapped):
            object.__setattr__(owner, attr, original)


@contextmanager
def inference(model: Any) -> Iterator[None]:
    """Eval mode and no graph; the model's train/eval mode is given back afterwards."""
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        model.train(was_training)


def predict(model: Any, x: Any, batch_size: int = 1024) -> np.ndarray:
    """Model outputs for inputs ``x`` of shape (N, ...) in eval mode, as one numpy array."""
    x = as_array(x) if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32)
    with inference(model):
        parts = [model(Tensor._wrap(np.ascontiguousarray(x[i:i + batch_size]))).data
                 for i in range(0, len(x), batch_size)]
    return np.concatenate(parts)
