"""The function under check, at float64 copies of its inputs, projected on random output weights:
the analytic gradient (one backward) and the projected value at perturbed inputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.autograd.functional import grad
from autonet.autograd.warnings import warn_at_user_code
from autonet.check.kinks import OUTPUT_SHAPES, KinkRecorder
from autonet.tensor import Tensor


def as_inputs(inputs: Any) -> Sequence[Any]:
    """A single Tensor stands for the one-input list, as in PyTorch."""
    return (inputs,) if isinstance(inputs, Tensor) else inputs


def as_outputs(out: Any) -> list[Tensor]:
    """fn's result as a list of Tensors (one Tensor, or a list/tuple of them)."""
    outs = list(out) if isinstance(out, list | tuple) else [out]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(o).__name__}")
    return outs


def nonfinite_note(outs: list[Tensor]) -> str | None:
    """Why nothing can be compared when fn's outputs hold NaN/Inf at the point, else None."""
    bad = sum(int(np.count_nonzero(~np.isfinite(o.data))) for o in outs if o.dtype.kind in "fc")
    if not bad:
        return None
    total = sum(o.size for o in outs)
    return (f"fn's output holds NaN/Inf at this point ({bad} of {total} value(s)), so the numeric "
            "derivatives through them are NaN and nothing can be compared: check at a point "
            "inside fn's domain (log or sqrt of a value <= 0? a division by 0?)")


def _prepare(inputs: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """float64 copies of the inputs; the positions of those to check."""
    xs, checked, low = [], [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            if x.dtype != np.float64:
                low.append(f"input {i} is {x.dtype}")
            xs.append(Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad, name=x.name))
            if x.requires_grad:
                checked.append(i)
        else:
            xs.append(x)
    if not checked:
        raise ValueError("gradcheck: no input requires grad; create the inputs to check with "
                         "requires_grad=True")
    if low:
        warn_at_user_code(f"gradcheck: {', '.join(low)}; checking in float64 copies (numerical "
                          "derivatives in lower precision are too noisy to compare)")
    return xs, checked


class Problem:
    """``fn`` at float64 copies of the inputs, projected on random output weights ``v``."""

    def __init__(self, fn: Callable[..., Any], inputs: Sequence[Any], seed: int) -> None:
        self.fn = fn
        self.xs, self.checked = _prepare(inputs)
        self.targets = [self.xs[i] for i in self.checked]
        with KinkRecorder() as recorder:
            self.outs = as_outputs(fn(*self.xs))
        self.shapes = [o.shape for o in self.outs]
        self.base_regions = recorder.regions + [(None, OUTPUT_SHAPES, self._shape_array(self.outs))]
        self.rng = np.random.default_rng(seed)
        self.vs = [self.rng.standard_normal(o.shape) for o in self.outs]

    def analytic(self) -> list[np.ndarray]:
        """d <v, fn(xs)> / d x for each checked input x (zeros where fn does not use it)."""
        used = [(o, v) for o, v in zip(self.outs, self.vs) if o.requires_grad]
        found = [None] * len(self.targets)
        if used:
            found = grad([o for o, _ in used], self.targets, [v for _, v in used],
                         allow_unused=True)
        return [np.zeros_like(x.data) if a is None else a.data
                for x, a in zip(self.targets, found)]

    @staticmethod
    def _shape_array(outs: list[Tensor]) -> np.ndarray:
        return np.array([len(outs)] + [d for o in outs for d in (o.ndim, *o.shape)])

    def projected(self, record: list | None = None) -> float:
        """<v, fn(xs)> at the current values of xs (appending kink regions to ``record``); NaN
        when the outputs changed shape (v would broadcast against them silently)."""
        if record is None:
            outs = as_outputs(self.fn(*self.xs))
        else:
            with KinkRecorder() as recorder:
                outs = as_outputs(self.fn(*self.xs))
            record.extend(recorder.regions)
            record.append((None, OUTPUT_SHAPES, self._shape_array(outs)))
        if [o.shape for o in outs] != self.shapes:
            return float("nan")
        return float(sum(np.sum(v * o.data) for v, o in zip(self.vs, outs)))

    def both_sides(self, array: np.ndarray, index: Any, step: Any,
                   records: tuple[list, list] | None = None) -> tuple[float, float]:
        """``projected()`` with ``array[index]`` (an input's data: one element, or ``...`` for
        all of it) moved by +step and by -step, then put back; kink regions go to ``records``
        (plus, minus) if given."""
        plus_record, minus_record = records if records is not None else (None, None)
        original = np.copy(array[index])
        array[index] = original + step
        plus = self.projected(plus_record)
        array[index] = original - step
        minus = self.projected(minus_record)
        array[index] = original
        return plus, minus

    def name(self, k: int) -> str:
        x = self.targets[k]
        return f"'{x.name}'" if x.name else f"input {self.checked[k]}"
