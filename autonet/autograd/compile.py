"""``an.compile(fn)``: run a step once eagerly, record every array operation it did, replay them.

The first call of ``step = an.compile(fn)`` runs ``fn`` as usual while recording the flat sequence
of array operations: each primitive's forward, each random draw, and the backward exactly as the
engine runs it (its order, every rule call, the sums back to broadcast shapes, the accumulation
of gradients and the stores into ``.grad``). That sequence becomes one straight-line Python
function of the input arrays (``step.replay_code``). Later calls whose inputs have the same
shapes, dtypes and requires_grad flags, under the same grad mode, with the same modules in
train/eval mode holding the same parameters (shapes, dtypes, requires_grad), run that function
on the new arrays: no Tensor or Node is made and nothing is sorted, yet the outputs (as Tensors)
and every leaf's ``.grad`` are those of the eager call, bit for bit. Another signature traces
again (a few are cached).

What is frozen at trace time, as in jax.jit or tinygrad's TinyJit: Python control flow and
Python values (an ``if`` on a tensor's value, a loop count, a hyperparameter read from a global).
``an.compile(fn, check=True)`` runs the eager ``fn`` beside the replay for the first calls and
raises at the first op whose output differs. Reading a traced value back to Python inside ``fn``
(``.item()``, ``.numpy()``, ``bool()``) and changing a parameter in place inside ``fn`` (an
optimizer step) are refused at trace time; keep ``optimizer.zero_grad()`` and ``step()``
outside ``fn``.

``step.source`` is the replay written out for people: plain numpy, one line per operation in the
course's notation (Z1, A1, dZ2, dW2, ...), see autonet/nn/source.py.

This file decides when to trace and when to replay; the recording is autonet/autograd/trace.py,
the exact rewrites autonet/autograd/rewrites.py, the replay function autonet/autograd/replay.py.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import warnings
from collections import OrderedDict
from collections.abc import Callable
from operator import is_
from typing import Any

import numpy as np

from autonet.arguments import flag, integer
from autonet.autograd import engine
from autonet.autograd.graph import draws, grad_mode
from autonet.autograd.replay import interpreter, replay_code
from autonet.autograd.trace import CompileError, Recorder, Trace, rebuild
from autonet.ops.primitive import _hooks
from autonet.tensor import Tensor, value_hooks

CACHE_SIZE = 8
COMPILE_STEPS = 200_000  # longer traces replay through a loop (Python compiles ~6 us a line)
CHECK_CALLS = 3


class _Writers:
    """Who writes ``step.source``: autonet.nn.source (it knows the modules' course names), set
    when autonet.nn is imported."""

    __slots__ = ("source",)

    def __init__(self) -> None:
        self.source: Callable[[Any, list[str] | None], str] | None = None


writers = _Writers()


# ---- the compiled callable ----------------------------------------------------------------------
class Compiled:
    """``an.compile(fn)``: call it like ``fn``. Attributes: ``traces`` (how many times fn ran
    eagerly to record), ``replays`` (calls answered by a replay alone; check=True's checked
    calls not counted), ``source`` (the last trace as readable numpy code), ``replay_code``
    (the replay as it runs)."""

    def __init__(self, fn: Callable[..., Any], check: bool = False,
                 cache_size: int = CACHE_SIZE) -> None:
        if not callable(fn):
            raise TypeError(f"compile: fn must be a function, got {fn!r:.60} "
                            f"({type(fn).__name__})")
        cache_size = integer(cache_size, "compile", "cache_size", minimum=1)
        check = flag(check, "compile", "check")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.check = check
        self.cache_size = cache_size
        self.traces = 0
        self.replays = 0
        self._cache: OrderedDict[tuple, _Entry] = OrderedDict()
        self._last: _Entry | None = None
        self._checked = 0
        self._warned_hooks = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = self.fn
        if kwargs:  # keyword values follow the positional ones, their names part of the key
            names = tuple(sorted(kwargs))
            fn = functools.partial(_with_keywords, fn, len(args), names)
            args = (*args, *[kwargs[name] for name in names])
        if _hooks.on_call is not None and engine.observers.tracer is None:
            # something watches every op (summary(), check=True's eager run): fn itself runs, so
            # it sees them, where a replay would hide them
            return fn(*args)
        key = (grad_mode.enabled, *[_signature(a) for a in args])
        if kwargs:
            key += (names,)
        if len(args) > 1 and len(set(map(id, args))) < len(args):
            key += (_aliases(args),)  # one tensor passed twice was traced as one input
        entry = self._cache.get(key)
        if entry is not None and entry.matches():
            self._cache.move_to_end(key)
            self._last = entry
            if entry.hooked:
                return self._eager_for_hooks(fn, args)
            if self.check and self._checked < CHECK_CALLS:
                self._checked += 1
                return entry.checked_replay(fn, args)
            self.replays += 1
            return entry.replay(args)
        entry = self._trace(fn, args)
        self._cache[key] = entry
        self._cache.move_to_end(key)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
            warnings.warn(
                f"compile: {self.fn.__name__} has been traced for more than {self.cache_size} "
                f"input signatures (shapes, dtypes, requires_grad, grad mode); the oldest is "
                f"dropped. If shapes change on every call, compiling does not pay off",
                RuntimeWarning, stacklevel=2)
        return entry.result

    def _eager_for_hooks(self, fn: Callable[..., Any], args: tuple) -> Any:
        """fn itself, while a module it calls has forward hooks (said once)."""
        if not self._warned_hooks:
            self._warned_hooks = True
            warnings.warn(
                f"compile: a module that {self.fn.__name__} calls has forward hooks, Python code "
                f"a replay would not run; calls run eagerly (not faster) while they are "
                f"registered. Remove the hooks (handle.remove()) to replay",
                RuntimeWarning, stacklevel=3)
        return fn(*args)

    def _trace(self, fn: Callable[..., Any], args: tuple) -> _Entry:
        trace = Trace()
        trace.arg_kinds = ["tensor" if isinstance(a, Tensor) else
                           "array" if isinstance(a, np.ndarray) else "value" for a in args]
        recorder = Recorder(trace, args)
        if _hooks.on_call is not None or engine.observers.tracer is not None:
            raise CompileError("compile: a compiled function is being traced already; a "
                               "compiled function cannot call another one while it traces")
        _hooks.on_call = recorder.on_call
        draws.on_sample = recorder.on_sample
        value_hooks.on_read = recorder.on_read
        value_hooks.on_write = recorder.on_write
        engine.observers.tracer = recorder
        try:
            result = fn(*args)
            recorder.finish(result)
        finally:
            _hooks.on_call = None
            draws.on_sample = None
            value_hooks.on_read = value_hooks.on_write = None
            engine.observers.tracer = None
        self.traces += 1
        entry = _Entry(trace)
        entry.result = result
        self._last = entry
        return entry

    @property
    def trace(self) -> Trace:
        if self._last is None:
            raise RuntimeError("compile: call the compiled function once first; it records "
                               "what it does on its first call")
        return self._last.trace

    @property
    def replay_code(self) -> str:
        """The replay function exactly as it runs (slots v0, v1, ... and bound functions)."""
        return replay_code(self.trace)[0]

    @property
    def source(self) -> str:
        """The last trace as a standalone numpy function in the course's notation."""
        if writers.source is None:
            raise RuntimeError("compile: import autonet.nn to write the source")
        if any(step.kind == "grad" for step in self.trace.steps):
            # its writer puts every backward line after every forward line and knows no 'grad'
            raise RuntimeError("compile: .source is not written for a function that calls "
                               "an.grad (or an.vjp) yet; read .replay_code instead")
        try:
            names = list(inspect.signature(self.fn).parameters)
        except (TypeError, ValueError):
            names = []
        if len(names) != len(self.trace.arg_kinds):
            names = None
        return writers.source(self.trace, names)


class _Entry:
    """One cached trace and its compiled replay."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.result: Any = None
        self._replay = _make_replay(trace)
        self._training = list(trace.training)  # a list compares with matches()'s in one step
        self._externals = [tensor for _, tensor in trace.externals]
        self._arrays = [t.data for t in self._externals]  # their arrays as traced
        self._layout = [(a.shape, a.dtype) for a in self._arrays]
        self._flags = [t._requires_grad for t in self._externals]
        owners = _owners(trace)
        self._holders = [held for held, _, _ in owners]
        self._names = [name for _, name, _ in owners]
        self._held = [value for _, _, value in owners]
        self._hooked_modules = [m for m in trace.modules if hasattr(m, "_forward_hooks")]
        self._hooks = [dict(m._forward_hooks) for m in self._hooked_modules]
        # a forward hook is Python code (it may log, or change an output): a replay runs none
        self.hooked = any(self._hooks)
        self._checking: Callable | None = None

    def matches(self) -> bool:
        """Whether a replay would do what fn does now: the same train/eval state and forward
        hooks of every module, the same layers and parameters held where they were, and the
        tensors read from outside (parameters) of the same shapes, dtypes and requires_grad (a
        layer frozen or swapped after the trace makes it trace again)."""
        modules = self.trace.modules
        externals = self._externals
        if [m.training for m in modules] != self._training or \
                [t._requires_grad for t in externals] != self._flags or \
                not all(map(is_, map(dict.get, self._holders, self._names), self._held)) or \
                [m._forward_hooks for m in self._hooked_modules] != self._hooks:
            return False
        arrays = [t.data for t in externals]
        if all(map(is_, arrays, self._arrays)):
            return True  # the same arrays (updated in place by the optimizer, as usual)
        if [(a.shape, a.dtype) for a in arrays] != self._layout:
            return False  # .data reassigned with another shape or dtype
        self._arrays = arrays
        return True

    def replay(self, args: tuple) -> Any:
        return rebuild(self.trace.output, iter(self._replay(args, None)))

    def checked_replay(self, fn: Callable[..., Any], args: tuple) -> Any:
        """Replay, then run fn eagerly from the same state and compare op by op."""
        if self._checking is None:
            self._checking = _make_replay(self.trace, capture=True)
        leaves = self._leaves(args)
        grads_before = [None if t.grad is None else t.grad.copy() for t in leaves]
        changed = self._effect_targets()  # buffers the replay updates in place, as eager will
        buffers_before = [np.array(t.data, copy=True) for t in changed]
        state = draws.generator().bit_generator.state
        replayed: list = []
        outputs = rebuild(self.trace.output, iter(self._checking(args, replayed)))
        grads_replay = [None if t.grad is None else t.grad.copy() for t in leaves]
        for t, g in zip(leaves, grads_before):
            t.grad = g
        buffers_replay = [np.array(t.data, copy=True) for t in changed]
        for t, data in zip(changed, buffers_before):
            t.data[...] = data
        draws.generator().bit_generator.state = state
        eager: list = []

        def observe(primitive: Any, call_args: tuple, attrs: dict, result: Tensor) -> None:
            eager.append((primitive, result.data))

        _hooks.on_call = observe
        try:
            result = fn(*args)
        finally:
            _hooks.on_call = None
        forwards = [s for s in self.trace.steps if s.kind == "forward"]
        for k, (step, (primitive, got)) in enumerate(zip(forwards, eager)):
            want = replayed[k]
            if primitive is not step.op or np.shape(got) != np.shape(want):
                raise CompileError(
                    f"compile(check=True): the graph changed: op {k} was '{step.op.name}' "
                    f"{np.shape(want)} when traced and is '{primitive.name}' {np.shape(got)} "
                    f"now. Python control flow or state decided it at trace time; compile "
                    f"only functions that do the same operations on every call")
            if not np.array_equal(got, want, equal_nan=True):
                where = " > ".join(type(m).__name__ for m in step.scope)
                raise CompileError(
                    f"compile(check=True): op {k} '{step.op.name}'"
                    f"{' in ' + where if where else ''} gives different values in the replay "
                    f"than in eager (max abs difference "
                    f"{np.max(np.abs(np.asarray(got, float) - np.asarray(want, float)))}). "
                    f"Something it depends on was frozen at trace time: a Python value, a "
                    f"random draw not made through autonet's generator, or a branch on a "
                    f"tensor's value")
        if len(eager) != len(forwards):
            raise CompileError(
                f"compile(check=True): the graph changed: {len(forwards)} ops when traced, "
                f"{len(eager)} now. Python control flow decided the graph at trace time")
        for t, data in zip(changed, buffers_replay):
            if not np.array_equal(t.data, data, equal_nan=True):
                raise CompileError(f"compile(check=True): the replay updates "
                                   f"{t.name or tuple(t.shape)} in place differently from eager")
        for t, g in zip(leaves, grads_replay):
            same = (g is None and t.grad is None) or (
                g is not None and t.grad is not None and np.array_equal(g, t.grad))
            if not same:
                raise CompileError(f"compile(check=True): the gradient of "
                                   f"{t.name or tuple(t.shape)} differs between replay and eager")
        where = _first_difference(outputs, result, "the result")
        if where is not None:
            raise CompileError(
                f"compile(check=True): {where} differs between replay and eager. A value the "
                f"function computes outside autonet's ops (numpy on .data, float(...)) is a "
                f"constant of the trace: compute it with tensor ops, or outside the function")
        return result

    def _effect_targets(self) -> list[Tensor]:
        externals = dict(self.trace.externals)
        return [externals[slot] for step in self.trace.steps if step.kind == "effect"
                for slot in step.ins if slot in externals]

    def _leaves(self, args: tuple) -> list[Tensor]:
        leaves = []
        for step in self.trace.steps:
            if step.kind == "store":
                where, leaf = step.ins[0]
                leaves.append(args[leaf] if where == "arg" else leaf)
        return leaves


def _first_difference(replayed: Any, eager: Any, where: str) -> str | None:
    """Where two results of fn differ (tensors and arrays by value, NaN equal to NaN), or None."""
    if isinstance(eager, Tensor | np.ndarray | np.generic):
        a, b = (np.asarray(v.data if isinstance(v, Tensor) else v) for v in (replayed, eager))
        same = a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
            a, b, equal_nan=a.dtype.kind in "fc")
        return None if same else where
    if isinstance(eager, tuple | list) and type(replayed) is type(eager) and \
            len(replayed) == len(eager):
        return next((w for k, (r, e) in enumerate(zip(replayed, eager))
                     if (w := _first_difference(r, e, f"{where}[{k}]")) is not None), None)
    if isinstance(eager, dict) and isinstance(replayed, dict) and replayed.keys() == eager.keys():
        return next((w for k in eager
                     if (w := _first_difference(replayed[k], eager[k], f"{where}[{k!r}]"))
                     is not None), None)
    try:
        return None if bool(replayed == eager) or replayed is eager else where
    except (TypeError, ValueError):
        return None if replayed is eager else where


def _aliases(args: tuple) -> tuple[int, ...]:
    """For each argument, the position of its first occurrence (the same object passed twice)."""
    first: dict[int, int] = {}
    return tuple(first.setdefault(id(a), k) for k, a in enumerate(args))


def _with_keywords(fn: Callable[..., Any], n_positional: int, names: tuple, *values: Any) -> Any:
    """fn called with the flat values of a call that had keywords: the first n_positional
    positionally, the rest by ``names``."""
    return fn(*values[:n_positional], **dict(zip(names, values[n_positional:])))


def _owners(trace: Trace) -> list[tuple[dict, str, Any]]:
    """(a module's parameter, buffer or submodule dict, name, what it holds) for every tensor the
    trace reads from outside and every module it ran that a module of the trace holds: assigning
    a new Parameter or swapping a layer of a Sequential there is seen."""
    used = {id(tensor) for _, tensor in trace.externals} | {id(m) for m in trace.modules}
    found = []
    for module in trace.modules:
        for held in (module._parameters, module._buffers, module._modules):
            found.extend((held, name, t) for name, t in held.items() if id(t) in used)
    return found


def _make_replay(trace: Trace, capture: bool = False) -> Callable[[tuple, Any], list]:
    if len(trace.steps) > COMPILE_STEPS:
        return interpreter(trace, capture)
    code, namespace = replay_code(trace, capture)
    exec(builtins.compile(code, "<an.compile replay>", "exec"), namespace)
    return namespace["replay"]


def _signature(value: Any) -> tuple:
    """What a replay depends on in one argument: a Tensor's or array's shape and dtype (and
    requires_grad), a Python value itself."""
    if isinstance(value, Tensor):
        data = value.data
        return ("tensor", data.shape, data.dtype, value._requires_grad)
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype)
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"compile: argument of type {type(value).__name__} is neither a Tensor, "
                        f"an array nor a hashable value; pass tensors or arrays (lists become "
                        f"constants of the trace: wrap them in an.tensor)") from None
    return ("value", type(value).__name__, value)


def compile(fn: Callable[..., Any] | None = None, *, check: bool = False,
            cache_size: int = CACHE_SIZE) -> Any:
    """Trace ``fn`` on its first call and replay the recorded array operations afterwards.

    ``fn`` takes Tensors, arrays or hashable Python values and returns Tensors (or structures of
    them); it may call ``loss.backward()`` (the replay then fills every leaf's ``.grad`` as eager
    would). ``check=True`` compares the first replays with eager, op by op. Usable as a decorator
    (``@an.compile`` or ``@an.compile(check=True)``).
    """
    cache_size = integer(cache_size, "compile", "cache_size", minimum=1)
    check = flag(check, "compile", "check")
    if fn is None:
        return lambda f: Compiled(f, check=check, cache_size=cache_size)
    return Compiled(fn, check=check, cache_size=cache_size)
