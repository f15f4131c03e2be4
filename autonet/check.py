"""Check analytic gradients against numerical ones (central differences in float64).

``gradcheck(fn, inputs)`` draws a random vector ``v`` per output and compares, for every element
``x[j]`` of every input that requires grad,

    analytic:  d <v, fn(x)> / d x[j]                      (one backward)
    numeric:   (<v, fn(x + eps e_j)> - <v, fn(x - eps e_j)>) / (2 eps)

A wrong rule makes them differ for almost every ``v``, so one random ``v`` checks the whole Jacobian
with a single backward. ``fast=True`` instead compares one random direction ``u`` over all inputs at
once, ``<grad, u>`` against ``(<v, fn(x + eps u)> - <v, fn(x - eps u)>) / (2 eps)``: two
evaluations at any input size (on failure, one more pair per input names the input).

Kinks: relu, abs, leaky_relu, clip, maximum/minimum and max/min reductions have no derivative at
their kink (0, ties, the clip bounds). When a perturbation moves a value across one, the numeric
estimate averages the two sides and disagrees with any subgradient; such elements are reported as
"on a kink" and not counted as errors. ``gradgradcheck`` runs the same check on the gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autonet.autograd.anomaly import forward_hooks
from autonet.autograd.functional import grad
from autonet.ops.reduce import expand_reduced
from autonet.tensor import Tensor
from autonet.warnings import warn_at_user_code

# ---- kinks ---------------------------------------------------------------------------------------
# Per op: a function of (inputs, attrs, output) giving a "region" array that changes exactly when a
# value crosses the op's kink (a sign, or which positions attain a max), and where the kink is.
RegionFn = Callable[[Sequence[Any], dict, np.ndarray], np.ndarray]


def _sign_of_first(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    return np.sign(inputs[0])


def _sign_of_difference(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    return np.sign(np.subtract(inputs[0], inputs[1]))


def _clip_region(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    x = np.asarray(inputs[0])
    a_min = attrs.get("a_min", inputs[1] if len(inputs) > 1 else None)
    a_max = attrs.get("a_max", inputs[2] if len(inputs) > 2 else None)
    region = np.zeros(x.shape)
    if a_min is not None:
        region = region + np.sign(x - a_min)
    if a_max is not None:
        region = region + 3 * np.sign(x - a_max)
    return region


def _condition(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    return np.asarray(inputs[0], dtype=bool)


def _boolean_masks(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    index = attrs.get("index", inputs[1] if len(inputs) > 1 else None)
    parts = index if isinstance(index, tuple) else (index,)
    masks = [np.ravel(p) for p in parts if isinstance(p, np.ndarray) and p.dtype == bool]
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


def _attaining(inputs: Sequence[Any], attrs: dict, out: np.ndarray) -> np.ndarray:
    x = np.asarray(inputs[0])
    axis = attrs.get("axis", inputs[1] if len(inputs) > 1 else None)
    keepdims = attrs.get("keepdims", inputs[2] if len(inputs) > 2 else False)
    return x == expand_reduced(np, out, x.shape, axis, keepdims)


KINKS: dict[str, tuple[RegionFn, str]] = {
    "relu": (_sign_of_first, "at 0"),
    "abs": (_sign_of_first, "at 0"),
    "leaky_relu": (_sign_of_first, "at 0"),
    "elu": (_sign_of_first, "at 0 (slopes alpha and 1 meet there unless alpha = 1)"),
    "sqrt": (_sign_of_first, "at 0 (infinite slope)"),
    "maximum": (_sign_of_difference, "where its two inputs tie"),
    "minimum": (_sign_of_difference, "where its two inputs tie"),
    "clip": (_clip_region, "at a_min/a_max"),
    "max": (_attaining, "where two elements tie for the max"),
    "min": (_attaining, "where two elements tie for the min"),
    # piecewise functions: a value crossing the point where the branch changes
    "where": (_condition, "where its condition flips (the function switches branch)"),
    "getitem": (_boolean_masks, "where a boolean mask index changes (x[x > 0] at 0)"),
}
# Not an op: fn's outputs changed shape (a data-dependent shape), recorded with the regions.
_OUTPUT_SHAPES = "output shapes"


def register_kink(op_name: str, region: RegionFn, where: str) -> None:
    """Teach the checkers where a (custom) op is not differentiable: ``region(inputs, attrs, out)``
    returns an array that changes value exactly when an input crosses a kink."""
    KINKS[op_name] = (region, where)


class _KinkRecorder:
    """While installed, keeps the region array of every kinked op that runs (in call order)."""

    def __init__(self) -> None:
        self.regions: list[tuple[str, np.ndarray]] = []

    def __call__(self, node: Any, out: np.ndarray) -> None:
        entry = KINKS.get(node.primitive.name)
        if entry is not None:
            self.regions.append((node.primitive.name, np.asarray(entry[0](
                node.inputs, node.attrs or {}, out))))

    def __enter__(self) -> _KinkRecorder:
        forward_hooks.add(self)
        return self

    def __exit__(self, *exc: object) -> None:
        forward_hooks.remove(self)


def crossed_kink(base: list, *others: list) -> str | None:
    """The first op whose region differs between the runs ``base`` and ``others``, described."""
    for run in others:
        for (name, r0), (name1, r1) in zip(base, run):
            if name != name1 or r0.shape != r1.shape or not np.array_equal(r0, r1):
                if name1 == _OUTPUT_SHAPES or name == _OUTPUT_SHAPES:
                    return ("fn's output changed shape (a data-dependent shape, like a boolean "
                            "mask x[x > 0] at 0)")
                return f"{name} {KINKS[name][1]}" if name in KINKS else name
    return None


# ---- report --------------------------------------------------------------------------------------
@dataclass
class Mismatch:
    """One element (or, in fast mode, one direction) whose analytic and numerical derivatives
    disagree. ``kink`` says which op's kink the perturbation crossed (then it is no bug)."""

    input: int
    index: tuple[int, ...]
    analytic: float
    numeric: float
    kink: str | None = None
    tolerance: float = 0.0

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        return self.abs_error / max(abs(self.numeric), abs(self.analytic), 1e-300)


@dataclass
class GradcheckReport:
    """What gradcheck compared: per checked input its name, shape, analytic and (elementwise mode)
    numeric gradients, and every mismatch. Printing it gives a table per input, worst first."""

    analytic: list[np.ndarray] = field(default_factory=list)
    numeric: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    atol: float = 0.0
    rtol: float = 0.0
    fast: bool = False
    directional: list[Mismatch] = field(default_factory=list)  # fast mode: every direction tried
    max_rows: int = 10
    note: str | None = None  # about the check point itself (fn's output not finite there)

    @property
    def failures(self) -> list[Mismatch]:
        """Mismatches that are not explained by a kink: the errors."""
        return [m for m in self.mismatches if m.kink is None]

    @property
    def on_kinks(self) -> list[Mismatch]:
        """Mismatches where the perturbation crossed a kink (not counted as errors)."""
        return [m for m in self.mismatches if m.kink is not None]

    @property
    def passed(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        if self.fast:
            return self._fast_text()
        n_checked = sum(a.size for a in self.analytic)
        if self.passed:
            n_kinks = len(self.on_kinks)
            head = (f"gradcheck passed: {len(self.analytic)} input(s), {n_checked - n_kinks} "
                    f"element(s) within atol={self.atol:g} + rtol={self.rtol:g} * |numeric|"
                    + (f" ({n_kinks} on a kink, not counted)" if n_kinks else ""))
        else:
            head = (f"gradcheck failed: {len(self.failures)} of {n_checked} element(s) differ "
                    f"beyond atol={self.atol:g} + rtol={self.rtol:g} * |numeric|")
        lines = [head] + ([f"  note: {self.note}"] if self.note else [])
        for k, name in enumerate(self.names):
            lines.extend(self._input_text(k, name))
        return "\n".join(lines)

    def _input_text(self, k: int, name: str) -> list[str]:
        a, n = self.analytic[k], self.numeric[k]
        failures = [m for m in self.failures if m.input == k]
        kinks = [m for m in self.on_kinks if m.input == k]
        if not failures and not kinks:
            err = float(np.max(np.abs(a - n))) if a.size else 0.0
            return [f"  {name} {a.shape}: ok (max abs error {err:.2g})"]
        lines = []
        if failures:
            lines.append(f"  {name} {a.shape}: {len(failures)} of {a.size} element(s) differ, "
                         "worst first:")
            lines.extend(_table(failures, self.max_rows))
            lines.extend(f"    hint: {h}" for h in _hints(a, n, failures))
        if kinks:
            lines.append(f"  {name} {a.shape}: {len(kinks)} element(s) sit on a kink "
                         f"({kinks[0].kink}): no derivative exists there, the numeric estimate "
                         "averages both sides; not counted as errors:")
            lines.extend(_table(kinks, min(self.max_rows, 5)))
        return lines

    def _fast_text(self) -> str:
        status = "passed" if self.passed else "failed"
        lines = [f"gradcheck (fast, random directions) {status}: <grad, u> against "
                 f"(f(x + eps u) - f(x - eps u)) / (2 eps), atol={self.atol:g}, "
                 f"rtol={self.rtol:g}"] + ([f"    note: {self.note}"] if self.note else []) + [
                 f"    {'direction over':<28}{'analytic':>14}{'numeric':>14}{'abs err':>11}"
                 f"{'rel err':>11}  verdict"]
        for m in self.directional:
            over = "all inputs" if m.input < 0 else self.names[m.input]
            bad = not m.abs_error <= m.tolerance  # NaN is bad
            verdict = ("ok" if not bad else f"kink ({m.kink})" if m.kink else "MISMATCH")
            lines.append(f"    {over:<28}{m.analytic:>14.6g}{m.numeric:>14.6g}"
                         f"{m.abs_error:>11.3g}{m.rel_error:>11.3g}  {verdict}")
        if not self.passed:
            lines.append("    hint: rerun with fast=False on a smaller input to see which elements "
                         "differ")
        return "\n".join(lines)


def _table(rows: list[Mismatch], limit: int) -> list[str]:
    worst = sorted(rows, key=lambda m: -m.abs_error / max(m.tolerance, 1e-300))
    lines = [f"    {'index':<16}{'analytic':>14}{'numeric':>14}{'abs err':>11}{'rel err':>11}"]
    for m in worst[:limit]:
        lines.append(f"    {str(m.index):<16}{m.analytic:>14.6g}{m.numeric:>14.6g}"
                     f"{m.abs_error:>11.3g}{m.rel_error:>11.3g}")
    if len(worst) > limit:
        lines.append(f"    ... and {len(worst) - limit} more")
    return lines


def _hints(a: np.ndarray, n: np.ndarray, failures: list[Mismatch]) -> list[str]:
    """Patterns a learner's hand-derived gradient often shows."""
    hints = []
    singular = [m for m in failures if not np.isfinite(m.analytic)]
    if singular:
        hints.append(f"the analytic gradient is NaN/Inf at {len(singular)} element(s), e.g. "
                     f"{singular[0].index}: a rule evaluated where it divides by 0 (the slope of "
                     "sqrt or log at 0, 0 * inf); move the point off it or fix the rule there")
    if any(not np.isfinite(m.numeric) for m in failures):
        return hints  # fn is NaN/Inf near the point (see the report's note): no pattern to read
    big = np.abs(n) > 1e-8
    if not np.any(a) and np.any(big):
        return ["the analytic gradient is 0 everywhere: is the input used through numpy (or "
                ".data / .detach()) so the graph never reaches it, or does the rule return zeros?"]
    if np.count_nonzero(big) >= 1:
        ratio = a[big] / n[big]
        r = float(np.median(ratio))
        if np.allclose(ratio, r, rtol=1e-3) and not np.isclose(r, 1, rtol=1e-3):
            if np.isclose(r, -1, rtol=1e-3):
                hints.append("analytic = -numeric everywhere: a sign is flipped")
            else:
                hints.append(f"analytic = {r:.4g} x numeric for every element: a constant factor "
                             f"is off (a missing or extra 1/m, or a factor 2?)")
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1 \
            and np.allclose(a.T, n, rtol=1e-3, atol=1e-6):
        hints.append("analytic equals numeric transposed: check the order of a matmul (X^T dZ "
                     "versus dZ X^T) or a missing .T")
    if len(failures) == a.size and a.size > 1 and not hints:
        hints.append("every element differs: the rule itself is likely wrong (not a corner case)")
    return hints


# ---- checking ------------------------------------------------------------------------------------
def _as_inputs(inputs: Any) -> Sequence[Any]:
    """A single Tensor stands for the one-input list, as in PyTorch."""
    return (inputs,) if isinstance(inputs, Tensor) else inputs


def _nonfinite_note(outs: list[Tensor]) -> str | None:
    bad = sum(int(np.count_nonzero(~np.isfinite(o.data))) for o in outs if o.dtype.kind in "fc")
    if not bad:
        return None
    total = sum(o.size for o in outs)
    return (f"fn's output holds NaN/Inf at this point ({bad} of {total} value(s)), so the numeric "
            "derivatives through them are NaN and nothing can be compared: check at a point "
            "inside fn's domain (log or sqrt of a value <= 0? a division by 0?)")


def _as_outputs(out: Any) -> list[Tensor]:
    outs = list(out) if isinstance(out, list | tuple) else [out]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(o).__name__}")
    return outs


def _prepare(inputs: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """float64 copies of the inputs; the positions of those to check."""
    xs, checked, low = [], [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            if x.dtype != np.float64:
                low.append(f"input {i} is {x.dtype}")
            xs.append(Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad, name=x.name))
            if x.requires_grad:
                checked.append(i)
        else:
            xs.append(x)
    if not checked:
        raise ValueError("gradcheck: no input requires grad; create the inputs to check with "
                         "requires_grad=True")
    if low:
        warn_at_user_code(f"gradcheck: {', '.join(low)}; checking in float64 copies (numerical "
                          "derivatives in lower precision are too noisy to compare)")
    return xs, checked


class _Problem:
    """``fn`` at float64 copies of the inputs, projected on random output weights ``v``."""

    def __init__(self, fn: Callable[..., Any], inputs: Sequence[Any], seed: int) -> None:
        self.fn = fn
        self.xs, self.checked = _prepare(inputs)
        self.targets = [self.xs[i] for i in self.checked]
        with _KinkRecorder() as recorder:
            self.outs = _as_outputs(fn(*self.xs))
        self.shapes = [o.shape for o in self.outs]
        self.base_regions = recorder.regions + [(_OUTPUT_SHAPES, self._shape_array(self.outs))]
        self.rng = np.random.default_rng(seed)
        self.vs = [self.rng.standard_normal(o.shape) for o in self.outs]

    def analytic(self) -> list[np.ndarray]:
        used = [(o, v) for o, v in zip(self.outs, self.vs) if o.requires_grad]
        found = [None] * len(self.targets)
        if used:
            found = grad([o for o, _ in used], self.targets, [v for _, v in used],
                         allow_unused=True)
        return [np.zeros_like(x.data) if a is None else a.data
                for x, a in zip(self.targets, found)]

    @staticmethod
    def _shape_array(outs: list[Tensor]) -> np.ndarray:
        return np.array([len(outs)] + [d for o in outs for d in (o.ndim, *o.shape)])

    def projected(self, record: list | None = None) -> float:
        """<v, fn(xs)> at the current values of xs (appending kink regions to ``record``); NaN
        when the outputs changed shape (v would broadcast against them silently)."""
        if record is None:
            outs = _as_outputs(self.fn(*self.xs))
        else:
            with _KinkRecorder() as recorder:
                outs = _as_outputs(self.fn(*self.xs))
            record.extend(recorder.regions)
            record.append((_OUTPUT_SHAPES, self._shape_array(outs)))
        if [o.shape for o in outs] != self.shapes:
            return float("nan")
        return float(sum(np.sum(v * o.data) for v, o in zip(self.vs, outs)))

    def name(self, k: int) -> str:
        x = self.targets[k]
        return f"'{x.name}'" if x.name else f"input {self.checked[k]}"


def check_gradients(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
                    atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0, fast: bool = False,
                    directions: int = 1, max_kink_checks: int = 200) -> GradcheckReport:
    """Compare analytic and numerical gradients of ``fn`` at ``inputs``; return the report
    (arguments as in ``gradcheck``)."""
    problem = _Problem(fn, _as_inputs(inputs), seed)
    analytic = problem.analytic()
    report = GradcheckReport(atol=atol, rtol=rtol, fast=fast,
                             names=[problem.name(k) for k in range(len(analytic))],
                             analytic=analytic, note=_nonfinite_note(problem.outs))
    if fast:
        _check_directions(problem, report, eps, directions)
        return report
    for k, (x, a) in enumerate(zip(problem.targets, analytic)):
        numeric = np.empty_like(x.data)
        flat = x.data.reshape(-1)  # a view: writing into it moves x
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = problem.projected()
            flat[j] = original - eps
            minus = problem.projected()
            flat[j] = original
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        report.numeric.append(numeric)
        tolerance = atol + rtol * np.abs(numeric)
        bad = ~(np.abs(a - numeric) <= tolerance)
        for index in np.argwhere(bad):  # argwhere, unlike nonzero, handles 0-d arrays
            index = tuple(int(t) for t in index)
            report.mismatches.append(Mismatch(k, index, float(a[index]), float(numeric[index]),
                                              tolerance=float(tolerance[index])))
    _explain_kinks(problem, report, eps, max_kink_checks)
    return report


def _explain_kinks(problem: _Problem, report: GradcheckReport, eps: float, limit: int) -> None:
    """Rerun the perturbations of (up to ``limit``) mismatched elements, recording kinked ops."""
    for m in report.mismatches[:limit]:
        x = problem.targets[m.input]
        original = x.data[m.index]
        plus: list = []
        minus: list = []
        x.data[m.index] = original + eps
        problem.projected(plus)
        x.data[m.index] = original - eps
        problem.projected(minus)
        x.data[m.index] = original
        m.kink = crossed_kink(problem.base_regions, plus, minus)


def _check_directions(problem: _Problem, report: GradcheckReport, eps: float,
                      directions: int) -> None:
    """One random direction over all inputs (twice ``directions`` evaluations); when it fails,
    one direction per input to name the input."""

    def compare(which: list[int]) -> Mismatch:
        us = [problem.rng.standard_normal(x.shape) if k in which else None
              for k, x in enumerate(problem.targets)]
        originals = [x.data.copy() for x in problem.targets]
        plus: list = []
        minus: list = []
        for x, u in zip(problem.targets, us):
            if u is not None:
                x.data += eps * u
        f_plus = problem.projected(plus)
        for x, o, u in zip(problem.targets, originals, us):
            if u is not None:
                x.data[...] = o - eps * u
        f_minus = problem.projected(minus)
        for x, o in zip(problem.targets, originals):
            x.data[...] = o
        analytic = float(sum(np.sum(a * u) for a, u in zip(report.analytic, us) if u is not None))
        numeric = (f_plus - f_minus) / (2 * eps)
        tolerance = report.atol + report.rtol * abs(numeric)
        m = Mismatch(which[0] if len(which) == 1 else -1, (), analytic, numeric,
                     tolerance=tolerance)
        if not m.abs_error <= tolerance:
            m.kink = crossed_kink(problem.base_regions, plus, minus)
        report.directional.append(m)
        return m

    everything = list(range(len(problem.targets)))
    failed = False
    for _ in range(max(1, directions)):
        m = compare(everything)
        if not m.abs_error <= m.tolerance:
            if m.kink is None:
                failed = True
            report.mismatches.append(m)
    if failed and len(everything) > 1:
        for k in everything:
            m = compare([k])
            if not m.abs_error <= m.tolerance:
                report.mismatches.append(m)


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0, fast: bool = False,
              directions: int = 1) -> bool:
    """True when the gradients of ``fn`` at ``inputs`` match central differences in float64.

    Args:
        fn: maps the inputs (Tensors, or other values passed through) to a Tensor or a tuple
            of them.
        inputs: the point to check at; every Tensor with ``requires_grad=True`` is checked (on a
            float64 copy; lower precision inputs are upcast with a warning).
        eps: step of the central differences.
        atol, rtol: an element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        raise_exception: raise GradcheckError with a per-input report on failure (else return
            False). Mismatches on a kink (relu at 0, a tie of max, ...) are reported, not failed.
        seed: seed of the random projection of the outputs (and of the directions).
        fast: compare ``directions`` random directions over all inputs instead of every element:
            two evaluations of ``fn`` each, whatever the input size (for big inputs).
        directions: how many random directions ``fast`` tries.
    """
    report = check_gradients(fn, inputs, eps, atol, rtol, seed, fast=fast, directions=directions)
    if not report.passed and raise_exception:
        raise GradcheckError(report)
    if report.passed and report.on_kinks:
        warn_at_user_code(str(report), KinkWarning)
    return report.passed


def gradgradcheck(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  seed: int = 0, fast: bool = False, directions: int = 1) -> bool:
    """gradcheck of the gradient of ``fn``: checks second derivatives (the rules run under
    ``create_graph=True``) against central differences of the first."""
    rng = np.random.default_rng(seed + 1)
    cotangents: list[np.ndarray] = []
    inputs = _as_inputs(inputs)

    def first_derivatives(*xs: Any) -> tuple[Tensor, ...]:
        outs = _as_outputs(fn(*xs))
        if not cotangents:
            cotangents.extend(rng.standard_normal(o.shape) for o in outs)
        targets = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = grad(outs, targets, [Tensor(v) for v in cotangents], create_graph=True,
                  allow_unused=True)
        return tuple(g if g is not None else Tensor(np.zeros(t.shape)) for g, t in zip(gs, targets))

    return gradcheck(first_derivatives, inputs, eps, atol, rtol, raise_exception, seed, fast,
                     directions)


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical gradients disagree; see ``.report``."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


class KinkWarning(UserWarning):
    """gradcheck passed, but some elements sat on a kink where the derivative is undefined."""
