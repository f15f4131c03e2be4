"""Which names are public, module by module, and the reference page of each module.

The reference pages of the site are generated from this list at build time (``site.py``), one
page per module with one mkdocstrings entry per public name, so a new name gets its entry
without anyone editing a page. tests/test_api_reference.py checks that every public name has a
docstring and an entry in the built site, and that every subpackage is either here or in
``NOT_REFERENCED`` with the reason.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import types
from pathlib import Path
from typing import Any

# (module, page title); the page is reference/<module>.md
REFERENCE: list[tuple[str, str]] = [
    ("autonet", "autonet: tensors, autograd, checking"),
    ("autonet.ops", "autonet ops: every op and its gradient rule"),
    ("autonet.nn", "autonet.nn: modules and layers"),
    ("autonet.nn.functional", "autonet.nn.functional"),
    ("autonet.nn.init", "autonet.nn.init"),
    ("autonet.optim", "autonet.optim: optimizers"),
    ("autonet.optim.lr_scheduler", "autonet.optim.lr_scheduler"),
    ("autonet.data", "autonet.data: datasets and loaders"),
    ("autonet.train", "autonet.train: fit, callbacks, history"),
    ("autonet.tune", "autonet.tune: hyperparameter search"),
    ("autonet.check", "autonet.check: gradient checking"),
    ("autonet.viz", "autonet.viz: drawing graphs"),
    ("autonet.plot", "autonet.plot: figures"),
]

# subpackages and modules whose names are reached through the modules above (or are the
# command line, documented on the CLI page)
NOT_REFERENCED: dict[str, str] = {
    "autonet.autograd": "the engine; its public names are re-exported by autonet",
    "autonet.cli": "the `autonet` command, documented on the CLI page by its --help",
    "autonet.creation": "constructors, re-exported by autonet",
    "autonet.io": "save/load, re-exported by autonet",
    "autonet.random": "manual_seed and the generators, re-exported by autonet",
    "autonet.tensor": "Tensor, re-exported by autonet",
    "autonet.arguments": "internal checks of user arguments (one clear error per bad value)",
    "autonet.numpy_interop": "numpy's ufunc/function protocols on Tensors (internal)",
    "autonet.dtypes": "an.float32, an.int64, ... dtype names, re-exported by autonet",
}


def public_names(module_name: str) -> list[str]:
    """``__all__`` of the module, else the names defined in it without a leading underscore. For
    ``autonet`` the ops are left to the ``autonet.ops`` page."""
    module = importlib.import_module(module_name)
    if hasattr(module, "__all__"):
        names = list(module.__all__)
    else:
        names = [n for n, v in vars(module).items() if not n.startswith("_")
                 and getattr(v, "__module__", None) == module_name]
    if module_name == "autonet":
        ops = set(importlib.import_module("autonet.ops").__all__)
        names = [n for n in names if n not in ops]
    return names


def undocumented(module_name: str) -> list[str]:
    """The public names of the module that need a docstring and have none of their own."""
    module = importlib.import_module(module_name)
    return [name for name in public_names(module_name)
            if needs_docstring(getattr(module, name)) and not
            (getattr(getattr(module, name), "__doc__", None) or "").strip()]


def anchors(module_name: str) -> list[str]:
    """The HTML ids the module's reference page must have: one per public name."""
    return [f"{module_name}.{name}" for name in public_names(module_name)]


def needs_docstring(value: Any) -> bool:
    """Functions, classes and ops (Primitive rows, whose doc is on the row) carry docstrings;
    constants, type aliases and submodules are documented where they are defined."""
    return (inspect.isclass(value) or inspect.isfunction(value) or inspect.isbuiltin(value)
            or is_primitive(value))


def is_primitive(value: Any) -> bool:
    from autonet.ops.primitive import Primitive

    return isinstance(value, Primitive)


def reference_markdown(module_name: str, title: str) -> str:
    """The page: the module's docstring, then one entry per public name (a table of rules for
    the ops that are Primitive rows)."""
    module = importlib.import_module(module_name)
    lines = [f"# {title}", "", f"::: {module_name}", "    options:", "      members: false",
             "      show_root_heading: false", "      show_root_toc_entry: false", ""]
    rows, entries = [], []
    for name in public_names(module_name):
        value = getattr(module, name)
        if is_primitive(value):
            rows.append(op_row(f"{module_name}.{name}", value))
        elif isinstance(value, types.ModuleType):
            entries.append(f"## `{module_name}.{name}` {{#{module_name}.{name}}}\n\n"
                           f"The module `{value.__name__}`"
                           f"{_page_link(value.__name__)}.\n")
        else:
            entries.append(_entry(f"{module_name}.{name}", value))
    if rows:
        lines += ["## Primitives", "",
                  "Each op below is one `Primitive` row in `autonet/ops/`: its forward runs on "
                  "numpy arrays and each input's gradient rule `rule(xp, g, y, *inputs, "
                  "**attrs)` is the expression shown (`g` is the upstream gradient, `y` the "
                  "output). Every rule is checked against central differences by the op table's "
                  "property tests. Each op is also a Tensor method.", "",
                  "| op | what it computes | gradient rule per input |", "|---|---|---|", *rows, ""]
    return "\n".join(lines + entries)


def _entry(path: str, value: Any) -> str:
    """The mkdocstrings entry of a function or class by the path where it is defined (names
    that a module exports at import time, like the ops, cannot be found by their public path
    without importing), with an anchor for the public path; anything else by its public path."""
    defined = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    if (inspect.isfunction(value) and defined != path
            and not _found_where_defined(value)):  # a wrapper made at import (dim= aliases)
        try:
            signature = str(inspect.signature(value))
        except (TypeError, ValueError):
            signature = "(...)"
        name = path.rsplit(".", 1)[-1]
        doc = inspect.cleandoc(value.__doc__ or "")
        return f'<span id="{path}"></span>\n\n## `{name}{signature}`\n\n{doc}\n'
    if not (inspect.isfunction(value) or inspect.isclass(value)) or defined == path:
        return f"::: {path}\n    options:\n      heading_level: 2\n"
    return (f'<span id="{path}"></span>\n\n::: {defined}\n    options:\n      heading_level: 2\n'
            f"      show_root_full_path: false\n")


def _found_where_defined(value: Any) -> bool:
    """Whether ``value`` is reachable as ``<its __module__>.<its __qualname__>``."""
    if not value.__module__.startswith("autonet") or "<locals>" in value.__qualname__:
        return True  # not one of autonet's module-level names: leave it to mkdocstrings
    module = importlib.import_module(value.__module__)
    return getattr(module, value.__qualname__, None) is value


def _page_link(module_name: str) -> str:
    pages = [m for m, _ in REFERENCE]
    return f", see [its page]({module_name}.md)" if module_name in pages else ""


def op_row(path: str, primitive: Any) -> str:
    """One table row: the anchor ``path`` (``autonet.ops.exp``) and each input's rule as written
    in ops/."""
    rules = [_rule_text(rule) for rule in primitive.vjps]
    cells = "<br>".join(f"input {i}: `{r}`" for i, r in enumerate(rules))
    name = path.rsplit(".", 1)[-1]
    doc = " ".join((primitive.__doc__ or "").split()).replace("|", "\\|")
    try:
        signature = f"{name}{inspect.signature(primitive)}"
    except (TypeError, ValueError):
        signature = name
    return (f'| <span id="{path}"></span>`{signature}` | {doc} | '
            f'{cells or "(no inputs)"} |')


def _rule_text(rule: Any) -> str:
    """The body of a rule's lambda as written in ops/ (found by the code's column positions, as
    several lambdas share a line), or the name of a rule that is a def."""
    if rule is None:
        return "not differentiable"
    code = getattr(rule, "__code__", None)
    if code is None or rule.__name__ != "<lambda>":
        return getattr(rule, "__name__", repr(rule))
    path = code.co_filename
    if path not in _SOURCES:
        _SOURCES[path] = Path(path).read_text(encoding="utf-8")
    source = _SOURCES[path]
    positions = [(line, col) for line, _, col, _ in code.co_positions()
                 if line is not None and col is not None]
    for node in ast.walk(_trees.setdefault(path, ast.parse(source))):
        if isinstance(node, ast.Lambda) and any(_inside(node.body, p) for p in positions):
            text = " ".join(ast.get_source_segment(source, node.body).split())
            return text.replace("|", "\\|")
    return "<lambda>"


def _inside(node: ast.AST, position: tuple[int, int]) -> bool:
    start, end = (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)
    return start <= position < end


_SOURCES: dict[str, str] = {}
_trees: dict[str, ast.AST] = {}
