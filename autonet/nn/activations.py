"""Activations as modules, so they can sit in a Sequential and show up in summaries and drawings.

Each is an ``Activation``: the op it applies (a row of autonet/ops/) and the names of its settings,
nothing else; summaries and drawings recognise activations by this base class and name them by
their op (``A[l] = relu(Z[l])``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from autonet import ops
from autonet.arguments import integer, number
from autonet.nn import functional
from autonet.nn.module import Module
from autonet.ops.axes import takes_axis
from autonet.tensor import Tensor


class Activation(Module):
    """A module that applies one op to its input, with fixed keyword settings.

    Subclasses set ``op`` and list the attribute names of its keyword arguments in ``settings``.
    ``outputs_probabilities`` marks activations whose outputs are probabilities in (0, 1)
    (accuracy then thresholds them at 0.5 rather than logits at 0).
    """

    op: ClassVar[Any]
    settings: ClassVar[tuple[str, ...]] = ()
    outputs_probabilities: ClassVar[bool] = False

    def forward(self, x: Any) -> Tensor:
        if not self.settings:
            return type(self).op(x)
        return type(self).op(x, **{name: getattr(self, name) for name in self.settings})

    def extra_repr(self) -> str:
        return ", ".join(f"{name}={getattr(self, name)}" for name in self.settings)


class ReLU(Activation):
    """max(x, 0); the derivative at 0 is taken as 0."""

    op = ops.relu


class Sigmoid(Activation):
    """1 / (1 + exp(-x)), computed without overflow."""

    op = ops.sigmoid
    outputs_probabilities = True


class Tanh(Activation):
    """The hyperbolic tangent, (exp(x) - exp(-x)) / (exp(x) + exp(-x))."""

    op = ops.tanh


class LeakyReLU(Activation):
    """x for x > 0, negative_slope * x otherwise."""

    op = ops.leaky_relu
    settings = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = number(negative_slope, "LeakyReLU", "negative_slope")


class ELU(Activation):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""

    op = ops.elu
    settings = ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = number(alpha, "ELU", "alpha")


class Softplus(Activation):
    """log(1 + exp(beta x)) / beta, finite for any x (PyTorch's; x itself where beta x >
    threshold)."""

    op = ops.softplus
    settings = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = number(beta, "Softplus", "beta", 0.0, low_open=True)
        self.threshold = number(threshold, "Softplus", "threshold", infinite=True)

    def forward(self, x: Any) -> Tensor:
        return functional.softplus(x, self.beta, self.threshold)


class Softmax(Activation):
    """exp(x) / sum(exp(x)) along ``axis`` (stable: shifted by the max)."""

    op = ops.softmax
    settings = ("axis",)

    @takes_axis(name="Softmax")
    def __init__(self, axis: int | None = -1) -> None:
        super().__init__()
        self.axis = None if axis is None else integer(axis, "Softmax", "axis (dim)")


class LogSoftmax(Activation):
    """log(softmax(x)) along ``axis``, computed as x - logsumexp(x)."""

    op = ops.log_softmax
    settings = ("axis",)

    @takes_axis(name="LogSoftmax")
    def __init__(self, axis: int | None = -1) -> None:
        super().__init__()
        self.axis = None if axis is None else integer(axis, "LogSoftmax", "axis (dim)")


class GELU(Activation):
    """x Phi(x), Phi the standard normal CDF (with erf); approximate='tanh' uses
    x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2. The Transformer's activation."""

    op = ops.gelu
    settings = ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate


class SiLU(Activation):
    """x sigmoid(x) (swish)."""

    op = ops.silu
