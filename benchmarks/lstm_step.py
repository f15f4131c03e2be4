"""One LSTM forward + backward (batch 32, 50 steps, 64 -> 128 features, float32): autonet's
nn.LSTM vs the same computation in numpy with backpropagation through time written by hand, and
PyTorch's CPU LSTM when it is installed.

    python benchmarks/lstm_step.py [--quick | --repeats N]

The loss is sum(output * G) for a fixed random G, so the gradient reaching every output is G.
Checks first that autonet and numpy give the same output and gradients. Target: <= 1.3x numpy
(the median over alternating rounds of each round's ratio).
Every side runs on one BLAS thread: the per-step products (32 x 128 x 512) gain nothing from
threads, and on a busy machine threads make the timings erratic.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy loads its BLAS

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import autonet as an  # noqa: E402
from benchmarks.mlp_step import _time_steps  # noqa: E402

STEPS, BATCH, INPUT, HIDDEN = 50, 32, 64, 128


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((STEPS, BATCH, INPUT)).astype(np.float32)
    g = rng.standard_normal((STEPS, BATCH, HIDDEN)).astype(np.float32)
    return x, g


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.tanh(z * 0.5) * 0.5 + 0.5


def numpy_lstm(params: dict[str, np.ndarray], x: np.ndarray, grad_out: np.ndarray
               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Forward of a one-layer LSTM (gates i, f, g, o) and its backward through time by hand:
    (output (L, N, H), gradients by parameter name)."""
    w_ih, w_hh = params["weight_ih_l0"], params["weight_hh_l0"]
    steps, n, _ = x.shape
    h_size = w_hh.shape[1]
    pre_x = (x.reshape(steps * n, -1) @ w_ih.T).reshape(steps, n, 4 * h_size)
    pre_x += params["bias_ih_l0"] + params["bias_hh_l0"]
    h = np.zeros((n, h_size), np.float32)
    c = np.zeros((n, h_size), np.float32)
    hs, cs, saved = [h], [c], []
    out = np.empty((steps, n, h_size), np.float32)
    for t in range(steps):
        z = pre_x[t] + h @ w_hh.T
        i, f = _sigmoid(z[:, :h_size]), _sigmoid(z[:, h_size:2 * h_size])
        g, o = np.tanh(z[:, 2 * h_size:3 * h_size]), _sigmoid(z[:, 3 * h_size:])
        c = f * c + i * g
        tanh_c = np.tanh(c)
        h = o * tanh_c
        out[t] = h
        hs.append(h)
        cs.append(c)
        saved.append((i, f, g, o, tanh_c))
    d_pre = np.empty_like(pre_x)
    d_w_hh = np.zeros_like(w_hh)
    dh = np.zeros((n, h_size), np.float32)
    dc = np.zeros((n, h_size), np.float32)
    for t in reversed(range(steps)):
        i, f, g, o, tanh_c = saved[t]
        dh += grad_out[t]
        dc += dh * o * (1 - tanh_c * tanh_c)
        dz = d_pre[t]
        dz[:, :h_size] = dc * g * i * (1 - i)
        dz[:, h_size:2 * h_size] = dc * cs[t] * f * (1 - f)
        dz[:, 2 * h_size:3 * h_size] = dc * i * (1 - g * g)
        dz[:, 3 * h_size:] = dh * tanh_c * o * (1 - o)
        d_w_hh += dz.T @ hs[t]
        dh = dz @ w_hh
        dc = dc * f
    rows = d_pre.reshape(steps * n, 4 * h_size)
    db = rows.sum(axis=0)
    grads = {"weight_ih_l0": rows.T @ x.reshape(steps * n, -1), "weight_hh_l0": d_w_hh,
             "bias_ih_l0": db, "bias_hh_l0": db.copy()}
    return out, grads


def autonet_lstm(model: an.nn.LSTM, x: an.Tensor, grad_out: np.ndarray) -> an.Tensor:
    model.zero_grad()
    out, _ = model(x)
    out.backward(grad_out)
    return out


def torch_lstm(model, x, grad_out):
    model.zero_grad()
    out, _ = model(x)
    out.backward(grad_out)
    return out


def check_same(model: an.nn.LSTM, x: np.ndarray, grad_out: np.ndarray) -> None:
    params = {k: v.data.copy() for k, v in model.named_parameters()}
    out_np, grads_np = numpy_lstm(params, x, grad_out)
    out = autonet_lstm(model, an.tensor(x), grad_out)
    np.testing.assert_allclose(out.data, out_np, rtol=1e-4, atol=1e-5)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, grads_np[name], rtol=1e-3, atol=1e-3,
                                   err_msg=f"gradient of {name}")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description="LSTM forward + backward: autonet vs numpy")
    parser.add_argument("--quick", action="store_true", help="10 repeats instead of 30")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    repeats = 10 if args.quick else args.repeats
    an.manual_seed(0)
    model = an.nn.LSTM(INPUT, HIDDEN)
    x, grad_out = make_data()
    check_same(model, x, grad_out)
    params = {k: v.data.copy() for k, v in model.named_parameters()}
    xt = an.tensor(x)
    steps = [lambda: numpy_lstm(params, x, grad_out), lambda: autonet_lstm(model, xt, grad_out)]
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
        reference = torch.nn.LSTM(INPUT, HIDDEN)
        tx, tg = torch.tensor(x), torch.tensor(grad_out)
        steps.append(lambda: torch_lstm(reference, tx, tg))
    times, ratios = _time_steps(steps, repeats)
    result = {"numpy_ms": times[0] * 1e3, "autonet_ms": times[1] * 1e3, "time_ratio": ratios[1]}
    print(f"LSTM {INPUT} -> {HIDDEN}, {STEPS} steps, batch {BATCH}, float32, forward + backward "
          "(gradients checked equal)")
    print(f"  numpy (BPTT by hand) {result['numpy_ms']:.2f} ms, autonet {result['autonet_ms']:.2f} "
          f"ms, ratio {result['time_ratio']:.2f}x (target <= 1.3x)")
    if torch is not None:
        result["torch_ms"] = times[2] * 1e3
        print(f"  pytorch (CPU, 1 thread) {result['torch_ms']:.2f} ms, ratio "
              f"{ratios[2]:.2f}x")
    else:
        print("  pytorch: not installed")
    return result


if __name__ == "__main__":
    main()
