"""autonet benchmarks: ratios against hand-written numpy doing the same work.

    python benchmarks/run.py            # everything
    python benchmarks/run.py --quick    # fewer repeats
    python benchmarks/run.py --only a,c # some of them (letters below)

(a) per-op overhead: a chain of 200 elementwise ops on 16x16 float32 plus backward, against numpy
    forward + hand-written backward of the same chain (numpy itself is the floor);
(b) depth: backward through chains of 10k, 30k and 100k ops (time per op should stay flat);
(c) one MLP training step (benchmarks/mlp_step.py), gradients checked equal first;
(d) one conv layer step, batch 32, 1x28x28 -> 8 channels, 3x3 (benchmarks/conv_step.py);
(e) one LSTM forward + backward, 50 steps (benchmarks/lstm_step.py), against numpy with
    backpropagation through time by hand, gradients checked equal first;
(f) a chain of 20,000 ops on 0-d float64 tensors plus backward, against the same chain on plain
    Python floats with a hand-written backward (the cost of the engine when numpy does nothing).
PyTorch (CPU) is timed on (a), (d) and (e) too when it is installed. The ratios of (a) and (c)-(f)
are the median over alternating rounds of each round's ratio (benchmarks/mlp_step.py:
_time_steps); the us/op and ms figures are the best times.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import autonet as an  # noqa: E402
from benchmarks.mlp_step import _time_steps  # noqa: E402  (the paired rounds of every benchmark)

CHAIN = 200
SHAPE = (16, 16)
SCALAR_CHAIN = 20_000


def _inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    w = (rng.uniform(0.5, 1.5, SHAPE)).astype(np.float32)
    b = (rng.standard_normal(SHAPE) * 0.1).astype(np.float32)
    return x, w, b


def chain_forward(y, w, b):
    """tanh, *w, +b, sigmoid repeated: 200 ops. Works on autonet and PyTorch tensors alike."""
    for i in range(CHAIN):
        step = i % 4
        y = y.tanh() if step == 0 else y * w if step == 1 else y + b if step == 2 else y.sigmoid()
    return y


def chain_autonet(x, w, b):
    """The chain, then backward."""
    xt, wt, bt = (an.tensor(a, requires_grad=True) for a in (x, w, b))
    chain_forward(xt, wt, bt).backward(np.ones(SHAPE, np.float32))
    return xt.grad, wt.grad, bt.grad


def _chain_step(xt, wt, bt):
    out = chain_forward(xt, wt, bt)
    out.backward(np.ones(SHAPE, np.float32))
    return out


_compiled_chain = an.compile(_chain_step)


def chain_compiled(x, w, b):
    """The chain through an.compile: traced once, then replayed as straight-line numpy."""
    xt, wt, bt = (an.tensor(a, requires_grad=True) for a in (x, w, b))
    _compiled_chain(xt, wt, bt)
    return xt.grad, wt.grad, bt.grad


def chain_numpy(x, w, b):
    """The same chain with a hand-written backward: what a careful numpy programmer would write."""
    saved = []
    y = x
    for i in range(CHAIN):
        step = i % 4
        if step == 0:
            y = np.tanh(y)
            saved.append(y)
        elif step == 1:
            saved.append(y)
            y = y * w
        elif step == 2:
            y = y + b
            saved.append(None)
        else:
            y = np.tanh(y * 0.5) * 0.5 + 0.5
            saved.append(y)
    return chain_backward(saved, w, np.ones(SHAPE, np.float32), np.zeros_like(w),
                          np.zeros_like(b))


def chain_torch(x, w, b):
    import torch

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    chain_forward(xt, wt, bt).backward(torch.ones(SHAPE))
    return xt.grad


def bench_chain(repeats: int) -> None:
    x, w, b = _inputs()
    ours = chain_autonet(x, w, b)
    reference = chain_numpy(x, w, b)
    for got, want in zip(ours, reference):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    for got, want in zip(chain_compiled(x, w, b), ours):
        np.testing.assert_array_equal(got, want)
    steps = [lambda: chain_numpy(x, w, b), lambda: chain_autonet(x, w, b),
             lambda: chain_compiled(x, w, b)]
    try:
        import torch  # noqa: F401
    except ImportError:
        torch = None
    else:
        steps.append(lambda: chain_torch(x, w, b))
    best, ratios = _time_steps(steps, repeats)
    per_op = [t / CHAIN * 1e6 for t in best]
    print(f"(a) chain of {CHAIN} elementwise ops on {SHAPE} float32, forward + backward "
          f"(ratios: median of {repeats} paired rounds)")
    print(f"    numpy hand-written : {per_op[0]:7.2f} us/op")
    print(f"    autonet            : {per_op[1]:7.2f} us/op   ratio {ratios[1]:.2f}x "
          f"(target <= 2.5x)")
    print(f"    autonet compiled   : {per_op[2]:7.2f} us/op   ratio {ratios[2]:.2f}x "
          f"(target <= 1.3x)")
    if torch is None:
        print("    pytorch            :  not installed")
    else:
        print(f"    pytorch (CPU)      : {per_op[3]:7.2f} us/op   ratio {ratios[3]:.2f}x")


def bench_depth(repeats: int) -> None:
    print("(b) backward through a chain of n ops (x * 1.0 on 4 float32), time per op")
    for n in (10_000, 30_000, 100_000):
        def run(n: int = n) -> float:
            x = an.tensor(np.ones(4, np.float32), requires_grad=True)
            y = x
            for _ in range(n):
                y = y * 1.0
            start = time.perf_counter()
            y.sum().backward()
            return time.perf_counter() - start

        t = min(run() for _ in range(max(1, repeats // 10)))
        print(f"    n = {n:>7,}: backward {t * 1e3:8.1f} ms  ({t / n * 1e6:.2f} us/op)")


def scalar_chain_autonet(x: float, w: float, b: float) -> tuple:
    """The chain of (a) on 0-d float64 tensors, SCALAR_CHAIN ops, then backward."""
    xt, wt, bt = (an.tensor(np.float64(v), requires_grad=True) for v in (x, w, b))
    y = xt
    for i in range(SCALAR_CHAIN):
        step = i % 4
        y = y.tanh() if step == 0 else y * wt if step == 1 else y + bt if step == 2 else y.sigmoid()
    y.backward()
    return xt.grad, wt.grad, bt.grad


def _scalar_step(xt, wt, bt):
    y = xt
    for i in range(SCALAR_CHAIN):
        step = i % 4
        y = y.tanh() if step == 0 else y * wt if step == 1 else y + bt if step == 2 else y.sigmoid()
    y.backward()
    return y


_compiled_scalar = an.compile(_scalar_step)


def scalar_chain_compiled(x: float, w: float, b: float) -> tuple:
    xt, wt, bt = (an.tensor(np.float64(v), requires_grad=True) for v in (x, w, b))
    _compiled_scalar(xt, wt, bt)
    return xt.grad, wt.grad, bt.grad


def chain_backward(saved: list, w: Any, g: Any, gw: Any, gb: Any) -> tuple:
    """The chain's hand-written backward (arrays or Python floats alike), from the values the
    forward saved: tanh' = 1 - y^2, (y w)' = w and y, (y + b)' = 1, sigmoid' = s (1 - s)."""
    for i in reversed(range(len(saved))):
        step = i % 4
        s = saved[i]
        if step == 0:
            g = g * (1 - s * s)
        elif step == 1:
            gw += g * s
            g = g * w
        elif step == 2:
            gb += g
        else:
            g = g * s * (1 - s)
    return g, gw, gb


def scalar_chain_python(x: float, w: float, b: float) -> tuple:
    """The same chain on Python floats with a hand-written backward."""
    saved = []
    y = x
    for i in range(SCALAR_CHAIN):
        step = i % 4
        if step == 0:
            y = math.tanh(y)
            saved.append(y)
        elif step == 1:
            saved.append(y)
            y = y * w
        elif step == 2:
            y = y + b
            saved.append(0.0)
        else:
            y = 1 / (1 + math.exp(-y))
            saved.append(y)
    return chain_backward(saved, w, 1.0, 0.0, 0.0)


def bench_scalar_chain(repeats: int) -> None:
    args = (0.3, 1.1, 0.05)
    for got, want in zip(scalar_chain_autonet(*args), scalar_chain_python(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    for got, want in zip(scalar_chain_compiled(*args), scalar_chain_autonet(*args)):
        np.testing.assert_array_equal(got, want)
    runs = max(5, repeats // 3)
    best, ratios = _time_steps([lambda: scalar_chain_python(*args),
                                lambda: scalar_chain_autonet(*args),
                                lambda: scalar_chain_compiled(*args)], runs)
    per_op = [t / SCALAR_CHAIN * 1e6 for t in best]
    print(f"(f) chain of {SCALAR_CHAIN:,} ops on 0-d float64, forward + backward "
          f"(ratios: median of {runs} paired rounds)")
    print(f"    python floats      : {per_op[0]:7.3f} us/op")
    print(f"    autonet            : {per_op[1]:7.3f} us/op   ratio {ratios[1]:.1f}x "
          "(target <= 40x)")
    print(f"    autonet compiled   : {per_op[2]:7.3f} us/op   ratio {ratios[2]:.1f}x "
          "(target <= 15x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", default="abcdef", metavar="LETTERS",
                        help="run only these benchmarks, e.g. --only a,c (default: all)")
    args = parser.parse_args(argv)
    only = set(args.only.replace(",", "").lower())
    unknown = only - set("abcdef")
    if unknown:
        parser.error(f"--only: unknown benchmark {', '.join(sorted(unknown))}; choose from a-f")
    repeats = 5 if args.quick else 30
    print(f"autonet {an.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    for letter, bench in (("a", bench_chain), ("b", bench_depth), ("f", bench_scalar_chain)):
        if letter in only:
            bench(repeats)
    # (c) in a process of its own: importing PyTorch above changes how memory is allocated and
    # would skew both sides of the MLP comparison
    here = Path(__file__).resolve().parent
    quick = ["--quick"] if args.quick else []
    status = 0
    for letter, script in STEPS:
        if letter not in only:
            continue
        print(f"({letter})", end=" ", flush=True)
        status = subprocess.call([sys.executable, str(here / script), *quick]) or status
    return status


# the training-step benchmarks, each a script of its own run in a fresh process
STEPS = (("c", "mlp_step.py"), ("d", "conv_step.py"), ("e", "lstm_step.py"))


if __name__ == "__main__":
    raise SystemExit(main())
