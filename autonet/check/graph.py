"""Localize a wrong gradient to one op: check every node of a computed graph on its own.

    loss = model(x)                      # build the graph (before backward frees it)
    report = an.check_graph(loss)
    print(report)                        # one line per op, then the first op whose rule is wrong
    report.bad_nodes                     # the Nodes to colour in a drawing of the graph
                                         # (report.status_of(node): "ok" / "wrong" / "skipped")

For each recorded node, the op runs again alone on float64 copies of the inputs it saw, and for each
input that requires grad it is checked as gradcheck checks a function (check/problem.py): the rule,
run by the engine's backward on random output weights ``v``, against central differences of
``<v, op(inputs)>``, element by element for small inputs, along random directions for big ones.
Since each op is checked alone, a wrong rule is blamed on that op only, however deep it sits.
Values on a kink of the op (relu at 0, ties of max) are left out, seen by the same kink recorder
as gradcheck's, since no derivative exists there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from autonet.autograd.engine import topological_order
from autonet.autograd.function import FunctionCtx, FunctionPrimitive
from autonet.autograd.graph import Node, enable_grad
from autonet.check.kinks import crossed_kink
from autonet.check.problem import Problem
from autonet.check.report import Mismatch
from autonet.check.report import mismatch_table as _table
from autonet.ops.namespace import NUMPY
from autonet.ops.shape import sum_to
from autonet.tensor import Tensor

if TYPE_CHECKING:
    import graphviz


@dataclass
class InputCheck:
    """The comparison for one input of one node."""

    input: int
    shape: tuple[int, ...]
    mode: str  # "elements" or "directions"
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)
    on_kinks: int = 0
    error: str | None = None  # the rule raised or returned something unusable
    name: str | None = None  # the parent tensor's name, if it has one

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


@dataclass
class NodeCheck:
    """The verdict on one node: ``status`` is "ok", "wrong" or "skipped" (with ``note``)."""

    node: Node
    position: int  # 1-based, in the order the forward pass ran the ops
    label: str
    status: str = "ok"
    inputs: list[InputCheck] = field(default_factory=list)
    note: str = ""


@dataclass
class GraphCheckReport:
    """Per node of the graph (forward order) whether its gradient rules match numerical
    derivatives. ``bad_nodes`` and ``status_of(node)`` let a graph drawing colour the culprits."""

    checks: list[NodeCheck] = field(default_factory=list)
    atol: float = 0.0
    rtol: float = 0.0
    root: Tensor | None = None  # what was checked, for drawing it with the culprits marked

    @property
    def bad_nodes(self) -> list[Node]:
        """Nodes whose rule disagrees with the numerical derivative, in forward order."""
        return [c.node for c in self.checks if c.status == "wrong"]

    @property
    def first_bad(self) -> NodeCheck | None:
        """The first (in forward order) node whose rule disagrees, or None."""
        return next((c for c in self.checks if c.status == "wrong"), None)

    @property
    def passed(self) -> bool:
        return self.first_bad is None

    def status_of(self, node: Node) -> str | None:
        """"ok", "wrong", "skipped", or None for a node that was not checked."""
        return next((c.status for c in self.checks if c.node is node), None)

    def draw(self, **options: Any) -> graphviz.Digraph:
        """The checked graph drawn with ``an.viz.draw_graph``, the ops in ``bad_nodes`` in red.

        ``options`` go to ``draw_graph`` (``flow=True``, ``model=``, ``rankdir=``...). check_graph
        leaves the graph alive, so this works until a ``backward()`` without
        ``retain_graph=True`` frees it.
        """
        if self.root is None:
            raise ValueError("GraphCheckReport.draw: this report has no root to draw; make it "
                             "with an.check_graph(root)")
        if "highlight" in options:
            raise TypeError("GraphCheckReport.draw: highlight= is this report's bad_nodes; call "
                            "an.viz.draw_graph(report.root, highlight=...) to mark other ops")
        from autonet import viz  # lazy: drawing needs graphviz, checking does not

        return viz.draw_graph(self.root, highlight=self.bad_nodes, **options)

    def __str__(self) -> str:
        n_wrong = len(self.bad_nodes)
        head = (f"check_graph: {len(self.checks)} op(s) checked against numerical derivatives "
                f"(atol={self.atol:g}, rtol={self.rtol:g}): ")
        head += "all rules agree" if not n_wrong else f"{n_wrong} rule(s) disagree"
        n_skipped = sum(c.status == "skipped" for c in self.checks)
        head += f" ({n_skipped} skipped)" if n_skipped else ""
        width = max([len(c.label) for c in self.checks] + [2]) + 2
        lines = [head, f"  {'#':>3}  {'op':<{width}}{'input shapes':<28}verdict"]
        for c in self.checks:
            shapes = " ".join(str(tuple(np.shape(a))) for a in _inputs_of(c))
            shapes = shapes if len(shapes) <= 26 else shapes[:23] + "..."
            lines.append(f"  {c.position:>3}  {c.label:<{width}}{shapes:<28}{_verdict(c)}")
        first = self.first_bad
        if first is not None:
            lines.append("")
            lines.append(f"first wrong rule: {first.label} (op #{first.position})")
            site = first.node.site
            if site:
                lines.append(f"  created at {site}")
            if first.node.scope:
                lines.append("  inside " + " > ".join(type(m).__name__ for m in first.node.scope))
            for ic in first.inputs:
                called = f"input {ic.input}" + (f" '{ic.name}'" if ic.name else "")
                if ic.error:
                    lines.append(f"  {called} {ic.shape}: {ic.error}")
                elif ic.mismatches:
                    what = "element(s)" if ic.mode == "elements" else "random direction(s)"
                    lines.append(f"  {called} {ic.shape}: {len(ic.mismatches)} "
                                 f"{what} differ (gradient rule vs central differences):")
                    lines.extend(_table(ic.mismatches, 8))
            hint = getattr(first.node.primitive, "hint", None)
            if hint:
                lines.append(f"  hint: {hint}")
        return "\n".join(lines)


def _inputs_of(c: NodeCheck) -> tuple:
    return c.node.inputs if c.node.inputs is not None else ()


def _verdict(c: NodeCheck) -> str:
    if c.status == "skipped":
        return f"skipped ({c.note})"
    checked = c.inputs
    if c.status == "ok":
        err = max((ic.max_abs_error for ic in checked), default=0.0)
        kinks = sum(ic.on_kinks for ic in checked)
        return f"ok (max abs err {err:.1g})" + (f", {kinks} on a kink" if kinks else "")
    bad = [ic for ic in checked if not ic.passed]
    return "WRONG: " + "; ".join(
        f"input {ic.input} " + (ic.error[:40] if ic.error else
                                f"rel err {ic.max_rel_error:.2g}") for ic in bad)


def label_of(node: Node) -> str:
    """How reports name a node's op: custom Functions by class name."""
    if isinstance(node.primitive, FunctionPrimitive):
        return f"{node.primitive.function.__name__} (custom Function)"
    return node.name


def check_graph(root: Tensor, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                seed: int = 0, max_elements: int = 100, directions: int = 3) -> GraphCheckReport:
    """Check the gradient rule of every op in the graph that computed ``root``.

    Args:
        root: a Tensor whose graph is still alive (call before ``backward()``, or after
            ``backward(retain_graph=True)``).
        eps: step of the central differences.
        atol, rtol: a value passes when ``|rule - numeric| <= atol + rtol * |numeric|``.
        seed: seed of the random output weights and directions.
        max_elements: inputs up to this size are checked element by element; bigger ones along
            ``directions`` random directions (two forward calls each).

    Returns:
        A GraphCheckReport; ``print`` it, or read ``.first_bad`` / ``.bad_nodes``.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"check_graph: expected a Tensor, got {type(root).__name__}")
    if root._node is None:
        raise ValueError("check_graph: this tensor has no recorded graph (it is a leaf, or was "
                         "computed under no_grad or from inputs without requires_grad=True)")
    try:
        order = topological_order([root._node])
    except RuntimeError as error:
        raise RuntimeError("check_graph: the graph was freed by backward(); call check_graph "
                           "before backward, or run backward(retain_graph=True)") from error
    rng = np.random.default_rng(seed)
    report = GraphCheckReport(atol=atol, rtol=rtol, root=root)
    for position, node in enumerate(reversed(order), start=1):
        report.checks.append(_check_node(node, position, eps, atol, rtol, rng, max_elements,
                                         directions))
    return report


def _fresh(attrs: dict) -> dict:
    """The node's attributes, with a new context for custom Functions (so re-running forward
    never overwrites what the real backward will read)."""
    return {k: (v.fresh() if isinstance(v, FunctionCtx) else v) for k, v in attrs.items()}


def _float64(a: Any) -> Any:
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return a.astype(np.float64)
    return a


def _skip_note(primitive: Any, inputs: list, attrs: dict) -> str | None:
    """Why the op cannot be checked at these float64 inputs, or None when it can."""
    try:
        out = np.asarray(primitive.forward(*inputs, **_fresh(attrs)))
        again = np.asarray(primitive.forward(*inputs, **_fresh(attrs)))
    except Exception as error:  # noqa: BLE001  (a forward that fails on float64 is reported)
        return f"forward failed on float64 inputs: {error}"[:80]
    if out.dtype != np.float64:
        return f"output is {out.dtype} even from float64 inputs"
    if not np.array_equal(out, again, equal_nan=True):
        return "forward is random (gives different outputs)"
    if not np.isfinite(out).all():
        # Differences through NaN/Inf are NaN: nothing to compare, and the rule is not to blame.
        upstream = any(isinstance(a, np.ndarray) and a.dtype.kind == "f"
                       and not np.isfinite(a).all() for a in inputs)
        return (f"output has {np.count_nonzero(~np.isfinite(out))} NaN/Inf value(s), "
                + ("as its inputs do" if upstream else "inputs outside the op's domain")
                + "; an.detect_anomaly() shows where they start")
    return None


def _check_node(node: Node, position: int, eps: float, atol: float, rtol: float,
                rng: np.random.Generator, max_elements: int, directions: int) -> NodeCheck:
    check = NodeCheck(node, position, label_of(node))
    inputs = [_float64(a) for a in node.inputs]
    attrs = node.attrs or {}
    note = _skip_note(node.primitive, inputs, attrs)
    if note is not None:
        check.status, check.note = "skipped", note
        return check
    for i, parent in enumerate(node.parents):
        if parent is not None:
            check.inputs.append(_check_input(node, inputs, i, eps, atol, rtol, rng, max_elements,
                                             directions))
    if any(not ic.passed for ic in check.inputs):
        check.status = "wrong"
    return check


def _check_input(node: Node, inputs: list, i: int, eps: float, atol: float, rtol: float,
                 rng: np.random.Generator, max_elements: int, directions: int) -> InputCheck:
    """The node's op alone, as a gradcheck Problem in input ``i`` (the others held constant):
    its rule runs through the engine's backward, its kinks are seen by the same recorder."""
    ic = InputCheck(i, tuple(np.shape(inputs[i])), "elements", name=node.parents[i].name)
    primitive, attrs = node.primitive, node.attrs or {}

    def op(*xs: Any) -> Tensor:
        return primitive(*xs, **_fresh(attrs))

    args = [Tensor(a, requires_grad=True) if j == i else a for j, a in enumerate(inputs)]
    with enable_grad():
        problem = Problem(op, args, seed=int(rng.integers(2**32)))
        try:
            (analytic,) = problem.analytic()
        except Exception as error:  # noqa: BLE001  (a crashing rule is a wrong rule)
            ic.error = f"rule raised {type(error).__name__}: {error}"[:160]
            return ic
        x = problem.targets[0].data
        if x.size <= max_elements:
            _by_elements(ic, problem, x, analytic, eps, atol, rtol)
        else:
            ic.mode = "directions"
            _by_directions(ic, problem, x, analytic, eps, atol, rtol, directions)
    return ic


def _by_elements(ic: InputCheck, problem: Problem, x: np.ndarray, analytic: np.ndarray,
                 eps: float, atol: float, rtol: float) -> None:
    for index in np.ndindex(x.shape):
        plus_regions: list = []
        minus_regions: list = []
        plus, minus = problem.both_sides(x, index, eps, (plus_regions, minus_regions))
        if crossed_kink(problem.base_regions, plus_regions, minus_regions) is not None:
            ic.on_kinks += 1
            continue
        _compare(ic, index, float(analytic[index]), (plus - minus) / (2 * eps), atol, rtol)


def _by_directions(ic: InputCheck, problem: Problem, x: np.ndarray, analytic: np.ndarray,
                   eps: float, atol: float, rtol: float, directions: int) -> None:
    """Along random directions ``u``; the components of ``u`` whose move crosses the op's kink
    are dropped and the direction measured again (up to 4 times)."""
    for d in range(directions):
        u = problem.rng.standard_normal(x.shape)
        for _ in range(4):
            plus_regions: list = []
            minus_regions: list = []
            plus, minus = problem.both_sides(x, ..., eps * u, (plus_regions, minus_regions))
            moved = _kink_moves(problem.base_regions, x.shape, plus_regions, minus_regions)
            if not moved.any():
                break
            ic.on_kinks += int(np.count_nonzero(moved & (u != 0)))
            u = np.where(moved, 0.0, u)
        _compare(ic, (d,), float(np.sum(analytic * u)), (plus - minus) / (2 * eps), atol, rtol)


def _kink_moves(base: list, shape: tuple[int, ...], *runs: list) -> np.ndarray:
    """Which elements of the input moved the op across its kink in any of ``runs`` (the op's
    region arrays, reduced to the input's shape with any())."""
    moved = np.zeros(shape, dtype=bool)
    for run in runs:
        for (kink, _, r0), (_, _, r1) in zip(base, run):
            if kink is not None and r0.shape == r1.shape:
                changed = r0 != r1
                moved |= changed if changed.shape == shape else sum_to(
                    NUMPY, changed.astype(np.int64), shape) > 0
    return moved


def _compare(ic: InputCheck, index: tuple[int, ...], analytic: float, numeric: float,
             atol: float, rtol: float) -> None:
    tolerance = atol + rtol * abs(numeric)
    m = Mismatch(ic.input, index, analytic, numeric, tolerance=tolerance)
    ic.max_abs_error = max(ic.max_abs_error, m.abs_error)
    ic.max_rel_error = max(ic.max_rel_error, m.rel_error if m.abs_error > atol else 0.0)
    if not m.abs_error <= tolerance:
        ic.mismatches.append(m)
