"""The gradcheck report: per-element (or per-direction) mismatches, and the text that shows them
as tables worst first, with hints about patterns a hand-derived gradient often shows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


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
            lines.extend(mismatch_table(failures, self.max_rows))
            lines.extend(f"    hint: {h}" for h in _hints(a, n, failures))
        if kinks:
            lines.append(f"  {name} {a.shape}: {len(kinks)} element(s) sit on a kink "
                         f"({kinks[0].kink}): no derivative exists there, the numeric estimate "
                         "averages both sides; not counted as errors:")
            lines.extend(mismatch_table(kinks, min(self.max_rows, 5)))
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


def mismatch_table(rows: list[Mismatch], limit: int) -> list[str]:
    """Lines of a table of ``rows`` (index, analytic, numeric, abs and rel error), worst first
    relative to each row's tolerance, at most ``limit`` of them."""
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
