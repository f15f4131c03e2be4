"""A trace (autonet/autograd/trace.py) as something to run: straight-line Python, or a loop.

``replay_code`` writes one function of the input arrays, each slot a local deleted after its last
use and one-line rules inlined (autonet/autograd/inline.py); ``interpreter`` runs the same steps
as a loop, for traces too long to compile as Python quickly.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from autonet.autograd.graph import draws
from autonet.autograd.inline import inline_call
from autonet.autograd.rewrites import fused_steps
from autonet.autograd.trace import (
    Trace,
    add_into,
    attribute_value,
    is_tensor_input,
    output_slots,
    slots_read,
)

_HOLE = re.compile(r"__in(\d+)__")
_TEMP = re.compile(r"__tmp\d+__")


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

    steps = trace.steps if capture else fused_steps(trace)  # check=True: every forward
    last_use: dict[int, int] = {}
    for k, step in enumerate(steps):
        for slot in slots_read(step):
            last_use[slot] = k
    keep = set(output_slots(trace.output)) | set(trace.constants)
    lines = ["def replay(args, T):"]
    for slot, k in trace.inputs:
        lines.append(f"    v{slot} = args[{k}]" + (".data" if is_tensor_input(trace, k)
                                                    else ""))
    for slot, tensor in trace.externals:
        lines.append(f"    v{slot} = {bind(tensor, 'E')}.data")
    for k, step in enumerate(steps):
        ins = [read(s) for s in slots_read(step)]
        if step.kind == "fused":  # one function for several steps' values (fused_steps)
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
        elif step.fn is add_into:  # total += g, on a name of its own (v{a} keeps its value)
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
        dead = sorted({s for s in slots_read(step) if last_use.get(s) == k} - keep)
        if dead:
            lines.append("    del " + ", ".join(f"v{s}" for s in dead))
    outputs = [read(s) for s in output_slots(trace.output)]
    lines.append(f"    return [{', '.join(outputs)}]")
    return "\n".join(lines) + "\n", namespace


def interpreter(trace: Trace, capture: bool = False) -> Callable[[tuple, Any], list]:
    """The same replay as replay_code, as a loop over the steps: for traces too long to compile
    as Python quickly (a step costs a little more, tracing much less)."""
    last_use: dict[int, int] = {}
    for k, step in enumerate(trace.steps):
        for slot in slots_read(step):
            last_use[slot] = k
    keep = set(output_slots(trace.output))
    program = []
    for k, step in enumerate(trace.steps):
        dead = tuple(sorted({s for s in slots_read(step) if last_use.get(s) == k} - keep))
        code = {"sample": 1, "store": 2, "effect": 5}.get(step.kind, 0)
        if step.kind == "forward":
            code = 4 if step.scalar else 3
        fn = step.fn
        if step.dynamic:  # keywords rebuilt from the replay's values: fn(get, *ins)
            fn = functools.partial(_with_attributes, step.fn, tuple(step.dynamic.items()))
            code += 10
        program.append((code, fn, step.ins, step.out, dead, step.detail))
    n = trace.n_slots
    tensor_inputs = [(slot, k) for slot, k in trace.inputs if is_tensor_input(trace, k)]
    other_inputs = [(slot, k) for slot, k in trace.inputs if not is_tensor_input(trace, k)]
    externals = trace.externals
    constants = list(trace.constants.items())
    outputs = output_slots(trace.output)
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
    return fn(*ins, **{k: attribute_value(v, get) for k, v in dynamic})
