"""``an.nn.summary(model, input_shape)``: a per-layer table in the course's notation.

Conv layers count as layers too (their filters are W[l], their biases b[l]); under each conv and
pooling layer a line shows the course's arithmetic n_out = floor((n + 2p - f) / s) + 1 with the
layer's numbers, and the hyperparameter line lists channels n_C[l] for conv layers.

Layer l is a Linear layer: W[l] (n[l], n[l-1]), b[l] (n[l],), Z[l] = A[l-1] @ W[l].T + b[l] of shape
(m, n[l]); the activation after it gives A[l] of the same shape (m examples, batch first). The
table ends with the totals and separates parameters (learned by training) from hyperparameters
(chosen by you: number of layers L, units n[l], activations).

Activations a custom Module applies as functions in its forward (``an.tanh(self.fc1(x))``,
``F.relu(...)``) get a row too, seen through the op-call observer; inside autonet's own layers
(an LSTM's gates, attention's softmax) they are part of that layer and get none. A layer called
twice gets two rows, its parameters counted once (the second row says they are shared).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autonet.autograd.graph import grad_mode, no_grad
from autonet.nn.activations import Activation
from autonet.nn.conv import ConvTranspose2d, _ConvNd
from autonet.nn.layers import Linear
from autonet.nn.module import Module
from autonet.nn.recurrent import RNNBase
from autonet.ops.primitive import _hooks
from autonet.tensor import Tensor

_LAYERS = (Linear, _ConvNd, ConvTranspose2d)  # what counts as a layer l with W[l], b[l]


def layer_parameter_names(layer: int) -> dict[str, str]:
    """The course's names of layer l's parameters by attribute: weight W[l], bias b[l]. The one
    namer of summaries and graph drawings."""
    return {"weight": f"W[{layer}]", "bias": f"b[{layer}]"}


def course_names(model: Module) -> dict[int, str]:
    """id(parameter) -> 'W[l]' or 'b[l]', numbering the Linear and conv layers 1..L in
    registration order (other parameters get their dotted name). For labelling graph drawings."""
    names: dict[int, str] = {}
    layer = 0
    for _, module in model.named_modules():
        if isinstance(module, _LAYERS):
            layer += 1
            for attribute, course_name in layer_parameter_names(layer).items():
                if getattr(module, attribute, None) is not None:
                    names[id(getattr(module, attribute))] = course_name
    for name, param in model.named_parameters():
        names.setdefault(id(param), name)
    return names


class FunctionCall:
    """An activation op called as a function in a Module's forward (``an.tanh(z)``): it stands
    in the table for the Activation module it could have been. ``owner`` is the Module whose
    forward called it."""

    def __init__(self, op_name: str, activation: str, owner: Module) -> None:
        self.op_name, self.activation, self.owner = op_name, activation, owner

    def text(self) -> str:
        return f"{self.op_name} (in {type(self.owner).__name__}.forward)"


def _activation_names() -> dict[str, str]:
    """op name -> Activation class name (tanh -> Tanh), over every Activation subclass."""
    names: dict[str, str] = {}
    stack = list(Activation.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        op = getattr(cls, "op", None)
        if op is not None:
            names.setdefault(getattr(op, "name", None) or op.__name__, cls.__name__)
    return names


def _applies_functions(module: Module) -> bool:
    """Whether activation ops called in ``module``'s forward are rows of their own: in a user's
    Module, and in autonet's containers with no parameters of their own (a Transformer layer's
    F.relu between its Linears); not inside autonet's layers (an LSTM's gates)."""
    if not type(module).__module__.startswith("autonet."):
        return True
    return bool(module._modules) and all(p is None for p in module._parameters.values())


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(["m", *map(str, shape[1:])]) + ")" if shape else "()"


class Summary(str):
    """The table as a string whose repr is the table itself, so a REPL shows it once and
    ``print(summary)`` prints it; Jupyter shows it as an HTML table."""

    table: tuple[tuple[str, ...], list[tuple[str, ...]], str, list[str]]

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        from autonet._html import html_table

        columns, rows, caption, footer = self.table
        return html_table(columns, rows, caption=caption, footer=footer)


def summary(model: Module, input_shape: tuple[int, ...] | None = None, batch_size: int = 1,
            print_fn: Callable[[str], Any] | None = None) -> Summary:
    """Run one forward pass on zeros of shape (batch_size, *input_shape) and tabulate each leaf
    module it called: its parameters in W[l]/b[l] notation, its output (Z[l] or A[l]) and counts;
    parameters no called layer owns get a row of their own, so the rows add up to the total.

    ``input_shape`` is one example's shape, e.g. (784,); it may be left out when the model's first
    layer is a Linear (its in_features). Returns the table (shown by a REPL; ``print`` it in a
    script); ``print_fn=print`` prints it as well."""
    if input_shape is None:
        input_shape = _first_linear_shape(model)
    input_shape = tuple(int(s) for s in np.atleast_1d(input_shape))
    records: list[tuple[Module | FunctionCall, tuple[int, ...], Any]] = []
    # leaves, and modules with parameters of their own (MultiheadAttention's in_proj_weight)
    tabulated = [m for m in model.modules() if not m._modules or
                 any(p is not None for p in m._parameters.values())]
    handles = [m.register_forward_hook(
        lambda mod, args, out: records.append((mod, _shape_of(args[0] if args else None),
                                               _shapes(out))))
        for m in tabulated]
    activation_names = _activation_names()
    previous_observer = _hooks.on_call

    def observe(primitive: Any, args: tuple, attrs: dict, result: Tensor) -> None:
        if previous_observer is not None:
            previous_observer(primitive, args, attrs, result)
        scope = grad_mode.scope
        if primitive.name in activation_names and scope and _applies_functions(scope[-1]):
            call = FunctionCall(primitive.name, activation_names[primitive.name], scope[-1])
            records.append((call, _shape_of(args[0] if args else None), _shapes(result)))

    dtype = _input_dtype(model)
    was_training = model.training
    model.eval()
    _hooks.on_call = observe
    try:
        with no_grad():
            model(Tensor(np.zeros((batch_size, *input_shape), dtype=dtype)))
    finally:
        _hooks.on_call = previous_observer
        model.train(was_training)
        for h in handles:
            h.remove()

    records = _parents_first(records)
    names = course_names(model)
    rows = [("l", "module", "parameters", "output", "#params")]
    images = len(input_shape) > 1 and any(isinstance(m, _LAYERS[1:]) for m, _, _ in records)
    units, activations = [input_shape[0] if images else input_shape[-1] if input_shape else 1], []
    layer = 0
    notes: dict[int, str] = {}
    previous = None
    counted: set[int] = set()  # parameters already in a row (a layer called twice shares them)
    for module, in_shape, out_shape in records:
        if isinstance(module, FunctionCall):
            output = _shape_text(out_shape)
            if layer:
                activations[-1] = module.activation
                output = f"A[{layer}] {output}"
            rows.append(("", module.text(), "", output, ""))
            previous = module
            continue
        params = [p for p in module.parameters(recurse=False)]
        shared = bool(params) and all(id(p) in counted for p in params)
        counted.update(id(p) for p in params)
        several = None
        if isinstance(out_shape, list):  # a layer returning several tensors (recurrent layers)
            out_shape, several = _several(module, out_shape)
        count = sum(p.size for p in params)
        label = ""
        if hasattr(module, "arithmetic") and len(in_shape) > 2:
            formula = getattr(module, "formula", "n_out = floor((n + 2p - f) / s) + 1")
            notes[len(rows)] = f"{formula}: {module.arithmetic(in_shape[1:])}"
        if isinstance(module, _LAYERS):
            layer += 1
            label = str(layer)
            units.append(module.out_features if isinstance(module, Linear)
                         else module.out_channels)
            activations.append("none")
            output = f"Z[{layer}] {_shape_text(out_shape)}"
        elif several is not None:
            output = several
        elif hasattr(module, "course_equation") and layer and isinstance(previous, _LAYERS):
            # the course's batch norm step on Z[l]: gamma[l], beta[l] -> Z~[l]
            names.update({id(p): f"{'γ' if p is module.weight else 'β'}[{layer}]"
                          for p in params})
            output = f"Z̃[{layer}] {_shape_text(out_shape)}"
        elif isinstance(module, Activation) and layer:
            activations[-1] = type(module).__name__
            output = f"A[{layer}] {_shape_text(out_shape)}"
        else:
            output = _shape_text(out_shape)
        text = _parameter_text(module, params, names)
        number = f"{count:,}" if params and not shared else ""
        rows.append((label, _module_text(module), text + (" (shared)" if shared else ""),
                     output, number))
        previous = module

    for name, param in model.named_parameters():
        if id(param) not in counted:  # a free Parameter of a custom Module, or an unused layer's
            counted.add(id(param))
            rows.append(("", name, f"{name} {tuple(param.shape)}", "", f"{param.size:,}"))

    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [f"{type(model).__name__} summary: input X = A[0] of shape "
             f"{_shape_text((0, *input_shape))} (m examples)"]
    rule = "-" * (sum(widths) + 8)
    lines.append(rule)
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.rjust(w) if j in (0, 4) else cell.ljust(w)
                               for j, (cell, w) in enumerate(zip(row, widths))).rstrip())
        if i in notes:
            lines.append(" " * (widths[0] + 2) + "  " + notes[i])
        if i == 0:
            lines.append(rule)
    lines.append(rule)
    total = sum(p.size for p in model.parameters())
    trainable = sum(p.size for p in model.parameters() if p.requires_grad)
    lines.append(f"Parameters (learned by training): {total:,} total, {trainable:,} trainable")
    what = "channels n_C[l] then units n[l]" if images else "units n[l]"
    lines.append(f"Hyperparameters (chosen by you): L = {layer} layer{'' if layer == 1 else 's'}, "
                 f"{what} = {units}, "
                 f"activations = {activations}")
    text = Summary("\n".join(lines))
    text.table = (rows[0], rows[1:], lines[0], lines[-2:])
    if print_fn is not None:
        print_fn(text)
    return text


def _first_linear_shape(model: Module) -> tuple[int, ...]:
    first = next((m for m in model.modules() if isinstance(m, _LAYERS)), None)
    if isinstance(first, Linear):
        return (first.in_features,)
    raise ValueError(f"summary: pass input_shape, one example's shape (e.g. (1, 28, 28) for "
                     f"one-channel 28x28 images); {type(model).__name__} does not start with a "
                     "Linear layer, whose in_features would tell it")


def _shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a module's input or output; of the first one when there are several
    (attention returns (output, weights))."""
    if isinstance(value, tuple | list) and value:
        value = value[0]
    return tuple(np.shape(getattr(value, "data", value))) if value is not None else ()


def _input_dtype(model: Module) -> Any:
    """int64 indices for a model that starts with an Embedding, else its parameters' dtype."""
    from autonet.nn.embedding import Embedding

    first = next((m for m in model.modules() if not m._modules), None)
    if isinstance(first, Embedding):
        return np.int64
    return next((p.dtype for p in model.parameters()), np.float32)


def _parents_first(records: list[tuple[Module, Any, Any]]) -> list[tuple[Module, Any, Any]]:
    """Forward hooks fire when a call ends, so a module is recorded after the sub-modules it
    called; move each such module before them (the order of the calls' starts)."""
    ordered: list[tuple[Module, Any, Any]] = []
    for module, in_shape, out_shape in records:
        if isinstance(module, FunctionCall):  # recorded when called: already in its place
            ordered.append((module, in_shape, out_shape))
            continue
        inside = {id(m) for m in module.modules()}
        start = len(ordered)
        while start and _maker(ordered[start - 1][0], module) in inside:
            start -= 1
        ordered.insert(start, (module, in_shape, out_shape))
    return ordered


def _maker(record: Any, module: Module) -> int:
    """The id of the module that made a record, for sorting it after ``module`` (which called
    it): a function call's owner (possibly ``module`` itself), else the record's module (never
    ``module`` itself: a second call of a layer is not inside the first)."""
    if isinstance(record, FunctionCall):
        return id(record.owner)
    return -1 if record is module else id(record)


def _shapes(out: Any) -> Any:
    """A layer's output shape, or a list of shapes for a tuple output (nested tuples flattened,
    e.g. LSTM's (output, (h_n, c_n)))."""
    if isinstance(out, tuple | list):
        flat: list[tuple[int, ...]] = []
        stack = [out]
        while stack:
            item = stack.pop()
            if isinstance(item, tuple | list):
                stack.extend(reversed(item))
            else:
                flat.append(tuple(np.shape(getattr(item, "data", item))))
        return flat
    return tuple(np.shape(getattr(out, "data", out)))


def _several(module: Module, shapes: list[tuple[int, ...]]) -> tuple[tuple[int, ...], str]:
    """The first shape, and all of them named: ``output (L, N, D H), h_n (...), c_n (...)`` for a
    recurrent layer (time-major unless batch_first, so no axis is the m examples)."""
    if not isinstance(module, RNNBase):
        return shapes[0], ", ".join(f"out{i} {_shape_text(s)}" for i, s in enumerate(shapes))
    batch_axes = [0 if module.batch_first else 1, 1, 1]
    texts = []
    for name, shape, axis in zip(["output", "h_n", "c_n"], shapes, batch_axes):
        if len(shape) == 3:  # batched: mark the m examples' axis
            shape = tuple("m" if k == axis else n for k, n in enumerate(shape))
        texts.append(f"{name} ({', '.join(map(str, shape))})")
    return shapes[0], ", ".join(texts)


def _parameter_text(module: Module, params: list, names: dict[int, str]) -> str:
    """Each parameter with its shape; a recurrent layer's first layer only, then how many more."""
    if isinstance(module, RNNBase) and len(params) > 4:
        first = _parameter_text(module, params[:4 if module.bias else 2], names)
        return f"{first} + {len(params) - (4 if module.bias else 2)} more (layers, directions)"
    return ", ".join(f"{names.get(id(p), p.name)} {tuple(p.shape)}" for p in params)


def _module_text(module: Module) -> str:
    if isinstance(module, RNNBase):
        return f"{type(module).__name__}({module.extra_repr()})"
    if isinstance(module, Linear):
        return f"Linear({module.in_features} -> {module.out_features})"
    if isinstance(module, _LAYERS):
        return f"{type(module).__name__}({module.in_channels} -> {module.out_channels})"
    extra = module.extra_repr()
    return f"{type(module).__name__}({extra})" if extra else type(module).__name__
