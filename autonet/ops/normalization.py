"""Normalization and smooth activations: one node each, forward and gradient rules side by side.

* ``normalize(x, axis, eps)`` -> x_hat = (x - mean) / sqrt(var + eps) over ``axis`` (a tuple; var
  is the biased variance, as batch/layer/group norm use). With s = (var + eps)^-1/2 and n the
  number of elements normalized together, the classic compact backward is exact (eps included):
      dx = s (g - mean(g) - x_hat mean(g x_hat))
  one node instead of the eight of the composed formula, and no cancellation in (x - mean)^2.
* ``erf(x)``: numpy has none, so W. J. Cody's rational Chebyshev approximations (Math. Comp. 23,
  1969, the ``calerf`` of netlib's specfun) in three ranges of |x|; relative error below 2e-16
  against ``math.erf`` in float64 (tests/ops/test_norm_ops.py checks it). d erf / dx =
  2 / sqrt(pi) exp(-x^2).
* ``gelu(x, approximate='none')`` = x Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2, so
  d/dx = Phi(x) + x phi(x) with phi the standard normal density; ``approximate='tanh'`` is
  x (1 + tanh(u)) / 2 with u = sqrt(2 / pi) (x + 0.044715 x^3), PyTorch's two forms.
* ``silu(x)`` = x sigmoid(x), d/dx = s (1 + x (1 - s)) with s = sigmoid(x).
"""

from __future__ import annotations

import math

import numpy as np

from autonet.ops.elementwise import _sigmoid
from autonet.ops.primitive import Primitive


# ---- normalize ---------------------------------------------------------------------------------
def _normalize(x, axis, eps=1e-5):
    centered = x - np.mean(x, axis=axis, keepdims=True)
    var = np.mean(centered * centered, axis=axis, keepdims=True)
    centered *= 1.0 / np.sqrt(var + eps)
    return centered


def _normalize_grad(xp, g, y, x, axis, eps=1e-5):
    centered = x - xp.mean(x, axis=axis, keepdims=True)
    inv_std = (xp.mean(centered * centered, axis=axis, keepdims=True) + eps) ** -0.5
    return inv_std * (g - xp.mean(g, axis=axis, keepdims=True)
                      - y * xp.mean(g * y, axis=axis, keepdims=True))


normalize = Primitive(
    "normalize", _normalize, (_normalize_grad,), saves_output=True, kind="fused", export=False,
    doc="(x - mean) / sqrt(var + eps) over the axes ``axis`` (a tuple), biased variance.")


# ---- erf ---------------------------------------------------------------------------------------
# Cody's coefficients: erf on |x| <= 0.46875 as x P(x^2) / Q(x^2); erfc on (0.46875, 4] as
# exp(-x^2) P(x) / Q(x); erfc beyond 4 as exp(-x^2) / x (1 / sqrt(pi) + z P(z) / Q(z)), z = x^-2.
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 1 / math.sqrt(math.pi)


def _rational(t, top, bottom, lead, n):
    """(((lead t + top[0]) t + ...) t + top[n-1]) / (((t + bottom[0]) t + ...) t + bottom[n-1]),
    Cody's nesting, evaluated in place (t is a float64 array)."""
    num = t * lead
    den = t.copy()
    for i in range(n - 1):
        num += top[i]
        num *= t
        den += bottom[i]
        den *= t
    num += top[n - 1]
    den += bottom[n - 1]
    num /= den
    return num


def _erfc_tail(y):
    """erfc(y) for float64 y in (0.46875, 27]: exp(-y^2) times a rational in y (y <= 4) or in
    1 / y^2 (beyond)."""
    factor = np.empty_like(y)
    middle = y <= 4.0
    if middle.all():
        factor = _rational(y, _C, _D, _C[8], 8)
    else:
        factor[middle] = _rational(y[middle], _C, _D, _C[8], 8)
        far = y[~middle]
        z = 1.0 / (far * far)
        factor[~middle] = (_INV_SQRT_PI - z * _rational(z, _P, _Q, _P[5], 5)) / far
    # exp(-y^2) = exp(-r^2) exp(-(y - r)(y + r)) with r = y rounded down to 1/16: r^2 is exact,
    # so the large exponent loses no digits (Cody's trick).
    r = np.floor(y * 16.0) / 16.0
    factor *= np.exp(-r * r)
    factor *= np.exp(-(y - r) * (y + r))
    return factor


def _erf(x):
    x = np.asarray(x)
    if x.dtype.kind == "c":  # the rationals below are real-line approximations
        raise TypeError("complex values are not supported: erf (and gelu, which uses it) is "
                        "computed for real values only; pass real values, or for gelu "
                        "approximate='tanh'")
    x64 = x.astype(np.float64)
    y = np.abs(x64)
    small = y <= 0.46875
    out = np.empty_like(x64)
    if small.all():
        out = x64 * _rational(y * y, _A, _B, _A[4], 4)
    else:
        inner = x64[small]
        out[small] = inner * _rational(inner * inner, _A, _B, _A[4], 4)
        rest = ~small
        # erfc(27) is below the smallest float64: clipping there keeps inf out of the rationals
        tail = np.minimum(y[rest], 27.0)
        out[rest] = np.sign(x64[rest]) * (1.0 - _erfc_tail(tail))  # nan keeps its sign: nan
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
erf = Primitive("erf", _erf, (lambda xp, g, y, x: g * _TWO_OVER_SQRT_PI * xp.exp(-x * x),),
                kind="elementwise", method=True,
                doc="The error function 2 / sqrt(pi) * integral of exp(-t^2) from 0 to x.")


# ---- gelu, silu --------------------------------------------------------------------------------
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_SCALE = math.sqrt(2 / math.pi)
_TANH_CUBIC = 0.044715


def _check_approximate(approximate):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' (exact, with erf) or 'tanh', got "
                         f"{approximate!r}")


def _gelu(x, approximate="none"):
    _check_approximate(approximate)
    if approximate == "tanh":
        inner = _TANH_SCALE * (x + _TANH_CUBIC * x * x * x)
        return 0.5 * x * (1 + np.tanh(inner))
    return 0.5 * x * (1 + _erf(x * _SQRT_HALF))


def _gelu_grad(xp, g, y, x, approximate="none"):
    if approximate == "tanh":
        inner = _TANH_SCALE * (x + _TANH_CUBIC * x * x * x)
        # tanh = 2 sigmoid(2u) - 1: the namespace's sigmoid stands in for tanh
        t = 2 * xp.sigmoid(2 * inner) - 1
        d_inner = _TANH_SCALE * (1 + 3 * _TANH_CUBIC * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
    if xp.records_graph:
        cdf = 0.5 * (1 + xp.erf(x * _SQRT_HALF))
    else:
        # Phi(x) = y / x read back from the saved output (one division, not a second erf);
        # Phi(0) = 1/2
        nonzero = x != 0
        cdf = np.where(nonzero, y / np.where(nonzero, x, 1), 0.5).astype(x.dtype, copy=False)
    return g * (cdf + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x))


def _silu(x):
    return x * _sigmoid(x)


def _silu_grad(xp, g, y, x):
    s = xp.sigmoid(x)
    return g * s * (1 + x * (1 - s))


gelu = Primitive("gelu", _gelu, (_gelu_grad,), saves_output=True, kind="elementwise",
                 doc="x Phi(x) (approximate='none', with erf) or its tanh form ('tanh').")
silu = Primitive("silu", _silu, (_silu_grad,), kind="elementwise",
                 doc="x sigmoid(x) (swish).")
