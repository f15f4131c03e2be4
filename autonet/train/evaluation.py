"""A model in eval mode without a graph: mean loss and metrics (evaluate; outputs come from
nn.utils.predict); and turning the data forms fit accepts into batches."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from autonet.data.dataset import Dataset
from autonet.data.loader import DataLoader
from autonet.nn.utils import inference, predict  # noqa: F401  (predict: an.train.predict)
from autonet.tensor import Tensor
from autonet.train.metrics import accuracy, threshold_for


def as_loader(data: Any, batch_size: int, shuffle: bool, seed: int | None,
              name: str) -> DataLoader:
    """``data`` as a DataLoader: a DataLoader as is, a Dataset or a tuple ``(X, y)`` batched."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset | tuple | list):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, seed=seed)
    raise TypeError(f"fit: {name} must be a DataLoader, a Dataset or a tuple (X, y), "
                    f"got {type(data).__name__}")


def split_batch(batch: Any) -> tuple[Tensor, Tensor]:
    """(inputs, targets) of a batch; a batch is a pair (more items are ignored)."""
    if not isinstance(batch, tuple | list) or len(batch) < 2:
        raise ValueError("fit: each batch must be (inputs, targets); build the DataLoader from "
                         "a dataset that yields pairs, e.g. TensorDataset(X, y)")
    return batch[0], batch[1]


def evaluate(model: Any, loss_fn: Callable, data: Any, batch_size: int = 256,
             metrics: Mapping[str, Callable] | None = None,
             step: Callable | None = None) -> dict[str, float]:
    """Mean loss (and accuracy for classification) of ``model`` on ``data`` in eval mode, without
    recording a graph. Returns {"loss": ..., "accuracy": ...}. ``step(x, y) -> (output, loss)``
    replaces ``model`` and ``loss_fn`` on each batch when given (fit passes a compiled one)."""
    loader = as_loader(data, batch_size, False, None, "data")
    total, n, outs, targets = 0.0, 0, [], []
    with inference(model):
        for batch in loader:
            x, y = split_batch(batch)
            if step is None:
                out = model(x)
                loss = loss_fn(out, y)
            else:
                out, loss = step(x, y)
            total += float(loss.item()) * len(y.data)
            n += len(y.data)
            outs.append(out.data)
            targets.append(y.data)
    output, target = np.concatenate(outs), np.concatenate(targets)
    result = {"loss": total / n}
    acc = accuracy(output, target, threshold_for(loss_fn, model))
    if acc is not None:
        result["accuracy"] = acc
    for name, fn in (metrics or {}).items():
        result[name] = float(fn(output, target))
    return result
