"""Fast mode: one random direction ``u`` over all inputs at once, ``<grad, u>`` against
``(<v, fn(x + eps u)> - <v, fn(x - eps u)>) / (2 eps)``: two evaluations of fn at any input size
(on failure, one more pair per input names the input)."""

from __future__ import annotations

import numpy as np

from autonet.check.kinks import crossed_kink
from autonet.check.problem import Problem
from autonet.check.report import GradcheckReport, Mismatch


def check_directions(problem: Problem, report: GradcheckReport, eps: float,
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
