"""What ``an.compile`` records on its first call: the trace of one step.

While ``fn`` runs eagerly, a ``Recorder`` sits in the engine's and the ops' hook slots and writes
every array operation down as a ``Step`` of a ``Trace``: each primitive's forward, each random
draw, and the backward as the engine runs it (rule calls, sums back to broadcast shapes,
accumulation, stores into ``.grad``). Values are numbered slots; a step reads slots and writes
one. autonet/autograd/rewrites.py shortens a trace, autonet/autograd/replay.py writes it out as
one straight-line function, autonet/autograd/compile.py decides when to trace and when to replay.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from autonet.autograd import engine
from autonet.autograd.graph import draws, grad_mode
from autonet.ops.namespace import NUMPY
from autonet.ops.shape import sum_to
from autonet.tensor import Tensor


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


class Recorder:
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
        self.generator = draws.generator()  # the one every replay draws from
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
        self._same_generator()
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

    def on_write(self, tensor: Tensor, value: Any, what: str) -> None:
        """A write into ``tensor`` in place that no op records: refused when the replay would
        not repeat it, that is when ``tensor`` (or the value written) is a value of the trace:
        an input, a parameter, an op's result, or a constant an op has read already."""
        written = id(tensor) in self.tensor_slot or self._traced(tensor.data)
        read = self._traced(value.data if isinstance(value, Tensor) else value) or (
            isinstance(value, Tensor) and id(value) in self.tensor_slot)
        if written or read:
            raise CompileError(
                f"compile: {what} inside the compiled function writes in place into a tensor "
                f"of shape {tensor.shape}{' from a traced value' if read else ''}; the replay "
                f"repeats only recorded ops and would not repeat the write. Build the value with "
                f"ops instead (an.where(mask, v, t), an.concatenate, an.stack, t + v), or make "
                f"the change outside the compiled function")

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

    def _same_generator(self) -> None:
        if draws.generator() is not self.generator:
            raise CompileError(
                "compile: the compiled function reseeds autonet's generator (an.manual_seed or "
                "an.random.seeded inside it); a replay draws on from the generator as it stands "
                "and would not reseed it, so its dropout masks and random values would differ "
                "from eager. Seed once, outside the compiled function")

    def finish(self, result: Any) -> None:
        self._same_generator()
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

    def __init__(self, recorder: Recorder) -> None:
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
            accumulated[key] = self.run("add", add_into, (accumulated[key], slot),
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


def add_into(total: Any, g: Any) -> Any:
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


def rebuild(structure: Any, values: Any) -> Any:
    """fn's result from the replay's output arrays (an iterator, in output_slots order)."""
    kind, content = structure
    if kind == "tensor":
        return Tensor._wrap(next(values))
    if kind == "array":
        return next(values)
    if kind == "object":
        return content
    if kind == "dict":
        return {k: rebuild(v, values) for k, v in content.items()}
    items = [rebuild(v, values) for v in content]
    return tuple(items) if kind == "tuple" else items


def slots_read(step: Step) -> list[int]:
    if step.kind == "sample":
        return []
    if step.kind == "store":
        return [step.ins[1]]
    return list(step.ins) + [s for v in step.dynamic.values() for s in attribute_slots(v)]


def attribute_slots(structure: Any) -> list[int]:
    kind, content = structure
    if kind == "slot":
        return [content]
    if kind == "const":
        return []
    return [s for item in content for s in attribute_slots(item)]


def attribute_value(structure: Any, get: Callable[[int], Any]) -> Any:
    """A traced attribute rebuilt from the replay's values (``get(slot)``)."""
    kind, content = structure
    if kind == "slot":
        return get(content)
    if kind == "const":
        return content
    items = [attribute_value(item, get) for item in content]
    return tuple(items) if kind == "tuple" else items


def output_slots(structure: Any) -> list[int]:
    kind, content = structure
    if kind in ("tensor", "array"):
        return [content]
    if kind == "dict":
        return [s for v in content.values() for s in output_slots(v)]
    if kind in ("tuple", "list"):
        return [s for v in content for s in output_slots(v)]
    return []


def is_tensor_input(trace: Trace, k: int) -> bool:
    return trace.arg_kinds[k] == "tensor"
