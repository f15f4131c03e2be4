"""Optimizer base: parameter groups, per-parameter state, zero_grad, state_dict.

Subclasses implement ``_update(group, param, grad, state)`` with in-place numpy arithmetic on
``param.data``; no graph is recorded and no Tensor is made. Parameters whose ``grad`` is None (not
reached by the last backward) are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autonet.arguments import flag, function, number, state_mapping
from autonet.autograd.graph import enable_grad, next_seq
from autonet.tensor import Tensor

_NON_NEGATIVE = ("lr", "weight_decay", "eps", "momentum", "lr_decay", "initial_accumulator_value")
_FRACTIONS = ("dampening", "alpha")
_SWITCHES = ("nesterov", "amsgrad", "centered", "maximize", "foreach")
_REQUIRED = object()  # a hyperparameter without a default (none so far; kept for subclasses)


class Optimizer:
    """Base class. ``params`` is an iterable of Tensors or of dicts ``{'params': [...], 'lr': ...}``
    (parameter groups, each with its own hyperparameters; missing ones come from ``defaults``).

    Attributes:
        param_groups: list of dicts, each with 'params' (list of Tensors) and the hyperparameters.
        state: per-parameter dict of buffers (momentum, moments, step counts), keyed by the Tensor.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        self._scratch: dict[tuple[Any, ...], np.ndarray] = {}  # see scratch_like
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors (e.g. "
                            "model.parameters() or [w, b]), not a single Tensor")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list; pass "
                             "model.parameters() after the model has layers")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (e.g. a new layer to train)."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group is a dict with a 'params' key")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (the result of an op); "
                                 "optimize the leaves (parameters) it was computed from")
            if not p.requires_grad:
                raise ValueError(f"{name}: parameter {p.name or tuple(p.shape)} does not require "
                                 "grad, so it never gets a gradient; set requires_grad=True or "
                                 "leave it out")
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in known for p in params):
            raise ValueError(f"{name}: a parameter appears twice (in one group or in two groups); "
                             "list each parameter once")
        full = {"params": params}
        for key, default in self.defaults.items():
            value = group.get(key, default)
            if value is _REQUIRED:
                raise ValueError(f"{name}: parameter group needs a value for {key!r}")
            full[key] = value
        for key in group:
            if key not in full:
                raise ValueError(f"{name}: unknown hyperparameter {key!r}; known: "
                                 f"{sorted(self.defaults)}")
        self._validate(full)
        self.param_groups.append(full)

    def _validate(self, group: dict[str, Any]) -> None:
        """Every hyperparameter of a group checked at construction (not in the first step()):
        finite non-negative numbers, betas a pair in [0, 1), switches bools."""
        name = type(self).__name__
        for key, value in group.items():
            if key in _NON_NEGATIVE:
                group[key] = number(value, name, key, low=0.0)
            elif key in _FRACTIONS:
                group[key] = number(value, name, key, low=0.0, high=1.0)
            elif key in _SWITCHES and not isinstance(value, bool | np.bool_):
                raise TypeError(f"{name}: {key} must be True or False, got {value!r}")
        if "betas" in group:
            betas = group["betas"]
            if not isinstance(betas, tuple | list) or len(betas) != 2:
                raise TypeError(f"{name}: betas must be a pair (beta1, beta2) such as "
                                f"(0.9, 0.999), got {betas!r}")
            group["betas"] = tuple(number(b, name, f"betas[{i}]", low=0.0, high=1.0,
                                          high_open=True) for i, b in enumerate(betas))

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (None, or zeros with ``set_to_none=False``)."""
        if set_to_none is not True:  # the default needs no check (it runs every training step)
            set_to_none = flag(set_to_none, f"{type(self).__name__}.zero_grad", "set_to_none")
        for group in self.param_groups:
            if set_to_none:
                for p in group["params"]:
                    p._grad = None
            else:
                for p in group["params"]:
                    if p._grad is not None:
                        p._grad[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place. ``closure`` (optional)
        re-evaluates the model and returns the loss; it runs first and its loss is returned."""
        loss = None
        if closure is not None:
            function(closure, f"{type(self).__name__}.step", "closure",
                     "a function that recomputes the loss", "call step() after backward()")
            with enable_grad():
                loss = closure()
        states, update = self.state, self._update
        changed = next_seq()  # what backward compares with the nodes that saved a parameter
        for group in self.param_groups:
            self._begin_group(group)
            for p in group["params"]:
                # ._grad, not .grad: that property only adds a warning for non-leaf tensors, and
                # add_param_group admits leaves only (no op ever turns a leaf into a non-leaf)
                grad = p._grad
                if grad is None:
                    continue
                try:
                    state = states[p]
                except KeyError:
                    state = states[p] = {}
                update(group, p.data, grad, state)
                p._written = changed
        return loss

    def scratch_like(self, param: np.ndarray, slot: int = 0) -> np.ndarray:
        """A work array shaped like ``param``, kept between steps (not part of the state): large
        temporaries allocated afresh every step cost page faults that cost more than the math.
        Different ``slot`` numbers give different arrays (for updates needing two at once)."""
        key = (param.shape, param.dtype, slot)
        try:
            return self._scratch[key]
        except KeyError:
            buffer = self._scratch[key] = np.empty_like(param)
            return buffer

    def decayed_grad(self, grad: np.ndarray, param: np.ndarray, weight_decay: float
                     ) -> np.ndarray:
        """grad + weight_decay * param (L2 decay) in scratch slot 1; ``grad`` itself when 0."""
        if not weight_decay:
            return grad
        out = np.multiply(param, weight_decay, out=self.scratch_like(param, 1))
        out += grad
        return out

    def _begin_group(self, group: dict[str, Any]) -> None:
        """Hook before a group's updates (nothing by default)."""

    def _update(self, group: dict[str, Any], param: np.ndarray, grad: np.ndarray,
                state: dict[str, Any]) -> None:
        raise NotImplementedError

    # ---- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {name: array or number}}, 'param_groups': [{hyperparameters,
        'params': [indices]}]}: plain numpy arrays and numbers (copies), ready for ``an.save``.
        Parameters are numbered in group order."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and buffers saved by ``state_dict()`` of an optimizer over
        parameters of the same shapes in the same order."""
        name = type(self).__name__
        call = f"{name}.load_state_dict"
        state_mapping(state_dict, call, ("state", "param_groups"))
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, list | tuple) or not all(
                isinstance(g, dict) and isinstance(g.get("params"), list | tuple)
                for g in saved_groups):
            raise TypeError(f"{call}: param_groups must be a list of dicts with 'params', got "
                            f"{saved_groups!r:.80}")
        if not isinstance(state_dict["state"], dict):
            raise TypeError(f"{call}: state must be a dict of per-parameter buffers, got "
                            f"{type(state_dict['state']).__name__}")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state has {len(saved_groups)} "
                             f"parameter groups, this optimizer {len(self.param_groups)}")
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            theirs, ours = set(saved) - {"params"}, set(group) - {"params"}
            if theirs != ours:
                raise ValueError(f"{call}: group {i} of the state has the settings "
                                 f"{sorted(theirs)}, a {name} has {sorted(ours)}: the state "
                                 "was saved from another kind of optimizer; build the same "
                                 "kind (and settings) as the run that saved it")
        by_index: dict[int, Tensor] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: group {i} has "
                                 f"{len(saved['params'])} parameters in the state but "
                                 f"{len(group['params'])} here")
            for k, p in zip(saved["params"], group["params"]):
                by_index[int(k)] = p
        new_state: dict[Tensor, dict[str, Any]] = {}
        for k, buffers in state_dict["state"].items():
            p = by_index.get(int(k))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for parameter {k}, which no "
                                 "group lists")
            entry = {}
            for key, value in buffers.items():
                if isinstance(value, np.ndarray | Tensor):
                    value = np.array(value.data if isinstance(value, Tensor) else value)
                    if value.shape == p.shape:
                        value = value.astype(p.dtype)
                    elif value.ndim:
                        raise ValueError(f"{name}.load_state_dict: buffer {key!r} of parameter "
                                         f"{k} has shape {value.shape}, the parameter "
                                         f"{tuple(p.shape)}")
                entry[key] = value
            new_state[p] = entry
        for saved, group in zip(saved_groups, self.param_groups):
            settings = {k: v for k, v in saved.items() if k != "params"}
            self._validate(settings)
            group.update(settings)
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"
