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

    gradchecks.py    gradcheck, gradgradcheck, GradcheckError, KinkWarning
    elementwise.py   check_gradients: element by element, kinks explained
    directions.py    fast mode: random directions over all inputs
    problem.py       fn at float64 copies, projected on random output weights
    kinks.py         where ops have no derivative; noticing a crossing (register_kink)
    report.py        Mismatch, GradcheckReport and its tables and hints
"""

from autonet.check.elementwise import check_gradients
from autonet.check.gradchecks import GradcheckError, KinkWarning, gradcheck, gradgradcheck
from autonet.check.kinks import RegionFn, crossed_kink, kink_of, register_kink
from autonet.check.report import GradcheckReport, Mismatch

__all__ = ["GradcheckError", "GradcheckReport", "KinkWarning", "Mismatch", "RegionFn",
           "check_gradients", "crossed_kink", "gradcheck", "gradgradcheck", "kink_of",
           "register_kink"]
