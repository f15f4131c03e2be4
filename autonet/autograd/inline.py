"""The source of a one-line lambda (a gradient rule, an op's forward) and that lambda's body as an
expression of other names: what lets the compiled replay, and ``step.source``, write a rule out
in place instead of calling it.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import types
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np


@cache
def _module_tree(filename: str) -> ast.Module:
    with open(filename) as f:
        return ast.parse(f.read())


def lambda_node(fn: Any) -> ast.Lambda:
    """The ast of a lambda, found by its line and the columns of its code."""
    tree = _module_tree(inspect.getsourcefile(fn))
    code = fn.__code__
    candidates = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)
                  and n.lineno <= code.co_firstlineno <= (n.end_lineno or n.lineno)
                  and [a.arg for a in n.args.args] == list(code.co_varnames[:code.co_argcount])]
    columns = {(line, col) for line, _, col, _ in code.co_positions() if col is not None}

    def overlap(node: ast.Lambda) -> int:
        return sum(1 for line, col in columns if node.body.lineno <= line <= node.body.end_lineno
                   and (line != node.body.lineno or col >= node.body.col_offset)
                   and (line != node.body.end_lineno or col < node.body.end_col_offset))

    if not candidates:
        raise NotImplementedError(f"source: cannot find the source of {fn!r}")
    return max(candidates, key=overlap)


_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr)


@cache
def _plain_body(fn: Any) -> tuple[list[str], list[tuple[str, ast.expr]], ast.expr] | None:
    """(parameter names, assignments, result) of a closure-free lambda, or of a function whose
    body is only ``name = expression`` lines and a final ``return expression`` (its docstring
    aside); None for anything else, or when an expression binds names of its own."""
    if not isinstance(fn, types.FunctionType) or fn.__closure__ or hasattr(fn, "__wrapped__"):
        return None  # (a wrapper's source would be the wrapped function's)
    code = fn.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS | inspect.CO_GENERATOR
                        | inspect.CO_COROUTINE) or code.co_kwonlyargcount:
        return None
    try:
        if fn.__name__ == "<lambda>":
            node = lambda_node(fn)
            params, assignments, result = node.args, [], node.body
        else:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
            node = tree.body[0]
            if not isinstance(node, ast.FunctionDef) or node.decorator_list or \
                    node.name != fn.__name__:
                return None
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring
            if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
                return None
            assignments = []
            for statement in body[:-1]:
                if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                        and isinstance(statement.targets[0], ast.Name)):
                    return None
                assignments.append((statement.targets[0].id, statement.value))
            params, result = node.args, body[-1].value
    except (OSError, TypeError, SyntaxError, NotImplementedError):
        return None
    names = [a.arg for a in params.args]
    if names != list(code.co_varnames[:code.co_argcount]):
        return None
    expressions = [value for _, value in assignments] + [result]
    if any(isinstance(n, _SCOPES) for e in expressions for n in ast.walk(e)):
        return None
    return names, assignments, result


def inline_call(fn: Any, args: list[Any], keywords: dict[str, Any],
                bind: Callable[[Any, str], str],
                dtypes: dict[str, np.dtype] | None = None) -> str | None:
    """``fn(*args, **keywords)`` written out with no call to ``fn``: a lambda's body, or a
    simple function's lines (see _plain_body), with each parameter replaced. ``args`` are the
    names of the values passed (str) or values to bind; ``bind(value, hint)`` returns a global
    name the text may use for a value (the defaults, the keywords, the globals the body reads).
    The text is the function's assignments, one a line, to the names ``__tmp0__``,
    ``__tmp1__``, ... (the caller renames them), then the result's expression on the last line.
    None when ``fn`` is no such function. The text calls the same functions on the same
    objects in the same order, so it gives the same result, bit for bit. ``dtypes`` (name in
    ``args`` -> dtype of the float array it will hold) lets a Python number meet such an array
    as a 0-d array of that very dtype, which numpy computes identically and about 40% faster on
    small arrays (see _Constants)."""
    plain = _plain_body(fn)
    if plain is None:
        return None
    params, assignments, result = plain
    if len(args) > len(params) or set(keywords) - set(params[len(args):]):
        return None
    defaults = fn.__defaults__ or ()
    first_default = len(params) - len(defaults)
    names: dict[str, str] = {}
    for k, param in enumerate(params):
        if k < len(args):
            names[param] = args[k] if isinstance(args[k], str) else bind(args[k], param)
        elif param in keywords:
            names[param] = bind(keywords[param], param)
        elif k >= first_default:
            names[param] = bind(defaults[k - first_default], param)
        else:
            return None
    values = {param: arg for param, arg in zip(params, args) if not isinstance(arg, str)}
    objects: dict[str, Any] = {}  # bound name -> its object (for the dtypes of ufunc calls)
    missing = object()

    def bound(value: Any, hint: str) -> ast.Name:
        name = bind(value, hint)
        objects[name] = value
        return ast.Name(name, ast.Load())

    class Substitute(ast.NodeTransformer):
        ok = True

        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            # xp.mul where xp is a namespace passed in: bind the function itself
            if isinstance(node.value, ast.Name) and node.value.id in values and \
                    isinstance(node.ctx, ast.Load):
                target = getattr(values[node.value.id], node.attr, missing)
                if target is not missing:
                    return bound(target, node.attr)
            # np.where, builtins.max: a module's function, bound once
            if isinstance(node.value, ast.Name) and node.value.id not in names and \
                    isinstance(node.ctx, ast.Load):
                module = fn.__globals__.get(node.value.id)
                if isinstance(module, types.ModuleType):
                    target = getattr(module, node.attr, missing)
                    if target is not missing:
                        return bound(target, node.attr)
            return self.generic_visit(node)

        def visit_Name(self, node: ast.Name) -> ast.AST:
            if not isinstance(node.ctx, ast.Load):
                self.ok = False
                return node
            if node.id in names:
                return ast.Name(names[node.id], ast.Load())
            value = fn.__globals__.get(node.id, missing)
            if value is missing:
                value = getattr(builtins, node.id, missing)
            if value is missing:
                self.ok = False
                return node
            return bound(value, node.id)

    known = dict(dtypes or {})
    lines = []
    for k, (target, value) in enumerate([*assignments, (None, result)]):
        transformer = Substitute()
        expression = transformer.visit(ast.parse(ast.unparse(value), mode="eval").body)
        if not transformer.ok:
            return None
        constants = _Constants(known, objects, bind)
        expression = constants.visit(expression)
        if target is None:
            lines.append(ast.unparse(expression))
            break
        local = f"__tmp{k}__"
        dtype = constants.dtype(expression)
        names[target] = local  # later lines read the new value
        known.pop(local, None)
        if dtype is not None:
            known[local] = dtype
        lines.append(f"{local} = {ast.unparse(expression)}")
    return "\n".join(lines)


_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div)


class _Constants(ast.NodeTransformer):
    """``1 - y`` with y a float32 array becomes ``ONE - y`` with ONE = np.array(1, float32).

    numpy (NEP 50) converts a Python number met by an array to the array's dtype and computes in
    that dtype, exactly as it computes with a 0-d array of that dtype; only the conversion is
    skipped. Rewritten: +, -, *, / and comparisons between a Python int or float and an
    expression known to be an array of one float dtype (a name of ``dtypes``, or +, -, *, / and
    unary - of such expressions with the same dtype); nothing else."""

    def __init__(self, dtypes: dict[str, np.dtype], objects: dict[str, Any],
                 bind: Callable[[Any, str], str]) -> None:
        self.dtypes, self.objects, self.bind = dtypes, objects, bind

    def dtype(self, node: ast.AST) -> np.dtype | None:
        if isinstance(node, ast.Name):
            return self.dtypes.get(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                len(node.args) == 1 and not node.keywords:
            # a one-input ufunc with a loop from that dtype to itself (exp, abs, tanh, ...)
            ufunc = self.objects.get(node.func.id)
            dtype = self.dtype(node.args[0])
            if isinstance(ufunc, np.ufunc) and ufunc.nin == 1 and ufunc.nout == 1 and \
                    dtype is not None and f"{dtype.char}->{dtype.char}" in ufunc.types:
                return dtype
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return self.dtype(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
            left, right = self.dtype(node.left), self.dtype(node.right)
            if left is not None and (left == right or _number(node.right)):
                return left
            if right is not None and _number(node.left):
                return right
        return None

    def constant(self, node: ast.Constant, dtype: np.dtype) -> ast.Name:
        value = np.array(node.value, dtype=dtype)
        name = self.bind(value, f"{dtype.name}_{_slug(node.value)}")
        self.dtypes[name] = dtype  # (1 + e) is known as well
        return ast.Name(name, ast.Load())

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, _ARITHMETIC):
            if _number(node.left) and (dtype := self.dtype(node.right)) is not None:
                node.left = self.constant(node.left, dtype)
            elif _number(node.right) and (dtype := self.dtype(node.left)) is not None:
                node.right = self.constant(node.right, dtype)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 1 and _number(node.comparators[0]):
            dtype = self.dtype(node.left)
            if dtype is not None:
                node.comparators = [self.constant(node.comparators[0], dtype)]
        return node


def _number(node: ast.AST) -> bool:
    # within float16's range: converting it to any float dtype never overflows
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and \
        abs(node.value) <= 65504


def _slug(value: float) -> str:
    return str(value).replace(".", "_").replace("-", "m")
