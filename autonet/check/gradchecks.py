"""gradcheck and gradgradcheck: True when the gradients match, else False or GradcheckError;
KinkWarning when they passed with elements on a kink."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.arguments import function, integer, number
from autonet.autograd.functional import grad
from autonet.autograd.warnings import warn_at_user_code
from autonet.check.elementwise import check_gradients
from autonet.check.problem import as_inputs, as_outputs
from autonet.check.report import GradcheckReport
from autonet.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical gradients disagree; see ``.report``."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


class KinkWarning(UserWarning):
    """gradcheck passed, but some elements sat on a kink where the derivative is undefined."""


# tracebacks and warnings name the public path, as the docs show it
GradcheckError.__module__ = KinkWarning.__module__ = "autonet.check"


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
    function(fn, "gradcheck", "fn", "a function of the inputs")
    number(eps, "gradcheck", "eps", low=0.0, low_open=True)
    number(atol, "gradcheck", "atol", low=0.0)
    number(rtol, "gradcheck", "rtol", low=0.0)
    integer(seed, "gradcheck", "seed", minimum=0)
    integer(directions, "gradcheck", "directions", minimum=1)
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
    if not callable(fn):
        raise TypeError(f"gradgradcheck: fn must be a function of the inputs, got {fn!r:.60} "
                        f"({type(fn).__name__})")
    integer(seed, "gradgradcheck", "seed", minimum=0)
    rng = np.random.default_rng(seed + 1)
    cotangents: list[np.ndarray] = []
    inputs = as_inputs(inputs)

    def first_derivatives(*xs: Any) -> tuple[Tensor, ...]:
        outs = as_outputs(fn(*xs))
        if not cotangents:
            cotangents.extend(rng.standard_normal(o.shape) for o in outs)
        targets = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = grad(outs, targets, [Tensor(v) for v in cotangents], create_graph=True,
                  allow_unused=True)
        return tuple(g if g is not None else Tensor(np.zeros(t.shape)) for g, t in zip(gs, targets))

    return gradcheck(first_derivatives, inputs, eps, atol, rtol, raise_exception, seed, fast,
                     directions)
