"""Where ops have no derivative: the ``kink=`` of their rows.

Each region function maps ``(inputs, attrs, out)`` of one op call to an array that changes value
exactly when an input crosses the op's kink (a sign, which positions attain a max, a condition).
The gradient checkers compare regions before and after a perturbation: a change means the numeric
estimate averaged two sides and no derivative exists there (autonet/check/kinks.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.ops.registry import Kink


def sign_of_first(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    return np.sign(inputs[0])


def sign_of_difference(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    return np.sign(np.subtract(inputs[0], inputs[1]))


def clip_region(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    x = np.asarray(inputs[0])
    a_min = attrs.get("a_min", inputs[1] if len(inputs) > 1 else None)
    a_max = attrs.get("a_max", inputs[2] if len(inputs) > 2 else None)
    region = np.zeros(x.shape)
    if a_min is not None:
        region = region + np.sign(x - a_min)
    if a_max is not None:
        region = region + 3 * np.sign(x - a_max)
    return region


def condition(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    return np.asarray(inputs[0], dtype=bool)


def boolean_masks(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    index = attrs.get("index", inputs[1] if len(inputs) > 1 else None)
    parts = index if isinstance(index, tuple) else (index,)
    masks = [np.ravel(p) for p in parts if isinstance(p, np.ndarray) and p.dtype == bool]
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


AT_ZERO = Kink(sign_of_first, "at 0")
AT_TIES = Kink(sign_of_difference, "where its two inputs tie")
