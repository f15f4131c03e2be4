"""Standardization and one-hot encoding. Fit statistics on the training split only, then apply the
same transform to validation and test data (otherwise information leaks from them into training)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autonet.tensor import as_array


def _array(x: Any) -> np.ndarray:
    return np.asarray(as_array(x))


class StandardScaler:
    """x -> (x - mean) / std per feature (column), with mean and std of the data given to ``fit``.

    Features with zero spread get std 1 so they map to 0 instead of dividing by zero.
    ``state_dict()``/``load_state_dict()`` keep the statistics with a saved model. The fitted
    statistics are ``mean`` and ``std`` (feature-shaped arrays; None before ``fit``): no trailing
    underscore, which in autonet means an in-place method as in PyTorch (``zero_``).
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, x: Any) -> StandardScaler:
        """Learn per-feature mean and std from ``x`` of shape (N, ...features)."""
        x = _array(x).astype(np.float64)
        if x.ndim == 0 or len(x) == 0:
            raise ValueError(f"StandardScaler.fit: need an array of shape (N, ...) with N >= 1, "
                             f"got shape {x.shape}")
        self.mean = x.mean(axis=0)
        std = x.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, x: Any) -> np.ndarray:
        """Standardize ``x`` with the fitted statistics (float32 result for float32/int input)."""
        if self.mean is None or self.std is None:
            raise RuntimeError("StandardScaler.transform: call fit(train_x) first")
        x = _array(x)
        if x.shape[1:] != self.mean.shape:
            raise ValueError(f"StandardScaler.transform: features of shape {x.shape[1:]} do not "
                             f"match the fitted shape {self.mean.shape}")
        dtype = x.dtype if x.dtype.kind == "f" else np.float32
        return ((x - self.mean) / self.std).astype(dtype)

    def fit_transform(self, x: Any) -> np.ndarray:
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> np.ndarray:
        if self.mean is None or self.std is None:
            raise RuntimeError("StandardScaler.inverse_transform: call fit(train_x) first")
        x = _array(x)
        return (x * self.std + self.mean).astype(x.dtype if x.dtype.kind == "f" else np.float32)

    def state_dict(self) -> dict[str, np.ndarray]:
        if self.mean is None or self.std is None:
            raise RuntimeError("StandardScaler.state_dict: the scaler is not fitted")
        return {"mean": self.mean.copy(), "std": self.std.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean = np.asarray(state["mean"], dtype=np.float64)
        self.std = np.asarray(state["std"], dtype=np.float64)


def standardize(train: Any, *others: Any) -> tuple[np.ndarray, ...]:
    """Standardize ``train`` with its own statistics and every array in ``others`` with the same
    ones: ``X_train, X_val = standardize(X_train, X_val)``."""
    scaler = StandardScaler().fit(train)
    return (scaler.transform(train), *(scaler.transform(o) for o in others))


def one_hot(labels: Any, num_classes: int | None = None) -> np.ndarray:
    """Class indices of shape (N,) -> float32 one-hot matrix of shape (N, num_classes)."""
    labels = _array(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    k = int(labels.max()) + 1 if num_classes is None else num_classes
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"one_hot: labels range [{labels.min()}, {labels.max()}] does not fit "
                         f"num_classes={k}")
    out = np.zeros((labels.size, k), np.float32)
    out[np.arange(labels.size), labels.ravel()] = 1.0
    return out.reshape(*labels.shape, k)
