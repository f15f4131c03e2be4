"""Check analytic gradients against numerical ones (central differences in float64).

``gradcheck(fn, inputs)`` draws a random vector ``v`` per output and compares, for every element
``x[j]`` of every input that requires grad,

    analytic:  d <v, fn(x)> / d x[j]                      (one backward)
    numeric:   (<v, fn(x + eps e_j)> - <v, fn(x - eps e_j)>) / (2 eps)

A wrong rule makes them differ for almost every ``v``, so one random ``v`` checks the whole Jacobian
with a single backward. ``gradgradcheck`` runs the same check on the gradient function itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autonet.autograd.functional import grad
from autonet.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical gradients disagree; ``.report`` has details."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass
class Mismatch:
    """One element whose analytic and numerical derivatives disagree."""

    input: int
    index: tuple[int, ...]
    analytic: float
    numeric: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        return self.abs_error / max(abs(self.numeric), abs(self.analytic), 1e-300)


@dataclass
class GradcheckReport:
    """What gradcheck compared: per input, the analytic and numeric gradients and the mismatches."""

    analytic: list[np.ndarray] = field(default_factory=list)
    numeric: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    atol: float = 0.0
    rtol: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def __str__(self) -> str:
        if self.passed:
            return f"gradcheck passed: {len(self.analytic)} input(s), all elements within " \
                   f"atol={self.atol:g} + rtol={self.rtol:g} * |numeric|"
        worst = sorted(self.mismatches, key=lambda m: -m.rel_error)
        lines = [f"gradcheck failed: {len(self.mismatches)} element(s) differ "
                 f"(atol={self.atol:g}, rtol={self.rtol:g}); worst first:",
                 f"  {'input':<12}{'index':<16}{'analytic':>14}{'numeric':>14}"
                 f"{'abs err':>12}{'rel err':>12}"]
        for m in worst[:20]:
            lines.append(f"  {self.names[m.input]:<12}{str(m.index):<16}{m.analytic:>14.6g}"
                         f"{m.numeric:>14.6g}{m.abs_error:>12.3g}{m.rel_error:>12.3g}")
        if len(worst) > 20:
            lines.append(f"  ... and {len(worst) - 20} more")
        return "\n".join(lines)


def _as_outputs(out: Any) -> list[Tensor]:
    outs = list(out) if isinstance(out, list | tuple) else [out]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(o).__name__}")
    return outs


def _prepare(inputs: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """float64 copies of the inputs; the positions of those to check."""
    xs, checked, low = [], [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            if x.dtype != np.float64:
                low.append(f"input {i} is {x.dtype}")
            xs.append(Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad, name=x.name))
            if x.requires_grad:
                checked.append(i)
        else:
            xs.append(x)
    if not checked:
        raise ValueError("gradcheck: no input requires grad; create the inputs to check with "
                         "requires_grad=True")
    if low:
        warnings.warn(f"gradcheck: {', '.join(low)}; checking in float64 copies (numerical "
                      "derivatives in lower precision are too noisy to compare)", stacklevel=3)
    return xs, checked


def check_gradients(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
                    atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> GradcheckReport:
    """Compare analytic and numerical gradients of ``fn`` at ``inputs``; return the report."""
    xs, checked = _prepare(inputs)
    outs = _as_outputs(fn(*xs))
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(o.shape) for o in outs]

    def projected() -> float:
        return float(sum(np.sum(v * o.data) for v, o in zip(vs, _as_outputs(fn(*xs)))))

    targets = [xs[i] for i in checked]
    used = [o for o in outs if o.requires_grad]
    if used:
        analytic = grad(used, targets, [v for v, o in zip(vs, outs) if o.requires_grad],
                        allow_unused=True)
    else:
        analytic = [None] * len(targets)
    report = GradcheckReport(atol=atol, rtol=rtol)
    for k, (i, x, a) in enumerate(zip(checked, targets, analytic)):
        a = np.zeros_like(x.data) if a is None else a.data
        numeric = np.empty_like(x.data)
        flat = x.data.reshape(-1)  # a view: writing into it moves x
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = projected()
            flat[j] = original - eps
            minus = projected()
            flat[j] = original
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        report.analytic.append(a)
        report.numeric.append(numeric)
        report.names.append(x.name or f"input {i}")
        bad = ~(np.abs(a - numeric) <= atol + rtol * np.abs(numeric))
        for index in np.argwhere(bad):  # argwhere, unlike nonzero, handles 0-d arrays
            index = tuple(int(t) for t in index)
            report.mismatches.append(Mismatch(k, index, float(a[index]), float(numeric[index])))
    return report


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """True when the gradients of ``fn`` at ``inputs`` match central differences in float64.

    Args:
        fn: maps the inputs (Tensors, or other values passed through) to a Tensor or a tuple of them.
        inputs: the point to check at; every Tensor with ``requires_grad=True`` is checked.
        eps: step of the central differences.
        atol, rtol: an element passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        raise_exception: raise GradcheckError with a per-element report on failure (else return
            False).
        seed: seed of the random projection of the outputs.
    """
    report = check_gradients(fn, inputs, eps, atol, rtol, seed)
    if not report.passed and raise_exception:
        raise GradcheckError(report)
    return report.passed


def gradgradcheck(fn: Callable[..., Any], inputs: Sequence[Any], eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  seed: int = 0) -> bool:
    """gradcheck of the gradient of ``fn``: checks second derivatives (the rules run under
    ``create_graph=True``) against central differences of the first."""
    rng = np.random.default_rng(seed + 1)
    cotangents: list[np.ndarray] = []

    def first_derivatives(*xs: Any) -> tuple[Tensor, ...]:
        outs = _as_outputs(fn(*xs))
        if not cotangents:
            cotangents.extend(rng.standard_normal(o.shape) for o in outs)
        targets = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = grad(outs, targets, [Tensor(v) for v in cotangents], create_graph=True,
                  allow_unused=True)
        return tuple(g if g is not None else Tensor(np.zeros(t.shape)) for g, t in zip(gs, targets))

    return gradcheck(first_derivatives, inputs, eps, atol, rtol, raise_exception, seed)
