"""Normalization and GELU steps: autonet's fused rows against hand-written numpy doing the same
forward and backward (and PyTorch CPU when installed).

    python benchmarks/norm_step.py [--quick]

(a) LayerNorm(64) on (32, 50, 64) float32, forward + backward to x, weight and bias;
(b) BatchNorm1d(64) in train() on (256, 64), the same;
(c) GELU (exact, erf) on (32, 50, 256), forward + backward.
Each checks first that autonet's gradients equal the hand-written ones, then prints the ratio of
the best times (PyTorch on one thread, like numpy's elementwise code). The composed layer norm
(mean, sub, mul, mean, pow, div: no fused row) is timed too, to show what the one-node rule buys.
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import autonet as an  # noqa: E402
from autonet import nn  # noqa: E402
from autonet.ops.normalization import _erf  # noqa: E402

EPS = 1e-5


def best_of(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def numpy_norm(x, w, b, g, axes, param_axes):
    """Forward and the compact backward, by hand: (y, dx, dw, db); statistics over ``axes``,
    weight and bias gradients summed over ``param_axes``."""
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    inv_std = 1 / np.sqrt((centered * centered).mean(axis=axes, keepdims=True) + EPS)
    x_hat = centered * inv_std
    y = x_hat * w + b
    gx = g * w
    dx = inv_std * (gx - gx.mean(axis=axes, keepdims=True)
                    - x_hat * (gx * x_hat).mean(axis=axes, keepdims=True))
    return y, dx, (g * x_hat).sum(axis=param_axes), g.sum(axis=param_axes)


def autonet_layer(layer, x, g):
    xt = an.tensor(x, requires_grad=True)
    layer(xt).backward(g)
    return xt.grad, layer.weight.grad, layer.bias.grad


def composed_layer_norm(layer, x, g):
    xt = an.tensor(x, requires_grad=True)
    centered = xt - xt.mean(axis=-1, keepdims=True)
    var = (centered * centered).mean(axis=-1, keepdims=True)
    (centered / (var + EPS) ** 0.5 * layer.weight + layer.bias).backward(g)
    return xt.grad


def numpy_gelu(x, g):
    cdf = 0.5 * (1 + _erf(x * np.float32(1 / math.sqrt(2))))
    y = x * cdf
    dx = g * (cdf + x * np.float32(1 / math.sqrt(2 * math.pi)) * np.exp(-0.5 * x * x))
    return y, dx


def autonet_gelu(x, g):
    xt = an.tensor(x, requires_grad=True)
    nn.functional.gelu(xt).backward(g)
    return xt.grad


def report(name: str, t_np: float, t_an: float, t_torch: float | None,
           extra: str = "") -> None:
    print(name)
    print(f"    numpy hand-written : {t_np * 1e3:7.2f} ms")
    print(f"    autonet            : {t_an * 1e3:7.2f} ms   ratio {t_an / t_np:.2f}x{extra}")
    if t_torch is not None:
        print(f"    pytorch (CPU)      : {t_torch * 1e3:7.2f} ms   ratio {t_torch / t_np:.2f}x")


def bench_norm(name, shape, layer, axes, param_axes, repeats, rng, torch) -> None:
    """One normalization layer: gradients checked equal, then the timings."""
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    w, b = layer.weight.data, layer.bias.data
    ours = autonet_layer(layer, x, g)
    _, *reference = numpy_norm(x, w, b, g, axes, param_axes)
    for got, want in zip(ours, reference):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
    t_an = best_of(lambda: autonet_layer(layer, x, g), repeats)
    t_np = best_of(lambda: numpy_norm(x, w, b, g, axes, param_axes), repeats)
    extra = ""
    if axes == (2,):
        t_composed = best_of(lambda: composed_layer_norm(layer, x, g), repeats)
        extra = f"   (composed of small ops: {t_composed / t_np:.2f}x)"
    t_torch = None
    if torch is not None:
        module = (torch.nn.LayerNorm(64) if axes == (2,) else torch.nn.BatchNorm1d(64))
        tx, tg = torch.tensor(x), torch.tensor(g)

        def step(module=module, tx=tx, tg=tg):
            xt = tx.clone().requires_grad_(True)
            module(xt).backward(tg)

        t_torch = best_of(step, repeats)
    report(name, t_np, t_an, t_torch, extra)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    repeats = 5 if parser.parse_args(argv).quick else 30
    rng = np.random.default_rng(0)
    torch = _torch()

    for name, shape, layer, axes, param_axes in (
            ("(a) LayerNorm(64) on (32, 50, 64) float32, forward + backward", (32, 50, 64),
             nn.LayerNorm(64), (2,), (0, 1)),
            ("(b) BatchNorm1d(64), train(), on (256, 64) float32, forward + backward",
             (256, 64), nn.BatchNorm1d(64), (0,), (0,))):
        bench_norm(name, shape, layer, axes, param_axes, repeats, rng, torch)

    x = rng.standard_normal((32, 50, 256)).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    np.testing.assert_allclose(autonet_gelu(x, g), numpy_gelu(x, g)[1], rtol=1e-5, atol=1e-6)
    t_torch = None
    if torch is not None:
        tx, tg = torch.tensor(x), torch.tensor(g)

        def gelu_step():
            xt = tx.clone().requires_grad_(True)
            torch.nn.functional.gelu(xt).backward(tg)

        t_torch = best_of(gelu_step, repeats)
    report("(c) GELU (erf) on (32, 50, 256) float32, forward + backward",
           best_of(lambda: numpy_gelu(x, g), repeats),
           best_of(lambda: autonet_gelu(x, g), repeats), t_torch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
