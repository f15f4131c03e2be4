"""The package's layers: lower layers never import upper ones, and the only import circle is the
documented Tensor <-> ops seam (tensor.py imports autonet.ops at its end; ops build Tensors)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "autonet"

# Lower numbers are lower layers; a module may import its own layer or lower ones.
RANKS = {
    "ops": 0, "autograd": 0, "tensor": 0, "arguments": 0, "_html": 0, "numpy_interop": 0,
    "dtypes": 0,
    "creation": 1, "random": 1,
    "nn": 2, "optim": 2, "io": 2,
    "data": 3, "train": 3, "tune": 3, "check": 3, "viz": 3, "plot": 3,
    "cli": 4, "__main__": 4,
}
SEAM = {"autonet.tensor"}  # with autonet.ops.*: the one allowed circle


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported autonet module, at module level?) for every import in the file, resolving
    ``from autonet.x import y`` to the submodule autonet.x.y when y is one."""
    tree = ast.parse(path.read_text())
    found: list[tuple[str, bool]] = []
    top_level = {id(n) for n in tree.body}
    type_checking = {id(n) for top in tree.body if isinstance(top, ast.If)
                     and "TYPE_CHECKING" in ast.unparse(top.test) for n in ast.walk(top)}
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import submodule` imports the submodule (the package is its parent,
            # imported implicitly); `from module import name` imports the module
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                names.append(candidate if _exists(candidate) else node.module)
        for name in names:
            if name == "autonet" or name.startswith("autonet."):
                found.append((name, id(node) in top_level))
    return found


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _rank(module: str) -> int | None:
    parts = module.split(".")
    return RANKS.get(parts[1]) if len(parts) > 1 else None


def _graph() -> dict[str, list[tuple[str, bool]]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_lower_layer_imports_an_upper_one() -> None:
    wrong = []
    for module, imports in _graph().items():
        rank = _rank(module)
        for target, _ in imports:
            target_rank = _rank(target)
            if rank is not None and target_rank is not None and target_rank > rank:
                wrong.append(f"{module} (layer {rank}) imports {target} (layer {target_rank})")
    assert not wrong, "\n".join(wrong)


def test_every_module_has_a_layer() -> None:
    unranked = {m.split(".")[1] for m in _graph() if m != "autonet" and _rank(m) is None}
    assert not unranked, f"add these to RANKS in tests/test_layers.py: {sorted(unranked)}"


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.add(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        found.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_the_only_import_circle_is_the_tensor_ops_seam() -> None:
    graph = _graph()
    # every import runs the root package first; that implicit edge is not a circle of ours
    edges = {m: {t for t, top in imports if top and t in graph and t not in (m, "autonet")}
             for m, imports in graph.items()}
    for component in _cycles(edges):
        outside = {m for m in component if m not in SEAM and not m.startswith("autonet.ops")}
        assert not outside, f"import circle through {sorted(component)}"




def test_the_contributor_page_draws_the_layers_this_test_enforces() -> None:
    page = (PACKAGE.parent / "docs" / "autograd.md").read_text()
    drawn: dict[str, int] = {}
    for line in page.splitlines():
        found = re.match(r"layer (\d)\s+(.*?)(\s{3,}|$)", line)
        if found:
            number = int(found.group(1))
            for name in re.findall(r"[a-z_]+", found.group(2)):
                drawn[name] = number
        elif drawn and re.match(r"\s{10}[a-z_]", line):  # a continued layer row
            for name in re.findall(r"[a-z_]+", line):
                drawn[name] = number
    assert drawn == RANKS
