"""``step.source``: a compiled step's replay written out as a standalone numpy function.

One line per recorded operation, forward then backward, named in the course's notation where the
modules are known (Linear layer l makes Z{l}, the activation after it A{l}, dropout's mask D{l};
parameters are W{l}, b{l}; the gradient of V is dV), each with a comment naming the autonet op
(and, in backward, the rule). The common layers are written as the course writes them where the
shapes seen at trace time make that the same computation (see _READABLE: Z = X @ W.T + b,
dA = dZ @ W, dW = dZ.T @ A, db = dZ.sum(axis=0), dZ = dA * (Z > 0), the softmax minus the
one-hot targets); rules written as one-line lambdas are inlined with their arguments
substituted; other forwards and rules (and the helpers they call) are copied in as functions.
Executed on its own, with only numpy imported, the function returns fn's outputs and the
gradient of every leaf, the same values as the replay computes, bit for bit.
"""

from __future__ import annotations

import ast
import dis
import inspect
import math
import textwrap
import types
from functools import partial
from typing import Any

import numpy as np

from autonet.autograd import compile as compile_module
from autonet.autograd.inline import lambda_node as _lambda_node
from autonet.autograd.trace import output_slots
from autonet.nn.activations import Activation
from autonet.nn.layers import Dropout, Linear
from autonet.ops import elementwise, fused, reduce
from autonet.ops.namespace import NUMPY
from autonet.tensor import Tensor

# autonet helpers whose numpy-only meaning is simpler than their code
_STAND_INS = {
    "as_array": "def as_array(x):\n    return x\n",
    "check_class_indices": (
        "def check_class_indices(name, target, c, ignore_index):\n"
        "    bad = target[((target < 0) | (target >= c)) & (target != ignore_index)]\n"
        "    if bad.size:\n"
        "        raise ValueError(f'{name}: target class {int(bad[0])} is out of range for {c} "
        "classes')\n"),
}

_OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
              np.matmul: "@", np.power: "**"}


class _Call:
    """What a readable spelling may ask of a recorded call: its parameters' values at trace
    time (by parameter name; ``out`` is the result), its attributes (defaults included) and
    the names of those it was given."""

    def __init__(self, trace: Any, slots: dict[str, int], attrs: dict[str, Any],
                 keywords: set[str]) -> None:
        self.trace, self.slots, self.attrs, self.keywords = trace, slots, attrs, keywords

    def ndim(self, param: str) -> int | None:
        shape = self.trace.shapes.get(self.slots.get(param))
        return None if shape is None else len(shape)

    def shape(self, param: str) -> tuple | None:
        return self.trace.shapes.get(self.slots.get(param))

    def dtype(self, param: str) -> np.dtype | None:
        return self.trace.dtypes.get(self.slots.get(param))

    def is_none(self, param: str) -> bool:
        slot = self.slots.get(param)
        return slot in self.trace.constants and self.trace.constants[slot] is None


def _linear_forward(call: _Call) -> str | None:
    # _linear on 2-D x is np.matmul(x, w.T), then out += b, which keeps the product's dtype
    if call.ndim("x") != 2 or call.keywords:
        return None
    if "b" not in call.slots:
        return "x @ w.T"
    return "x @ w.T + b" if call.dtype("b") is not None and call.dtype("b") == call.dtype("out") \
        else None


def _when_2d(template: str, *params: str) -> Any:
    return lambda call: template if not call.keywords and all(
        call.ndim(p) == 2 for p in params) else None


def _cross_entropy_grad(call: _Call) -> tuple[str, str] | None:
    """(softmax(logits) - Y) / m, for class indices without weights or smoothing (m: the examples
    whose target is not ignore_index, as the mean divides by). The rule's
    softmax shifts each row by logits[rows, argmax], the row's max (the same element, up to
    the sign of a zero, which changes no exp), and subtracts 1 at the targets (x - 0 is x).
    An ignored target (never a class: cross_entropy checks) has a row of zeros in Y, and the
    mask gives its row the rule's 0 (soft * 0 - 0) and every other row soft - Y times 1."""
    a = call.attrs
    if call.keywords - {"weight", "label_smoothing", "ignore_index", "mean"} or \
            a.get("weight") is not None or a.get("label_smoothing") or not call.is_none("y") or \
            call.ndim("logits") != 2 or call.ndim("target") != 1:
        return None
    n, c = call.shape("logits")
    ignore = a.get("ignore_index")
    if not isinstance(ignore, int) or 0 <= ignore < c or not isinstance(a.get("mean"), bool):
        return None
    # the rule scales g by 1 / m, m the count of examples not ignored (at least 1)
    scale = f"(g * (1 / max(float(np.count_nonzero(target != {ignore})), 1.0)))" if a["mean"] \
        else "g[:, None]"
    note = "(softmax - one-hot targets) * g / m, m the examples not ignored" if a["mean"] else \
        "(softmax - one-hot targets) * g"
    return (f"(_softmax(logits) - _one_hot(target, {c})) * (target != {ignore})[:, None] * "
            f"{scale}", note + ", 0 for an ignored target")


def _full_mean(template: str, param: str) -> Any:
    # the mean of all elements: np.mean(a) is np.mean(a, axis=None, keepdims=False), and its
    # rule spreads g * (1.0 / m) over x's shape (1 / m: the same Python float)
    def spell(call: _Call) -> str | None:
        shape = call.shape(param)
        a = call.attrs
        if call.keywords - {"axis", "keepdims"} or a.get("axis") is not None or \
                a.get("keepdims") is not False or shape is None:
            return None
        return template.format(m=max(math.prod(shape), 1), shape=shape)
    return spell


# The course's spelling of a forward or rule, used where the shapes and attributes seen at trace
# time make it compute the very values the function computes: fn -> (call -> template or None),
# the template an expression of fn's parameter names (or (template, what the comment says)).
# On 2-D arrays _rows(xp, a) is a and _column_sums is np.add.reduce(g, axis=0), what
# g.sum(axis=0) runs; relu's rule is relu_backward(g, x): g times its mask written as 1.0 and
# 0.0, the values g * (x > 0) casts the booleans to.
_READABLE = {
    fused._linear: _linear_forward,
    fused._linear_grad_x: _when_2d("g @ w", "g"),
    fused.linear.rule(1): _when_2d("g.T @ x", "g", "x"),
    fused.linear.rule(2): _when_2d("g.sum(axis=0)", "g"),
    elementwise._relu_grad: lambda call: None if call.keywords else "g * (x > 0)",
    fused._softmax_cross_entropy_grad: _cross_entropy_grad,
    np.mean: _full_mean("np.mean(a)", "a"),
    reduce.mean_row.rule(0): _full_mean("np.broadcast_to(g * (1 / {m}), {shape})", "x"),
}

# the helpers the spellings call, copied into the source where used
_READABLE_HELPERS = {
    "_softmax": '''def _softmax(Z):
    """Each row's softmax, its exponentials shifted by the row's largest value (no overflow)."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)
''',
    "_one_hot": '''def _one_hot(y, classes):
    """Y: row i is True in column y[i], False elsewhere (a float minus True or False is x - 1
    or x - 0)."""
    return np.arange(classes) == y[:, None]
''',
}


def write_source(trace: Any, arg_names: list[str] | None = None) -> str:
    """The standalone numpy source of ``trace`` (see the module docstring)."""
    return _Writer(trace, arg_names).write()


class _Writer:
    def __init__(self, trace: Any, arg_names: list[str] | None) -> None:
        self.trace = trace
        self.names: dict[int, str] = {}
        self.used: set[str] = {"np", "rng", "xp", *_READABLE_HELPERS}
        self.helpers: dict[str, str] = {}  # name -> source of copied functions
        self.xp_names: set[str] = set()
        self.lines: list[str] = []
        self.arg_names = arg_names or [f"arg{k}" for k in range(len(trace.arg_kinds))]
        self.param_names: list[tuple[str, Any]] = []
        self.copied: dict[Any, str] = {}
        self.imports: set[str] = set()

    # ---- names ----------------------------------------------------------------------------
    def unique(self, base: str) -> str:
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name

    def name_values(self) -> None:
        layers: dict[int, int] = {}
        for module in self.trace.modules:
            if isinstance(module, Linear):
                layers[id(module)] = len(layers) + 1
        for slot, k in self.trace.inputs:
            self.names[slot] = self.unique(self.arg_names[k])
        for slot, tensor in self.trace.externals:
            base = tensor.name if tensor.name and tensor.name.isidentifier() else "P"
            for module in self.trace.modules:
                if isinstance(module, Linear) and tensor is module.weight:
                    base = f"W{layers[id(module)]}"
                elif isinstance(module, Linear) and tensor is module.bias:
                    base = f"b{layers[id(module)]}"
            self.names[slot] = self.unique(base)
            self.param_names.append((self.names[slot], tensor))
        layer = 0
        output = set(output_slots(self.trace.output))
        for step in self.trace.steps:
            if step.kind not in ("forward", "sample"):
                continue
            inner = step.scope[-1] if step.scope else None
            if isinstance(inner, Linear):
                layer = layers[id(inner)]
                base = f"Z{layer}"
            elif isinstance(inner, Activation) and layer:
                base = f"A{layer}"
            elif isinstance(inner, Dropout) and layer:
                base = f"D{layer}" if step.kind == "sample" else f"A{layer}"
            elif step.out in output:
                base = "loss" if len(output) == 1 else "out"
            else:
                base = getattr(step.op, "name", getattr(step.op, "__name__", "t"))
            self.names[step.out] = self.unique(base)

    def value(self, slot: int) -> str:
        """How the source spells the value in ``slot``: its name, or a literal constant."""
        if slot in self.names:
            return self.names[slot]
        return _literal(self.trace.constants[slot])

    # ---- lines -----------------------------------------------------------------------------
    def write(self) -> str:
        self.name_values()
        forward = [s for s in self.trace.steps if s.kind in ("forward", "sample", "effect")]
        backward = [s for s in self.trace.steps
                    if s.kind not in ("forward", "sample", "effect")]
        body = ["# forward"]
        for step in forward:
            body.append(self.forward_line(step))
        grads: dict[str, str] = {}
        if backward:
            body.append("# backward")
        for step in backward:
            line = self.backward_line(step, grads)
            if line:
                body.append(line)
        outputs = self.output_text(self.trace.output)
        body.append(f"return {outputs}, {{{', '.join(f'{k!r}: {v}' for k, v in grads.items())}}}")
        params = [self.names[s] for s, _ in self.trace.inputs] + [n for n, _ in self.param_names]
        needs_rng = any(s.kind == "sample" for s in forward)
        signature = ", ".join(params + (["rng"] if needs_rng else []))
        entries = [f"    {name} = {getattr(NUMPY, name)!r}" if _is_flag(name) else
                   f"    {name} = staticmethod({self.function_text(getattr(NUMPY, name))})"
                   for name in sorted(self.xp_names)]
        head = [*sorted(self.imports), "import numpy as np", "", ""]
        for source in self.helpers.values():
            head += [source.rstrip(), "", ""]
        if entries:
            head.append("class xp:  # the numpy namespace autonet's gradient rules run in")
            head += entries + ["", ""]
        doc = ('    """One step, forward and backward, as autonet\'s replay runs it. Returns the '
               'outputs and\n    the gradient of every leaf (keyed by name)."""')
        lines = head + [f"def step({signature}):", doc]
        lines += ["    " + line for line in body]
        return "\n".join(lines) + "\n"

    def forward_line(self, step: Any) -> str:
        if step.kind == "effect":
            args = ", ".join(self.value(s) for s in step.ins)
            return f"{self.function_text(step.fn)}({args})  # outside the graph, every call"
        out = self.names[step.out]
        if step.kind == "sample":
            args = ", ".join(["rng"] + [_literal(a) for a in step.ins])
            return f"{out} = {self.function_text(step.fn)}({args})  # random draw"
        ins = [self.value(s) for s in step.ins]
        forward = step.op.forward
        attrs = {**(step.detail or {}), **self.dynamic_attrs(step)}
        readable = self.readable(forward, step, step.ins, step.out)
        text = readable[0] if readable else self.call_text(forward, ins, attrs, rule=False)
        if step.scalar:
            text = f"np.asarray({text})"
        return f"{out} = {text}  # {step.op.name}"

    def backward_line(self, step: Any, grads: dict[str, str]) -> str:
        if step.kind == "store":
            (where, leaf), slot = step.ins
            if where == "arg":
                key = self.arg_names[leaf]
            else:
                key = next(n for n, t in self.param_names if t is leaf)
            grads[key] = self.names[slot]
            return ""
        ins = [self.value(s) for s in step.ins]
        if step.kind == "seed":
            out = self.names[step.out] = self.unique("d" + ins[0])
            if isinstance(step.fn, partial):
                shape, dtype = step.fn.args
                return f"{out} = np.asarray(np.reshape({ins[0]}, {shape!r}), " \
                       f"dtype=np.{dtype})  # d{ins[0]}/d{ins[0]} = 1"
            return f"{out} = np.ones_like({ins[0]})  # d{ins[0]}/d{ins[0]} = 1"
        if step.kind == "add":
            out = self.names[step.out] = self.unique(ins[0].split("_")[0])
            return f"{out} = {ins[0]} + {ins[1]}  # accumulate: the value is used more than once"
        if step.kind == "fit":
            shape, dtype = step.fn.args
            g_shape, g_dtype = step.detail
            out = self.names[step.out] = self.unique(ins[0].split("_")[0])
            text = ins[0]
            lead = len(g_shape) - len(shape)
            axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                              if n == 1 and g_shape[lead + i] != 1)
            if g_shape != shape:
                if axes:
                    text = f"{text}.sum(axis={axes!r}, keepdims=True)"
                text = f"{text}.reshape({shape!r})"
            if g_dtype != dtype:
                text = f"{text}.astype(np.{dtype})"
            return f"{out} = {text}  # sum the broadcast gradient back to shape {shape}"
        # a rule: d(input i) from d(output)
        rule = step.fn.func
        attrs = {**step.fn.keywords, **self.dynamic_attrs(step)}
        g, y, *inputs = ins
        target = step.ins[2 + step.detail]
        base = "d" + self.value(target) if target in self.names else f"d_{step.op.name}"
        out = self.names[step.out] = self.unique(base)
        readable = self.readable(rule, step, (None, *step.ins), step.out)
        if readable:
            text, rule_text = readable
        else:
            text = self.call_text(rule, ["xp", g, y, *inputs], attrs, rule=True)
            rule_text = _rule_text(rule)
        return f"{out} = {text}  # {step.op.name} backward for input {step.detail}: {rule_text}"

    def readable(self, fn: Any, step: Any, slots: tuple, out: int) -> tuple[str, str] | None:
        """(the line's expression, what its comment says) in the course's spelling (see
        _READABLE), or None. ``slots``: the values of fn's parameters (None for a rule's xp)."""
        spell = _READABLE.get(fn)
        if spell is None or step.dynamic:
            return None
        signature = inspect.signature(fn).parameters
        given = dict(zip(signature, slots))
        defaults = {k: p.default for k, p in signature.items()
                    if k not in given and p.default is not inspect.Parameter.empty}
        keywords = step.fn.keywords if isinstance(step.fn, partial) else {}
        spelled = spell(_Call(self.trace, {**given, "out": out}, {**defaults, **keywords},
                              set(keywords)))
        if spelled is None:
            return None
        template, note = spelled if isinstance(spelled, tuple) else (spelled, spelled)
        values = {p: ast.parse(self.value(slot), mode="eval").body
                  for p, slot in given.items() if slot is not None}
        helpers = self.helpers

        class Substitute(ast.NodeTransformer):
            def visit_Name(self, node: ast.Name) -> ast.AST:
                if node.id in _READABLE_HELPERS:
                    helpers.setdefault(node.id, _READABLE_HELPERS[node.id])
                return values.get(node.id, node)

        expression = Substitute().visit(ast.parse(template, mode="eval").body)
        return ast.unparse(expression), note

    def dynamic_attrs(self, step: Any) -> dict[str, Any]:
        """The attributes made of traced values (an index tensor), spelled by their names."""
        def spell(structure: Any) -> str:
            kind, content = structure
            if kind == "slot":
                return self.value(content)
            if kind == "const":
                return _literal(content)
            items = [spell(item) for item in content]
            return f"({', '.join(items)},)" if kind == "tuple" else f"[{', '.join(items)}]"
        return {k: _Spelled(spell(v)) for k, v in step.dynamic.items()}

    def output_text(self, structure: Any) -> str:
        kind, content = structure
        if kind in ("tensor", "array"):
            return self.names.get(content, self.value(content))
        if kind == "dict":
            return "{" + ", ".join(f"{k!r}: {self.output_text(v)}" for k, v in content.items()) \
                + "}"
        if kind in ("tuple", "list"):
            items = [self.output_text(v) for v in content]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")" \
                if kind == "tuple" else "[" + ", ".join(items) + "]"
        return _literal(content)

    # ---- calls ---------------------------------------------------------------------------
    def call_text(self, fn: Any, args: list[str], attrs: dict, rule: bool) -> str:
        if fn in _OPERATORS and len(args) == 2 and not attrs:
            return f"{_wrap(args[0])} {_OPERATORS[fn]} {_wrap(args[1])}"
        inline = _inline(fn, args, attrs, self.function_text)
        if inline is not None:
            body, xp_names = inline
            if not all(self.numpy_twin(n) for n in xp_names):
                self.xp_names.update(n for n in xp_names if not self.numpy_twin(n))
            return body
        name = self.function_text(fn)
        keywords = [f"{k}={_literal(v)}" for k, v in attrs.items()]
        return f"{name}({', '.join(list(args) + keywords)})"

    def numpy_twin(self, name: str) -> bool:
        fn = getattr(NUMPY, name, None)
        return fn is not None and getattr(np, name, None) is fn

    def function_text(self, fn: Any) -> str:
        """A name the source can call ``fn`` by: np.<name>, or a copied helper."""
        if isinstance(fn, np.ufunc) or getattr(np, getattr(fn, "__name__", ""), None) is fn:
            return f"np.{fn.__name__}"
        if isinstance(fn, partial):
            return self.function_text(fn.func)
        if not isinstance(fn, types.FunctionType) or fn.__closure__:
            raise NotImplementedError(f"source: cannot write out {fn!r} (not a module-level "
                                      f"function of numpy arrays, e.g. a custom an.Function)")
        if fn in self.copied:
            return self.copied[fn]
        name = fn.__name__ if fn.__name__ != "<lambda>" else f"_lambda{len(self.helpers)}"
        self.copied[fn] = name
        self.helpers[name] = ""  # reserve the place before copying what it calls
        if fn.__name__ == "<lambda>":
            node = _lambda_node(fn)
            source = f"def {name}({ast.unparse(node.args)}):\n    return {ast.unparse(node.body)}\n"
        elif fn.__name__ in _STAND_INS:
            source = _STAND_INS[fn.__name__]
        else:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
            for node in ast.walk(tree):  # annotations name types the source does not import
                if isinstance(node, ast.arg):
                    node.annotation = None
                elif isinstance(node, ast.FunctionDef):
                    node.returns = None
            source = ast.unparse(tree) + "\n"
        self.helpers[name] = source
        if fn.__name__ not in _STAND_INS:
            self.copy_globals(fn)
        for attr in _xp_attributes(ast.parse(source)):
            self.xp_names.add(attr)
            if not self.numpy_twin(attr) and not _is_flag(attr):
                self.function_text(getattr(NUMPY, attr))
        return name

    def copy_globals(self, fn: Any) -> None:
        """Copy the module-level functions and constants ``fn`` refers to."""
        for name in _global_names(fn.__code__):
            value = fn.__globals__.get(name)
            if isinstance(value, types.FunctionType) and value.__module__.startswith("autonet"):
                self.function_text(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                self.helpers.setdefault(name, f"{name} = {value!r}\n")
            elif isinstance(value, types.ModuleType) and value.__name__ == name and \
                    not name.startswith("autonet"):  # math, builtins (numpy is imported as np)
                self.imports.add(f"import {name}")
        for const in fn.__code__.co_consts:
            if isinstance(const, types.CodeType):
                for name in _global_names(const):
                    value = fn.__globals__.get(name)
                    if isinstance(value, types.FunctionType) and \
                            value.__module__.startswith("autonet"):
                        self.function_text(value)


def _global_names(code: types.CodeType) -> set[str]:
    """The global names ``code`` loads (not attribute names: builtins.max is not a global max)."""
    return {i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_GLOBAL"}


def _inline(fn: Any, args: list[str], attrs: dict,
            copy: Any = None) -> tuple[str, set[str]] | None:
    """A lambda's body with its parameters replaced by ``args`` and ``attrs`` (literals), or None
    when it calls anything but xp's and numpy's functions."""
    if not (isinstance(fn, types.FunctionType) and fn.__name__ == "<lambda>"):
        return None
    try:
        node = _lambda_node(fn)
    except (OSError, TypeError, NotImplementedError):
        return None
    params = [a.arg for a in node.args.args]
    defaults = dict(zip(params[len(params) - len(node.args.defaults):], node.args.defaults))
    values: dict[str, ast.expr] = {}
    for k, name in enumerate(params):
        if k < len(args):
            values[name] = ast.parse(args[k], mode="eval").body
        elif name in attrs:
            values[name] = ast.parse(_literal(attrs[name]), mode="eval").body
        elif name in defaults:
            values[name] = defaults[name]
    xp_names: set[str] = set()

    class Substitute(ast.NodeTransformer):
        ok = True

        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            if isinstance(node.value, ast.Name) and node.value.id in ("xp", "np"):
                if node.value.id == "xp":
                    xp_names.add(node.attr)
                    twin = getattr(NUMPY, node.attr, None)
                    if twin is not None and getattr(np, node.attr, None) is twin:
                        return ast.Attribute(ast.Name("np", ast.Load()), node.attr, ast.Load())
                    return node
                return node
            return self.generic_visit(node)

        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id in values:
                return values[node.id]
            helper = fn.__globals__.get(node.id)
            if copy is not None and isinstance(helper, types.FunctionType) and \
                    helper.__module__.startswith("autonet") and not helper.__closure__:
                return ast.Name(copy(helper), ast.Load())  # a helper the source copies in
            if node.id not in ("xp", "np"):
                self.ok = False
            return node

    transformer = Substitute()
    body = transformer.visit(ast.parse(ast.unparse(node.body), mode="eval").body)
    if not transformer.ok:
        return None
    return ast.unparse(body), {n for n in xp_names if not (
        getattr(np, n, None) is not None and getattr(np, n, None) is getattr(NUMPY, n, None))}


def _is_flag(name: str) -> bool:
    """Whether ``xp.<name>`` is a setting of the namespace (records_graph: False in numpy's, which
    the source writes as it is), not a function."""
    return isinstance(getattr(NUMPY, name, None), bool)


def _xp_attributes(tree: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "xp"}


def _rule_text(rule: Any) -> str:
    if isinstance(rule, types.FunctionType) and rule.__name__ == "<lambda>":
        try:
            return ast.unparse(_lambda_node(rule).body)
        except (OSError, TypeError, NotImplementedError):
            pass
    return getattr(rule, "__name__", "rule")


class _Spelled(str):
    """Source text that _literal writes as it is (a name, not a string constant)."""


def _literal(value: Any) -> str:
    if isinstance(value, _Spelled):
        return str(value)
    if isinstance(value, np.dtype):
        return f"np.{value}"
    if isinstance(value, type) and issubclass(value, np.generic):
        return f"np.{value.__name__}"
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.size > 64:
            raise NotImplementedError(
                f"source: the step uses a constant array of shape {array.shape}; pass it to the "
                f"compiled function as an argument so the source can take it as a parameter")
        return f"np.array({array.tolist()!r}, dtype=np.{array.dtype})"
    if isinstance(value, Tensor):
        return _literal(value.data)
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") \
            + ")"
    if isinstance(value, float) and not np.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)


def _wrap(text: str) -> str:
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return f"({text})"
    return text if isinstance(node, ast.Name | ast.Constant | ast.Attribute | ast.Call |
                              ast.Subscript) else f"({text})"


compile_module.writers.source = write_source
