"""Search-space entries: ranges to draw from (Uniform, LogUniform, IntUniform) and Choice."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def _bound(value: Any, cls: str, name: str, integer: bool = False) -> float:
    kinds = int | np.integer if integer else int | float | np.integer | np.floating
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        wanted = "an integer" if integer else "a finite number"
        raise TypeError(f"{cls}: {name} must be {wanted}, got {value!r}")
    return value


class Uniform:
    """Real values uniform in [low, high] (e.g. dropout rate)."""

    def __init__(self, low: float, high: float) -> None:
        low, high = _bound(low, type(self).__name__, "low"), _bound(high, type(self).__name__,
                                                                     "high")
        if not low < high:
            raise ValueError(f"{type(self).__name__}: need low < high, got low={low}, "
                             f"high={high}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def __repr__(self) -> str:
        return f"Uniform({self.low}, {self.high})"


class LogUniform(Uniform):
    """Values whose logarithm is uniform: every decade of [low, high] equally likely. The right
    prior for scale parameters such as the learning rate or L2 strength (1e-4 .. 1)."""

    def __init__(self, low: float, high: float) -> None:
        if _bound(low, "LogUniform", "low") <= 0:
            raise ValueError(f"LogUniform: need 0 < low < high, got low={low}, high={high}")
        super().__init__(low, high)

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def __repr__(self) -> str:
        return f"LogUniform({self.low}, {self.high})"


class IntUniform:
    """Integers uniform in [low, high] inclusive (e.g. number of units)."""

    def __init__(self, low: int, high: int) -> None:
        low = _bound(low, "IntUniform", "low", integer=True)
        high = _bound(high, "IntUniform", "high", integer=True)
        if not low <= high:
            raise ValueError(f"IntUniform: need low <= high, got low={low}, high={high}")
        self.low, self.high = int(low), int(high)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high + 1))

    def __repr__(self) -> str:
        return f"IntUniform({self.low}, {self.high})"


class Choice:
    """One of a fixed list of options (e.g. activation in ["relu", "tanh"])."""

    def __init__(self, options: Sequence[Any]) -> None:
        if isinstance(options, str | bytes) or not isinstance(options, Sequence | np.ndarray):
            raise TypeError(f"Choice: options must be a list or tuple of values, got "
                            f"{options!r} ({type(options).__name__}); for a single option "
                            f"write Choice([{options!r}])")
        self.options = list(options)
        if not self.options:
            raise ValueError("Choice: options is empty; give at least one option")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.options[int(rng.integers(len(self.options)))]

    def __repr__(self) -> str:
        return f"Choice({self.options})"


Distribution = Uniform | IntUniform | Choice


def as_distribution(call: str, name: str, spec: Any) -> Distribution:
    """A space entry as a distribution: a list or tuple of values becomes a Choice."""
    if isinstance(spec, Uniform | IntUniform | Choice):
        return spec
    if isinstance(spec, list | tuple):
        if not spec:
            raise ValueError(f"{call}: the values of {name!r} are an empty list; give at "
                             "least one value")
        return Choice(spec)
    raise TypeError(f"{call}: {name!r} must be a list of values or a distribution "
                    f"(Uniform, LogUniform, IntUniform, Choice), got {spec!r}")
