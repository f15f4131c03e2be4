"""Anomaly mode: stop at the first op whose forward output or backward gradient is NaN or Inf.

    with an.detect_anomaly():
        loss = model(x).mean()   # each recorded op remembers the user line that created it
        loss.backward()          # the first NaN/Inf raises AnomalyError: op, shapes, ranges, line

Only ops that are recorded (some input requires grad, grad mode on) are watched. Outside anomaly
mode nothing is installed, so the hot path pays nothing.

This module also owns the small chains that let several observers share the engine's single hook
slots (``_hooks.on_forward``, ``observers.on_gradient``, ``observers.on_backward_start``).
"""

from __future__ import annotations

import linecache
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from autonet.arguments import flag
from autonet.autograd.engine import observers, running
from autonet.autograd.graph import Node
from autonet.ops.primitive import _hooks


class HookChain:
    """Several callbacks behind one hook slot of the engine. The dispatcher is installed while at
    least one callback is registered, and it calls whatever hook was there before it first."""

    def __init__(self, owner: Any, attr: str) -> None:
        self.owner = owner
        self.attr = attr
        self.callbacks: list[Callable[..., None]] = []
        self.foreign: Callable[..., None] | None = None
        self._dispatch_bound = self._dispatch

    def add(self, callback: Callable[..., None]) -> None:
        if not self.callbacks and getattr(self.owner, self.attr) is not self._dispatch_bound:
            self.foreign = getattr(self.owner, self.attr)
            setattr(self.owner, self.attr, self._dispatch_bound)
        self.callbacks.append(callback)

    def remove(self, callback: Callable[..., None]) -> None:
        if callback in self.callbacks:
            self.callbacks.remove(callback)
        # Uninstall only when nobody chained a hook after ours (else they still call us; we then
        # just forward to the previous hook).
        if not self.callbacks and getattr(self.owner, self.attr) is self._dispatch_bound:
            setattr(self.owner, self.attr, self.foreign)
            self.foreign = None

    def _dispatch(self, *args: Any) -> None:
        if self.foreign is not None:
            self.foreign(*args)
        for callback in tuple(self.callbacks):
            callback(*args)


forward_hooks = HookChain(_hooks, "on_forward")
gradient_hooks = HookChain(observers, "on_gradient")
backward_start_hooks = HookChain(observers, "on_backward_start")

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_frame(depth: int = 1) -> Any:
    """The innermost frame outside the autonet package (the user's code), or None."""
    frame = sys._getframe(depth)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


def user_site() -> str | None:
    """``file:line in function`` of the user code currently calling into autonet."""
    frame = user_frame(2)
    if frame is None:
        return None
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


class AnomalyError(RuntimeError):
    """A forward output or a backward gradient held NaN/Inf under ``detect_anomaly``.

    Attributes: ``node`` (the op's Node), ``phase`` ("forward" or "backward"), ``site``.
    """

    def __init__(self, message: str, node: Node, phase: str) -> None:
        super().__init__(message)
        self.node = node
        self.phase = phase
        self.site = node.site


_FIXES = {
    "log": "keep the input of log positive: clip it (an.clip(x, 1e-12, None)) or use a fused "
           "loss/log_softmax that never takes log(0)",
    "div": "a denominator is 0 (or tiny): add a small epsilon or mask those entries",
    "exp": "exp overflows above ~709 (float64) or ~88 (float32): subtract the max first "
           "(an.logsumexp, an.softmax, an.log_softmax do this)",
    "pow": "a negative base with a fractional exponent, or 0 to a negative power",
    "sqrt": "sqrt of a negative number; or its gradient 0.5 / sqrt(x) at x = 0 is infinite: add "
            "a small epsilon inside the sqrt",
    "var": "check the inputs of var for NaN/Inf",
    "std": "the gradient of std is infinite when all values are equal: add a small epsilon "
           "(sqrt(var + eps))",
}


class _State(threading.local):
    """Per-thread, like grad mode: anomaly mode entered in one thread never stops another."""

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True
        self.check_inf = True


_state = _State()
_threads_on = [0]  # threads with anomaly mode on; the hooks are installed while it is > 0
_install_lock = threading.Lock()


def is_anomaly_enabled() -> bool:
    """True while anomaly mode is on in this thread."""
    return _state.enabled


def set_detect_anomaly(mode: bool, check_nan: bool = True, check_inf: bool | None = None) -> None:
    """Switch anomaly mode on or off for the calling thread (see ``detect_anomaly``)."""
    mode = flag(mode, "set_detect_anomaly", "mode")
    check_nan = flag(check_nan, "set_detect_anomaly", "check_nan")
    check_inf = check_nan if check_inf is None else flag(check_inf, "set_detect_anomaly",
                                                              "check_inf")
    _state.check_nan, _state.check_inf = check_nan, check_inf
    with _install_lock:
        if mode and not _state.enabled:
            if _threads_on[0] == 0:
                forward_hooks.add(_on_forward)
                gradient_hooks.add(_on_gradient)
            _threads_on[0] += 1
        elif not mode and _state.enabled:
            _threads_on[0] -= 1
            if _threads_on[0] == 0:
                forward_hooks.remove(_on_forward)
                gradient_hooks.remove(_on_gradient)
    _state.enabled = mode


class detect_anomaly:
    """Context manager (and decorator): raise AnomalyError at the first recorded op whose forward
    output, or whose backward gradient for an input, holds NaN or Inf.

    The error names the op, its input shapes and value ranges, and the line of user code that
    created the op (recorded for every op made inside the block).

    Args:
        check_nan: look for non-finite values at all; ``False`` only records creation sites (as in
            PyTorch), allowing NaN and Inf.
        check_inf: also stop at +-Inf (defaults to ``check_nan``); ``check_inf=False`` allows Inf
            (say, log(0) = -inf masked later) but still stops at NaN.
    """

    def __init__(self, check_nan: bool = True, check_inf: bool | None = None) -> None:
        self.check_nan = flag(check_nan, "detect_anomaly", "check_nan")
        self.check_inf = None if check_inf is None else flag(check_inf, "detect_anomaly",
                                                                  "check_inf")
        self._previous: list[tuple[bool, bool, bool]] = []

    def __enter__(self) -> detect_anomaly:
        self._previous.append((_state.enabled, _state.check_nan, _state.check_inf))
        set_detect_anomaly(True, self.check_nan, self.check_inf)
        return self

    def __exit__(self, *exc: object) -> None:
        enabled, check_nan, check_inf = self._previous.pop()
        set_detect_anomaly(enabled, check_nan, check_inf)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan, self.check_inf):
                return fn(*args, **kwargs)

        wrapped.__name__ = getattr(fn, "__name__", "wrapped")
        wrapped.__doc__ = getattr(fn, "__doc__", None)
        return wrapped


def _bad(array: Any) -> np.ndarray | None:
    """Mask of the offending elements, or None when the array is fine under the current settings."""
    if not _state.check_nan:
        return None
    array = np.asarray(array)
    if array.dtype.kind not in "fc":
        return None
    if _state.check_inf:
        if np.isfinite(array).all():
            return None
        return ~np.isfinite(array)
    if not np.isnan(array).any():
        return None
    return np.isnan(array)


def _on_forward(node: Node, out: np.ndarray) -> None:
    if not _state.enabled:  # another thread's anomaly mode installed the hook
        return
    node.site = user_site()
    bad = _bad(out)
    if bad is None:
        return
    rule_of = running.rule_of
    if rule_of is not None:  # an op recorded by a gradient rule under create_graph=True
        what = (f"the gradient for one of its inputs (its rule, run with create_graph=True, "
                f"made it in '{node.name}', shape {out.shape})")
        raise AnomalyError(_message(rule_of, "backward", what, out, bad), rule_of, "backward")
    raise AnomalyError(_message(node, "forward", f"its output (shape {out.shape})", out, bad),
                       node, "forward")


def _on_gradient(node: Node, i: int, grad: Any) -> None:
    if not _state.enabled:
        return
    data = grad.data if hasattr(grad, "data") and not isinstance(grad, np.ndarray) else grad
    bad = _bad(data)
    if bad is not None:
        what = f"the gradient for its input {i} (shape {np.shape(data)})"
        raise AnomalyError(_message(node, "backward", what, np.asarray(data), bad),
                           node, "backward")


def describe_value(a: Any) -> str:
    """``shape (3, 4) float32, range [-1.2, 3.4]`` (plus counts of NaN/Inf) for an array."""
    if not isinstance(a, np.ndarray):
        return repr(a)[:60]
    text = f"shape {a.shape} {a.dtype}"
    if a.size and a.dtype.kind in "fiu":
        finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
        if finite.size:
            text += f", range [{finite.min():.4g}, {finite.max():.4g}]"
        if a.dtype.kind == "f":
            n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
            if n_nan:
                text += f", {n_nan} NaN"
            if n_inf:
                text += f", {n_inf} Inf"
    return text


def _message(node: Node, phase: str, what: str, values: np.ndarray, bad: np.ndarray) -> str:
    first = tuple(int(t) for t in np.argwhere(bad)[0]) if values.ndim else ()
    kinds = sorted({"NaN" if np.isnan(v) else ("inf" if v > 0 else "-inf")
                    for v in values[bad][:1000]})
    lines = [f"detect_anomaly: {phase} of '{node.name}' produced {'/'.join(kinds)} in {what}: "
             f"{int(bad.sum())} of {values.size} element(s), first at index {first}"]
    inputs = node.inputs if node.inputs is not None else ()
    for k, a in enumerate(inputs):
        lines.append(f"  input {k}: {describe_value(a)}")
    if node.attrs:
        lines.append("  attributes: " + ", ".join(f"{k}={v!r}"[:60] for k, v in node.attrs.items()))
    lines.append(_site_text(node.site))
    if node.name in _FIXES:
        lines.append(f"  fix: {_FIXES[node.name]}")
    return "\n".join(lines)


def _site_text(site: str | None) -> str:
    if site is None:
        return ("  created at: unknown (the forward pass ran outside detect_anomaly; run it inside "
                "the block too to see the line)")
    text = f"  created at: {site}"
    path, _, rest = site.rpartition(":")
    line = linecache.getline(path, int(rest.split(" ")[0])).strip() if path else ""
    return text + (f"\n      {line}" if line else "")
