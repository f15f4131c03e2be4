"""Elementwise ops: forward on arrays and gradient rules side by side (see primitive.py for the rule
signature). Broadcasting is the engine's business: rules return gradients of the broadcast shape."""

from __future__ import annotations

import numpy as np

from autonet.ops.kinks import AT_TIES, AT_ZERO, clip_region, condition, sign_of_first
from autonet.ops.primitive import Primitive
from autonet.ops.registry import Kink


def _sigmoid(x):
    # With e = exp(-|x|) <= 1 nothing overflows: 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0,
    # which keeps the tiny values of large negative x (sigmoid(-40) = 4.2e-18, not 0).
    # exp(min(x, 0)) is e where x < 0 and exactly 1 elsewhere: it picks the branch without a
    # comparison and np.where. Complex numbers have no order (numpy's minimum compares them
    # lexicographically and abs is the modulus): they take the formula itself.
    # Straight-line, so an.compile writes it out in its replay.
    e = np.exp(-np.abs(x))
    real = (x.dtype.kind if type(x) is np.ndarray else np.result_type(x).kind) != "c"
    # reciprocal: rounded as 1 / (1 + e)
    return np.exp(np.minimum(x, 0)) * np.reciprocal(1 + e) if real else 1 / (1 + np.exp(-x))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _pow(a, b):
    return np.power(a, b)


def _pow_grad_base(xp, g, y, a, b):
    # d(a**b)/da = b * a**(b - 1). Where b == 0, a**0 = 1 is constant, so the gradient is 0 even
    # where a**-1 is inf (a = 0) or b * a**(b-1) = 0 * inf (a = inf): exponent 1 and factor 0 there.
    if isinstance(b, int | float):
        return g * b * a ** (b - 1) if b != 0 else g * 0
    return xp.where(b == 0, 0, g * b * a ** xp.where(b == 0, 1, b - 1))


def _pow_grad_exponent(xp, g, y, a, b):
    # d(a**b)/db = a**b * log(a). At a == 0 that is 0 * -inf: 0 for b >= 0 (a**b is 0 or 1 there),
    # and inf * -inf = -inf for b < 0 (as PyTorch gives); 0 * log(1) stands in there to avoid
    # log(0) and inf * 0.
    zero = a == 0
    elsewhere = xp.where(zero, 0, y) * xp.log(xp.where(zero, 1, a))
    return g * xp.where(zero, xp.where(b < 0, -np.inf, 0), elsewhere)


def _quotient(rounding):
    """Kink region of mod/fmod: the rounded quotient, which changes where mod jumps by b."""
    return lambda inputs, attrs, out: rounding(np.divide(inputs[0], inputs[1]))


EW = "elementwise"

add = Primitive("add", np.add, (lambda xp, g, y, a, b: g, lambda xp, g, y, a, b: g),
                kind=EW, symbol="+", method=True, doc="a + b elementwise, with broadcasting.")
sub = Primitive("sub", np.subtract, (lambda xp, g, y, a, b: g, lambda xp, g, y, a, b: -g),
                kind=EW, symbol="-", method=True, doc="a - b elementwise, with broadcasting.")
mul = Primitive("mul", np.multiply, (
    lambda xp, g, y, a, b: g * b,
    lambda xp, g, y, a, b: g * a,
), kind=EW, symbol="*", method=True, doc="a * b elementwise, with broadcasting.")
div = Primitive("div", np.true_divide, (
    lambda xp, g, y, a, b: g / b,
    lambda xp, g, y, a, b: -g * y / b,
), saves_output=True, kind=EW, symbol="/", method=True,
    doc="a / b elementwise (true division), with broadcasting.")
neg = Primitive("neg", np.negative, (lambda xp, g, y, x: -g,), kind=EW, method=True, doc="-x.")
pow = Primitive("pow", _pow, (_pow_grad_base, _pow_grad_exponent), saves_output=True, kind=EW,
                symbol="**", method=True,
                doc="a ** b elementwise, with broadcasting; differentiable in both a and b.")
exp = Primitive("exp", np.exp, (lambda xp, g, y, x: g * y,), saves_output=True,
                kind=EW, method=True, doc="e ** x elementwise.")
log = Primitive("log", np.log, (lambda xp, g, y, x: g / x,),
                kind=EW, method=True, doc="Natural logarithm, elementwise.")
sqrt = Primitive("sqrt", np.sqrt, (lambda xp, g, y, x: g * 0.5 / y,), saves_output=True,
                 kind=EW, method=True, kink=Kink(sign_of_first, "at 0 (infinite slope)"),
                 doc="Square root, elementwise.")
# |x| has a kink at 0; sign(0) = 0 picks the subgradient 0 there, as numpy and PyTorch do.
abs = Primitive("abs", np.abs, (lambda xp, g, y, x: g * xp.sign(x),),
                kind=EW, method=True, kink=AT_ZERO, doc="|x| elementwise (gradient 0 at 0).")
sin = Primitive("sin", np.sin, (lambda xp, g, y, x: g * xp.cos(x),),
                kind=EW, method=True, doc="Sine, elementwise (radians).")
cos = Primitive("cos", np.cos, (lambda xp, g, y, x: -g * xp.sin(x),),
                kind=EW, method=True, doc="Cosine, elementwise (radians).")
tanh = Primitive("tanh", np.tanh, (lambda xp, g, y, x: g * (1 - y * y),), saves_output=True,
                 kind=EW, method=True, doc="Hyperbolic tangent, elementwise.")
sigmoid = Primitive("sigmoid", _sigmoid, (lambda xp, g, y, x: g * y * (1 - y),),
                    saves_output=True, kind=EW, method=True,
                    doc="1 / (1 + exp(-x)) elementwise, computed without overflow.")


def relu_backward(g, x):
    """relu's rule g * (x > 0) on numpy arrays, the mask written as 1.0 and 0.0 in g's dtype (the
    values the product casts the booleans to) into the array that then takes the product in
    place: numpy's float-times-bool loop casts as it goes and takes twice as long (24 against
    11 us at 128 x 256). The products are the same, g * 1 and g * 0."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape and \
            g.dtype.kind == "f":
        out = np.empty_like(g)
        np.greater(x, 0, out=out)
        return np.multiply(g, out, out=out)
    return g * (x > 0)


def _relu_grad(xp, g, y, x):
    return g * (x > 0) if xp.records_graph else relu_backward(g, x)


# relu'(0) = 0 (the convention of PyTorch and numpy-based courses).
relu = Primitive("relu", lambda x: np.maximum(x, 0), (_relu_grad,),
                 kind=EW, method=True, kink=AT_ZERO, ordered=True,
                 doc="max(x, 0) elementwise (gradient 0 at 0).")
leaky_relu = Primitive(
    "leaky_relu",
    lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
    (lambda xp, g, y, x, negative_slope=0.01: xp.where(x > 0, g, g * negative_slope),),
    kind=EW, method=True, kink=AT_ZERO, ordered=True,
    doc="x for x > 0, negative_slope * x otherwise.")
# elu'(x) = alpha * exp(x) = y + alpha for x <= 0.
elu = Primitive("elu", _elu, (
    lambda xp, g, y, x, alpha=1.0: xp.where(x > 0, g, g * (y + alpha)),
), saves_output=True, kind=EW, method=True, ordered=True,
    kink=Kink(sign_of_first, "at 0 (slopes alpha and 1 meet there unless alpha = 1)"),
    doc="x for x > 0, alpha * (exp(x) - 1) otherwise.")
# softplus(x) = log(1 + exp(x)) computed as logaddexp(0, x): finite for any x.
softplus = Primitive("softplus", lambda x: np.logaddexp(0, x),
                     (lambda xp, g, y, x: g * xp.sigmoid(x),), kind=EW, method=True,
                     doc="log(1 + exp(x)) elementwise, finite for any x.")
clip = Primitive(
    "clip",
    lambda x, a_min=None, a_max=None: np.clip(x, a_min, a_max),
    (lambda xp, g, y, x, a_min=None, a_max=None: g * (x == y),),
    saves_output=True, kind=EW, method=True, kink=Kink(clip_region, "at a_min/a_max"), ordered=True,
    doc="x limited to [a_min, a_max] (either may be None); gradient 1 inside, 0 outside.")
# At ties the gradient is split evenly between the two inputs (as in PyTorch).
maximum = Primitive("maximum", np.maximum, (
    lambda xp, g, y, a, b: g * (a > b) + g * (a == b) * 0.5,
    lambda xp, g, y, a, b: g * (a < b) + g * (a == b) * 0.5,
), kind=EW, method=True, kink=AT_TIES, ordered=True, doc="The larger of a and b, elementwise.")
minimum = Primitive("minimum", np.minimum, (
    lambda xp, g, y, a, b: g * (a < b) + g * (a == b) * 0.5,
    lambda xp, g, y, a, b: g * (a > b) + g * (a == b) * 0.5,
), kind=EW, method=True, kink=AT_TIES, ordered=True,
    doc="The smaller of a and b, elementwise.")
def _where(condition, a, b):
    if isinstance(condition, str | bytes):  # numpy reads a non-empty string as True
        raise TypeError(f"the condition must be booleans (a mask such as x > 0), got "
                        f"{condition!r:.60}")
    return np.where(condition, a, b)


where = Primitive("where", _where, (
    None,
    lambda xp, g, y, c, a, b: xp.where(c, g, 0),
    lambda xp, g, y, c, a, b: xp.where(c, 0, g),
), kind=EW, kink=Kink(condition, "where its condition flips (the function switches branch)"),
    doc="a where condition is true, else b (numpy.where with three arguments).")
astype = Primitive("astype", lambda x, dtype: x.astype(dtype),
                   (lambda xp, g, y, x, dtype: xp.astype(g, dtype=x.dtype),),
                   kind=EW, doc="x converted to dtype; the gradient is converted back.")
square = Primitive("square", np.square, (lambda xp, g, y, x: g * 2 * x,),
                  kind=EW, method=True, doc="x * x elementwise.")
# rsqrt(x) = x**-0.5, d/dx = -0.5 x**-1.5 = -0.5 y / x
rsqrt = Primitive("rsqrt", lambda x: 1 / np.sqrt(x), (lambda xp, g, y, x: g * -0.5 * y / x,),
                  saves_output=True, kind=EW, method=True, doc="1 / sqrt(x) elementwise.")
# mod(a, b) = a - floor(a / b) b (Python's %, the sign of b), fmod(a, b) = a - trunc(a / b) b (C's,
# the sign of a): slope 1 in a and -floor(a / b) (-trunc(a / b)) in b, with jumps where a / b
# crosses an integer.
mod = Primitive("mod", np.mod, (
    lambda xp, g, y, a, b: g,
    lambda xp, g, y, a, b: -g * xp.floor(a / b),
), kind=EW, symbol="%", method=True,
    kink=Kink(_quotient(np.floor), "where a / b crosses an integer (mod jumps by b)"),
    doc="a mod b elementwise with the sign of b (Python's %, numpy.mod).")
fmod = Primitive("fmod", np.fmod, (
    lambda xp, g, y, a, b: g,
    lambda xp, g, y, a, b: -g * xp.trunc(a / b),
), kind=EW, method=True,
    kink=Kink(_quotient(np.trunc), "where a / b crosses an integer (fmod jumps by b)"),
    doc="a mod b elementwise with the sign of a (C's fmod, numpy.fmod).")
