"""Logarithms, exponentials, trigonometric and hyperbolic functions beyond the basic ones:
forward on arrays and gradient rules side by side (see primitive.py for the rule signature)."""

from __future__ import annotations

import numpy as np

from autonet.ops.primitive import Primitive

_LN2 = float(np.log(2))
_LN10 = float(np.log(10))

log1p = Primitive("log1p", np.log1p, (lambda xp, g, y, x: g / (1 + x),))
expm1 = Primitive("expm1", np.expm1, (lambda xp, g, y, x: g * (y + 1),), saves_output=True)
log2 = Primitive("log2", np.log2, (lambda xp, g, y, x: g / (x * _LN2),))
log10 = Primitive("log10", np.log10, (lambda xp, g, y, x: g / (x * _LN10),))
exp2 = Primitive("exp2", np.exp2, (lambda xp, g, y, x: g * y * _LN2,), saves_output=True)
# tan' = 1 + tan^2;  sinh' = cosh;  cosh' = sinh
tan = Primitive("tan", np.tan, (lambda xp, g, y, x: g * (1 + y * y),), saves_output=True)
sinh = Primitive("sinh", np.sinh, (lambda xp, g, y, x: g * xp.cosh(x),))
cosh = Primitive("cosh", np.cosh, (lambda xp, g, y, x: g * xp.sinh(x),))
# arcsin' = 1 / sqrt(1 - x^2) = -arccos';  arctan' = 1 / (1 + x^2); infinite slopes at |x| = 1
arcsin = Primitive("arcsin", np.arcsin, (lambda xp, g, y, x: g / xp.sqrt(1 - x * x),))
arccos = Primitive("arccos", np.arccos, (lambda xp, g, y, x: -g / xp.sqrt(1 - x * x),))
arctan = Primitive("arctan", np.arctan, (lambda xp, g, y, x: g / (1 + x * x),))
# arctan2(a, b) is the angle of the point (b, a): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2);
# it jumps by 2 pi across the negative b axis (a = 0, b < 0) and is undefined at the origin.
arctan2 = Primitive("arctan2", np.arctan2, (
    lambda xp, g, y, a, b: g * b / (a * a + b * b),
    lambda xp, g, y, a, b: -g * a / (a * a + b * b),
))
# logaddexp(a, b) = log(exp(a) + exp(b)): d/da = exp(a - y), d/db = exp(b - y) (softmax weights)
logaddexp = Primitive("logaddexp", np.logaddexp, (
    lambda xp, g, y, a, b: g * xp.exp(a - y),
    lambda xp, g, y, a, b: g * xp.exp(b - y),
), saves_output=True)
