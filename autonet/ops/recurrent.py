"""Fused recurrent ops: one LSTM or GRU step (lstm_cell, gru_cell: nn/cells.py), and a whole
layer over all time steps in one node (lstm_sequence, gru_sequence, rnn_sequence:
nn/recurrent.py; see "a whole sequence in one node" below).

A step reads the input projection of its time step ``gx = x_t W_ih^T + b_ih`` (computed for all
steps in one product by the layer), the previous state and the recurrent weights. Its output keeps
the new state *and* the gate activations, which is what the gradient rule needs (saved once, like
tanh keeps its output), in the layout (N, K, H): ``y[:, 0]`` is h_t, the rest as below.

LSTM, ``lstm_cell(gx (N, 4H), state (N, S >= 2, H), w_hh (4H, H)[, b_hh (4H,)]) -> (N, 7, H)``
with state[:, 0] = h_{t-1}, state[:, 1] = c_{t-1} and PyTorch's gate order i, f, g, o::

    i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of  gx + h_{t-1} W_hh^T + b_hh
    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t),   y = [h_t, c_t, i, f, g, o, tanh(c_t)]

    backward, from g = dL/dy = [gh, gc, gi, gf, gg, go, gtc]:
    dc  = gc + (gh * o + gtc) * (1 - tanh(c_t)^2)
    d(pre-activations) = [(dc g + gi) i(1-i), (dc c_{t-1} + gf) f(1-f), (dc i + gg)(1-g^2),
                          (gh tanh(c_t) + go) o(1-o)]                       (N, 4H)
    dgx = dpre,  dh_{t-1} = dpre W_hh,  dc_{t-1} = dc f,  dW_hh = dpre^T h_{t-1},  db = sum dpre

GRU, ``gru_cell(gx (N, 3H), state (N, S >= 1, H), w_hh (3H, H)[, b_hh (3H,)]) -> (N, 5, H)``,
gate order r, z, n, with ``[a_r, a_z, a_n] = h_{t-1} W_hh^T + b_hh``::

    r = sigmoid(gx_r + a_r),  z = sigmoid(gx_z + a_z),  n = tanh(gx_n + r * a_n)
    h_t = (1 - z) * n + z * h_{t-1},   y = [h_t, r, z, n, a_n]

    dn = gh (1 - z) + gn,  dz = gh (h_{t-1} - n) + gz,  dn' = dn (1 - n^2),  dr = dn' a_n + gr
    dgx = [dr r(1-r), dz z(1-z), dn'],  da = [dr r(1-r), dz z(1-z), dn' r + ga_n]
    dh_{t-1} = gh z + da W_hh,  dW_hh = da^T h_{t-1},  db = sum da

Every input's rule needs the same pre-activation gradient; it is computed once per backward visit
(the engine calls the rules of one node one after another with the same ``g`` and ``y``) and
reused. Rules are written with ``xp`` so they differentiate again under ``create_graph``; the
only thing ``xp`` lacks is stacking blocks, done by numpy or by autonet's stack (same result).
"""

from __future__ import annotations

import contextlib
import functools
import threading

import numpy as np

from autonet.autograd.graph import module_scope
from autonet.ops import shape
from autonet.ops.elementwise import relu, tanh
from autonet.ops.fused import linear
from autonet.ops.primitive import Primitive, as_array
from autonet.ops.registry import Kink

# sigmoid(z) = 0.5 tanh(z / 2) + 0.5 (exact, and never overflows); the LSTM's g gate is tanh(z).
_LSTM_SCALE = np.array([0.5, 0.5, 1.0, 0.5]).reshape(4, 1)
_LSTM_SHIFT = np.array([0.5, 0.5, 0.0, 0.5]).reshape(4, 1)


def _recurrent_term(h, w_hh, b_hh, dtype):
    pre = np.matmul(h, w_hh.T).astype(dtype, copy=False)
    if b_hh is not None:
        pre += b_hh
    return pre


def _lstm_cell(gx, state, w_hh, b_hh=None):
    h, c = state[:, 0], state[:, 1]
    n, hidden = h.shape
    dtype = np.result_type(gx, state, w_hh, *(() if b_hh is None else (b_hh,)))
    pre = _recurrent_term(h, w_hh, b_hh, dtype)
    pre += gx
    y = np.empty((n, 7, hidden), dtype=dtype)
    gates = y[:, 2:6]
    scale, shift = _LSTM_SCALE.astype(dtype), _LSTM_SHIFT.astype(dtype)
    np.multiply(pre.reshape(n, 4, hidden), scale, out=gates)
    np.tanh(gates, out=gates)
    gates *= scale
    gates += shift
    i, f, g, o = gates[:, 0], gates[:, 1], gates[:, 2], gates[:, 3]
    np.multiply(f, c, out=y[:, 1], casting="unsafe")
    y[:, 1] += i * g
    np.tanh(y[:, 1], out=y[:, 6])
    np.multiply(o, y[:, 6], out=y[:, 0])
    return y


def _gru_cell(gx, state, w_hh, b_hh=None):
    h = state[:, 0]
    n, hidden = h.shape
    dtype = np.result_type(gx, state, w_hh, *(() if b_hh is None else (b_hh,)))
    a = _recurrent_term(h, w_hh, b_hh, dtype)
    y = np.empty((n, 5, hidden), dtype=dtype)
    rz = y[:, 1:3]
    np.add(gx[:, :2 * hidden].reshape(n, 2, hidden), a[:, :2 * hidden].reshape(n, 2, hidden),
           out=rz, casting="unsafe")
    rz *= 0.5
    np.tanh(rz, out=rz)
    rz *= 0.5
    rz += 0.5
    r, z = y[:, 1], y[:, 2]
    y[:, 4] = a[:, 2 * hidden:]
    np.multiply(r, y[:, 4], out=y[:, 3])
    y[:, 3] += gx[:, 2 * hidden:]
    np.tanh(y[:, 3], out=y[:, 3])
    nn = y[:, 3]
    np.subtract(h, nn, out=y[:, 0], casting="unsafe")
    y[:, 0] *= z
    y[:, 0] += nn
    return y


# ---- shared backward -----------------------------------------------------------------------------
class _LastVisit(threading.local):
    """The pre-activation gradients of the node whose rules are running (one slot per thread)."""

    def __init__(self) -> None:
        self.key: tuple = ()
        self.value: tuple = ()


_last = _LastVisit()


def _shared(compute, xp, g, y, *inputs):
    key = (compute, g, y, *inputs)
    old = _last.key
    if len(old) == len(key) and all(a is b for a, b in zip(old, key)):
        return _last.value
    value = compute(xp, g, y, *inputs)
    _last.key, _last.value = key, value
    return value


def _stack(xp, parts):
    """(N, H) blocks -> (N, K, H); autonet's stack under create_graph, numpy's otherwise."""
    return shape.stack(parts, axis=1) if xp.records_graph else np.stack(parts, axis=1)


def _at(xp, a, k):
    return xp.getitem(a, (slice(None), k))


def _lstm_grads(xp, g, y, gx, state, w_hh, b_hh=None):
    """(dpre (N, 4H), dh_{t-1} (N, H), dc_{t-1} (N, H), h_{t-1} (N, H))."""
    n, _, hidden = y.shape
    h_prev, c_prev = _at(xp, state, 0), _at(xp, state, 1)
    i, f, gate, o = (_at(xp, y, k) for k in (2, 3, 4, 5))
    gh = _at(xp, g, 0)
    tc = _at(xp, y, 6)
    dc = _at(xp, g, 1) + (gh * o + _at(xp, g, 6)) * (1 - tc * tc)
    dpre = _stack(xp, [
        (dc * gate + _at(xp, g, 2)) * (i - i * i),
        (dc * c_prev + _at(xp, g, 3)) * (f - f * f),
        (dc * i + _at(xp, g, 4)) * (1 - gate * gate),
        (gh * tc + _at(xp, g, 5)) * (o - o * o),
    ])
    dpre = xp.reshape(dpre, (n, 4 * hidden))
    return dpre, xp.matmul(dpre, w_hh), dc * f, h_prev


def _gru_grads(xp, g, y, gx, state, w_hh, b_hh=None):
    """(dgx (N, 3H), da (N, 3H) of the recurrent term, dh_{t-1} (N, H), h_{t-1} (N, H))."""
    n, _, hidden = y.shape
    h_prev = _at(xp, state, 0)
    r, z, new, a_n = (_at(xp, y, k) for k in (1, 2, 3, 4))
    gh = _at(xp, g, 0)
    dn = (gh * (1 - z) + _at(xp, g, 3)) * (1 - new * new)
    dr = (dn * a_n + _at(xp, g, 1)) * (r - r * r)
    dz = (gh * (h_prev - new) + _at(xp, g, 2)) * (z - z * z)
    dgx = xp.reshape(_stack(xp, [dr, dz, dn]), (n, 3 * hidden))
    da = xp.reshape(_stack(xp, [dr, dz, dn * r + _at(xp, g, 4)]), (n, 3 * hidden))
    return dgx, da, gh * z + xp.matmul(da, w_hh), h_prev


def _state_grad(xp, state, dh, dc=None):
    """The gradient of the state input (N, S, H): dh in row 0, dc in row 1, zeros after."""
    n, size, hidden = state.shape
    rows = [dh] if dc is None else [dh, dc]
    if not xp.records_graph:
        out = np.zeros(state.shape, dtype=np.result_type(state.dtype, dh.dtype))
        for k, row in enumerate(rows):
            out[:, k] = row
        return out
    zeros = np.zeros((n, hidden), dtype=np.result_type(state.dtype, dh.dtype))
    return _stack(xp, rows + [zeros] * (size - len(rows)))


def _lstm_gx(xp, g, y, *inputs):
    return _shared(_lstm_grads, xp, g, y, *inputs)[0]


def _lstm_state(xp, g, y, gx, state, *rest):
    _, dh, dc, _ = _shared(_lstm_grads, xp, g, y, gx, state, *rest)
    return _state_grad(xp, state, dh, dc)


def _lstm_w(xp, g, y, *inputs):
    dpre, _, _, h_prev = _shared(_lstm_grads, xp, g, y, *inputs)
    return xp.matmul(xp.transpose(dpre), h_prev)


def _lstm_b(xp, g, y, *inputs):
    return xp.sum(_shared(_lstm_grads, xp, g, y, *inputs)[0], axis=0)


def _gru_gx(xp, g, y, *inputs):
    return _shared(_gru_grads, xp, g, y, *inputs)[0]


def _gru_state(xp, g, y, gx, state, *rest):
    return _state_grad(xp, state, _shared(_gru_grads, xp, g, y, gx, state, *rest)[2])


def _gru_w(xp, g, y, *inputs):
    _, da, _, h_prev = _shared(_gru_grads, xp, g, y, *inputs)
    return xp.matmul(xp.transpose(da), h_prev)


def _gru_b(xp, g, y, *inputs):
    return xp.sum(_shared(_gru_grads, xp, g, y, *inputs)[1], axis=0)


# ---- a whole sequence in one node ----------------------------------------------------------------
# ``lstm_sequence(gx (L, N, 4H), state (N, S >= 2, H), w_hh (4H, H)[, b_hh], reverse=False)``
# -> (L, N, 7, H): lstm_cell run over all L steps (from t = L-1 down to 0 when ``reverse``), Y[t]
# being step t's [h, c, i, f, g, o, tanh c]; ``gru_sequence`` likewise with gru_cell, (L, N, 5, H).
# Backward is BPTT by hand: one loop back over time carrying dh (and dc), the pre-activation
# gradients of all steps kept in one (L, N, G H) array, which is the gradient of gx; dW_hh is then
# ONE product over all L N rows and db one sum:
#
#     at step t (g_t = dL/dY[t] plus what step t+1 sends back, dh into row 0, dc into row 1):
#     dpre_t, dh_{t-1}, dc_{t-1} = the rule of the cell above
#     dW_hh = sum_t dpre_t^T h_{t-1} = dpre (L N, G H)^T @ h_prev (L N, H)   (GRU: da for dpre)
#
# Under create_graph the same loop runs on Tensors through the cell's own rule (_lstm_grads,
# _gru_grads), reading every step's state out of Y, so it differentiates again (slower; only for
# higher orders). A drawing replaces the node by one cell node per step (``unrolled``).


def _steps(length, reverse):
    """The order the time steps run in, and for each step the one before it (None: the start)."""
    order = range(length - 1, -1, -1) if reverse else range(length)
    return order, {t: (None if k == 0 else order[k - 1]) for k, t in enumerate(order)}


def _lstm_sequence(gx, state, w_hh, b_hh=None, reverse=False):
    length, n, width = gx.shape
    hidden = width // 4
    dtype = np.result_type(gx, state, w_hh, *(() if b_hh is None else (b_hh,)))
    y = np.empty((length, n, 7, hidden), dtype=dtype)
    scale, shift = _LSTM_SCALE.astype(dtype), _LSTM_SHIFT.astype(dtype)
    h, c = state[:, 0], state[:, 1]
    w_t = np.ascontiguousarray(w_hh.T, dtype=dtype)  # (H, 4H): each step's product reads rows
    pre = np.empty((n, width), dtype=dtype)
    for t in _steps(length, reverse)[0]:
        np.matmul(h.astype(dtype, copy=False), w_t, out=pre)
        pre += gx[t]
        if b_hh is not None:
            pre += b_hh
        out = y[t]
        gates = out[:, 2:6]
        np.multiply(pre.reshape(n, 4, hidden), scale, out=gates)
        np.tanh(gates, out=gates)
        gates *= scale
        gates += shift
        np.multiply(out[:, 3], c, out=out[:, 1], casting="unsafe")
        out[:, 1] += out[:, 2] * out[:, 4]
        np.tanh(out[:, 1], out=out[:, 6])
        np.multiply(out[:, 5], out[:, 6], out=out[:, 0])
        h, c = out[:, 0], out[:, 1]
    return y


def _lstm_sequence_grads(xp, g, y, gx, state, w_hh, b_hh=None, reverse=False):
    """(dgx (L, N, 4H), dstate (N, S, H), dW_hh (4H, H), dgx's rows (L N, 4H) for db)."""
    if xp.records_graph:
        return _lstm_sequence_grads_graph(xp, g, y, state, w_hh, b_hh, reverse)
    length, n, _, hidden = y.shape
    order, previous = _steps(length, reverse)
    dtype = y.dtype
    # The gates' slopes for all steps at once, into dpre (each step then multiplies its row):
    # sigmoid' = s - s^2 for i, f, o and tanh' = 1 - g^2; and tanh'(c_t) = 1 - tanh(c_t)^2.
    gates = y[:, :, 2:6]
    dpre = np.multiply(gates, gates)
    np.subtract(gates, dpre, out=dpre)
    np.subtract(1, np.square(y[:, :, 4]), out=dpre[:, :, 2])
    cell_slope = np.subtract(1, np.square(y[:, :, 6]))
    h_prev = np.empty((length, n, hidden), dtype=dtype)
    dh = np.zeros((n, hidden), dtype=dtype)
    dc = np.zeros((n, hidden), dtype=dtype)
    local = np.empty((n, 4, hidden), dtype=dtype)  # what multiplies each gate's slope
    w = w_hh.astype(dtype, copy=False)
    for t in reversed(order):
        before = previous[t]
        h_prev[t] = state[:, 0] if before is None else y[before, :, 0]
        c_prev = state[:, 1] if before is None else y[before, :, 1]
        gt, yt, d = g[t], y[t], dpre[t]
        i, f, gate, o, tc = yt[:, 2], yt[:, 3], yt[:, 4], yt[:, 5], yt[:, 6]
        dh += gt[:, 0]
        dc += gt[:, 1]
        through_c = dh * o
        through_c += gt[:, 6]
        through_c *= cell_slope[t]
        dc += through_c
        np.multiply(dc, gate, out=local[:, 0])
        np.multiply(dc, c_prev, out=local[:, 1], casting="unsafe")
        np.multiply(dc, i, out=local[:, 2])
        np.multiply(dh, tc, out=local[:, 3])
        local += gt[:, 2:6]
        d *= local
        dh = np.matmul(d.reshape(n, 4 * hidden), w)
        dc *= f
    rows = dpre.reshape(length * n, 4 * hidden)
    dw = np.matmul(rows.T, h_prev.reshape(length * n, hidden))
    return rows.reshape(length, n, 4 * hidden), _state_grad(xp, state, dh, dc), dw, rows


def _lstm_sequence_grads_graph(xp, g, y, state, w_hh, b_hh, reverse):
    """The loop above on Tensors, one lstm_cell rule per step (see the comment above)."""
    length, n, _, hidden = y.shape
    order, previous = _steps(length, reverse)
    dpre: list = [None] * length
    h_prev: list = [None] * length
    dh = dc = None
    zeros = np.zeros((n, hidden), dtype=y.dtype)
    for t in reversed(order):
        before = previous[t]
        state_t = state if before is None else xp.getitem(y, before)
        g_t = xp.getitem(g, t)
        if dh is not None:
            g_t = g_t + _stack(xp, [dh, dc] + [zeros] * 5)
        dpre[t], dh, dc, h_prev[t] = _lstm_grads(xp, g_t, xp.getitem(y, t), None, state_t,
                                                 w_hh, b_hh)
    dgx = shape.stack(dpre, axis=0)
    rows = xp.reshape(dgx, (length * n, 4 * hidden))
    return dgx, _state_grad(xp, state, dh, dc), _rows_product(xp, rows, h_prev), rows


def _rows_product(xp, rows, h_prev):
    """dW_hh = sum_t d_t^T h_{t-1}: (L N, G H)^T @ (L N, H) over the steps' list of h_{t-1}."""
    stacked = shape.stack(h_prev, axis=0)
    return xp.matmul(xp.transpose(rows), xp.reshape(stacked, (rows.shape[0], stacked.shape[-1])))


def _gru_sequence(gx, state, w_hh, b_hh=None, reverse=False):
    length, n, width = gx.shape
    hidden = width // 3
    dtype = np.result_type(gx, state, w_hh, *(() if b_hh is None else (b_hh,)))
    y = np.empty((length, n, 5, hidden), dtype=dtype)
    h = state[:, 0]
    w_t = np.ascontiguousarray(w_hh.T, dtype=dtype)  # (H, 3H)
    a = np.empty((n, width), dtype=dtype)
    for t in _steps(length, reverse)[0]:
        np.matmul(h.astype(dtype, copy=False), w_t, out=a)
        if b_hh is not None:
            a += b_hh
        out, x = y[t], gx[t]
        rz = out[:, 1:3]
        np.add(x[:, :2 * hidden].reshape(n, 2, hidden), a[:, :2 * hidden].reshape(n, 2, hidden),
               out=rz, casting="unsafe")
        rz *= 0.5
        np.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        out[:, 4] = a[:, 2 * hidden:]
        np.multiply(out[:, 1], out[:, 4], out=out[:, 3])
        out[:, 3] += x[:, 2 * hidden:]
        np.tanh(out[:, 3], out=out[:, 3])
        np.subtract(h, out[:, 3], out=out[:, 0], casting="unsafe")
        out[:, 0] *= out[:, 2]
        out[:, 0] += out[:, 3]
        h = out[:, 0]
    return y


def _gru_sequence_grads(xp, g, y, gx, state, w_hh, b_hh=None, reverse=False):
    """(dgx (L, N, 3H), dstate (N, S, H), dW_hh (3H, H), da rows (L N, 3H)): gru_cell's rule
    over time, dh carried back, dW_hh one product after the loop."""
    if xp.records_graph:
        return _gru_sequence_grads_graph(xp, g, y, state, w_hh, b_hh, reverse)
    length, n, _, hidden = y.shape
    order, previous = _steps(length, reverse)
    dtype = y.dtype
    dgx = np.empty((length, n, 3, hidden), dtype=dtype)
    da = np.empty((length, n, 3, hidden), dtype=dtype)
    h_prev = np.empty((length, n, hidden), dtype=dtype)
    dh = np.zeros((n, hidden), dtype=dtype)
    w = w_hh.astype(dtype, copy=False)
    for t in reversed(order):
        before = previous[t]
        h_prev[t] = state[:, 0] if before is None else y[before, :, 0]
        gt, yt, d, e = g[t], y[t], dgx[t], da[t]
        r, z, new, a_n = yt[:, 1], yt[:, 2], yt[:, 3], yt[:, 4]
        dh += gt[:, 0]
        np.multiply(dh, 1 - z, out=d[:, 2])  # dn' = (gh (1 - z) + gn)(1 - n^2)
        d[:, 2] += gt[:, 3]
        d[:, 2] *= 1 - new * new
        np.multiply(d[:, 2], a_n, out=d[:, 0])  # dr = (dn' a_n + gr) r (1 - r)
        d[:, 0] += gt[:, 1]
        d[:, 0] *= r - r * r
        np.multiply(dh, h_prev[t] - new, out=d[:, 1])  # dz = (gh (h_prev - n) + gz) z (1 - z)
        d[:, 1] += gt[:, 2]
        d[:, 1] *= z - z * z
        e[:, :2] = d[:, :2]
        np.multiply(d[:, 2], r, out=e[:, 2])
        e[:, 2] += gt[:, 4]
        dh *= z
        dh += np.matmul(e.reshape(n, 3 * hidden), w)
    rows = da.reshape(length * n, 3 * hidden)
    dw = np.matmul(rows.T, h_prev.reshape(length * n, hidden))
    return dgx.reshape(length, n, 3 * hidden), _state_grad(xp, state, dh), dw, rows


def _gru_sequence_grads_graph(xp, g, y, state, w_hh, b_hh, reverse):
    """The loop above on Tensors, one gru_cell rule per step (differentiable again)."""
    length, n, _, hidden = y.shape
    order, previous = _steps(length, reverse)
    dgx: list = [None] * length
    da: list = [None] * length
    h_prev: list = [None] * length
    dh = None
    zeros = np.zeros((n, hidden), dtype=y.dtype)
    for t in reversed(order):
        before = previous[t]
        state_t = state if before is None else xp.getitem(y, before)
        g_t = xp.getitem(g, t)
        if dh is not None:
            g_t = g_t + _stack(xp, [dh] + [zeros] * 4)
        dgx[t], da[t], dh, h_prev[t] = _gru_grads(xp, g_t, xp.getitem(y, t), None, state_t,
                                                   w_hh, b_hh)
    rows = xp.reshape(shape.stack(da, axis=0), (length * n, 3 * hidden))
    return (shape.stack(dgx, axis=0), _state_grad(xp, state, dh),
            _rows_product(xp, rows, h_prev), rows)


# ---- the plain RNN: h_t = tanh or relu(gx_t + h_{t-1} W_hh^T + b_hh), Y (L, N, H) = every h_t
#     dz_t = (g_t + dh_t) * slope(h_t)   (tanh: 1 - h^2; relu: [h > 0], 0 at the kink)
#     dh_{t-1} = dz_t W_hh,  dgx = dz,  dW_hh = dz (L N, H)^T @ h_prev (L N, H),  db = sum dz
def _check_nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_sequence: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")


def _rnn_sequence(gx, state, w_hh, b_hh=None, nonlinearity="tanh", reverse=False):
    _check_nonlinearity(nonlinearity)
    length, n, hidden = gx.shape
    dtype = np.result_type(gx, state, w_hh, *(() if b_hh is None else (b_hh,)))
    y = np.empty((length, n, hidden), dtype=dtype)
    w_t = np.ascontiguousarray(w_hh.T, dtype=dtype)
    h = state
    for t in _steps(length, reverse)[0]:
        out = y[t]
        np.matmul(h.astype(dtype, copy=False), w_t, out=out)
        out += gx[t]
        if b_hh is not None:
            out += b_hh
        if nonlinearity == "tanh":
            np.tanh(out, out=out)
        else:
            np.maximum(out, 0, out=out)
        h = out
    return y


def _rnn_slope(xp, y, nonlinearity):
    if nonlinearity == "tanh":
        return 1 - y * y
    return (as_array(y) > 0).astype(as_array(y).dtype)  # a constant: relu'' = 0 off the kink


def _rnn_sequence_grads(xp, g, y, gx, state, w_hh, b_hh=None, nonlinearity="tanh",
                        reverse=False):
    """(dgx (L, N, H), dh_0 (N, H), dW_hh (H, H), dz rows (L N, H))."""
    length, n, hidden = y.shape
    order, previous = _steps(length, reverse)
    if xp.records_graph:
        dz: list = [None] * length
        h_prev: list = [None] * length
        dh = None
        for t in reversed(order):
            before = previous[t]
            y_t = xp.getitem(y, t)
            h_prev[t] = state if before is None else xp.getitem(y, before)
            g_t = xp.getitem(g, t) if dh is None else xp.getitem(g, t) + dh
            dz[t] = g_t * _rnn_slope(xp, y_t, nonlinearity)
            dh = xp.matmul(dz[t], w_hh)
        dgx = shape.stack(dz, axis=0)
        rows = xp.reshape(dgx, (length * n, hidden))
        return dgx, dh, _rows_product(xp, rows, h_prev), rows
    dgx = _rnn_slope(xp, y, nonlinearity)  # slopes of all steps, then times g_t + dh_t in place
    h_prev = np.empty_like(y)
    dh = np.zeros((n, hidden), dtype=y.dtype)
    w = w_hh.astype(y.dtype, copy=False)
    for t in reversed(order):
        before = previous[t]
        h_prev[t] = state if before is None else y[before]
        dh += g[t]
        dgx[t] *= dh
        dh = np.matmul(dgx[t], w)
    rows = dgx.reshape(length * n, hidden)
    return dgx, dh, np.matmul(rows.T, h_prev.reshape(length * n, hidden)), rows


def _rnn_step(gx_t, h, w_hh, b_hh=None, nonlinearity="tanh"):
    """One step as the ops an unrolled drawing shows: tanh or relu(gx_t + linear(h))."""
    z = gx_t + linear(h, w_hh, *(() if b_hh is None else (b_hh,)))
    return tanh(z) if nonlinearity == "tanh" else relu(z)


def _sequence_rules(grads):
    """The four rules of a sequence op from ``grads(xp, g, y, *inputs, **attrs)`` -> (dgx,
    dstate, dW_hh, the rows (L N, G H) whose sum over rows is db_hh), computed once per node."""
    variants: dict = {}  # one stable callable per set of attributes (the key of _shared)

    def rule_for(k):
        def rule(xp, g, y, gx, state, w_hh, b_hh=None, **attrs):
            key = tuple(sorted(attrs.items()))
            compute = variants.get(key)
            if compute is None:
                compute = variants[key] = functools.partial(grads, **attrs)
            found = _shared(compute, xp, g, y, gx, state, w_hh, b_hh)
            return xp.sum(found[3], axis=0) if k == 3 else found[k]
        return rule
    return tuple(rule_for(k) for k in range(4))


def _sequence_unrolled(cell):
    """unrolled() of a sequence op: the same Y from one ``cell`` node per step, each in its
    step's scope when the node ran in a loop scope offering ``step(t, previous)`` and
    ``gathered()`` (nn.recurrent.TimeLoop), for drawings."""
    def unrolled(inputs, attrs, scope):
        gx, state, w_hh, *rest = inputs
        step_attrs = {k: v for k, v in attrs.items() if k != "reverse"}
        order, previous = _steps(gx.shape[0], bool(attrs.get("reverse", False)))
        step_scope = getattr(scope, "step", None)
        outs: list = [None] * gx.shape[0]
        for t in order:
            with module_scope(step_scope(t, previous[t])) if step_scope else \
                    contextlib.nullcontext():
                state = cell(shape.index(gx, t), state, w_hh, *rest, **step_attrs)
            outs[t] = state
        gathered = getattr(scope, "gathered", None)
        with module_scope(gathered()) if gathered else contextlib.nullcontext():
            return shape.stack(outs, axis=0)
    return unrolled


lstm_cell = Primitive(
    "lstm_cell", _lstm_cell, (_lstm_gx, _lstm_state, _lstm_w, _lstm_b), saves_output=True,
    kind="fused", export=False,
    doc="One LSTM step: gx (N, 4H), state (N, S, H), w_hh (4H, H)[, b_hh] -> [h, c, i, f, g, o, "
        "tanh c] (N, 7, H) (see autonet/ops/recurrent.py).")
gru_cell = Primitive(
    "gru_cell", _gru_cell, (_gru_gx, _gru_state, _gru_w, _gru_b), saves_output=True,
    kind="fused", export=False,
    doc="One GRU step: gx (N, 3H), state (N, S, H), w_hh (3H, H)[, b_hh] -> [h, r, z, n, a_n] "
        "(N, 5, H) (see autonet/ops/recurrent.py).")
lstm_sequence = Primitive(
    "lstm_sequence", _lstm_sequence, _sequence_rules(_lstm_sequence_grads),
    saves_output=True, kind="fused", export=False, unrolled=_sequence_unrolled(lstm_cell),
    doc="An LSTM layer over all steps: gx (L, N, 4H), state (N, S, H), w_hh (4H, H)[, b_hh], "
        "reverse=False -> Y (L, N, 7, H), Y[t] = lstm_cell's output at step t (see "
        "autonet/ops/recurrent.py).")
gru_sequence = Primitive(
    "gru_sequence", _gru_sequence, _sequence_rules(_gru_sequence_grads),
    saves_output=True, kind="fused", export=False, unrolled=_sequence_unrolled(gru_cell),
    doc="A GRU layer over all steps: gx (L, N, 3H), state (N, S, H), w_hh (3H, H)[, b_hh], "
        "reverse=False -> Y (L, N, 5, H), Y[t] = gru_cell's output at step t (see "
        "autonet/ops/recurrent.py).")
rnn_sequence = Primitive(
    "rnn_sequence", _rnn_sequence, _sequence_rules(_rnn_sequence_grads),
    saves_output=True, kind="fused", export=False, unrolled=_sequence_unrolled(_rnn_step),
    kink=Kink(lambda inputs, attrs, out: (out > 0) if (attrs or {}).get("nonlinearity") == "relu"
              else np.zeros(0), "relu: where a pre-activation is 0"),
    doc="A plain RNN layer over all steps: gx (L, N, H), h_0 (N, H), w_hh (H, H)[, b_hh], "
        "nonlinearity='tanh' or 'relu', reverse=False -> Y (L, N, H) = h_t for every t (see "
        "autonet/ops/recurrent.py).")
