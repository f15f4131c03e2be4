"""autonet's random generators: one per thread, seeded with ``manual_seed``.

Every random draw in autonet (rand, randn, weight init, dropout) comes from ``rng()``, the
calling thread's generator. ``manual_seed(s)`` seeds the calling thread's generator with ``s``
(in a single-threaded program exactly ``np.random.default_rng(s)``, as always) and sets the seed
that threads drawing for the first time afterwards derive theirs from (``SeedSequence([s, k])``
for the k-th such thread). So threads never share a generator and never disturb one another:
a hyperparameter search gives each trial ``seeded(trial_seed)``, and a trial draws the same
numbers in this process, on a thread pool or in a worker process.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["manual_seed", "rng", "seeded"]


class _ThreadGenerator(threading.local):
    def __init__(self) -> None:
        self.generator: np.random.Generator | None = None


_local = _ThreadGenerator()
_main = threading.main_thread()
_base_seed: list[int | None] = [None]  # what new threads derive their generator from
_thread_count = itertools.count()


def _checked_seed(seed: Any, call: str) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{call}: seed must be a non-negative integer (or None), got {seed!r} "
                        f"({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"{call}: seed must be a non-negative integer, got {seed}")
    return int(seed)


def manual_seed(seed: int | None) -> np.random.Generator:
    """Seed the calling thread's generator (rand, randn, init, dropout) for reproducible runs,
    and the seed that threads drawing for the first time from now on derive theirs from."""
    seed = _checked_seed(seed, "manual_seed")
    _base_seed[0] = seed
    _local.generator = np.random.default_rng(seed)
    return _local.generator


def rng() -> np.random.Generator:
    """The calling thread's generator behind every random draw in autonet."""
    generator = _local.generator
    if generator is None:
        seed = _base_seed[0]
        if threading.current_thread() is _main or seed is None:
            generator = np.random.default_rng(seed)
        else:
            generator = np.random.default_rng(np.random.SeedSequence([seed, next(_thread_count)]))
        _local.generator = generator
    return generator


@contextmanager
def seeded(seed: int) -> Iterator[np.random.Generator]:
    """``with seeded(s):`` the calling thread draws from a generator seeded with ``s`` (as after
    ``manual_seed(s)``); its previous generator is back afterwards."""
    seed = _checked_seed(seed, "seeded")
    previous = _local.generator
    _local.generator = np.random.default_rng(seed)
    try:
        yield _local.generator
    finally:
        _local.generator = previous
