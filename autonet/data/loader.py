"""DataLoader: batches of Tensors from a Dataset, shuffled with its own seeded generator.

batch_size=1 is stochastic gradient descent, batch_size=len(dataset) is (full) batch gradient
descent, anything in between is mini-batch gradient descent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from autonet.arguments import flag, integer
from autonet.data.dataset import Dataset, Samples, TensorDataset
from autonet.tensor import Tensor


def _to_tensor(array: np.ndarray) -> Tensor:
    # Features become float32 (the engine's default); integer labels stay int64 for losses.
    array = np.asarray(array)
    if array.dtype.kind == "f" and array.dtype != np.float32:
        array = array.astype(np.float32)
    elif array.dtype.kind in "iu":
        array = array.astype(np.int64, copy=False)
    elif array.dtype.kind == "b":
        array = array.astype(np.float32)
    return Tensor._wrap(np.ascontiguousarray(array))


class DataLoader:
    """Iterate over ``dataset`` in batches; each batch is a tuple of Tensors (or one Tensor).

    Args:
        dataset: a Dataset, a tuple ``(X, y)`` of arrays (wrapped in a TensorDataset), or a
            list of samples ``[(x0, y0), (x1, y1), ...]`` (tuples or dicts, as in PyTorch).
        batch_size: samples per batch; the last batch is smaller unless ``drop_last``.
        shuffle: draw a new random order every epoch (each sample still appears exactly once).
        drop_last: skip the final incomplete batch.
        seed: seeds this loader's own numpy Generator, so shuffling is reproducible and does not
            disturb (nor depend on) the global ``an.manual_seed`` stream.

    Every epoch (each ``iter(loader)``) visits every sample exactly once (minus the dropped tail).
    ``rng_state()``/``set_rng_state()`` save and restore the shuffling generator for checkpoints.
    """

    def __init__(self, dataset: Dataset | tuple, batch_size: int = 32, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None) -> None:
        if isinstance(dataset, list) and dataset and \
                all(isinstance(sample, tuple | dict) for sample in dataset):
            dataset = Samples(dataset)  # [(x0, y0), (x1, y1), ...]: one tuple per sample
        elif isinstance(dataset, tuple | list):
            if not dataset or any(np.ndim(part) == 0 for part in dataset):
                raise TypeError(f"DataLoader: dataset {dataset!r:.60} must be a Dataset or a "
                                "tuple of arrays (X, y) with one row per sample")
            dataset = TensorDataset(*dataset)
        if not isinstance(dataset, Dataset):
            raise TypeError(f"DataLoader: expected a Dataset or a tuple of arrays, got "
                            f"{type(dataset).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, "
                             f"got {batch_size!r}")
        if len(dataset) == 0:
            raise ValueError("DataLoader: the dataset is empty")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = flag(shuffle, "DataLoader", "shuffle")
        self.drop_last = flag(drop_last, "DataLoader", "drop_last")
        self.seed = None if seed is None else integer(seed, "DataLoader", "seed", minimum=0)
        self.generator = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        return self.generator.permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        for b in range(len(self)):
            indices = order[b * self.batch_size:(b + 1) * self.batch_size]
            batch = self.dataset.batch(indices)
            if isinstance(batch, tuple | list):
                yield tuple(_to_tensor(part) for part in batch)
            elif isinstance(batch, dict):
                yield {key: _to_tensor(part) for key, part in batch.items()}
            else:
                yield _to_tensor(batch)

    def rng_state(self) -> dict:
        """The shuffling generator's state (a JSON-able dict) for checkpoints."""
        return self.generator.bit_generator.state

    def set_rng_state(self, state: dict) -> None:
        """Restore a state from ``rng_state()``; the next epoch shuffles as it would have."""
        self.generator.bit_generator.state = state
