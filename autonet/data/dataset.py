"""Datasets: indexable collections of samples, and ways to split them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.arguments import integer
from autonet.tensor import as_array


class Dataset:
    """A sized, indexable collection of samples; ``dataset[i]`` returns one sample (often a tuple
    ``(features, label)``). Subclass it and define ``__len__`` and ``__getitem__``."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def batch(self, indices: np.ndarray) -> Any:
        """Samples ``indices`` stacked along a new first axis (DataLoader calls this). The default
        gathers one sample at a time; array-backed datasets override it with one fancy index."""
        return collate([self[int(i)] for i in indices], [int(i) for i in indices],
                       type(self).__name__)


class Samples(Dataset):
    """A list of samples, each a tuple such as ``(features, label)`` (PyTorch's usual dataset):
    ``Samples([(x0, y0), (x1, y1)])[1] == (x1, y1)``; batches stack each part."""

    def __init__(self, samples: Sequence[Any]) -> None:
        self.samples = list(samples)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Any:
        return self.samples[index]


def collate(samples: list, indices: list[int], where: str) -> Any:
    """Samples stacked along a new first axis: a tuple (or dict) of arrays for tuple (dict)
    samples, one array otherwise. A sample whose parts do not match the first one's is an
    error naming it (``where``: the dataset, ``indices``: the samples' positions in it)."""
    first = samples[0]
    if isinstance(first, tuple | list):
        for sample, i in zip(samples, indices):
            if not isinstance(sample, tuple | list) or len(sample) != len(first):
                raise ValueError(f"{where}: sample {i} is {_kind(sample)} where sample "
                                 f"{indices[0]} is {_kind(first)}; every sample needs the same "
                                 "parts, e.g. (features, label)")
        return tuple(_stack([s[k] for s in samples], indices, where, f"part {k} of ")
                     for k in range(len(first)))
    if isinstance(first, dict):
        for sample, i in zip(samples, indices):
            if not isinstance(sample, dict) or sample.keys() != first.keys():
                raise ValueError(f"{where}: sample {i} has keys {_kind(sample)} where sample "
                                 f"{indices[0]} has {sorted(first)}; every sample needs the "
                                 "same keys")
        return {key: _stack([s[key] for s in samples], indices, where, f"{key!r} of ")
                for key in first}
    return _stack(samples, indices, where, "")


def _kind(sample: Any) -> str:
    if isinstance(sample, dict):
        return str(sorted(sample))
    if isinstance(sample, tuple | list):
        return f"a {type(sample).__name__} of {len(sample)}"
    return type(sample).__name__


def _stack(parts: list, indices: list[int], where: str, part: str) -> np.ndarray:
    arrays = [_as_array(p) for p in parts]
    for given, array, i in zip(parts, arrays, indices):
        if array.dtype.kind not in "biufc":
            raise TypeError(f"{where}: {part}sample {i} holds {type(given).__name__} (dtype "
                            f"{array.dtype}), not numbers; return numbers, arrays or tensors "
                            "from __getitem__")
        if array.shape != arrays[0].shape:
            raise ValueError(f"{where}: {part}sample {i} has shape {array.shape} where {part}"
                             f"sample {indices[0]} has {arrays[0].shape}; pad or resize them to "
                             "one shape (or use batch_size=1)")
    return np.stack(arrays)


def _as_array(a: Any) -> np.ndarray:
    return np.asarray(as_array(a))


class TensorDataset(Dataset):
    """Samples are rows of equally long arrays: ``TensorDataset(X, y)[i] == (X[i], y[i])``.

    Args:
        *arrays: arrays or Tensors, all with the same first dimension N (X of shape (N, ...),
            y of shape (N,) for class indices or (N, k) for targets).
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: give at least one array, e.g. TensorDataset(X, y)")
        self.arrays = tuple(_as_array(a) for a in arrays)
        for i, (given, array) in enumerate(zip(arrays, self.arrays)):
            if array.ndim == 0 or array.dtype.kind not in "biufc":
                raise TypeError(f"TensorDataset: array {i} must be an array of numbers with one "
                                f"row per sample, got {given!r:.60} "
                                f"({'a scalar' if array.ndim == 0 else f'dtype {array.dtype}'})")
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: arrays have different lengths {lengths}; "
                             "every array needs one row per sample")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)

    def batch(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def batch(self, indices: np.ndarray) -> Any:
        return self.dataset.batch(self.indices[np.asarray(indices)])


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _split_sizes(n: int, lengths: Sequence[float]) -> list[int]:
    if all(isinstance(x, float | np.floating) for x in lengths) \
            and abs(sum(lengths) - 1.0) < 1e-6:
        sizes = [int(np.floor(n * f)) for f in lengths]
        for k in range(n - sum(sizes)):  # hand out the remainder one by one, as PyTorch does
            sizes[k % len(sizes)] += 1
        return sizes
    if all(isinstance(x, float | np.floating) and 0 <= x <= 1 for x in lengths):
        raise ValueError(f"random_split: the fractions {list(lengths)} sum to {sum(lengths):.6g}, "
                         f"not 1; give fractions summing to 1 (e.g. [0.8, 0.2]) or counts "
                         f"summing to {n}")
    sizes = [integer(x, "random_split", "lengths") for x in lengths]  # (2.5 is no count)
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise ValueError(f"random_split: lengths {list(lengths)} must be non-negative counts "
                         f"summing to {n}, or fractions summing to 1")
    return sizes


def random_split(dataset: Dataset, lengths: Sequence[float],
                 seed: int | np.random.Generator | None = 0) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given sizes (counts, or
    fractions summing to 1). Deterministic for a given ``seed``."""
    sizes = _split_sizes(len(dataset), lengths)
    order = _generator(seed).permutation(len(dataset))
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def train_test_split(*arrays: Any, test_size: float = 0.25, seed: int | None = 0,
                     stratify: Any = None) -> list[np.ndarray]:
    """Shuffle and split arrays of N rows into train and test parts, like scikit-learn's:
    ``X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)``.

    ``test_size`` is a fraction in (0, 1) or a count. ``stratify`` (labels, shape (N,)) keeps each
    class's share the same in both parts."""
    if not arrays:
        raise ValueError("train_test_split: give at least one array")
    arrays = tuple(_as_array(a) for a in arrays)
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"train_test_split: arrays have lengths {[len(a) for a in arrays]}; "
                         "they must all have the same number of rows")
    fraction = isinstance(test_size, float | np.floating)  # np.float32(0.2) is a fraction too
    n_test = int(round(float(test_size) * n)) if fraction else int(test_size)
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: test_size={test_size} leaves {n_test} of {n} rows "
                         "for testing; use a fraction in (0, 1) or a count in [1, N-1]")
    rng = _generator(seed)
    if stratify is None:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        labels = _as_array(stratify)
        if labels.shape != (n,):
            raise ValueError(f"train_test_split: stratify has shape {labels.shape} but the "
                             f"arrays have {n} rows; pass one label per row, shape ({n},)")
        test_parts, train_parts = [], []
        for c in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == c))
            k = int(round(len(idx) * n_test / n))
            test_parts.append(idx[:k])
            train_parts.append(idx[k:])
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    out: list[np.ndarray] = []
    for a in arrays:
        out += [a[train], a[test]]
    return out
