"""One conv layer step: batch 32, 1x28x28 -> 8 channels, 3x3 kernel, float32, forward and backward
(dW, db from an upstream gradient G), autonet against hand-written numpy (im2col + matmul, the
columns kept from the forward for dW), the same numpy in autonet's layout, and PyTorch CPU when
installed.

    python benchmarks/conv_step.py [--quick | --repeats N]

Checks first that all compute the same output and gradients, then prints the time ratios (the
median over alternating rounds of each round's ratio). Target: autonet <= 1.0x the numpy time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import autonet as an  # noqa: E402
from autonet.nn import functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mlp_step import _time_steps  # noqa: E402

N, C, H, W, OUT, K = 32, 1, 28, 28, 8, 3


def make_data(seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = (rng.standard_normal((OUT, C, K, K)) / K).astype(np.float32)
    b = rng.standard_normal(OUT).astype(np.float32)
    g = rng.standard_normal((N, OUT, H - K + 1, W - K + 1)).astype(np.float32)
    return x, w, b, g


def numpy_step(x, w, b, g):
    """Z = conv(X, W) + b by im2col and one matmul; dW = G^T cols, db = sum of G."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    ho, wo = h - k + 1, wd - k + 1
    cols = sliding_window_view(x, (k, k), axis=(2, 3))            # (N, C, Ho, Wo, k, k) view
    cols = cols.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * k * k)  # the one copy
    z = (cols @ w.reshape(o, -1).T).reshape(n, ho, wo, o).transpose(0, 3, 1, 2)
    z = z + b.reshape(1, o, 1, 1)
    g_rows = g.transpose(0, 2, 3, 1).reshape(-1, o)
    dw = (g_rows.T @ cols).reshape(w.shape)
    db = g.sum(axis=(0, 2, 3))
    return z, dw, db


def numpy_nchw_step(x, w, b, g):
    """The same with autonet's layout: columns (N, C k k, Ho Wo), products batched over N, so
    Z lands in NCHW order and G needs no transposed copy. The floor for the engine's overhead."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    ho, wo = h - k + 1, wd - k + 1
    cols = sliding_window_view(x, (k, k), axis=(2, 3)).transpose(0, 1, 4, 5, 2, 3)
    cols = np.ascontiguousarray(cols).reshape(n, c * k * k, ho * wo)
    z = np.matmul(w.reshape(o, -1), cols).reshape(n, o, ho, wo)
    z += b.reshape(1, o, 1, 1)
    g_rows = g.reshape(n, o, ho * wo)
    dw = np.matmul(g_rows, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    db = g.sum(axis=(0, 2, 3))
    return z, dw, db


def autonet_step(x, w, b, g):
    z = F.conv2d(x, w, b)
    z.backward(g)
    return z.data, w.grad, b.grad


def torch_step(x, w, b, g):
    import torch

    z = torch.nn.functional.conv2d(x, w, b)
    z.backward(g)
    return z


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description="conv layer step: autonet vs numpy")
    parser.add_argument("--quick", action="store_true", help="15 repeats instead of 50")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    repeats = 15 if args.quick else args.repeats
    x, w, b, g = make_data()
    xt = an.tensor(x)
    wt, bt = an.tensor(w, requires_grad=True), an.tensor(b, requires_grad=True)

    def run_autonet():
        wt.grad = bt.grad = None
        return autonet_step(xt, wt, bt, g)

    for got, want, same in zip(run_autonet(), numpy_step(x, w, b, g), numpy_nchw_step(x, w, b, g)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(same, want, rtol=1e-4, atol=1e-4)
    steps = [lambda: numpy_step(x, w, b, g), run_autonet, lambda: numpy_nchw_step(x, w, b, g)]
    try:
        import torch
    except ImportError:
        torch = None
    else:
        tx = torch.tensor(x)
        tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
        tg = torch.tensor(g)

        def run_torch():
            tw.grad = tb.grad = None
            return torch_step(tx, tw, tb, tg)

        run_torch()
        np.testing.assert_allclose(tw.grad.numpy(), numpy_step(x, w, b, g)[1], rtol=1e-3,
                                   atol=1e-3)
        steps.append(run_torch)
    times, ratios = _time_steps(steps, repeats)
    result = {"numpy_ms": times[0] * 1e3, "autonet_ms": times[1] * 1e3, "ratio": ratios[1]}
    print(f"conv step: batch {N}, {C}x{H}x{W} -> {OUT} channels, {K}x{K}, float32, forward + "
          "backward (dW, db; checked equal)")
    print(f"  numpy {result['numpy_ms']:.3f} ms, autonet {result['autonet_ms']:.3f} ms, "
          f"ratio {result['ratio']:.3f}x (target <= 1.0x)")
    result["numpy_nchw_ms"] = times[2] * 1e3
    print(f"  numpy in autonet's NCHW layout {result['numpy_nchw_ms']:.3f} ms: autonet costs "
          f"{ratios[1] / ratios[2]:.3f}x of that (the engine's overhead)")
    if torch is not None:
        result["torch_ms"] = times[3] * 1e3
        print(f"  pytorch (CPU) {result['torch_ms']:.3f} ms, ratio {ratios[3]:.3f}x")
    return result


if __name__ == "__main__":
    main()
