"""Elementwise ops: forward on arrays and gradient rules side by side (see primitive.py for the rule
signature). Broadcasting is the engine's business: rules return gradients of the broadcast shape."""

from __future__ import annotations

import numpy as np

from autonet.ops.primitive import Primitive


def _sigmoid(x):
    # With e = exp(-|x|) <= 1 nothing overflows: 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0,
    # which keeps the tiny values of large negative x (sigmoid(-40) = 4.2e-18, not 0).
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    return np.where(x >= 0, r, e * r)


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


add = Primitive("add", np.add, (lambda xp, g, y, a, b: g, lambda xp, g, y, a, b: g))
sub = Primitive("sub", np.subtract, (lambda xp, g, y, a, b: g, lambda xp, g, y, a, b: -g))
mul = Primitive("mul", np.multiply, (lambda xp, g, y, a, b: g * b, lambda xp, g, y, a, b: g * a))
div = Primitive("div", np.true_divide, (
    lambda xp, g, y, a, b: g / b,
    lambda xp, g, y, a, b: -g * y / b,
), saves_output=True)
neg = Primitive("neg", np.negative, (lambda xp, g, y, x: -g,))
pow = Primitive("pow", _pow, (_pow_grad_base, _pow_grad_exponent), saves_output=True)
exp = Primitive("exp", np.exp, (lambda xp, g, y, x: g * y,), saves_output=True)
log = Primitive("log", np.log, (lambda xp, g, y, x: g / x,))
sqrt = Primitive("sqrt", np.sqrt, (lambda xp, g, y, x: g * 0.5 / y,), saves_output=True)
# |x| has a kink at 0; sign(0) = 0 picks the subgradient 0 there, as numpy and PyTorch do.
abs = Primitive("abs", np.abs, (lambda xp, g, y, x: g * xp.sign(x),))
sin = Primitive("sin", np.sin, (lambda xp, g, y, x: g * xp.cos(x),))
cos = Primitive("cos", np.cos, (lambda xp, g, y, x: -g * xp.sin(x),))
tanh = Primitive("tanh", np.tanh, (lambda xp, g, y, x: g * (1 - y * y),), saves_output=True)
sigmoid = Primitive("sigmoid", _sigmoid, (lambda xp, g, y, x: g * y * (1 - y),),
                    saves_output=True)
# relu'(0) = 0 (the convention of PyTorch and numpy-based courses).
relu = Primitive("relu", lambda x: np.maximum(x, 0), (lambda xp, g, y, x: g * (x > 0),))
leaky_relu = Primitive(
    "leaky_relu",
    lambda x, negative_slope=0.01: np.where(x > 0, x, x * negative_slope),
    (lambda xp, g, y, x, negative_slope=0.01: xp.where(x > 0, g, g * negative_slope),),
)
# elu'(x) = alpha * exp(x) = y + alpha for x <= 0.
elu = Primitive("elu", _elu, (
    lambda xp, g, y, x, alpha=1.0: xp.where(x > 0, g, g * (y + alpha)),
), saves_output=True)
# softplus(x) = log(1 + exp(x)) computed as logaddexp(0, x): finite for any x.
softplus = Primitive("softplus", lambda x: np.logaddexp(0, x),
                     (lambda xp, g, y, x: g * xp.sigmoid(x),))
clip = Primitive(
    "clip",
    lambda x, a_min=None, a_max=None: np.clip(x, a_min, a_max),
    (lambda xp, g, y, x, a_min=None, a_max=None: g * (x == y),),
    saves_output=True,
)
# At ties the gradient is split evenly between the two inputs (as in PyTorch).
maximum = Primitive("maximum", np.maximum, (
    lambda xp, g, y, a, b: g * (a > b) + g * (a == b) * 0.5,
    lambda xp, g, y, a, b: g * (a < b) + g * (a == b) * 0.5,
))
minimum = Primitive("minimum", np.minimum, (
    lambda xp, g, y, a, b: g * (a < b) + g * (a == b) * 0.5,
    lambda xp, g, y, a, b: g * (a > b) + g * (a == b) * 0.5,
))
where = Primitive("where", np.where, (
    None,
    lambda xp, g, y, c, a, b: xp.where(c, g, 0),
    lambda xp, g, y, c, a, b: xp.where(c, 0, g),
))
astype = Primitive("astype", lambda x, dtype: x.astype(dtype),
                   (lambda xp, g, y, x, dtype: xp.astype(g, dtype=x.dtype),))
square = Primitive("square", np.square, (lambda xp, g, y, x: g * 2 * x,))
# rsqrt(x) = x**-0.5, d/dx = -0.5 x**-1.5 = -0.5 y / x
rsqrt = Primitive("rsqrt", lambda x: 1 / np.sqrt(x), (lambda xp, g, y, x: g * -0.5 * y / x,),
                  saves_output=True)
# mod(a, b) = a - floor(a / b) b (Python's %, the sign of b), fmod(a, b) = a - trunc(a / b) b (C's,
# the sign of a): slope 1 in a and -floor(a / b) (-trunc(a / b)) in b, with jumps where a / b
# crosses an integer (kinks.py knows them).
mod = Primitive("mod", np.mod, (
    lambda xp, g, y, a, b: g,
    lambda xp, g, y, a, b: -g * xp.floor(a / b),
))
fmod = Primitive("fmod", np.fmod, (
    lambda xp, g, y, a, b: g,
    lambda xp, g, y, a, b: -g * xp.trunc(a / b),
))
