"""Making tensors: from data, filled, ranges, random (seeded with ``manual_seed``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.random import manual_seed, rng, seeded  # noqa: F401  (manual_seed lived here)
from autonet.tensor import Tensor, get_default_dtype, to_array


def _make(array: np.ndarray, requires_grad: bool, name: str | None) -> Tensor:
    t = Tensor._wrap(array, name)
    if requires_grad:
        t.requires_grad = True
    return t


def _dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def _shape(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], Sequence | np.ndarray):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           name: str | None = None) -> Tensor:
    """A new tensor holding a copy of ``data``. Lists and Python numbers become the default float
    dtype (float32); numpy arrays keep theirs. ``name`` labels it in graph drawings and errors."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def from_numpy(array: np.ndarray, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A tensor sharing memory with ``array`` (no copy)."""
    return _make(np.asarray(array), requires_grad, name)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """Zeros of ``shape`` (given as sizes or one tuple: zeros(2, 3) or zeros((2, 3)))."""
    return _make(np.zeros(_shape(shape), _dtype(dtype)), requires_grad, name)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """Ones of ``shape`` (given as sizes or one tuple)."""
    return _make(np.ones(_shape(shape), _dtype(dtype)), requires_grad, name)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """``fill_value`` everywhere in ``shape`` (an int or a tuple)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _make(np.full(shape, fill_value, _dtype(dtype)), requires_grad, name)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Evenly spaced values in [start, stop) (numpy.arange; arange(n) is 0 .. n - 1)."""
    return _make(np.arange(start, stop, step, dtype=_dtype(dtype)), requires_grad, name)


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None,
             requires_grad: bool = False, name: str | None = None) -> Tensor:
    """``num`` evenly spaced values from start to stop, both included (numpy.linspace)."""
    return _make(np.linspace(start, stop, num, dtype=_dtype(dtype)), requires_grad, name)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        name: str | None = None) -> Tensor:
    """The (n, m) identity matrix (m = n by default)."""
    return _make(np.eye(n, m, dtype=_dtype(dtype)), requires_grad, name)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _make(rng().random(_shape(shape)).astype(_dtype(dtype)), requires_grad, name)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """Standard normal samples."""
    return _make(rng().standard_normal(_shape(shape)).astype(_dtype(dtype)), requires_grad, name)


def _like(t: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    array = to_array(t, copy=False)
    return array.shape, np.dtype(dtype) if dtype is not None else array.dtype


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False,
               name: str | None = None) -> Tensor:
    """Zeros with the shape and dtype of ``t`` (or ``dtype``)."""
    shape, dt = _like(t, dtype)
    return _make(np.zeros(shape, dt), requires_grad, name)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None) -> Tensor:
    """Ones with the shape and dtype of ``t`` (or ``dtype``)."""
    shape, dt = _like(t, dtype)
    return _make(np.ones(shape, dt), requires_grad, name)


def full_like(t: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None) -> Tensor:
    """``fill_value`` with the shape and dtype of ``t`` (or ``dtype``)."""
    shape, dt = _like(t, dtype)
    return _make(np.full(shape, fill_value, dt), requires_grad, name)


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1) with the shape and dtype of ``t`` (or ``dtype``)."""
    shape, dt = _like(t, dtype)
    return _make(rng().random(shape).astype(dt), requires_grad, name)


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False,
               name: str | None = None) -> Tensor:
    """Standard normal samples with the shape and dtype of ``t`` (or ``dtype``)."""
    shape, dt = _like(t, dtype)
    return _make(rng().standard_normal(shape).astype(dt), requires_grad, name)
