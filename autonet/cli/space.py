"""The text syntax of a search space (``autonet tune --grid``/``--space``):
``"lr=0.01,0.1;layers=8|16,16;l2=log:1e-5:1e-2;dropout=uniform:0:0.5"``."""

from __future__ import annotations

import argparse
import math
from typing import Any

from autonet.tune.space import IntUniform, LogUniform, Uniform

__all__ = ["parse_space", "typed_space"]


def _value(text: str) -> Any:
    text = text.strip()
    if "," in text:  # a tuple such as hidden layer sizes "16,16"
        return tuple(_value(t) for t in text.split(","))
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_space(text: str) -> dict[str, Any]:
    """Parse ``"lr=0.01,0.1;layers=8|16,16;l2=log:1e-5:1e-2;dropout=uniform:0:0.5"``.

    Entries are separated by ``;``. Values are separated by ``|`` when present (so an option may
    itself contain commas, like the layer sizes ``16,16``), otherwise by ``,``. ``log:a:b``,
    ``uniform:a:b`` and ``int:a:b`` give ranges for random and Bayesian search."""
    space: dict[str, Any] = {}
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        name, sep, values = entry.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise ValueError(f"bad search-space entry {entry!r}: write name=v1,v2 or "
                             "name=a|b,c or name=log:low:high")
        if name in space:
            raise ValueError(f"search space {text!r} gives {name} twice; list all its values "
                             f"in one entry ({name}=a,b)")
        kind, _, rest = values.partition(":")
        if kind in ("log", "uniform", "int") and rest:
            bounds = rest.split(":")
            if len(bounds) != 2:
                raise ValueError(f"bad range {values!r} for {name}: write {kind}:low:high")
            try:
                low, high = float(bounds[0]), float(bounds[1])
            except ValueError:
                raise ValueError(f"bad range {values!r} for {name}: bounds must be numbers") \
                    from None
            if not (math.isfinite(low) and math.isfinite(high)):
                raise ValueError(f"bad range {values!r} for {name}: bounds must be finite")
            if kind == "int" and not (low.is_integer() and high.is_integer()):
                raise ValueError(f"bad range {values!r} for {name}: int bounds must be whole "
                                 "numbers")
            if not (low < high if kind != "int" else low <= high) or (kind == "log" and low <= 0):
                need = "0 < low < high" if kind == "log" else "low < high"
                raise ValueError(f"bad range {values!r} for {name}: need {need}")
            cls = {"log": LogUniform, "uniform": Uniform, "int": IntUniform}[kind]
            space[name] = cls(int(low), int(high)) if cls is IntUniform else cls(low, high)
            continue
        parts = values.split("|") if "|" in values else values.split(",")
        pieces = [piece for p in parts for piece in (p.split(",") if "|" in values else [p])]
        if not all(piece.strip() for piece in pieces):  # 'lr=0.1,,0.2' would drop the ''
            raise ValueError(f"--grid: {name}={values.strip()} has an empty value '' (two "
                             "separators in a row, or one at an end); give a value between "
                             f"each pair of separators, e.g. {name}="
                             f"{'a|b,c' if '|' in values else 'a,b'}")
        options = [_value(p) for p in parts]
        space[name] = options
    if not space:
        raise ValueError(f"empty search space {text!r}: write e.g. 'lr=0.01,0.1;layers=8|16,16'")
    return space


def typed_space(space: dict[str, Any], flags: dict[str, argparse.Action]) -> dict[str, Any]:
    """``space`` with every listed value as its flag parses it (``layers=none|8-8|4`` becomes
    ``[(), (8, 8), (4,)]``, ``lr=0.1`` the float 0.1) and every range bound checked by the flag,
    so a bad value fails here in one line instead of failing every trial. ``flags``: the
    ``autonet train`` actions by destination."""
    typed: dict[str, Any] = {}
    for name, spec in space.items():
        action = flags[name]
        ranged = not isinstance(spec, list)
        values = [spec.low, spec.high] if ranged else spec
        parsed = [_parse(action, name, value) for value in values]
        if ranged:
            if action.choices is not None or not all(isinstance(v, int | float) for v in parsed):
                raise ValueError(f"--grid: {name} takes listed values, not a range "
                                 f"({spec!r}); write {name}=a,b")
            typed[name] = spec
        else:
            typed[name] = list(dict.fromkeys(parsed)) if _hashable(parsed) else parsed
    return typed


def _parse(action: argparse.Action, name: str, value: Any) -> Any:
    text = "-".join(map(str, value)) if isinstance(value, tuple) else str(value)
    try:
        parsed = action.type(text) if action.type is not None else text
    except (argparse.ArgumentTypeError, ValueError) as err:
        raise ValueError(f"--grid: bad value {text!r} for {name}: {err}") from None
    if action.choices is not None and parsed not in action.choices:
        raise ValueError(f"--grid: bad value {text!r} for {name}: choose from "
                         f"{', '.join(map(str, action.choices))}")
    return parsed


def _hashable(values: list[Any]) -> bool:
    try:
        set(values)
    except TypeError:
        return False
    return True

