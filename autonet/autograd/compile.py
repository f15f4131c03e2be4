"""``an.compile(fn)``: run a step once eagerly, record every array operation it did, replay them.

The first call of ``step = an.compile(fn)`` runs ``fn`` as usual while recording the flat sequence
of array operations: each primitive's forward, each random draw, and the backward exactly as the
engine runs it (its order, every rule call, the sums back to broadcast shapes, the accumulation
of gradients and the stores into ``.grad``). That sequence becomes one straight-line Python
function of the input arrays (``step.replay_code``). Later calls whose inputs have the same
shapes, dtypes and requires_grad flags, under the same grad mode and with the same modules in
train/eval mode, run that function on the new arrays: no Tensor or Node is made and nothing is
sorted, yet the outputs (as Tensors) and every leaf's ``.grad`` are those of the eager call, bit
for bit. Another signature traces again (a few are cached).

What is frozen at trace time, as in jax.jit or tinygrad's TinyJit: Python control flow and
Python values (an ``if`` on a tensor's value, a loop count, a hyperparameter read from a global).
``an.compile(fn, check=True)`` runs the eager ``fn`` beside the replay for the first calls and
raises at the first op whose output differs. Reading a traced value back to Python inside ``fn``
(``.item()``, ``.numpy()``, ``bool()``) and changing a parameter in place inside ``fn`` (an
optimizer step) are refused at trace time; keep ``optimizer.zero_grad()`` and ``step()``
outside ``fn``.

``step.source`` is the replay written out for people: plain numpy, one line per operation in the
course's notation (Z1, A1, dZ2, dW2, ...), see autonet/nn/source.py.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import operator
import re
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from autonet.arguments import flag, integer
from autonet.autograd import engine
from autonet.autograd.graph import draws, grad_mode
from autonet.autograd.inline import inline_call
from autonet.ops import elementwise, fused, reduce
from autonet.ops.namespace import NUMPY
from autonet.ops.primitive import _hooks
from autonet.ops.shape import sum_to
from autonet.tensor import Tensor, read_hooks

CACHE_SIZE = 8
COMPILE_STEPS = 200_000  # longer traces replay through a loop (Python compiles ~6 us a line)
CHECK_CALLS = 3
FUSE = True  # rewrite known sequences of steps into fewer array operations (see _fused_steps)
_HOLE = re.compile(r"__in(\d+)__")
_TEMP = re.compile(r"__tmp\d+__")


class _Writers:
    """Who writes ``step.source``: autonet.nn.source (it knows the modules' course names), set
    when autonet.nn is imported."""

    __slots__ = ("source",)

    def __init__(self) -> None:
        self.source: Callable[[Any, list[str] | None], str] | None = None


writers = _Writers()


class CompileError(RuntimeError):
    """What an.compile cannot replay faithfully, or a replay that differed from eager."""


def tracing() -> bool:
    """Whether a compiled function is being traced right now (for layers that must refuse)."""
    return engine.observers.tracer is not None


def replayed(fn: Callable[..., None], *args: Any) -> None:
    """Run ``fn(*args)``, an in-place update outside the graph that returns nothing (BatchNorm's
    running statistics), now and, inside a compiled function being traced, in every replay too,
    on that replay's arrays: Tensors among ``args`` are read afresh (``fn`` gets a Tensor now and
    its array in a replay: read it with as_array), arrays of the trace are the replay's own
    values, anything else is a constant of the trace."""
    fn(*args)
    recorder = engine.observers.tracer
    if recorder is not None:
        recorder.on_effect(fn, args)


class Step:
    """One recorded operation: ``out = fn(*ins)``; for a person reading ``.source``, ``kind``
    (forward, backward, sample, fit, add, seed, store), the op and the rule that made it."""

    __slots__ = ("kind", "fn", "ins", "out", "op", "detail", "scope", "node_index", "scalar",
                 "dynamic")

    def __init__(self, kind: str, fn: Any, ins: tuple, out: int | None, op: Any = None,
                 detail: Any = None, scope: tuple = (), node_index: int | None = None) -> None:
        self.kind = kind
        self.fn = fn
        self.ins = ins
        self.out = out
        self.op = op
        self.detail = detail
        self.scope = scope
        self.node_index = node_index
        self.scalar = False  # a forward whose 0-d result numpy may give as a scalar
        # keyword attributes made of traced arrays (an index tensor's data): name -> structure
        # of slots ("slot", k) / ("tuple" | "list", [...]) / ("const", value), rebuilt per replay
        self.dynamic: dict[str, Any] = {}


class Trace:
    """Everything one traced call did, as slots (numbered values) and steps."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.n_slots = 0
        self.constants: dict[int, Any] = {}  # slot -> value fixed at trace time
        self.dtypes: dict[int, np.dtype] = {}  # slot -> dtype of its float array at trace time
        self.shapes: dict[int, tuple] = {}  # slot -> shape of its array at trace time (.source)
        self.inputs: list[tuple[int, int]] = []  # (slot, argument index)
        self.externals: list[tuple[int, Tensor]] = []  # (slot, tensor read at replay: parameters)
        self.leaf_args: dict[int, int] = {}  # id(input tensor) -> argument index
        self.output: Any = None  # the structure of fn's result, slots for tensors
        self.modules: list[Any] = []  # every module seen, to compare train/eval state
        self.training: tuple = ()
        self.forward_ops = 0
        self.arg_kinds: list[str] = []  # per argument: tensor, array or value

    def new_slot(self) -> int:
        self.n_slots += 1
        return self.n_slots - 1

    def constant(self, value: Any) -> int:
        slot = self.new_slot()
        self.constants[slot] = value
        return slot


class _Recorder:
    """Installed into the engine's hook slots while ``fn`` runs for the first time."""

    def __init__(self, trace: Trace, args: tuple) -> None:
        self.trace = trace
        self.tensor_slot: dict[int, int] = {}
        self.array_slot: dict[int, int] = {}
        self.alive: list[Any] = []  # keeps every keyed object alive so ids stay unique
        self.node_ins: dict[Any, tuple] = {}
        self.node_out: dict[Any, int] = {}
        self.node_index: dict[Any, int] = {}
        self.node_dynamic: dict[Any, dict[str, Any]] = {}
        self.snapshots: list[tuple[Tensor, Any, np.ndarray]] = []
        self.scopes: dict[int, Any] = {}
        self.external_slots: set[int] = set()
        for k, a in enumerate(args):
            if isinstance(a, Tensor):
                slot = self._bind(a, a.data)
                trace.inputs.append((slot, k))
                if a._requires_grad:
                    trace.leaf_args[id(a)] = k
            elif isinstance(a, np.ndarray):
                slot = trace.new_slot()
                self.array_slot[id(a)] = slot
                self.alive.append(a)
                trace.inputs.append((slot, k))
                trace.shapes[slot] = a.shape

    def _bind(self, tensor: Tensor | None, array: Any, slot: int | None = None) -> int:
        """Name ``array`` (and ``tensor``) by ``slot``, a new slot unless given."""
        if slot is None:
            slot = self.trace.new_slot()
        if tensor is not None:
            self.tensor_slot[id(tensor)] = slot
            self.alive.append(tensor)
        self.array_slot[id(array)] = slot
        self.alive.append(array)
        self._note_array(slot, array)
        return slot

    def _note_array(self, slot: int, value: Any) -> None:
        """Note what the replay (a float array's dtype) and step.source (every array's shape)
        may rely on: the same on every replay, whose inputs match the trace's signature."""
        if isinstance(value, np.ndarray):
            self.trace.shapes[slot] = value.shape
        # arrays only: with a 0-d value numpy computes in scalar math, where a Python number
        # is the fast operand
        if isinstance(value, np.ndarray) and value.ndim and value.dtype.kind == "f":
            self.trace.dtypes[slot] = value.dtype

    def ref(self, value: Any) -> int:
        """The slot holding ``value`` (a Tensor, an array or a Python value) in the replay."""
        if isinstance(value, Tensor):
            slot = self.tensor_slot.get(id(value))
            if slot is None:
                slot = self.array_slot.get(id(value.data))
                if slot is None:  # a parameter, or a constant tensor made outside the trace
                    slot = self.trace.new_slot()
                    self.trace.externals.append((slot, value))
                    self.external_slots.add(slot)
                    self.snapshots.append((value, value.data, np.array(value.data, copy=True)))
                    self.array_slot[id(value.data)] = slot
                    self.alive.append(value.data)
                    self._note_array(slot, value.data)
                self.tensor_slot[id(value)] = slot
                self.alive.append(value)
            return slot
        if isinstance(value, np.ndarray | np.generic):
            slot = self.array_slot.get(id(value))
            if slot is not None:
                return slot
        return self.trace.constant(value)

    # ---- hooks ------------------------------------------------------------------------------
    def on_call(self, primitive: Any, args: tuple, attrs: dict, result: Tensor) -> None:
        dynamic = {}
        for name, value in attrs.items():
            if not self._traced(value):
                continue
            dynamic[name] = self._attribute(value)
            if dynamic[name] is None:
                raise CompileError(
                    f"compile: '{primitive.name}' takes its {name} from a view of a value of the "
                    f"traced call (e.g. indices reshaped from the input tensor's data); the "
                    f"replay would keep the first call's {name}. Pass the tensor itself (an "
                    f"index tensor, not a numpy view of its data), or run this part eagerly")
        ins = tuple(self.ref(a) for a in args)
        out = self._bind(result, result.data)
        static = {k: v for k, v in attrs.items() if k not in dynamic}
        forward = functools.partial(primitive.forward, **static) if static else primitive.forward
        scope = grad_mode.scope
        for module in scope:
            self.scopes.setdefault(id(module), module)
        node = result._node
        step = Step("forward", forward, ins, out, primitive, attrs, scope, self.trace.forward_ops)
        step.scalar = result.data.ndim == 0
        step.dynamic = dynamic
        self.trace.steps.append(step)
        self.trace.forward_ops += 1
        if node is not None:
            self.node_dynamic[node] = dynamic
            self.node_ins[node] = ins
            self.node_out[node] = out
            self.node_index[node] = self.trace.forward_ops - 1

    def _traced(self, value: Any) -> bool:
        """Whether ``value`` (an attribute of an op: an index, a shape) holds an array of the
        trace other than a parameter, or a view of one."""
        if isinstance(value, tuple | list):
            return any(self._traced(v) for v in value)
        while isinstance(value, np.ndarray):
            slot = self.array_slot.get(id(value))
            if slot is not None and slot not in self.external_slots:
                return True
            value = value.base
        return False

    def _attribute(self, value: Any) -> Any:
        """The structure of a traced attribute (see Step.dynamic), None if it holds a view."""
        if isinstance(value, tuple | list):
            items = [self._attribute(v) for v in value]
            return None if None in items else (type(value).__name__, items)
        if isinstance(value, np.ndarray) and id(value) in self.array_slot:
            return ("slot", self.array_slot[id(value)])
        return None if self._traced(value) else ("const", value)

    def on_effect(self, fn: Callable[..., None], args: tuple) -> None:
        ins = tuple(self.ref(a) for a in args)
        changed = {id(a) for a in args if isinstance(a, Tensor)}  # changed on purpose
        self.snapshots = [s for s in self.snapshots if id(s[0]) not in changed]
        self.trace.steps.append(Step("effect", fn, ins, None, fn, None, grad_mode.scope))

    def on_sample(self, draw: Callable[..., np.ndarray], args: tuple, out: np.ndarray) -> None:
        slot = self._bind(None, out)
        self.trace.steps.append(Step("sample", draw, args, slot, draw, None, grad_mode.scope))

    def on_copy(self, copy: Tensor, source: Any, call: str = "vjp") -> None:
        """``copy`` was made from the values of ``source`` (no op records that): the replay
        reads them where it reads ``source`` (that call's input, a parameter's current data)."""
        if not isinstance(source, Tensor | np.ndarray):
            return
        values = source.data if isinstance(source, Tensor) else source
        if copy.data.dtype != values.dtype or copy.shape != values.shape:
            raise CompileError(
                f"compile: {call}(...) inside the compiled function copies a value of shape "
                f"{values.shape} and dtype {values.dtype} into shape "
                f"{copy.shape} and dtype {copy.data.dtype}, which the replay cannot repeat; "
                f"convert with tensor ops (x.astype(dtype), an.reshape) instead")
        self._bind(copy, copy.data, self.ref(source))

    def on_read(self, tensor: Tensor, what: str) -> None:
        if id(tensor) in self.tensor_slot:
            raise CompileError(
                f"compile: {what} inside the compiled function reads a traced value "
                f"(shape {tensor.shape}) into Python or numpy; the replay would keep the value "
                f"of the first call. Return the tensor from the function and read it outside, "
                f"or use tensor ops (an.where, an.maximum) instead of Python branches on values")

    # ---- backward, as engine.run_backward + engine.backward do it ---------------------------
    def backward(self, roots: list, grads: list, retain_graph: bool) -> None:
        """loss.backward(): every leaf's gradient added into its ``.grad`` (engine.backward)."""
        recording = _Backward(self)
        recording.propagate(roots, grads, retain_graph)
        for key, slot in recording.accumulated.items():
            if isinstance(key, Tensor):
                owned = key in recording.owned
                self.trace.steps.append(Step("store", engine._store_grad,
                                             (self._leaf_ref(key), slot), None, detail=owned))
                engine._store_grad(key, recording.value(slot), owned)

    def run_backward(self, roots: list, grads: list, retain_graph: bool, create_graph: bool,
                     targets: list | None) -> dict[Any, Tensor]:
        """an.grad (and an.vjp): engine.run_backward with ``targets``, each target's gradient a
        Tensor bound to a slot (an.grad returns Tensors as they are), so that every replay
        computes it afresh; ``.grad`` is left alone, as in eager."""
        if create_graph:
            raise CompileError(
                "compile: an.grad(..., create_graph=True) (and an.jvp / an.hvp, which use it) "
                "inside a compiled function is not supported: the replay runs numpy arrays and "
                "makes no graph, so its gradients could not be differentiated again. Use "
                "create_graph=False, or do not compile this function")
        if targets is None:
            raise CompileError("compile: a backward inside a compiled function runs through "
                               "loss.backward() or an.grad")
        recording = _Backward(self)
        recording.propagate(roots, grads, retain_graph, targets)
        found: dict[Any, Tensor] = {}
        for t in targets:
            key = t._node if t._node is not None else t
            slot = recording.found.get(key)
            if slot is not None and key not in found:
                found[key] = self._gradient_tensor(recording, slot, t.dtype)
        return found

    def _gradient_tensor(self, recording: _Backward, slot: int, dtype: np.dtype) -> Tensor:
        """an.grad's result: a fresh array of the target's dtype (as functional.grad copies)."""
        copy = functools.partial(np.array, dtype=dtype)
        out = recording.run("grad", copy, (slot,), [recording.value(slot)], op="grad")
        tensor = Tensor._wrap(recording.values[out])
        self._bind(tensor, tensor.data, out)
        return tensor

    def _leaf_ref(self, leaf: Tensor) -> tuple[str, Any]:
        if id(leaf) in self.trace.leaf_args:
            return ("arg", self.trace.leaf_args[id(leaf)])
        self.ref(leaf)
        return ("tensor", leaf)

    def _value_of(self, slot: int) -> Any:
        if slot in self.trace.constants:
            return self.trace.constants[slot]
        raise KeyError(slot)

    def finish(self, result: Any) -> None:
        for tensor, array, copy in self.snapshots:
            if tensor.data is not array or not np.array_equal(array, copy, equal_nan=True):
                name = tensor.name or f"a tensor of shape {tensor.shape}"
                raise CompileError(
                    f"compile: the compiled function changed {name} in place (an optimizer "
                    f"step or an assignment into .data inside it?); a replay would not repeat "
                    f"that. Keep optimizer.zero_grad() and optimizer.step() outside the "
                    f"compiled function")
        self.trace.output = self._structure(result)
        modules: dict[int, Any] = {}
        for module in self.scopes.values():
            if not callable(getattr(module, "modules", None)):
                continue  # a scope that only titles a drawing (one time step of an LSTM)
            for m in module.modules():
                modules.setdefault(id(m), m)
        self.trace.modules = list(modules.values())
        self.trace.training = tuple(m.training for m in self.trace.modules)

    def _structure(self, value: Any) -> Any:
        if isinstance(value, Tensor):
            node = value._node
            if node is not None and not node.freed:
                raise CompileError(
                    "compile: the compiled function returns a tensor whose graph is still alive "
                    "(no backward ran through it); a replay makes no graph to call backward on. "
                    "Call loss.backward() inside the function, or run it under an.no_grad() "
                    "for inference")
            if id(value) not in self.tensor_slot and id(value.data) not in self.array_slot:
                return ("object", value)
            return ("tensor", self.ref(value))
        if isinstance(value, tuple | list):
            return (type(value).__name__, [self._structure(v) for v in value])
        if isinstance(value, dict):
            return ("dict", {k: self._structure(v) for k, v in value.items()})
        if isinstance(value, np.ndarray) and id(value) in self.array_slot:
            return ("array", self.array_slot[id(value)])
        return ("object", value)


class _Backward:
    """One backward being recorded, step by step as engine.run_backward takes them: each step is
    appended to the trace and run at once on the traced call's arrays, so the trace goes on with
    eager's values. Gradients are slots, keyed as the engine keys them (Node, or leaf Tensor)."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder
        self.values: dict[int, Any] = {}  # slot -> array, for this backward's own slots
        self.accumulated: dict[Any, int] = {}
        self.owned: set = set()  # keys whose array was made here (see engine.run_backward)
        self.found: dict[Any, int | None] = {}  # with targets: target key -> gradient slot

    def run(self, kind: str, fn: Any, ins: tuple, arrays: list, dynamic: dict | None = None,
            call: Any = None, **info: Any) -> int:
        recorder = self.recorder
        out = recorder.trace.new_slot()
        step = Step(kind, fn, ins, out, **info)
        step.dynamic = dynamic or {}
        recorder.trace.steps.append(step)
        self.values[out] = (call or fn)(*arrays)
        recorder._note_array(out, self.values[out])
        return out

    def value(self, slot: int) -> Any:
        return self.values[slot] if slot in self.values else self.recorder._value_of(slot)

    def accumulate(self, key: Any, slot: int, g: Any) -> None:
        accumulated, owned = self.accumulated, self.owned
        if key not in accumulated:
            accumulated[key] = slot
        elif key in owned:
            accumulated[key] = self.run("add", _add_into, (accumulated[key], slot),
                                        [self.value(accumulated[key]), g], op="accumulate")
        else:
            accumulated[key] = self.run("add", operator.add, (accumulated[key], slot),
                                        [self.value(accumulated[key]), g], op="accumulate")
            owned.add(key)

    def propagate(self, roots: list, grads: list, retain_graph: bool,
                  targets: list | None = None) -> None:
        """engine.run_backward without create_graph: with ``targets``, only the nodes on a path
        to them run, and ``found`` gets their gradients."""
        self.seed(roots, grads)
        order = engine.topological_order(r._node for r in roots if r._node is not None)
        observers = engine.observers
        if observers.on_backward_start is not None:
            observers.on_backward_start(order, retain_graph, targets is None)
        wanted = target_keys = None
        if targets is not None:
            wanted = engine._on_path_to(order, targets)
            target_keys = {t._node if t._node is not None else t for t in targets}
        for node in order:
            slot = self.accumulated.pop(node, None)
            if target_keys is not None:
                if node in target_keys:
                    self.found[node] = slot
            elif node.retained is not None and node.retained() is not None:
                raise CompileError("compile: retain_grad() inside a compiled function is not "
                                   "supported; the replay makes no intermediate tensors")
            self.owned.discard(node)
            if slot is not None and (wanted is None or node in wanted):
                self.rules(node, slot, wanted)
            if not retain_graph:
                node.parents = node.inputs = node.attrs = node.out = None
        for t in targets or ():
            if t._node is None and t in self.accumulated:
                self.found[t] = self.accumulated[t]

    def seed(self, roots: list, grads: list) -> None:
        recorder = self.recorder
        for root, grad in zip(roots, grads):
            seed = engine._seed(root, grad, False)  # validates and raises as eager does
            root_slot = recorder.ref(root)
            if grad is None:
                slot = self.run("seed", np.ones_like, (root_slot,), [root.data], op="seed")
            else:
                grad_slot = recorder.ref(grad)
                fn = functools.partial(_seed_array, root.shape, root.dtype)
                slot = self.run("seed", fn, (grad_slot,), [getattr(grad, "data", grad)],
                                op="seed")
            np.testing.assert_array_equal(self.values[slot], seed)
            key = root._node if root._node is not None else root
            self.accumulate(key, slot, self.values[slot])

    def rules(self, node: Any, slot: int, wanted: set | None) -> None:
        """The rules of ``node`` for each input (on a path to a target, given ``wanted``), their
        results fitted to the input's shape and accumulated."""
        recorder = self.recorder
        g = self.value(slot)
        ins = recorder.node_ins[node]
        # the replay runs forward, not keeping: y is the output or None, never a kept value
        saves = node.primitive.saves_output
        y = recorder.node_out[node] if saves else recorder.trace.constant(None)
        attrs = node.attrs or {}
        dynamic = recorder.node_dynamic.get(node, {})
        static = {k: v for k, v in attrs.items() if k not in dynamic}
        on_gradient = engine.observers.on_gradient
        for i, parent in enumerate(node.parents):
            if parent is None:
                continue
            key = parent if parent._node is None else parent._node
            if wanted is not None and key not in wanted:
                continue
            rule = node.primitive.rule(i)
            if rule is None:
                raise RuntimeError(
                    f"backward: '{node.name}' has no gradient with respect to its input "
                    f"{i}; pass that input as a constant (e.g. .detach()) instead")
            fn = functools.partial(rule, NUMPY, **static)
            gi_slot = self.run("backward", fn, (slot, y, *ins),
                               [g, node.out if saves else None, *node.inputs], dynamic,
                               functools.partial(rule, NUMPY, **attrs), op=node.primitive,
                               detail=i, scope=node.scope,
                               node_index=recorder.node_index.get(node))
            gi = self.values[gi_slot]
            if on_gradient is not None:
                on_gradient(node, i, gi)
            data = parent.data
            if gi.shape != data.shape or gi.dtype != data.dtype:
                fit = functools.partial(_fit_array, data.shape, data.dtype)
                gi_slot = self.run("fit", fit, (gi_slot,), [gi], op="fit",
                                   detail=(gi.shape, gi.dtype))
                gi = self.values[gi_slot]
            fresh = key not in self.accumulated
            self.accumulate(key, gi_slot, gi)
            if fresh and gi is not g and type(gi) is np.ndarray and gi.base is None:
                self.owned.add(key)


def _add_into(total: Any, g: Any) -> Any:
    total += g  # in place for arrays; 0-d results are numpy scalars, so return what += made
    return total


def _fit_array(shape: tuple, dtype: np.dtype, g: Any) -> Any:
    if g.shape != shape:
        g = sum_to(NUMPY, g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _seed_array(shape: tuple, dtype: np.dtype, grad: Any) -> np.ndarray:
    if np.shape(grad) != shape:
        grad = np.reshape(grad, shape)
    return np.asarray(grad, dtype=dtype)


def _rebuild(structure: Any, values: Any) -> Any:
    """fn's result from the replay's output arrays (an iterator, in _output_slots order)."""
    kind, content = structure
    if kind == "tensor":
        return Tensor._wrap(next(values))
    if kind == "array":
        return next(values)
    if kind == "object":
        return content
    if kind == "dict":
        return {k: _rebuild(v, values) for k, v in content.items()}
    items = [_rebuild(v, values) for v in content]
    return tuple(items) if kind == "tuple" else items


# ---- rewrites: the same values from fewer array operations --------------------------------------
def _fused_steps(trace: Trace) -> list[Step]:
    """trace.steps with known sequences replaced by one step that computes the same arrays, bit
    for bit, with fewer numpy calls (each rewrite's function says why it is exact). Only the
    replay runs them; ``step.source`` still shows every op and rule."""
    if not FUSE:
        return trace.steps
    readers: dict[int, list[int]] = {}
    for k, step in enumerate(trace.steps):
        for slot in _slots_read(step):
            readers.setdefault(slot, []).append(k)
    outputs = set(_output_slots(trace.output))
    steps = list(trace.steps)
    for k, step in enumerate(trace.steps):
        if step.kind == "forward" and step.op is fused.softmax_cross_entropy:
            if (step.detail or {}).get("mean"):
                _fuse_cross_entropy_with_mean(trace, steps, k, readers, outputs)
            else:
                _fuse_cross_entropy_mean(trace, steps, k, readers, outputs)
        elif step.kind == "backward" and step.op is elementwise.relu and not step.dynamic:
            steps[k] = Step("backward", _relu_grad, step.ins, step.out, op=step.op,
                            detail=step.detail, scope=step.scope, node_index=step.node_index)
    _relu_in_place(trace, steps, readers, outputs)
    return [s for s in steps if s is not None]


def _relu_in_place(trace: Trace, steps: list, readers: dict, outputs: set) -> None:
    """Z = linear(...); A = relu(Z) and relu's rule relu_backward(dA, Z): when nothing else reads
    Z, A is written over Z (np.maximum(Z, 0, out=Z)) and the rule's mask over Z too, once
    nothing reads Z or A any more, as a hand-written step reuses its buffers. Exact: Z comes
    fresh from the product (no view of anything), A > 0 exactly where Z > 0 (a NaN is neither),
    so the rule reads the same mask from A, and the products written in place are the same."""
    made_by = {step.out: k for k, step in enumerate(steps)
               if step is not None and isinstance(step.out, int)}
    for k, step in enumerate(steps):
        if step is None or step.kind != "forward" or step.op is not elementwise.relu or \
                step.dynamic or len(step.ins) != 1:
            continue
        z, a = step.ins[0], step.out
        maker = steps[made_by.get(z, k)]
        if maker.kind != "forward" or maker.op is not fused.linear or maker.dynamic or \
                z in outputs or getattr(trace.dtypes.get(z), "kind", None) != "f":
            continue
        rules = [j for j in readers[z] if j != k]
        if len(rules) > 1 or any(steps[j] is None or steps[j].fn is not _relu_grad or
                                 steps[j].ins[2] != z for j in rules):
            continue  # Z is read by something besides relu and its rule
        if any(steps[j] is not None and steps[j].fn is _add_into for j in readers.get(a, ())):
            continue  # A would be added into in place, and Z with it
        steps[k] = Step("forward", _relu_into, step.ins, a, op=step.op, detail=step.detail,
                        scope=step.scope)
        if not rules:
            continue
        j = rules[0]
        rule = steps[j]
        if a in outputs or max(readers.get(a, [k])) > j or rule.ins[0] in (z, a):
            continue  # A (which is Z now) is still read after the rule, or is its gradient
        steps[j] = Step("backward", _relu_grad_into, rule.ins, rule.out, op=rule.op,
                        detail=rule.detail, scope=rule.scope, node_index=rule.node_index)


def _relu_into(x: np.ndarray) -> np.ndarray:
    """relu's forward, np.maximum(x, 0), written over x (see _relu_in_place)."""
    return np.maximum(x, 0, out=x)


def _relu_grad_into(g: Any, y: Any, x: Any) -> Any:
    """relu_backward(g, x) with its mask written over x, which nothing reads afterwards."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape and \
            g.dtype == x.dtype:
        np.greater(x, 0, out=x)
        return np.multiply(g, x, out=x)
    return elementwise.relu_backward(g, x)


def _fuse_cross_entropy_mean(trace: Trace, steps: list, k: int, readers: dict,
                             outputs: set) -> None:
    """loss = softmax_cross_entropy(logits, target).mean(); loss.backward(): the per-example
    losses, their mean, the seed of ones, the mean's broadcast gradient and the cross-entropy's
    rule (which recomputes the softmax) become one step, _cross_entropy_mean, that keeps the
    forward's exponentials for the backward, as a hand-written step does."""
    forward = steps[k]
    attrs = forward.detail or {}
    if not _unweighted(forward):
        return
    per = forward.out
    users = [steps[j] for j in readers.get(per, [])]
    means = [s for s in users if s is not None and s.kind == "forward" and s.op is reduce.mean_row]
    if per in outputs or len(means) != 1 or means[0].dynamic or \
            means[0].detail != {"axis": None, "keepdims": False}:
        return
    mean = means[0]
    seeds = [steps[j] for j in readers.get(mean.out, [])]
    seeds = [s for s in seeds if s is not None and s.kind == "seed"]
    if len(seeds) != 1 or seeds[0].fn is not np.ones_like:
        return
    seed = seeds[0]
    spread = [steps[j] for j in readers.get(seed.out, [])]
    if len(spread) != 1 or spread[0] is None or spread[0].kind != "backward" or \
            spread[0].op is not reduce.mean_row or spread[0].ins[0] != seed.out or \
            spread[0].ins[2] != per or seed.out in outputs:
        return
    spread = spread[0]
    rule = _cross_entropy_rule(steps, readers, spread.out, forward)
    if rule is None or spread.out in outputs:
        return
    if set(readers[per]) != {trace.steps.index(mean), trace.steps.index(spread)}:
        return  # the per-example losses are read by something else too
    for slot in (spread.ins[1], rule.ins[1]):  # the rules' y: None (neither saves its output)
        if slot not in trace.constants or trace.constants[slot] is not None:
            return

    def fallback(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        per = forward.fn(logits, target)
        loss = np.asarray(mean.fn(per))
        return loss, rule.fn(spread.fn(np.ones_like(loss), None, per), None, logits, target)

    fn = functools.partial(_cross_entropy_mean, attrs.get("ignore_index", -100), fallback)
    steps[k] = Step("fused", fn, tuple(forward.ins), (mean.out, rule.out), op=forward.op,
                    detail="cross_entropy_mean", scope=forward.scope)
    for s in (mean, seed, spread, rule):
        steps[trace.steps.index(s)] = None


def _unweighted(forward: Step) -> bool:
    """Whether a softmax_cross_entropy forward step has neither class weights nor smoothing (else
    its rule takes the general, weighted form, which the fused step does not reproduce)."""
    return len(forward.ins) == 2 and not forward.dynamic and \
        (forward.detail or {}).get("label_smoothing") == 0.0


def _cross_entropy_rule(steps: list, readers: dict, gradient: int, forward: Step) -> Step | None:
    """The one step reading slot ``gradient``, if it is the cross-entropy's rule for the logits
    of ``forward``, else None."""
    found = [steps[j] for j in readers.get(gradient, [])]
    if len(found) != 1 or found[0] is None:
        return None
    rule = found[0]
    if rule.kind != "backward" or rule.op is not fused.softmax_cross_entropy or \
            rule.detail != 0 or rule.dynamic or rule.ins[0] != gradient or \
            tuple(rule.ins[2:]) != tuple(forward.ins):
        return None
    return rule


def _fuse_cross_entropy_with_mean(trace: Trace, steps: list, k: int, readers: dict,
                                  outputs: set) -> None:
    """loss = cross_entropy(logits, target) (one softmax_cross_entropy node with mean=True);
    loss.backward(): the loss, the seed of ones and the rule (which recomputes the softmax)
    become one step, _cross_entropy_mean, exactly as for the separate mean above."""
    forward = steps[k]
    attrs = forward.detail or {}
    if not _unweighted(forward):
        return
    seeds = [steps[j] for j in readers.get(forward.out, [])]
    seeds = [s for s in seeds if s is not None and s.kind == "seed"]
    if len(seeds) != 1 or seeds[0].fn is not np.ones_like or seeds[0].out in outputs:
        return
    seed = seeds[0]
    rule = _cross_entropy_rule(steps, readers, seed.out, forward)
    if rule is None:
        return
    if rule.ins[1] not in trace.constants or trace.constants[rule.ins[1]] is not None:
        return  # the rule's y: None (the op does not save its output)

    def fallback(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        loss = np.asarray(forward.fn(logits, target))
        return loss, rule.fn(np.ones_like(loss), None, logits, target)

    fn = functools.partial(_cross_entropy_mean, attrs.get("ignore_index", -100), fallback)
    steps[k] = Step("fused", fn, tuple(forward.ins), (forward.out, rule.out), op=forward.op,
                    detail="cross_entropy_mean", scope=forward.scope)
    for s in (seed, rule):
        steps[trace.steps.index(s)] = None


def _cross_entropy_mean(ignore_index: int, fallback: Any, logits: np.ndarray,
                        target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean loss, d mean / d logits) exactly as the steps it replaces compute them. The
    cross-entropy's rule shifts the logits by top = logits[rows, argmax], the row max that the
    forward takes with np.max (the same element, up to the sign of a zero, which changes neither
    exp(logits - top) nor lse; picking it is about 3x faster than a max along short rows), so
    the forward's exp(logits - top) and row sums are the rule's own; dividing them in place is
    its soft / soft.sum(...). soft - onehot(t) only changes the targets' entries (x - 0 is x),
    hence ``soft[rows, t] -= 1``; the mean's gradient is one value, ones * (1 / N) in the loss's
    dtype, and broadcasting it over the rows multiplies every entry by it. add.reduce and
    mean_of are np.sum's and np.mean's own reductions without numpy's Python-level wrappers."""
    if type(target) is not np.ndarray or ignore_index in target:
        return fallback(logits, target)  # ignored targets: the rule's weighted form
    n = logits.shape[0]
    rows, top, soft, total = fused.shifted_exp(logits)
    per = np.log(total) + top
    per = per - logits[rows, target]
    loss = np.asarray(fused.mean_of(per))
    g = _MEAN_SCALE.get((loss.dtype, n))
    if g is None:
        g = _MEAN_SCALE[loss.dtype, n] = np.ones_like(loss) * (1.0 / builtins.max(n, 1))
    soft /= total[:, None]
    soft[rows, target] -= 1
    soft *= g
    return loss, soft


def _relu_grad(g: Any, y: Any, x: Any) -> Any:
    """relu's numpy rule without the namespace argument and its create_graph test."""
    return elementwise.relu_backward(g, x)


_MEAN_SCALE: dict[tuple, Any] = {}  # (dtype, N) -> the mean's gradient, ones * (1 / N)


# ---- the replay as straight-line Python ---------------------------------------------------------
def replay_code(trace: Trace, capture: bool = False) -> tuple[str, dict[str, Any]]:
    """Python source of ``replay(args, T)`` and the namespace it runs in: one straight-line
    function, each slot k a local ``v{k}`` (deleted after its last use), every function and
    value it calls bound as a global of the namespace. Rules and forwards written as one-line
    lambdas are written out in place (autonet.autograd.inline), so an elementwise rule costs
    its numpy calls and nothing else. With ``capture``, every forward output is appended to
    ``T`` (for check=True)."""
    namespace: dict[str, Any] = {"asarray": np.asarray, "rng": draws.generator}
    bound: dict[int, str] = {}

    def bind(value: Any, hint: str = "G") -> str:
        name = bound.get(id(value))
        if name is None:
            name = bound[id(value)] = f"G{len(bound)}_{hint if hint.isidentifier() else 'G'}"
            namespace[name] = value
        return name

    def read(slot: int) -> str:
        return bind(trace.constants[slot], f"C{slot}") if slot in trace.constants else f"v{slot}"

    templates: dict[tuple, str | None] = {}  # an inlined call with placeholders for its ins
    temps: list[str] = []  # the locals of the inlined call being written

    def attribute(structure: Any) -> str:
        kind, content = structure
        if kind == "slot":
            return read(content)
        if kind == "const":
            return bind(content, "attr")
        items = [attribute(item) for item in content]
        return f"({', '.join(items)},)" if kind == "tuple" else f"[{', '.join(items)}]"

    def call(fn: Any, ins: list[str], hint: str, dynamic: dict[str, Any],
             dtypes: tuple) -> str:
        """``fn(*ins)`` written out: a lambda inlined, a partial unwrapped, else a call."""
        bound_args: tuple = ()
        keywords: dict[str, Any] = {}
        if isinstance(fn, functools.partial):
            bound_args, keywords, fn = fn.args, fn.keywords, fn.func
        if dynamic:  # keywords rebuilt from this replay's values: a plain call
            words = [bind(a) for a in bound_args] + ins
            words += [f"{k}={bind(v, k)}" for k, v in keywords.items()]
            words += [f"{k}={attribute(v)}" for k, v in dynamic.items()]
            return f"{bind(fn, hint)}({', '.join(words)})"
        key = (fn, dtypes, tuple(map(id, bound_args)),
               tuple((k, id(v)) for k, v in keywords.items()))
        if key not in templates:
            holes = [f"__in{i}__" for i in range(len(ins))]
            known = {h: d for h, d in zip(holes, dtypes) if d is not None}
            templates[key] = inline_call(fn, [*bound_args, *holes], keywords, bind, known)
        template = templates[key]
        if template is not None:
            if "__tmp" in template:  # a function's own lines: fresh local names, deleted after
                fresh: dict[str, str] = {}
                template = _TEMP.sub(lambda m: fresh.setdefault(m.group(0), f"t{len(temps)}"
                                                                f"_{len(fresh)}"), template)
                temps.extend(fresh.values())
            return _HOLE.sub(lambda m: ins[int(m.group(1))], template)
        words = [bind(a) for a in bound_args] + ins
        words += [f"{k}={bind(v, k)}" for k, v in keywords.items()]
        return f"{bind(fn, hint)}({', '.join(words)})"

    steps = trace.steps if capture else _fused_steps(trace)  # check=True: every forward
    last_use: dict[int, int] = {}
    for k, step in enumerate(steps):
        for slot in _slots_read(step):
            last_use[slot] = k
    keep = set(_output_slots(trace.output)) | set(trace.constants)
    lines = ["def replay(args, T):"]
    for slot, k in trace.inputs:
        lines.append(f"    v{slot} = args[{k}]" + (".data" if _is_tensor_input(trace, k)
                                                    else ""))
    for slot, tensor in trace.externals:
        lines.append(f"    v{slot} = {bind(tensor, 'E')}.data")
    for k, step in enumerate(steps):
        ins = [read(s) for s in _slots_read(step)]
        if step.kind == "fused":  # one function for several steps' values (_fused_steps)
            line = f"{', '.join(f'v{s}' for s in step.out)} = {bind(step.fn, 'fused')}" \
                   f"({', '.join(ins)})"
        elif step.kind == "sample":
            line = f"v{step.out} = {bind(step.fn, 'draw')}(rng(), " \
                   f"*{bind(step.ins, 'shape')})"
        elif step.kind == "store":
            (where, leaf), _ = step.ins
            target = f"args[{leaf}]" if where == "arg" else bind(leaf, "leaf")
            line = f"{bind(step.fn, 'store')}({target}, {ins[0]}, {step.detail})"
        elif step.kind == "effect":
            line = f"{bind(step.fn, 'effect')}({', '.join(ins)})"
        elif step.fn is _add_into:  # total += g, on a name of its own (v{a} keeps its value)
            line = f"v{step.out} = {ins[0]}; v{step.out} += {ins[1]}"
        elif step.fn is operator.add:
            line = f"v{step.out} = {ins[0]} + {ins[1]}"
        else:
            text = call(step.fn, ins[:len(step.ins)], getattr(step.op, "name", step.kind),
                        step.dynamic, tuple(trace.dtypes.get(s) for s in step.ins))
            *prelude, text = text.split("\n")
            lines += ["    " + line for line in prelude]
            if step.kind == "forward" and step.scalar:
                text = f"asarray({text})"
            line = f"v{step.out} = {text}"
        lines.append("    " + line)
        if temps:
            lines.append("    del " + ", ".join(temps))
            temps.clear()
        if step.kind == "forward" and capture:
            lines.append(f"    T.append(v{step.out})")
        dead = sorted({s for s in _slots_read(step) if last_use.get(s) == k} - keep)
        if dead:
            lines.append("    del " + ", ".join(f"v{s}" for s in dead))
    outputs = [read(s) for s in _output_slots(trace.output)]
    lines.append(f"    return [{', '.join(outputs)}]")
    return "\n".join(lines) + "\n", namespace


def interpreter(trace: Trace, capture: bool = False) -> Callable[[tuple, Any], list]:
    """The same replay as replay_code, as a loop over the steps: for traces too long to compile
    as Python quickly (a step costs a little more, tracing much less)."""
    last_use: dict[int, int] = {}
    for k, step in enumerate(trace.steps):
        for slot in _slots_read(step):
            last_use[slot] = k
    keep = set(_output_slots(trace.output))
    program = []
    for k, step in enumerate(trace.steps):
        dead = tuple(sorted({s for s in _slots_read(step) if last_use.get(s) == k} - keep))
        code = {"sample": 1, "store": 2, "effect": 5}.get(step.kind, 0)
        if step.kind == "forward":
            code = 4 if step.scalar else 3
        fn = step.fn
        if step.dynamic:  # keywords rebuilt from the replay's values: fn(get, *ins)
            fn = functools.partial(_with_attributes, step.fn, tuple(step.dynamic.items()))
            code += 10
        program.append((code, fn, step.ins, step.out, dead, step.detail))
    n = trace.n_slots
    tensor_inputs = [(slot, k) for slot, k in trace.inputs if _is_tensor_input(trace, k)]
    other_inputs = [(slot, k) for slot, k in trace.inputs if not _is_tensor_input(trace, k)]
    externals = trace.externals
    constants = list(trace.constants.items())
    outputs = _output_slots(trace.output)
    rng = draws.generator
    asarray = np.asarray

    def replay(args: tuple, captured: Any) -> list:
        V: list = [None] * n
        for slot, k in tensor_inputs:
            V[slot] = args[k].data
        for slot, k in other_inputs:
            V[slot] = args[k]
        for slot, tensor in externals:
            V[slot] = tensor.data
        for slot, value in constants:
            V[slot] = value
        get = V.__getitem__
        for code, fn, ins, out, dead, detail in program:
            if code >= 10:
                fn, code = functools.partial(fn, get), code - 10
            if code == 0:
                V[out] = fn(*map(get, ins))
            elif code == 5:
                fn(*map(get, ins))
            elif code >= 3:
                V[out] = fn(*map(get, ins)) if code == 3 else asarray(fn(*map(get, ins)))
                if capture:
                    captured.append(V[out])
            elif code == 1:
                V[out] = fn(rng(), *ins)
            else:
                (where, leaf), slot = ins
                fn(args[leaf] if where == "arg" else leaf, V[slot], detail)
            for slot in dead:
                V[slot] = None
        return [V[s] for s in outputs]

    return replay


def _with_attributes(fn: Any, dynamic: tuple, get: Callable[[int], Any], *ins: Any) -> Any:
    return fn(*ins, **{k: _attribute_value(v, get) for k, v in dynamic})


def _slots_read(step: Step) -> list[int]:
    if step.kind == "sample":
        return []
    if step.kind == "store":
        return [step.ins[1]]
    return list(step.ins) + [s for v in step.dynamic.values() for s in _attribute_slots(v)]


def _attribute_slots(structure: Any) -> list[int]:
    kind, content = structure
    if kind == "slot":
        return [content]
    if kind == "const":
        return []
    return [s for item in content for s in _attribute_slots(item)]


def _attribute_value(structure: Any, get: Callable[[int], Any]) -> Any:
    """A traced attribute rebuilt from the replay's values (``get(slot)``)."""
    kind, content = structure
    if kind == "slot":
        return get(content)
    if kind == "const":
        return content
    items = [_attribute_value(item, get) for item in content]
    return tuple(items) if kind == "tuple" else items


def _output_slots(structure: Any) -> list[int]:
    kind, content = structure
    if kind in ("tensor", "array"):
        return [content]
    if kind == "dict":
        return [s for v in content.values() for s in _output_slots(v)]
    if kind in ("tuple", "list"):
        return [s for v in content for s in _output_slots(v)]
    return []


def _is_tensor_input(trace: Trace, k: int) -> bool:
    return trace.arg_kinds[k] == "tensor"


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

    def __call__(self, *args: Any) -> Any:
        if _hooks.on_call is not None and engine.observers.tracer is None:
            # something watches every op (summary(), check=True's eager run): fn itself runs, so
            # it sees them, where a replay would hide them
            return self.fn(*args)
        key = (grad_mode.enabled, *[_signature(a) for a in args])
        entry = self._cache.get(key)
        if entry is not None and entry.matches():
            self._cache.move_to_end(key)
            self._last = entry
            if self.check and self._checked < CHECK_CALLS:
                self._checked += 1
                return entry.checked_replay(self.fn, args)
            self.replays += 1
            return entry.replay(args)
        entry = self._trace(args)
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

    def _trace(self, args: tuple) -> _Entry:
        trace = Trace()
        trace.arg_kinds = ["tensor" if isinstance(a, Tensor) else
                           "array" if isinstance(a, np.ndarray) else "value" for a in args]
        recorder = _Recorder(trace, args)
        if _hooks.on_call is not None or engine.observers.tracer is not None:
            raise CompileError("compile: a compiled function is being traced already; a "
                               "compiled function cannot call another one while it traces")
        _hooks.on_call = recorder.on_call
        draws.on_sample = recorder.on_sample
        read_hooks.on_read = recorder.on_read
        engine.observers.tracer = recorder
        try:
            result = self.fn(*args)
            recorder.finish(result)
        finally:
            _hooks.on_call = None
            draws.on_sample = None
            read_hooks.on_read = None
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
        self._checking: Callable | None = None

    def matches(self) -> bool:
        return [m.training for m in self.trace.modules] == self._training

    def replay(self, args: tuple) -> Any:
        return _rebuild(self.trace.output, iter(self._replay(args, None)))

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
        self._checking(args, replayed)
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
