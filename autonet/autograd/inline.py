"""The source of a one-line lambda (a gradient rule, an op's forward) and that lambda's body as an
expression of other names: what lets the compiled replay, and ``step.source``, write a rule out
in place instead of calling it.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import types
from collections.abc import Callable
from functools import cache
from typing import Any


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
def _plain_body(fn: Any) -> tuple[list[str], ast.expr] | None:
    """(parameter names, body) of a closure-free lambda whose body binds no names, or None."""
    if not (isinstance(fn, types.FunctionType) and fn.__name__ == "<lambda>") or fn.__closure__:
        return None
    code = fn.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS) or code.co_kwonlyargcount:
        return None
    try:
        node = lambda_node(fn)
    except (OSError, TypeError, NotImplementedError):
        return None
    if any(isinstance(n, _SCOPES) for n in ast.walk(node.body)):
        return None
    return [a.arg for a in node.args.args], node.body


def inline_call(fn: Any, args: list[Any], keywords: dict[str, Any],
                bind: Callable[[Any, str], str]) -> str | None:
    """``fn(*args, **keywords)`` as one expression with no call to ``fn``: its lambda body with
    each parameter replaced. ``args`` are the names of the values passed (str) or values to
    bind; ``bind(value, hint)`` returns a global name the expression may use for a value (the
    defaults, the keywords, the globals the body reads). None when ``fn`` is no such lambda.
    The expression calls the same functions on the same objects in the same order, so it gives
    the same result, bit for bit."""
    plain = _plain_body(fn)
    if plain is None:
        return None
    params, body = plain
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
    missing = object()

    class Substitute(ast.NodeTransformer):
        ok = True

        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            # xp.mul where xp is a namespace passed in: bind the function itself
            if isinstance(node.value, ast.Name) and node.value.id in values and \
                    isinstance(node.ctx, ast.Load):
                target = getattr(values[node.value.id], node.attr, missing)
                if target is not missing:
                    return ast.Name(bind(target, node.attr), ast.Load())
            # np.where, builtins.max: a module's function, bound once
            if isinstance(node.value, ast.Name) and node.value.id not in names and \
                    isinstance(node.ctx, ast.Load):
                module = fn.__globals__.get(node.value.id)
                if isinstance(module, types.ModuleType):
                    target = getattr(module, node.attr, missing)
                    if target is not missing:
                        return ast.Name(bind(target, node.attr), ast.Load())
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
            return ast.Name(bind(value, node.id), ast.Load())

    transformer = Substitute()
    expression = transformer.visit(ast.parse(ast.unparse(body), mode="eval").body)
    if not transformer.ok:
        return None
    return ast.unparse(expression)
