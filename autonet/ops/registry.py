"""The op registry: what the rest of the package knows about ops, derived from their rows.

Every ``Primitive`` registers itself when its row is constructed (autonet/ops/primitive.py), and
every composite (an op built from others, with no rule of its own) with ``@composite``. From these
entries, and from nowhere else, come:

* the public exports of ``autonet.ops``, and so of ``autonet`` (``exports``);
* the two namespaces gradient rules run in: numpy for an ordinary backward, autonet under
  ``create_graph`` (``NUMPY``, ``AUTONET``: every primitive is in both, by construction with the
  same signature, since one side is the row's forward and the other the row itself);
* the Tensor methods ``t.name(...)`` of ops that declare ``method=True``;
* the kinks gradcheck knows about, the ops the rank-1 broadcast warning watches and the symbols
  graph drawings use (read from the rows: ``primitive.kink``, ``.kind``, ``.symbol``).

Adding an op is therefore its row (plus its row in tests/ops/op_table.py), nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

# What an op is, for the code that treats ops by kind (the broadcast warning, drawings, docs).
KINDS = ("elementwise", "reduction", "shape", "linalg", "fused", "nondifferentiable", "custom")


@dataclass(frozen=True)
class Kink:
    """Where an op has no derivative.

    ``region(inputs, attrs, out)`` returns an array that changes value exactly when an input crosses
    the kink (a sign, or which positions attain a max); ``where`` says where it is, for reports.
    """

    region: Callable[[Any, dict, np.ndarray], np.ndarray]
    where: str


@dataclass
class Entry:
    """A registered op: ``op`` is what ``an.<name>`` is; ``numpy`` its twin for rules (if any)."""

    name: str
    op: Callable[..., Any]
    numpy: Callable[..., Any] | None
    export: bool
    method: bool


_ENTRIES: dict[str, Entry] = {}
_ROWS: dict[str, Any] = {}  # every registered Primitive by name, public or not
_BUILT_IN: set[str] = set()  # names registered while autonet.ops was imported
_sealed = False
# The namespaces gradient rules call ``xp.<name>`` in; filled as rows register.
NUMPY = SimpleNamespace(records_graph=False)
AUTONET = SimpleNamespace(records_graph=True)  # a rule may pick a formula right at every order


def register(name: str, op: Callable[..., Any], numpy: Callable[..., Any] | None = None,
             export: bool = True, method: bool = False) -> None:
    """Record ``op`` under ``name``; called by Primitive and ``composite``, not by users.

    A later op of the same name replaces the earlier one (re-running a notebook cell that defines
    an op), except that a primitive with ``export=False`` never takes the public name from the
    composite that fronts it; the rule namespaces hold whichever op came with a numpy twin.
    """
    previous = _ENTRIES.get(name)
    if name in _BUILT_IN and previous is not None and previous.op is not op and _sealed:
        raise ValueError(f"{name!r} is one of autonet's own ops; give your op another name (or "
                         "pass register=False to Primitive to keep it out of the op set)")
    if not _sealed:
        _BUILT_IN.add(name)
    if export or previous is None or not previous.export:
        _ENTRIES[name] = Entry(name, op, numpy, export, method)
    if numpy is not None:
        setattr(NUMPY, name, numpy)
        setattr(AUTONET, name, op)
    if hasattr(op, "vjps"):
        _ROWS[name] = op
    if method:
        _install_method(name, op)


def seal() -> None:
    """Mark the ops registered so far as autonet's own: later ops may not take their names."""
    global _sealed
    _sealed = True


def unregister(name: str) -> None:
    """Forget ``name`` (tests that add a throwaway op clean up with this)."""
    if name in _BUILT_IN:
        raise ValueError(f"unregister: {name!r} is one of autonet's own ops")
    entry = _ENTRIES.pop(name, None)
    _ROWS.pop(name, None)
    if entry is None:
        return
    for namespace in (NUMPY, AUTONET):
        namespace.__dict__.pop(name, None)
    from autonet.tensor import Tensor

    if entry.method and getattr(Tensor.__dict__.get(name), "_from_registry", False):
        delattr(Tensor, name)


def lookup(name: str) -> Callable[..., Any] | None:
    """The public op called ``name``, or None."""
    entry = _ENTRIES.get(name)
    return entry.op if entry is not None and entry.export else None


def primitives() -> dict[str, Any]:
    """Every registered Primitive (the rows), public or not, by name."""
    return dict(_ROWS)


def exports() -> dict[str, Callable[..., Any]]:
    """Every public op by name: what ``from autonet.ops import *`` gives."""
    return {name: e.op for name, e in sorted(_ENTRIES.items()) if e.export}


def composite(fn: Callable[..., Any] | None = None, *, numpy: Callable[..., Any] | None = None,
              method: bool = False, name: str | None = None) -> Any:
    """Register an op built from other ops (its gradient comes from theirs).

    ``numpy``: a numpy function with the same signature, if gradient rules may call the op as
    ``xp.<name>``; ``method``: also offer it as ``Tensor.<name>``.
    """

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        register(name or f.__name__, f, numpy=numpy, method=method)
        return f

    return decorate(fn) if fn is not None else decorate


def _install_method(name: str, op: Callable[..., Any]) -> None:
    """``t.name(*args, **kwargs)`` calls ``op(t, *args, **kwargs)``, unless Tensor defines one."""
    from autonet.ops.primitive import Primitive
    from autonet.tensor import Tensor

    existing = Tensor.__dict__.get(name)
    if existing is not None and not getattr(existing, "_from_registry", False):
        return

    # a Primitive's bound __call__ is called directly; calling the instance itself would go
    # through Python's generic instance-call path, a good part of a small op's cost
    call = op.__call__ if isinstance(op, Primitive) else op

    @functools.wraps(op)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return call(self, *args, **kwargs)
        return call(self)  # t.exp(): no argument tuple and keyword dict to pass on

    method._from_registry = True  # type: ignore[attr-defined]
    method.__wrapped__ = op  # type: ignore[attr-defined]
    setattr(Tensor, name, method)
