"""Where ops have no derivative (kinks), and noticing when a perturbation crossed one.

relu, abs, leaky_relu, clip, maximum/minimum and max/min reductions have no derivative at their
kink (0, ties, the clip bounds). When a perturbation moves a value across one, the numeric
estimate averages the two sides and disagrees with any subgradient; the checkers report such
elements as "on a kink" and do not count them as errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.autograd.anomaly import forward_hooks
from autonet.ops.reduce import expand_reduced

# Per op: a function of (inputs, attrs, output) giving a "region" array that changes exactly when a
# value crosses the op's kink (a sign, or which positions attain a max), and where the kink is.
RegionFn = Callable[[Sequence[Any], dict, np.ndarray], np.ndarray]


def _sign_of_first(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    return np.sign(inputs[0])


def _sign_of_difference(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    return np.sign(np.subtract(inputs[0], inputs[1]))


def _clip_region(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    x = np.asarray(inputs[0])
    a_min = attrs.get("a_min", inputs[1] if len(inputs) > 1 else None)
    a_max = attrs.get("a_max", inputs[2] if len(inputs) > 2 else None)
    region = np.zeros(x.shape)
    if a_min is not None:
        region = region + np.sign(x - a_min)
    if a_max is not None:
        region = region + 3 * np.sign(x - a_max)
    return region


def _quotient(rounding: Callable[[Any], Any]) -> RegionFn:
    def region(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
        return rounding(np.divide(inputs[0], inputs[1]))

    return region


def _condition(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    return np.asarray(inputs[0], dtype=bool)


def _index_arrays(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    # boolean masks and integer arrays: they change with the data when computed from it
    # (x[x > 0], sort and topk gathering by argsort)
    index = attrs.get("index", inputs[1] if len(inputs) > 1 else None)
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [np.ravel(p).astype(np.int64) for p in parts
              if isinstance(p, np.ndarray) and p.dtype.kind in "biu"]
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


def _attaining(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    x = np.asarray(inputs[0])
    axis = attrs.get("axis", inputs[1] if len(inputs) > 1 else None)
    keepdims = attrs.get("keepdims", inputs[2] if len(inputs) > 2 else False)
    return x == expand_reduced(np, out, x.shape, axis, keepdims)


KINKS: dict[str, tuple[RegionFn, str]] = {
    "relu": (_sign_of_first, "at 0"),
    "abs": (_sign_of_first, "at 0"),
    "leaky_relu": (_sign_of_first, "at 0"),
    "elu": (_sign_of_first, "at 0 (slopes alpha and 1 meet there unless alpha = 1)"),
    "sqrt": (_sign_of_first, "at 0 (infinite slope)"),
    "maximum": (_sign_of_difference, "where its two inputs tie"),
    "minimum": (_sign_of_difference, "where its two inputs tie"),
    "clip": (_clip_region, "at a_min/a_max"),
    "max": (_attaining, "where two elements tie for the max"),
    "min": (_attaining, "where two elements tie for the min"),
    "mod": (_quotient(np.floor), "where a / b crosses an integer (mod jumps by b)"),
    "fmod": (_quotient(np.trunc), "where a / b crosses an integer (fmod jumps by b)"),
    # piecewise functions: a value crossing the point where the branch changes
    "where": (_condition, "where its condition flips (the function switches branch)"),
    "getitem": (_index_arrays, "where a boolean mask or an index computed from the data changes "
                               "(x[x > 0] at 0, sort and topk at ties)"),
}
# Not an op: fn's outputs changed shape (a data-dependent shape), recorded with the regions.
OUTPUT_SHAPES = "output shapes"


def register_kink(op_name: str, region: RegionFn, where: str) -> None:
    """Teach the checkers where a (custom) op is not differentiable: ``region(inputs, attrs, out)``
    returns an array that changes value exactly when an input crosses a kink."""
    KINKS[op_name] = (region, where)


class KinkRecorder:
    """While installed, keeps the region array of every kinked op that runs (in call order)."""

    def __init__(self) -> None:
        self.regions: list[tuple[str, np.ndarray]] = []

    def __call__(self, node: Any, out: np.ndarray) -> None:
        entry = KINKS.get(node.primitive.name)
        if entry is not None:
            self.regions.append((node.primitive.name, np.asarray(entry[0](
                node.inputs, node.attrs or {}, out))))

    def __enter__(self) -> KinkRecorder:
        forward_hooks.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        forward_hooks.remove(self)


def crossed_kink(base: list, *others: list) -> str | None:
    """The first op whose region differs between the runs ``base`` and ``others``, described."""
    for run in others:
        for (name, r0), (name1, r1) in zip(base, run):
            if name != name1 or r0.shape != r1.shape or not np.array_equal(r0, r1):
                if name1 == OUTPUT_SHAPES or name == OUTPUT_SHAPES:
                    return ("fn's output changed shape (a data-dependent shape, like a boolean "
                            "mask x[x > 0] at 0)")
                return f"{name} {KINKS[name][1]}" if name in KINKS else name
    return None
