"""One time step of a recurrent layer, for loops you write yourself: RNNCell, LSTMCell, GRUCell
(PyTorch's names, parameters and semantics; see nn/recurrent.py for the equations).

Shapes: x (N, H_in) or unbatched (H_in,); the state h (N, H) (and c for LSTMCell), zeros when
not given. Parameters weight_ih (G H, H_in), weight_hh (G H, H), bias_ih, bias_hh (G H,) with
G = 1, 4 (i, f, g, o) or 3 (r, z, n).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autonet import ops
from autonet.arguments import flag
from autonet.nn import functional as F
from autonet.nn import init
from autonet.nn.module import Module, Parameter
from autonet.nn.recurrent import _NONLINEARITIES, _as_tensor, _positive_int, _shape
from autonet.ops.recurrent import gru_cell, lstm_cell
from autonet.tensor import Tensor, get_default_dtype


class _CellBase(Module):
    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = _positive_int(name, "input_size", input_size)
        self.hidden_size = _positive_int(name, "hidden_size", hidden_size)
        self.bias = bias = flag(bias, name, "bias")
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        rows = self.gates * self.hidden_size
        self.weight_ih = Parameter.empty((rows, self.input_size), dtype, type(self).__name__)
        self.weight_hh = Parameter.empty((rows, self.hidden_size), dtype, type(self).__name__)
        if bias:
            self.bias_ih = Parameter.empty((rows,), dtype, type(self).__name__)
            self.bias_hh = Parameter.empty((rows,), dtype, type(self).__name__)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default."""
        bound = 1 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    @property
    def _name(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def _input(self, x: Any) -> tuple[Tensor, bool]:
        shape = _shape(x)
        if len(shape) not in (1, 2) or shape[-1] != self.input_size:
            raise ValueError(
                f"{self._name}: expected an input of shape (N, {self.input_size}) = (N, H_in) or "
                f"({self.input_size},) unbatched, got {shape}; one time step of a batch, e.g. "
                f"x[t] of a sequence (L, N, {self.input_size})")
        x = _as_tensor(x, get_default_dtype())
        return (ops.reshape(x, shape=(1, shape[0])), True) if len(shape) == 1 else (x, False)

    def _state(self, what: str, h: Any, batch: int, unbatched: bool) -> Any:
        expected = (self.hidden_size,) if unbatched else (batch, self.hidden_size)
        if h is None:
            return np.zeros((batch, self.hidden_size), dtype=self.weight_hh.dtype)
        if _shape(h) != expected:
            raise ValueError(f"{self._name}: {what} has shape {_shape(h)}, expected {expected} = "
                             f"{'(hidden_size,)' if unbatched else '(N, hidden_size)'}; pass "
                             "the previous step's state, or None for zeros")
        h = _as_tensor(h, self.weight_hh.dtype)
        return ops.reshape(h, shape=(1, self.hidden_size)) if unbatched else h

    def _projection(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight_ih, self.bias_ih)

    def _recurrent(self) -> tuple:
        return () if self.bias_hh is None else (self.bias_hh,)

    def _out(self, h: Any, unbatched: bool) -> Tensor:
        return ops.reshape(h, shape=(self.hidden_size,)) if unbatched else h


class RNNCell(_CellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). ``cell(x, h=None) -> h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = None) -> None:
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, unbatched = self._input(input)
        h = self._state("hx", hx, x.shape[0], unbatched)
        z = self._projection(x) + F.linear(h, self.weight_hh, self.bias_hh)
        return self._out(ops.tanh(z) if self.nonlinearity == "tanh" else ops.relu(z), unbatched)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTMCell(_CellBase):
    """One LSTM step, gates i, f, g, o: ``cell(x, (h, c)=None) -> (h', c')``."""

    gates = 4

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, unbatched = self._input(input)
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError(f"{self._name}: hx must be a tuple (h, c), got {type(hx).__name__}")
        h, c = (None, None) if hx is None else hx
        n = x.shape[0]
        h, c = self._state("h", h, n, unbatched), self._state("c", c, n, unbatched)
        y = lstm_cell(self._projection(x), ops.stack([h, c], axis=1), self.weight_hh,
                      *self._recurrent())
        return (self._out(ops.index(y, (slice(None), 0)), unbatched),
                self._out(ops.index(y, (slice(None), 1)), unbatched))


class GRUCell(_CellBase):
    """One GRU step, gates r, z, n: ``cell(x, h=None) -> h'``."""

    gates = 3

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, unbatched = self._input(input)
        n = x.shape[0]
        h = self._state("hx", hx, n, unbatched)
        y = gru_cell(self._projection(x), ops.reshape(h, shape=(n, 1, self.hidden_size)),
                     self.weight_hh, *self._recurrent())
        return self._out(ops.index(y, (slice(None), 0)), unbatched)
