"""Group the ops a Module made, and name Linear+activation stacks in the course's notation.

Every Node remembers ``scope``: the Modules whose ``__call__`` was running when it was recorded,
outermost first. ``module_scope`` makes a new tuple per call, so the identity of a node's scope
tuple tells one call of its innermost module from another (a ReLU module reused in three places
gives three boxes). Outer levels are grouped by module.

Course notation: going through the module calls in forward order, the l-th Linear call is layer
``l``: its weight is ``W[l]``, its bias ``b[l]``, its output ``Z[l]``; an activation call right
after it, reading ``Z[l]``, outputs ``A[l]``; the input of layer 1 is ``A[0]`` (the data X).
A Dropout call on ``A[l]`` outputs ``dropout(A[l]) = A[l] * D[l] / keep_prob`` (the course's keep
mask ``D[l]``; keep_prob = 1 - p), and the next Linear equation names that as its input.

The equations are written the way autonet computes them. Rows are examples: ``A[0]`` is
``(m, n[0])`` and ``W[1]`` is ``(n[1], n[0])``, so the course's column form ``W[1] A[0]`` is
``A[0] W[1]ᵀ`` here (``Z[1] = A[0] W[1]ᵀ + b[1]``, of shape ``(m, n[1])``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autonet.nn.activations import Activation
from autonet.nn.layers import Dropout, Identity, Linear
from autonet.nn.summary import layer_parameter_names
from autonet.tensor import Tensor
from autonet.viz.walk import Value, Walk

_COURSE_NAME = re.compile(r"[AZ]\[(\d+)\]")


@dataclass(eq=False)
class Call:
    """One call of an innermost module: its ops, the values it reads from and gives to the rest."""

    index: int
    module: Any
    scope: tuple
    ops: list[int] = field(default_factory=list)
    inputs: list[Value] = field(default_factory=list)
    outputs: list[Value] = field(default_factory=list)
    internal: list[Value] = field(default_factory=list)  # produced and consumed only inside
    forward_position: int = 0
    title: str = ""
    notation: str = ""


@dataclass(eq=False)
class Grouping:
    """Module calls found in a walk, with course-notation aliases for values."""

    calls: list[Call]
    call_of_op: dict[int, Call]
    aliases: dict[int, str]  # value index -> "W[1]", "Z[1]", ...


def module_label(module: Any, names: dict[int, str]) -> str:
    """``layers.0 (Linear)`` when the dotted name is known, else the class name; a scope that
    names itself (``drawing_title``, e.g. one time step of an LSTM: ``LSTM t=3``) keeps its name."""
    title = getattr(module, "drawing_title", None)
    if isinstance(title, str):
        return title
    cls = type(module).__name__
    name = names.get(id(module))
    return f"{name} ({cls})" if name else cls


def is_linear(module: Any, op_names: list[str]) -> bool:
    """A Linear layer, or a module that acts like one: a 2-D ``weight`` and only the ops of
    x @ W.T + b."""
    if isinstance(module, Linear):
        return True
    weight = getattr(module, "weight", None)
    return (isinstance(weight, Tensor) and weight.ndim == 2 and bool(op_names)
            and set(op_names) <= _LINEAR_OPS and bool({"linear", "matmul"} & set(op_names)))


def is_conv(module: Any) -> bool:
    """A layer of filters (Conv1d/2d, ConvTranspose2d): it labels itself (``course_label``) and
    has a weight of 3 or more dimensions."""
    weight = getattr(module, "weight", None)
    return hasattr(module, "course_label") and isinstance(weight, Tensor) and weight.ndim >= 3


_LINEAR_OPS = {"linear", "matmul", "transpose", "add"}


def activation_name(module: Any, op_names: list[str]) -> str | None:
    """The course's g of an activation module (``relu`` for ReLU, ``identity`` for Identity), or of
    a custom module whose ops are all activation ops (named by its last op); else None."""
    if isinstance(module, Activation):
        return type(module).op.name
    if isinstance(module, Identity):
        return "identity"
    activation_ops = {cls.op.name for cls in _subclasses(Activation) if hasattr(cls, "op")}
    if op_names and all(name in activation_ops for name in op_names):
        return op_names[-1]
    return None


def _subclasses(cls: type) -> list[type]:
    found, stack = [], [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


def group_calls(walk: Walk, forward_order: list[int], names: dict[int, str],
                notation: bool = True) -> Grouping:
    """Find the module calls of ``walk`` and their boundary values.

    Args:
        walk: the walked graph.
        forward_order: op indices in a valid forward (producer-first) order.
        names: ``{id(module): dotted name}`` for titles.
        notation: name Linear+activation stacks W[l], b[l], Z[l], A[l].
    """
    calls: dict[int, Call] = {}
    call_of_op: dict[int, Call] = {}
    for op in walk.ops:
        scope = op.node.scope
        if not scope:
            continue
        call = calls.get(id(scope))
        if call is None:
            call = calls[id(scope)] = Call(len(calls), scope[-1], scope)
        call.ops.append(op.index)
        call_of_op[op.index] = call
    position = {op_index: k for k, op_index in enumerate(forward_order)}
    for call in calls.values():
        call.ops.sort(key=lambda i: position.get(i, 0))
        call.forward_position = position.get(call.ops[0], 0)
        _boundary(walk, call, call_of_op)
        call.title = module_label(call.module, names)
        call.notation = str(getattr(call.module, "drawing_notation", "") or "")
    ordered = sorted(calls.values(), key=lambda c: (c.forward_position, c.index))
    aliases: dict[int, str] = {}
    if notation:
        _course_notation(walk, ordered, aliases)
    return Grouping(list(calls.values()), call_of_op, aliases)


def _boundary(walk: Walk, call: Call, call_of_op: dict[int, Call]) -> None:
    inside = set(call.ops)
    seen: set[int] = set()
    for op_index in call.ops:
        op = walk.ops[op_index]
        out = op.output
        consumed_outside = any(c not in inside for c, _ in out.consumers)
        if out.index == 0 or consumed_outside:
            call.outputs.append(out)
        else:
            call.internal.append(out)
        for _, value in op.inputs:
            producer = walk.op_of_node.get(value.node) if value.node is not None else None
            if (producer is None or producer.index not in inside) and value.index not in seen:
                seen.add(value.index)
                call.inputs.append(value)
    call.outputs.sort(key=lambda v: v.index)
    call.inputs.sort(key=lambda v: v.index)


def linear_equation(layer: int, x: str, bias: bool = True) -> str:
    """``Z[l] = x W[l]ᵀ + b[l]``: the row form of the course's ``W[l] A[l-1] + b[l]``."""
    return f"Z[{layer}] = {x} W[{layer}]ᵀ" + (f" + b[{layer}]" if bias else "")


def conv_equation(layer: int, x: str, bias: bool, label: str) -> str:
    """``Z[l] = W[l] * x + b[l]`` (* the convolution, each filter slid over x), then the layer's
    own course-style label (filter size, stride, padding, channels)."""
    return f"Z[{layer}] = W[{layer}] * {x}" + (f" + b[{layer}]" if bias else "") + f"\n{label}"


def _course_notation(walk: Walk, ordered: list[Call], aliases: dict[int, str]) -> None:
    layer = 0
    last_z: Value | None = None
    tensor_value = {id(v.tensor): v for v in walk.values if v.tensor is not None}
    for call in ordered:
        ops = [walk.ops[i].node.name for i in call.ops]
        data = _data_inputs(call)
        if is_linear(call.module, ops) or is_conv(call.module):
            layer += 1
            for attribute, alias in layer_parameter_names(layer).items():
                value = tensor_value.get(id(getattr(call.module, attribute, None)))
                if value is not None:
                    aliases.setdefault(value.index, alias)
            if layer == 1 and len(data) == 1:
                aliases.setdefault(data[0].index, "A[0]")  # the network's input, however made
            last_z = call.outputs[0] if len(call.outputs) == 1 else None
            if last_z is not None:
                aliases.setdefault(last_z.index, f"Z[{layer}]")
            has_bias = getattr(call.module, "bias", None) is not None
            x_name = _input_name(data, aliases)
            call.notation = linear_equation(layer, x_name, has_bias) if is_linear(
                call.module, ops) else conv_equation(layer, x_name, has_bias,
                                                     call.module.course_label())
        elif (last_z is not None and (g := activation_name(call.module, ops)) is not None
              and call.inputs == [last_z] and len(call.outputs) == 1):
            aliases.setdefault(call.outputs[0].index, f"A[{layer}]")
            call.notation = f"A[{layer}] = {g}({aliases.get(last_z.index, f'Z[{layer}]')})"
            last_z = None
        elif hasattr(call.module, "course_equation") and len(call.outputs) == 1:
            last_z = _normalization_notation(call, data, aliases, tensor_value, layer, last_z)
        else:
            if isinstance(call.module, Dropout):
                _dropout_notation(call, data, aliases)
            elif hasattr(call.module, "course_label"):  # pooling, flatten: pool(A[l]), ...
                call.notation = call.module.course_label()
                symbol = getattr(call.module, "course_symbol", None)
                if symbol and len(data) == 1 and len(call.outputs) == 1 \
                        and data[0].index in aliases:
                    aliases.setdefault(call.outputs[0].index,
                                       f"{symbol}({aliases[data[0].index]})")
            last_z = None


def _normalization_notation(call: Call, data: list[Value], aliases: dict[int, str],
                            tensor_value: dict[int, Value], layer: int,
                            last_z: Value | None) -> Value | None:
    """A normalization layer (it has ``course_equation``). Right after Linear layer l, on Z[l],
    it is the course's batch norm step: gamma[l] and beta[l] are its weight and bias, its output
    Z~[l] is what the activation reads (A[l] = g(Z~[l])). Elsewhere its equation names its input
    as the rest of the drawing does."""
    after_linear = last_z is not None and data == [last_z]
    x = _input_name(data, aliases).replace("(input)", "x")
    if after_linear:
        for attribute, alias in (("weight", f"γ[{layer}]"), ("bias", f"β[{layer}]")):
            value = tensor_value.get(id(getattr(call.module, attribute, None)))
            if value is not None:
                aliases.setdefault(value.index, alias)
        out = f"Z̃[{layer}]"
        aliases.setdefault(call.outputs[0].index, out)
        call.notation = call.module.course_equation(x, out, f"[{layer}]")
        return call.outputs[0]
    call.notation = call.module.course_equation(x, f"norm({x})", "")
    return None


def _data_inputs(call: Call) -> list[Value]:
    """The inputs of a call that are not the module's own tensors (its weight, bias...)."""
    own = getattr(call.module, "_parameters", None)
    tensors = own.values() if isinstance(own, Mapping) else vars(call.module).values()
    ids = {i for t in tensors if isinstance(t, Tensor) for i in (id(t), id(t.data))}
    return [v for v in call.inputs if id(v.tensor if v.tensor is not None else v.array) not in ids]


def _input_name(data: list[Value], aliases: dict[int, str]) -> str:
    """What a Linear box's equation calls its input: the value's course name (A[l-1], Z[l-1],
    dropout(A[l-1])), else the tensor's own name, else "(input)" (never a name it does not have)."""
    if len(data) != 1:
        return "(input)"
    value = data[0]
    name = aliases.get(value.index)
    if name is None and value.tensor is not None:
        name = value.tensor.name
    return name or "(input)"


def _dropout_notation(call: Call, data: list[Value], aliases: dict[int, str]) -> None:
    """Dropout of a course-named value A[l] (x * mask, the mask a constant): its output is
    ``dropout(A[l])``, and the mask, the course's keep mask D[l] scaled by 1 / keep_prob, is
    ``D[l] / keep_prob`` (keep_prob = 1 - p)."""
    inputs = [v for v in data if v.kind != "constant"]
    if len(inputs) != 1 or len(call.outputs) != 1:
        return
    x = inputs[0]
    course = _COURSE_NAME.fullmatch(aliases.get(x.index, ""))
    if course is None:
        return
    name, out = course.group(0), f"dropout({course.group(0)})"
    aliases.setdefault(call.outputs[0].index, out)
    masks = [v for v in data if v.kind == "constant" and v.array.shape == x.array.shape]
    mask = f"D[{course.group(1)}] / keep_prob"
    if len(masks) == 1:
        aliases.setdefault(masks[0].index, mask)
    call.notation = f"{out} = {name} * {mask}"
