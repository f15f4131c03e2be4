"""PyTorch spellings of numpy's axis keywords, accepted in one place.

Every function that takes an axis is wrapped once with ``takes_axis``: ``dim=`` becomes ``axis=``
and ``keepdim=`` becomes ``keepdims=`` (numpy's names stay the documented form), and an unknown
keyword raises a TypeError that names the closest accepted one (``axes=`` -> did you mean axis=?).
The call with numpy's keywords costs one set comparison on top of the wrapped function.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])

ALIASES = {"dim": "axis", "keepdim": "keepdims"}


def takes_axis(fn: F | None = None, *, name: str | None = None,
               keywords: Iterable[str] | None = None) -> Any:
    """Decorate ``fn`` (a function or a Primitive) so that it accepts ``dim=``/``keepdim=`` and
    hints at unknown keywords. ``keywords`` are the ones it accepts (default: its signature's)."""
    if fn is None:
        return lambda f: takes_axis(f, name=name, keywords=keywords)
    op_name = name or getattr(fn, "name", None) or fn.__name__
    accepted = frozenset(keywords if keywords is not None else _keywords_of(fn))
    aliases = {alias: real for alias, real in ALIASES.items() if real in accepted}
    axis_at = _position(fn, "axis")

    def call(*args: Any, **kwargs: Any) -> Any:
        if kwargs and not accepted.issuperset(kwargs):
            kwargs = _translate(op_name, kwargs, accepted, aliases)
        try:
            return fn(*args, **kwargs)
        except np.exceptions.AxisError as error:  # from numpy inside a composite (np.argsort)
            raise from_axis_error(op_name, error, args) from None
        except (TypeError, ValueError, IndexError):
            # checked only once something failed, so a good call pays nothing: an axis that
            # is no axis at all ('1', 1.5) is the likelier cause than what numpy says
            axis = kwargs["axis"] if "axis" in kwargs else (
                args[axis_at] if axis_at is not None and len(args) > axis_at else None)
            if not _is_axis(axis):
                raise TypeError(f"{op_name}: axis (dim) must be an integer, a tuple of integers "
                                f"or None, got {axis!r:.60} ({type(axis).__name__})") from None
            raise

    if inspect.isfunction(fn):
        functools.update_wrapper(call, fn)
    else:
        call.__name__ = call.__qualname__ = op_name
        call.__doc__ = getattr(fn, "__doc__", None)
        call.__wrapped__ = fn  # type: ignore[attr-defined]  (inspect.signature shows the op's)
    call.name = op_name  # type: ignore[attr-defined]  (as a Primitive row has)
    return call


def _position(fn: Callable[..., Any], name: str) -> int | None:
    """Where ``name`` sits among fn's positional parameters (None: keyword only, or absent)."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY,
                                                            p.POSITIONAL_OR_KEYWORD)]
    return positional.index(name) if name in positional else None


def _is_axis(axis: Any) -> bool:
    """None, an int, or a tuple or list of ints (bools are not axes)."""
    items = axis if isinstance(axis, tuple | list) else (axis,)
    return axis is None or all(isinstance(a, int | np.integer) and not isinstance(a, bool)
                               for a in items)


def _keywords_of(fn: Callable[..., Any]) -> list[str]:
    parameters = inspect.signature(fn).parameters.values()
    return [p.name for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _translate(op_name: str, kwargs: dict, accepted: frozenset, aliases: dict) -> dict:
    out = {}
    for key, value in kwargs.items():
        real = aliases.get(key, key)
        if real not in accepted:
            raise TypeError(f"{op_name}() got an unexpected keyword {key!r}; "
                            f"{_suggestion(key, accepted | set(aliases))}")
        if real in out or (real != key and real in kwargs):
            raise TypeError(f"{op_name}() got both {real}= and its alias {key}=; pass one")
        out[real] = value
    return out


def _suggestion(key: str, accepted: Iterable[str]) -> str:
    options = sorted(accepted)
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.5)
    if key in ("axes", "dims", "ax", "dimension") and "axis" in options:
        close = ["axis"]
    if close:
        return f"did you mean {ALIASES.get(close[0], close[0])}=?"
    listed = ", ".join(f"{k}=" for k in options) or "none"
    return f"it accepts {listed}"


def scalar_axis(op_name: str, axis: Any) -> None:
    """Check ``axis`` for a 0-d input, where numpy and PyTorch accept 0 and -1 (and tuples of
    them): reducing a 0-d tensor over its 'only' axis reduces over nothing. Returns None, the
    axis to pass on."""
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    for a in axes:
        if not isinstance(a, int | np.integer) or a not in (0, -1):
            raise ValueError(f"{op_name}: axis {a!r} is out of bounds for a 0-d tensor "
                             "(0 and -1 are accepted, or axis=None)")
    return None


def axis_error(op_name: str, axis: Any, ndim: int, shape: tuple | None = None) -> ValueError:
    """The error for an ``axis`` (PyTorch's ``dim``) outside a tensor's ``ndim`` dimensions: a
    builtin ValueError naming the op, the axis, the tensor's rank and the accepted range."""
    of = f" of shape {shape}" if shape is not None and len(shape) == ndim else ""
    fix = (f"use an axis in [-{ndim}, {ndim - 1}]" if ndim else
           "a 0-d tensor has no axes: use axis=None")
    if shape is not None and not of:
        fix += f" (input shape {shape})"
    return ValueError(f"{op_name}: axis (dim) {axis!r} is out of range for a {ndim}-D tensor"
                      f"{of}; {fix}")


def check_axis(op_name: str, axis: Any, ndim: int, shape: tuple | None = None) -> None:
    """Raise ``axis_error`` unless ``axis`` is one integer in [-ndim, ndim)."""
    if not isinstance(axis, int | np.integer) or not -ndim <= axis < ndim:
        raise axis_error(op_name, axis, ndim, shape)


def from_axis_error(op_name: str, error: Exception, args: Any) -> ValueError:
    """numpy's AxisError (not a builtin, and silent about the op) as ``axis_error``."""
    shape = _first_shape(args)
    axis, ndim = getattr(error, "axis", None), getattr(error, "ndim", None)
    if axis is None or ndim is None:
        return ValueError(f"{op_name}: {error} (input shape {shape})")
    return axis_error(op_name, axis, ndim, shape)


def _first_shape(args: Any) -> tuple | None:
    first = args[0] if args else None
    if type(first) in (list, tuple) and first:
        first = first[0]
    shape = getattr(first, "shape", None)
    return tuple(shape) if shape is not None else (() if np.isscalar(first) else None)
