"""Logarithms, exponentials, trigonometric and hyperbolic functions beyond the basic ones:
forward on arrays and gradient rules side by side (see primitive.py for the rule signature)."""

from __future__ import annotations

import numpy as np

from autonet.ops.primitive import Primitive

EW = "elementwise"

_LN2 = float(np.log(2))
_LN10 = float(np.log(10))

log1p = Primitive("log1p", np.log1p, (lambda xp, g, y, x: g / (1 + x),),
    kind=EW, method=True, doc="log(1 + x) elementwise, accurate for small x.")
expm1 = Primitive("expm1", np.expm1, (lambda xp, g, y, x: g * (y + 1),), saves_output=True,
    kind=EW, method=True, doc="exp(x) - 1 elementwise, accurate for small x.")
log2 = Primitive("log2", np.log2, (lambda xp, g, y, x: g / (x * _LN2),),
    kind=EW, method=True, doc="Base-2 logarithm, elementwise.")
log10 = Primitive("log10", np.log10, (lambda xp, g, y, x: g / (x * _LN10),),
    kind=EW, method=True, doc="Base-10 logarithm, elementwise.")
exp2 = Primitive("exp2", np.exp2, (lambda xp, g, y, x: g * y * _LN2,), saves_output=True,
    kind=EW, method=True, doc="2 ** x elementwise.")
# tan' = 1 + tan^2;  sinh' = cosh;  cosh' = sinh
tan = Primitive("tan", np.tan, (lambda xp, g, y, x: g * (1 + y * y),), saves_output=True,
    kind=EW, method=True, doc="Tangent, elementwise (radians).")
sinh = Primitive("sinh", np.sinh, (lambda xp, g, y, x: g * xp.cosh(x),),
    kind=EW, method=True, doc="Hyperbolic sine, elementwise.")
cosh = Primitive("cosh", np.cosh, (lambda xp, g, y, x: g * xp.sinh(x),),
    kind=EW, method=True, doc="Hyperbolic cosine, elementwise.")
# arcsin' = 1 / sqrt(1 - x^2) = -arccos';  arctan' = 1 / (1 + x^2); infinite slopes at |x| = 1
arcsin = Primitive("arcsin", np.arcsin, (lambda xp, g, y, x: g / xp.sqrt(1 - x * x),),
    kind=EW, method=True, doc="Inverse sine, elementwise (radians in [-pi/2, pi/2]).")
arccos = Primitive("arccos", np.arccos, (lambda xp, g, y, x: -g / xp.sqrt(1 - x * x),),
    kind=EW, method=True, doc="Inverse cosine, elementwise (radians in [0, pi]).")
arctan = Primitive("arctan", np.arctan, (lambda xp, g, y, x: g / (1 + x * x),),
    kind=EW, method=True, doc="Inverse tangent, elementwise.")
# arctan2(a, b) is the angle of the point (b, a): d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2);
# it jumps by 2 pi across the negative b axis (a = 0, b < 0) and is undefined at the origin.
arctan2 = Primitive("arctan2", np.arctan2, (
    lambda xp, g, y, a, b: g * b / (a * a + b * b),
    lambda xp, g, y, a, b: -g * a / (a * a + b * b),
),
    kind=EW, method=True, doc="The angle of the point (b, a), elementwise (numpy.arctan2).")
# logaddexp(a, b) = log(exp(a) + exp(b)): d/da = exp(a - y), d/db = exp(b - y) (softmax weights)
logaddexp = Primitive("logaddexp", np.logaddexp, (
    lambda xp, g, y, a, b: g * xp.exp(a - y),
    lambda xp, g, y, a, b: g * xp.exp(b - y),
), saves_output=True,
    kind=EW, method=True, doc="log(exp(a) + exp(b)) elementwise, without overflow.")
