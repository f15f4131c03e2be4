"""Noticing when a perturbation crossed a kink (a point where an op has no derivative).

relu, abs, leaky_relu, clip, maximum/minimum and max/min reductions have no derivative at their
kink (0, ties, the clip bounds); each op's row says where (``Primitive.kink``). When a
perturbation moves a value across one, the numeric
estimate averages the two sides and disagrees with any subgradient; the checkers report such
elements as "on a kink" and do not count them as errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.autograd.anomaly import forward_hooks
from autonet.ops.registry import Kink

# A function of (inputs, attrs, output) giving a "region" array that changes exactly when a value
# crosses the op's kink.
RegionFn = Callable[[Sequence[Any], dict, np.ndarray], np.ndarray]
# Kinks of custom ops (Functions, by class name), taught with register_kink; the built-in ops carry
# theirs on their rows (``Primitive.kink``, autonet/ops/kinks.py).
_CUSTOM: dict[str, Kink] = {}
# Not an op: fn's outputs changed shape (a data-dependent shape), recorded with the regions.
OUTPUT_SHAPES = "output shapes"


def register_kink(op_name: str, region: RegionFn, where: str) -> None:
    """Teach the checkers where a custom op (an ``an.Function`` subclass, by its class name) is not
    differentiable: ``region(inputs, attrs, out)`` returns an array that changes value exactly when
    an input crosses a kink."""
    _CUSTOM[op_name] = Kink(region, where)


def kink_of(primitive: Any) -> Kink | None:
    """Where ``primitive`` has no derivative (from its row, or register_kink), or None."""
    return getattr(primitive, "kink", None) or _CUSTOM.get(primitive.name)


class KinkRecorder:
    """While installed, keeps the region array of every kinked op that runs (in call order)."""

    def __init__(self) -> None:
        self.regions: list[tuple[Kink | None, str, np.ndarray]] = []

    def __call__(self, node: Any, out: np.ndarray) -> None:
        kink = kink_of(node.primitive)
        if kink is not None:
            self.regions.append((kink, node.primitive.name, np.asarray(kink.region(
                node.inputs, node.attrs or {}, out))))

    def __enter__(self) -> KinkRecorder:
        forward_hooks.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        forward_hooks.remove(self)


def crossed_kink(base: list, *others: list) -> str | None:
    """The first op whose region differs between the runs ``base`` and ``others``, described."""
    for run in others:
        for (kink, name, r0), (_, name1, r1) in zip(base, run):
            if name != name1 or r0.shape != r1.shape or not np.array_equal(r0, r1):
                if name1 == OUTPUT_SHAPES or name == OUTPUT_SHAPES:
                    return ("fn's output changed shape (a data-dependent shape, like a boolean "
                            "mask x[x > 0] at 0)")
                return f"{name} {kink.where}" if kink is not None else name
    return None
