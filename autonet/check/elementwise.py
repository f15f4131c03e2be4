"""check_gradients: analytic against numeric derivatives, element by element (or, with
``fast=True``, along random directions); mismatches on a kink are explained, not failed.

For every element ``x[j]`` of every input that requires grad, with random output weights ``v``:

    analytic:  d <v, fn(x)> / d x[j]                      (one backward)
    numeric:   (<v, fn(x + eps e_j)> - <v, fn(x - eps e_j)>) / (2 eps)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.check.directions import check_directions
from autonet.check.kinks import crossed_kink
from autonet.check.problem import Problem, as_inputs, nonfinite_note
from autonet.check.report import GradcheckReport, Mismatch


def check_gradients(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
                    atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0, fast: bool = False,
                    directions: int = 1, max_kink_checks: int = 200) -> GradcheckReport:
    """Compare analytic and numerical gradients of ``fn`` at ``inputs``; return the report
    (arguments as in ``gradcheck``)."""
    problem = Problem(fn, as_inputs(inputs), seed)
    analytic = problem.analytic()
    report = GradcheckReport(atol=atol, rtol=rtol, fast=fast,
                             names=[problem.name(k) for k in range(len(analytic))],
                             analytic=analytic, note=nonfinite_note(problem.outs))
    if fast:
        check_directions(problem, report, eps, directions)
        return report
    for k, (x, a) in enumerate(zip(problem.targets, analytic)):
        numeric = np.empty(x.shape)
        for index in np.ndindex(x.shape):  # indexing x.data itself: any memory layout
            plus, minus = problem.both_sides(x.data, index, eps)
            numeric[index] = (plus - minus) / (2 * eps)
        report.numeric.append(numeric)
        tolerance = atol + rtol * np.abs(numeric)
        bad = ~(np.abs(a - numeric) <= tolerance)
        for index in np.argwhere(bad):  # argwhere, unlike nonzero, handles 0-d arrays
            index = tuple(int(t) for t in index)
            report.mismatches.append(Mismatch(k, index, float(a[index]), float(numeric[index]),
                                              tolerance=float(tolerance[index])))
    _explain_kinks(problem, report, eps, max_kink_checks)
    return report


def _explain_kinks(problem: Problem, report: GradcheckReport, eps: float, limit: int) -> None:
    """Rerun the perturbations of (up to ``limit``) mismatched elements, recording kinked ops."""
    for m in report.mismatches[:limit]:
        plus: list = []
        minus: list = []
        problem.both_sides(problem.targets[m.input].data, m.index, eps, (plus, minus))
        m.kink = crossed_kink(problem.base_regions, plus, minus)
