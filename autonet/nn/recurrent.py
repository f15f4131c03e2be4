"""Recurrent layers with PyTorch's names, signatures, parameters and semantics: RNN, LSTM, GRU and
their one-step cells.

Shapes: L time steps, N examples, H_in input features, H = hidden_size, D = 2 if bidirectional
else 1. A layer reads x (L, N, H_in) ((N, L, H_in) with batch_first, (L, H_in) unbatched) and keeps
a hidden state h_t (N, H), the course's a<t>, carried from one time step to the next:

    RNN:   h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)          (or relu)
    LSTM:  gates i, f, g, o from the same sum (W_ih (4H, H_in), W_hh (4H, H)); a cell c_t:
           c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t)
    GRU:   r, z = sigmoid(...), n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn)),
           h_t = (1 - z) * n + z * h_{t-1}

The input projection x_t W_ih^T + b_ih of all L steps is one product per layer and direction;
only the recurrence loops over time. Each layer and direction is one fused node over all steps
(rnn_sequence, lstm_sequence, gru_sequence in autonet/ops/recurrent.py: numpy BPTT, dW_hh in one
product). A drawing unrolls that node into the ops of each step, each step in a scope of its own
(TimeLoop.step), so it shows one box per time step and the gradient flowing back through time
between them.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from autonet import ops
from autonet.arguments import flag
from autonet.autograd.graph import module_scope
from autonet.nn import functional as F
from autonet.nn import init
from autonet.nn.module import Module, Parameter
from autonet.ops.primitive import as_array
from autonet.ops.recurrent import gru_sequence, lstm_sequence, rnn_sequence
from autonet.tensor import Tensor, get_default_dtype

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_NONLINEARITIES = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}


class TimeStep:
    """The scope of one time step's ops: graph drawings box them as ``LSTM t=3``."""

    def __init__(self, layer: Module, t: int, title: str, notation: str) -> None:
        self.layer = layer
        self.t = t
        self.drawing_title = title
        self.drawing_notation = notation


class TimeLoop:
    """The scope of a fused whole-sequence node (rnn_, lstm_, gru_sequence), titled ``LSTM time
    loop``; ``step`` gives the TimeStep scope of each step and ``gathered`` the scope of their
    stacking when a drawing unrolls the node (autonet/viz/unroll.py)."""

    def __init__(self, layer: Module, title: str, cell: str) -> None:
        self.layer = layer
        self.title = title
        self.cell = cell
        self.drawing_title = f"{title} time loop"
        self.drawing_notation = f"h<t> = {cell}(x<t>, h<t-1>) for every t"

    def step(self, t: int, previous: int | None) -> TimeStep:
        """The scope of step ``t`` (0-based index into the sequence), drawn in the course's
        1-based notation: h<1> = cell(x<1>, h<0>), h<0> the initial state (h<L+1> for the
        reverse direction, which starts at the last step)."""
        if previous is not None:
            before = f"h<{previous + 1}>"
        else:
            before = "h<0>" if t == 0 else f"h<{t + 2}>"
        return TimeStep(self.layer, t, f"{self.title} t={t + 1}",
                        f"h<{t + 1}> = {self.cell}(x<{t + 1}>, {before})")

    def gathered(self) -> _Titled:
        """The scope of the unrolled steps stacked back into the loop's output."""
        kept = {"LSTM": "[h, c, i, f, g, o, tanh c]", "GRU": "[h, r, z, n, a_n]"}
        what = kept.get(getattr(self.layer, "mode", ""))
        return _Titled(self.layer, f"{self.title} steps gathered",
                       f"Y[t] = step t's {what}, for every t" if what else
                       "Y[t] = h<t>, for every t")


class _Titled:
    """A scope with a title and notation of its own, for drawings."""

    def __init__(self, layer: Module, title: str, notation: str) -> None:
        self.layer = layer
        self.drawing_title = title
        self.drawing_notation = notation


def _positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(as_array(x)))


def _as_tensor(x: Any, dtype: np.dtype) -> Tensor:
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    return Tensor(array if array.dtype.kind == "f" else array.astype(dtype))


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters per layer and direction, checks, the time loop."""

    mode = "RNN_TANH"

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None) -> None:
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        self.mode = mode
        self.input_size = _positive_int(name, "input_size", input_size)
        self.hidden_size = _positive_int(name, "hidden_size", hidden_size)
        self.num_layers = _positive_int(name, "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, int | float) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}")
        self.bias = flag(bias, name, "bias")
        self.batch_first = flag(batch_first, name, "batch_first")
        self.dropout = float(dropout)
        if self.dropout and self.num_layers == 1:
            # dropout sits between stacked layers only: with one layer it never applies
            warnings.warn(f"{name}: dropout={self.dropout} acts between stacked layers, so with "
                          f"num_layers=1 it never applies; use num_layers >= 2, or an "
                          f"nn.Dropout on the outputs", UserWarning, stacklevel=3)
        self.bidirectional = flag(bidirectional, name, "bidirectional")
        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        gates = _GATES[mode] * self.hidden_size
        directions = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            n_in = self.input_size if layer == 0 else self.hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (gates, n_in), "weight_hh": (gates, self.hidden_size)}
                if self.bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                for kind, shape in shapes.items():
                    self.register_parameter(f"{kind}_l{layer}{suffix}",
                                            Parameter.empty(shape, dtype, type(self).__name__))
        self.reset_parameters()

    @property
    def _name(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default."""
        bound = 1 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def _weights(self, layer: int, direction: int) -> tuple[Any, Any, Any, Any]:
        suffix = f"l{layer}" + ("_reverse" if direction else "")
        return tuple(getattr(self, f"{kind}_{suffix}", None)  # type: ignore[return-value]
                     for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text

    # ---- checks --------------------------------------------------------------------------------
    def _check_input(self, x: Any) -> tuple[Tensor, bool]:
        """x as a time-major (L, N, H_in) Tensor, and whether it was unbatched."""
        shape = _shape(x)
        layout = "(N, L, H_in)" if self.batch_first else "(L, N, H_in)"
        if len(shape) not in (2, 3):
            raise ValueError(
                f"{self._name}: expected a 3-D input {layout} (batch_first={self.batch_first}) or "
                f"a 2-D unbatched input (L, H_in), got shape {shape}; e.g. a batch of N sequences "
                f"of L steps with {self.input_size} features each")
        if shape[-1] != self.input_size:
            seen = layout if len(shape) == 3 else "(L, H_in)"
            raise ValueError(
                f"{self._name}: input has {shape[-1]} features in its last dimension, expected "
                f"{self.input_size}; input shape {shape} is {seen} (batch_first="
                f"{self.batch_first}). Feed {self.input_size} features per step or build the "
                f"layer with input_size={shape[-1]}")
        if shape[0 if len(shape) == 2 or not self.batch_first else 1] == 0:
            raise ValueError(f"{self._name}: input shape {shape} has no time steps")
        x = _as_tensor(x, get_default_dtype())
        if len(shape) == 2:
            return ops.reshape(x, shape=(shape[0], 1, shape[1])), True
        if self.batch_first:
            return ops.transpose(x, axes=(1, 0, 2)), False
        return x, False

    def _check_state(self, what: str, h: Any, batch: int, unbatched: bool, dtype: Any) -> Tensor:
        layers = self.num_layers * self.num_directions
        expected = (layers, self.hidden_size) if unbatched else (layers, batch, self.hidden_size)
        meaning = ("(num_layers * num_directions, hidden_size) for an unbatched input"
                   if unbatched else "(num_layers * num_directions, N, hidden_size)")
        if _shape(h) != expected:
            raise ValueError(
                f"{self._name}: {what} has shape {_shape(h)}, expected {expected} = {meaning} "
                f"(num_layers={self.num_layers}, num_directions={self.num_directions}, "
                f"N={batch}); pass one initial state per layer and direction, or None for zeros")
        h = _as_tensor(h, dtype)
        return ops.reshape(h, shape=(layers, 1, self.hidden_size)) if unbatched else h

    # ---- forward -------------------------------------------------------------------------------
    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Any]:
        x, unbatched = self._check_input(input)
        steps, batch = x.shape[0], x.shape[1]
        dtype = self.weight_ih_l0.dtype
        lstm = self.mode == "LSTM"
        if lstm and hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError(f"{self._name}: hx must be a tuple (h_0, c_0), got "
                            f"{type(hx).__name__}; pass (h_0, c_0) or None for zeros")
        h0 = c0 = None
        if hx is not None:
            h0 = self._check_state("h_0", hx[0] if lstm else hx, batch, unbatched, dtype)
            if lstm:
                c0 = self._check_state("c_0", hx[1], batch, unbatched, dtype)
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                start = None
                if h0 is not None:
                    start = (ops.index(h0, k), ops.index(c0, k) if lstm else None)
                out, h_n, c_n = self._run(x, layer, direction, start, batch)
                outputs.append(out)
                finals_h.append(h_n)
                finals_c.append(c_n)
            x = outputs[0] if len(outputs) == 1 else ops.concatenate(outputs, axis=-1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        h_n = ops.stack(finals_h, axis=0)
        c_n = ops.stack(finals_c, axis=0) if lstm else None
        if unbatched:
            x = ops.reshape(x, shape=(steps, x.shape[-1]))
            h_n = ops.reshape(h_n, shape=(h_n.shape[0], self.hidden_size))
            c_n = ops.reshape(c_n, shape=h_n.shape) if lstm else None
        elif self.batch_first:
            x = ops.transpose(x, axes=(1, 0, 2))
        return x, ((h_n, c_n) if lstm else h_n)

    def _run(self, x: Tensor, layer: int, direction: int, start: Any, batch: int
             ) -> tuple[Tensor, Tensor, Tensor | None]:
        """One layer in one direction over all steps: (output (L, N, H), h_L, c_L)."""
        w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
        recurrent = () if b_hh is None else (b_hh,)
        with module_scope(_Part(self, layer, direction, "input projection",
                                "X W_ih^T + b_ih, all time steps in one product")):
            p = F.linear(x, w_ih, b_ih)
        state = self._initial_state(start, batch, w_hh.dtype)
        name = type(self).__name__
        where = (f" layer {layer}" if self.num_layers > 1 else "") + \
            (" reverse" if direction else "")
        return self._run_fused(p, state, w_hh, recurrent, layer, direction, f"{name}{where}")

    def _run_fused(self, p: Tensor, state: Any, w_hh: Tensor, recurrent: tuple, layer: int,
                   direction: int, title: str) -> tuple[Tensor, Tensor, Tensor | None]:
        """All L steps of one layer and direction in one node (lstm_sequence, gru_sequence,
        rnn_sequence): numpy BPTT in its backward. A drawing unrolls that node into one box per
        time step (TimeLoop.step)."""
        steps = p.shape[0]
        last = 0 if direction else steps - 1
        loop = TimeLoop(self, title, self._step_text())
        if self.mode in ("RNN_TANH", "RNN_RELU"):
            with module_scope(loop):
                y = rnn_sequence(p, state, w_hh, *recurrent, reverse=bool(direction),
                                 nonlinearity="tanh" if self.mode == "RNN_TANH" else "relu")
            return y, ops.index(y, last), None  # y (L, N, H) is every h_t
        fused = lstm_sequence if self.mode == "LSTM" else gru_sequence
        with module_scope(loop):
            y = fused(p, state, w_hh, *recurrent, reverse=bool(direction))
        with module_scope(_Part(self, layer, direction, "outputs", "h<t> for every t")):
            out = ops.index(y, (slice(None), slice(None), 0))  # (L, N, H)
        c_n = ops.index(y, (last, slice(None), 1)) if self.mode == "LSTM" else None
        return out, ops.index(y, (last, slice(None), 0)), c_n

    def _step_text(self) -> str:
        return {"LSTM": "lstm_cell", "GRU": "gru_cell", "RNN_RELU": "relu"}.get(self.mode, "tanh")

    def _initial_state(self, start: Any, batch: int, dtype: Any) -> Any:
        """The state the first step reads: h (N, H) for RNN, (N, 2, H) = [h, c] for LSTM,
        (N, 1, H) for GRU; zeros (a constant) without an initial state."""
        hidden = self.hidden_size
        rows = {"LSTM": 2, "GRU": 1}.get(self.mode)
        if start is None:
            shape = (batch, hidden) if rows is None else (batch, rows, hidden)
            return np.zeros(shape, dtype=dtype)
        h, c = start
        if rows is None:
            return h
        if rows == 1:
            return ops.reshape(h, shape=(batch, 1, hidden))
        return ops.stack([h, c], axis=1)


class _Part:
    """The scope of a layer's ops outside the time loop (input projection, output gathering)."""

    def __init__(self, layer: Module, index: int, direction: int, what: str, notation: str
                 ) -> None:
        self.layer = layer
        where = (f" layer {index}" if layer.num_layers > 1 else "") + \
            (" reverse" if direction else "")
        self.drawing_title = f"{type(layer).__name__}{where} {what}"
        self.drawing_notation = notation


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked
    ``num_layers`` deep, optionally in both directions.

    Args:
        input_size: H_in, features per time step.
        hidden_size: H, the size of the hidden state h_t.
        num_layers: stacked layers; layer l > 0 reads the outputs of layer l - 1.
        nonlinearity: 'tanh' or 'relu'.
        bias: learn b_ih and b_hh.
        batch_first: input and output are (N, L, features) instead of (L, N, features).
        dropout: dropout probability on the outputs of every layer but the last (training only).
        bidirectional: also run each layer from the last step to the first (``..._reverse``
            parameters); outputs of both directions are concatenated (2H features).

    Parameters: weight_ih_l{k} (H, H_in or D H), weight_hh_l{k} (H, H), bias_ih_l{k} (H,),
    bias_hh_l{k} (H,), and the same with ``_reverse``; all from U(-1/sqrt(H), 1/sqrt(H)).

    Call: ``output, h_n = rnn(x, h_0=None)`` with x (L, N, H_in), h_0 (D num_layers, N, H);
    output (L, N, D H) holds the last layer's h_t for every t, h_n (D num_layers, N, H) the final
    state of every layer and direction. Unbatched: x (L, H_in), h_0 (D num_layers, H).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = None) -> None:
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(_NONLINEARITIES[nonlinearity], input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's gate order i, f, g, o (rows of W_ih, W_hh, biases):

        i, f, o = sigmoid(...), g = tanh(...)   of x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)

    Arguments as ``RNN`` (no nonlinearity). Parameters weight_ih_l{k} (4H, H_in or D H),
    weight_hh_l{k} (4H, H), bias_ih_l{k}, bias_hh_l{k} (4H,), and ``_reverse``.

    Call: ``output, (h_n, c_n) = lstm(x, (h_0, c_0))`` (or ``lstm(x)`` for zero states); the
    shapes are those of ``RNN``, with c_0 and c_n shaped like h_0 and h_n.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's gate order r, z, n:

        r = sigmoid(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr),   z likewise
        n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}

    Arguments, shapes and call as ``RNN``; the weights have 3H rows.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype)
