"""Warnings about mistakes the course teaches to avoid.

* the rank-1 broadcast warning, on by default (``an.set_warn_broadcast(False)`` silences it): an
  elementwise op broadcasting a rank-1 array of shape (n,) against a column of shape (n, 1) into
  an (n, n) matrix, almost always the "rank-1 array" bug (``Y - A`` with ``Y.shape == (m,)`` and
  ``A.shape == (m, 1)``). It watches every elementwise op, with grad or without; the op's call
  looks only when the output ends in a square (n, n), so ordinary code pays one comparison.
* ``an.set_warn_double_backward(True)``: ``backward()`` running a second time through a graph kept
  with ``retain_graph=True``, so leaf gradients silently add up (installed only while on).
* reading ``.grad`` of a non-leaf tensor (NonLeafGradWarning, from Tensor.grad), as PyTorch does.
"""

from __future__ import annotations

import warnings
import weakref

import numpy as np

from autonet.autograd.anomaly import backward_start_hooks, user_frame
from autonet.autograd.graph import Node


class BroadcastWarning(UserWarning):
    """An elementwise op turned (n,) and (n, 1) into (n, n)."""


class NonLeafGradWarning(UserWarning):
    """``.grad`` read on a tensor an op made (backward leaves it None), as PyTorch warns."""


class DoubleBackwardWarning(UserWarning):
    """backward ran again through a retained graph; gradients accumulated."""


def warn_at_user_code(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn with the location of the user's line that called into autonet, not ours."""
    frame = user_frame(2)
    if frame is None:
        warnings.warn(message, category, stacklevel=3)
        return
    warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno,
                           module=frame.f_globals.get("__name__"),
                           registry=frame.f_globals.setdefault("__warningregistry__", {}))


def rank1_pair(shapes: list[tuple[int, ...]]) -> tuple[tuple, tuple] | None:
    """The first pair (n,), (..., n, 1) with n > 1 among ``shapes`` (a column, or a batch of
    columns), or None."""
    vectors = [s for s in shapes if len(s) == 1 and s[0] > 1]
    for v in vectors:
        for s in shapes:
            if len(s) >= 2 and s[-2:] == (v[0], 1):
                return v, s
    return None


def check_rank1_broadcast(name: str, inputs: tuple | list, out: np.ndarray) -> None:
    """Warn when an elementwise op broadcast (n,) against (..., n, 1). ``Primitive.__call__`` calls
    it, with grad or without, only when the output ends in a square (n, n): nothing to pay else."""
    if not _enabled["broadcast"]:
        return
    pair = rank1_pair([np.shape(a) for a in inputs])
    if pair is None:
        return
    (n,), column = pair
    warn_at_user_code(
        f"{name}: broadcasting an array of shape ({n},) against one of shape {column} gives "
        f"shape {out.shape}, every element paired with every other (the rank-1 array bug). If "
        f"you meant elementwise, give both the same shape: x.reshape(-1, 1) makes the ({n},) "
        f"array a ({n}, 1) column. If you meant the outer combination, say so with explicit axes "
        f"(x[:, None] + y[None, :]). Silence with an.set_warn_broadcast(False)", BroadcastWarning)


class _Seen:
    roots: weakref.WeakSet = weakref.WeakSet()


def _on_backward_start(order: list[Node], retain_graph: bool, accumulates: bool) -> None:
    if not order:
        return
    root = order[0]
    if root in _Seen.roots and accumulates:
        warn_at_user_code(
            f"backward: running backward again through the graph of '{root.name}' that an "
            f"earlier backward kept with retain_graph=True; leaf gradients accumulate, so each "
            f".grad now holds the sum of both passes. Zero them in between (optimizer.zero_grad() "
            f"or t.grad = None) unless you meant to add them. Silence with "
            f"an.set_warn_double_backward(False)", DoubleBackwardWarning)
    if retain_graph:
        _Seen.roots.add(root)


_enabled = {"broadcast": True, "double_backward": False}


def set_warn_broadcast(enabled: bool = True) -> None:
    """Warn (BroadcastWarning, at your line) when an elementwise op broadcasts (n,) against (n, 1)
    into (n, n); on by default, ``an.set_warn_broadcast(False)`` silences it."""
    if not isinstance(enabled, bool):
        raise TypeError(f"set_warn_broadcast: enabled={enabled!r} must be True or False")
    _enabled["broadcast"] = enabled


def set_warn_double_backward(enabled: bool = True) -> None:
    """Warn (DoubleBackwardWarning) when backward runs again through a graph retained by an earlier
    backward, so gradients add up in ``.grad``."""
    if enabled and not _enabled["double_backward"]:
        backward_start_hooks.add(_on_backward_start)
    elif not enabled and _enabled["double_backward"]:
        backward_start_hooks.remove(_on_backward_start)
        _Seen.roots = weakref.WeakSet()
    _enabled["double_backward"] = bool(enabled)
