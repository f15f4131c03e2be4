"""One training step of an MLP 784-256-128-10 (ReLU, batch 128, float32): autonet vs hand-written
numpy forward/backward/SGD update of the same network on the same data.

    python benchmarks/mlp_step.py [--quick | --repeats N]

Checks first that both compute the same loss and gradients, then prints the time ratio (the
median over alternating rounds of each round's autonet / numpy time; the best times beside it)
and the peak-memory ratio (tracemalloc, one step each).
Targets: <= 1.05x time (compiled <= 0.95x), <= 1.3x memory.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

try:
    import resource  # page faults (Unix only)
except ImportError:
    resource = None

import autonet as an
from autonet import nn

SIZES = (784, 256, 128, 10)
BATCH = 128
LR = 0.01


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH)
    return x, y


def make_model() -> nn.Sequential:
    an.manual_seed(0)
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(SIZES, SIZES[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def numpy_step(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, lr: float = LR,
               update: bool = True) -> tuple[float, list[np.ndarray]]:
    """Forward, softmax cross-entropy, backward and SGD update by hand. params = [W1, b1, ...]."""
    n_layers = len(params) // 2
    activations = [x]
    pre = []
    a = x
    for layer in range(n_layers):
        w, b = params[2 * layer], params[2 * layer + 1]
        z = a @ w.T
        z += b
        pre.append(z)
        a = np.maximum(z, 0) if layer < n_layers - 1 else z
        activations.append(a)
    logits = activations[-1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
    dz = exp / total
    dz[rows, y] -= 1
    dz /= len(y)
    grads: list[np.ndarray] = [None] * len(params)  # type: ignore[list-item]
    for layer in reversed(range(n_layers)):
        w = params[2 * layer]
        grads[2 * layer] = dz.T @ activations[layer]
        grads[2 * layer + 1] = dz.sum(axis=0)
        if layer:
            da = dz @ w
            dz = da * (pre[layer - 1] > 0)
    if update:
        for p, g in zip(params, grads):
            step = _SCRATCH.get(p.shape)  # kept between steps: no fresh temporary to page in
            if step is None:
                step = _SCRATCH[p.shape] = np.empty_like(p)
            np.multiply(g, lr, out=step)
            p -= step
    return loss, grads


_SCRATCH: dict[tuple[int, ...], np.ndarray] = {}


def autonet_step(model: nn.Module, optimizer: an.optim.Optimizer, x: an.Tensor,
                 y: np.ndarray) -> float:
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def compiled_step(model: nn.Module, optimizer: an.optim.Optimizer):
    """The same step with forward and backward through an.compile (the update stays outside)."""
    def forward_backward(x: an.Tensor, y: np.ndarray) -> an.Tensor:
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss

    replay = an.compile(forward_backward)

    def step(x: an.Tensor, y: np.ndarray) -> float:
        optimizer.zero_grad()
        loss = replay(x, y)
        optimizer.step()
        return loss.item()
    return step


def check_same_gradients(model: nn.Module, x: np.ndarray, y: np.ndarray) -> None:
    params = [p.data.copy() for p in model.parameters()]
    loss_np, grads_np = numpy_step(params, x, y, update=False)
    model.zero_grad()
    loss = nn.functional.cross_entropy(model(an.tensor(x)), y)
    loss.backward()
    if not np.isclose(loss.item(), loss_np, rtol=1e-5):
        raise RuntimeError(f"losses differ: autonet {loss.item()} vs numpy {loss_np}")
    for (name, p), g in zip(model.named_parameters(), grads_np):
        if not np.allclose(p.grad, g, rtol=1e-4, atol=1e-6):
            raise RuntimeError(f"gradient of {name} differs: max abs diff "
                               f"{np.max(np.abs(p.grad - g))}")
    model.zero_grad()


def steady_allocator() -> None:
    """Keep freed memory in the process (glibc's mallopt; nothing elsewhere) for both sides.

    By default glibc serves large blocks with fresh mappings and returns freed memory at the top
    of the heap to the system, depending on the heap's state; then one side of a comparison can
    page in its arrays anew every step while the other does not (the numpy MLP step was seen to
    take about 410 page faults per step in some processes and none in others, moving its time by
    15 %). With fixed thresholds neither side pays that, so the steps are timed on their work."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 * 2**20)  # blocks below 32 MiB come from the heap
    libc.mallopt(m_trim_threshold, 512 * 2**20)  # and freed ones stay there


def _page_faults() -> float:
    """Minor page faults of this process so far (nan where the system does not count them)."""
    return float("nan") if resource is None else resource.getrusage(resource.RUSAGE_SELF).ru_minflt


FAULTS: list[float] = []  # median page faults per step of the last _time_steps, per step


def _time_steps(steps: list[Callable[[], object]], repeats: int
                ) -> tuple[list[float], list[float]]:
    """Each step's smallest wall time over ``repeats`` rounds, and the median over the rounds of
    its time divided by step 0's time in the same round (the ratio the targets are about).

    The steps alternate within a round and each runs right after a gc.collect(), so a round
    compares them under the same machine load. The median of those paired ratios is steadier
    than a ratio of two minima taken at different moments: on the shared 2-core machine the
    minima alone moved the MLP ratio by about 0.1 between runs of the same code (1.035-1.13),
    the paired median by about 0.05 (1.06-1.12)."""
    steady_allocator()
    for step in steps:
        for _ in range(3):
            step()
    rounds = np.empty((repeats, len(steps)))
    faults = np.empty((repeats, len(steps)))
    for r in range(repeats):
        for i, step in enumerate(steps):
            gc.collect()
            before = _page_faults()
            start = time.perf_counter()
            step()
            rounds[r, i] = time.perf_counter() - start
            faults[r, i] = _page_faults() - before
    FAULTS[:] = np.median(faults, axis=0)
    ratios = np.median(rounds / rounds[:, :1], axis=0)
    return list(rounds.min(axis=0)), list(ratios)


def _peak_memory(step: Callable[[], object]) -> int:
    step()
    tracemalloc.start()
    tracemalloc.reset_peak()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the comparison, print it, and return the measurements. ``argv``: ``--quick`` (fewer
    repeats) or ``--repeats N``."""
    parser = argparse.ArgumentParser(description="MLP training step: autonet vs numpy")
    parser.add_argument("--quick", action="store_true", help="15 repeats instead of 50")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    repeats = 15 if args.quick else args.repeats
    x, y = make_data()
    model = make_model()
    check_same_gradients(model, x, y)
    params = [p.data.copy() for p in model.parameters()]
    optimizer = an.optim.SGD(model.parameters(), lr=LR)
    xt = an.tensor(x)

    def run_numpy() -> object:
        return numpy_step(params, x, y)

    def run_autonet() -> object:
        return autonet_step(model, optimizer, xt, y)

    step = compiled_step(model, optimizer)

    def run_compiled() -> object:
        return step(xt, y)

    best, ratios = _time_steps([run_numpy, run_autonet, run_compiled], repeats)
    time_np, time_an, time_co = best
    mem_np, mem_an = _peak_memory(run_numpy), _peak_memory(run_autonet)
    result = {
        "numpy_ms": time_np * 1e3, "autonet_ms": time_an * 1e3, "time_ratio": ratios[1],
        "numpy_peak_kb": mem_np / 1024, "autonet_peak_kb": mem_an / 1024,
        "memory_ratio": mem_an / mem_np, "compiled_ms": time_co * 1e3,
        "compiled_ratio": ratios[2], "best_time_ratio": time_an / time_np,
        "best_compiled_ratio": time_co / time_np,
    }
    print(f"MLP {'-'.join(map(str, SIZES))} ReLU, batch {BATCH}, float32, one SGD step "
          f"(gradients checked equal; ratios: median of {repeats} paired rounds)")
    print(f"  time:   numpy {result['numpy_ms']:.3f} ms, autonet {result['autonet_ms']:.3f} ms, "
          f"ratio {ratios[1]:.3f}x (target <= 1.05x; of the best times {time_an / time_np:.3f}x)")
    print(f"  compiled: {result['compiled_ms']:.3f} ms, ratio {ratios[2]:.3f}x "
          f"(target <= 0.95x; of the best times {time_co / time_np:.3f}x)")
    print(f"  page faults per step: numpy {FAULTS[0]:.0f}, autonet {FAULTS[1]:.0f}, compiled "
          f"{FAULTS[2]:.0f}")
    print(f"  memory: numpy {result['numpy_peak_kb']:.0f} KiB, autonet "
          f"{result['autonet_peak_kb']:.0f} KiB, ratio {result['memory_ratio']:.3f}x "
          "(target <= 1.3x)")
    return result


if __name__ == "__main__":
    main()
