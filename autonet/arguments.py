"""Checks of user-given arguments, shared by every part of autonet: each failure is one builtin
error (TypeError for the wrong kind of value, ValueError for a value out of range) whose message
names the call, the argument and the value."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["allocate", "flag", "function", "integer", "number", "numeric", "numeric_dtype",
           "state_mapping"]


def integer(value: Any, call: str, name: str, minimum: int | None = None,
            maximum: int | None = None) -> int:
    """``value`` as an int: a Python or numpy integer (not a bool, not 2.5, not "3") within
    [minimum, maximum]."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise TypeError(f"{call}: {name} must be an integer{_range(minimum, maximum)}, got "
                        f"{value!r} ({type(value).__name__})")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{call}: {name} must be an integer{_range(minimum, maximum)}, got "
                         f"{value!r}")
    return int(value)


def flag(value: Any, call: str, name: str) -> bool:
    """``value`` as a bool: True/False, a numpy bool or the ints 0 and 1 (not "yes", not 2)."""
    if not isinstance(value, bool | np.bool_ | int | np.integer) or value not in (0, 1):
        raise TypeError(f"{call}: {name} must be True or False, got {value!r} "
                        f"({type(value).__name__})")
    return bool(value)


def function(value: Any, call: str, name: str, what: str, fix: str = "") -> Any:
    """``value`` if it can be called; else a TypeError saying that ``name`` must be ``what``
    ("a function of the inputs"), what it got, and ``fix`` when given."""
    if not callable(value):
        raise TypeError(f"{call}: {name} must be {what}, got {value!r:.60} "
                        f"({type(value).__name__})" + (f"; {fix}" if fix else ""))
    return value


def number(value: Any, call: str, name: str, low: float | None = None,
           high: float | None = None, low_open: bool = False, high_open: bool = False,
           infinite: bool = False) -> float:
    """``value`` as a finite float within the bounds (open or closed), refusing NaN, inf,
    strings and bools (``infinite=True``: +-inf within the bounds too, for "no limit")."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer |
                                                                np.floating):
        raise TypeError(f"{call}: {name} must be a number{_bounds(low, high, low_open, high_open)}"
                        f", got {value!r} ({type(value).__name__})")
    value = float(value)
    if ((math.isnan(value) or not (infinite or math.isfinite(value)))
            or (low is not None and (value < low or (low_open and value == low)))
            or (high is not None and (value > high or (high_open and value == high)))):
        raise ValueError(f"{call}: {name} must be a {'' if infinite else 'finite '}number"
                         f"{_bounds(low, high, low_open, high_open)}, got {value!r}")
    return value


def numeric_dtype(value: Any, call: str, name: str = "dtype") -> np.dtype:
    """``value`` as a numpy dtype of numbers: bool, integer, float or complex (not a string or
    object dtype, not something numpy does not know)."""
    hint = "use e.g. 'float32', 'float64', 'int64' or 'bool'"
    try:
        resolved = np.dtype(value)
    except TypeError:
        raise TypeError(f"{call}: {name} {value!r} is not a numpy dtype; {hint}") from None
    if resolved.kind not in "biufc":
        raise TypeError(f"{call}: {name} {resolved} holds no numbers; {hint}")
    return resolved


def numeric(value: Any, call: str, name: str) -> Any:
    """``value`` itself if it is a tensor or holds numbers (bool, integer, float, complex): for
    composite ops, whose inner ops would otherwise be blamed for a string operand."""
    from autonet.tensor import Tensor  # (tensor.py imports this module)

    if isinstance(value, Tensor):
        return value
    try:
        dtype = np.asarray(value).dtype
    except (TypeError, ValueError):  # a ragged list
        dtype = None
    if dtype is not None and dtype.kind in "biufc":
        return value
    raise TypeError(f"{call}: {name} must be a tensor or numbers, got {value!r:.60} "
                    f"({type(value).__name__}{'' if dtype is None else f' of dtype {dtype}'})")


def allocate(call: str, shape: tuple[int, ...], dtype: np.dtype, make: Any,
             written: bool = False) -> np.ndarray:
    """``make()``, or a builtin MemoryError that names ``call`` and says the shape and the bytes
    (numpy's names no call, and its type is numpy's own). ``written``: make() writes every
    element (tile), so a result larger than the machine's memory is refused before it starts,
    instead of after filling gigabytes of intermediates."""
    nbytes = math.prod(shape) * dtype.itemsize if written else None
    if nbytes is not None and nbytes > _memory_bytes():
        raise _too_big(call, shape, dtype)
    try:
        return make()
    except MemoryError:
        raise _too_big(call, shape, dtype) from None


def _too_big(call: str, shape: tuple[int, ...], dtype: np.dtype) -> MemoryError:
    nbytes = math.prod(shape) * dtype.itemsize
    return MemoryError(f"{call}: shape {shape} of {dtype} needs {nbytes} bytes "
                       f"({nbytes / 2**30:.3g} GiB), more than this machine can give; use a "
                       "smaller shape")


def _memory_bytes() -> float:
    """Physical memory plus swap in bytes (infinity where the system does not say)."""
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        return sum(int(fields[k].split()[0]) * 1024 for k in ("MemTotal", "SwapTotal"))
    except (OSError, KeyError, ValueError):
        return math.inf


def state_mapping(state: Any, call: str, keys: Iterable[str]) -> Mapping[str, Any]:
    """``state`` checked to be a dict holding ``keys`` (what a ``state_dict()`` returned)."""
    if not isinstance(state, Mapping):
        raise TypeError(f"{call}: state_dict must be a dict (from state_dict()), got "
                        f"{type(state).__name__} {state!r:.60}")
    missing = sorted(set(keys) - set(state))
    if missing:
        raise ValueError(f"{call}: state_dict lacks {missing}; pass what state_dict() of the "
                         "same kind of object returned")
    return state


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{minimum}, {maximum}]"
    if minimum is not None:
        return f" >= {minimum}"
    return f" <= {maximum}" if maximum is not None else ""


def _bounds(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {low:g}"
    if low is None:
        return f" {'<' if high_open else '<='} {high:g}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
