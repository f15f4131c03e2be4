"""Making tensors: from data, filled, ranges, random (seeded with ``manual_seed``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.tensor import Tensor, get_default_dtype, to_array

_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed autonet's random generator (rand, randn, init, dropout, shuffling) for reproducible
    runs."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def rng() -> np.random.Generator:
    """The generator behind every random draw in autonet."""
    return _rng


class _SampleHooks:
    """An observer of random draws (an.compile records them to draw again on replay)."""

    __slots__ = ("on_sample",)

    def __init__(self) -> None:
        self.on_sample: Callable[..., None] | None = None


sample_hooks = _SampleHooks()


def sample(draw: Callable[..., np.ndarray], *args: Any) -> np.ndarray:
    """``draw(generator, *args)`` on autonet's generator: how every random array inside a
    computation is made, so a compiled step draws fresh values from the same stream."""
    out = draw(_rng, *args)
    if sample_hooks.on_sample is not None:
        sample_hooks.on_sample(draw, args, out)
    return out


def uniform_array(generator: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    """Uniform samples in [0, 1) of ``shape`` and ``dtype``."""
    return generator.random(shape).astype(dtype)


def normal_array(generator: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    """Standard normal samples of ``shape`` and ``dtype``."""
    return generator.standard_normal(shape).astype(dtype)


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


def from_numpy(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor sharing memory with ``array`` (no copy)."""
    return _make(np.asarray(array), requires_grad, None)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    return _make(np.zeros(_shape(shape), _dtype(dtype)), requires_grad, name)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    return _make(np.ones(_shape(shape), _dtype(dtype)), requires_grad, name)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _make(np.full(shape, fill_value, _dtype(dtype)), requires_grad, name)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    return _make(np.arange(start, stop, step, dtype=_dtype(dtype)), requires_grad, None)


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _make(np.linspace(start, stop, num, dtype=_dtype(dtype)), requires_grad, None)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_dtype(dtype)), requires_grad, None)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _make(sample(uniform_array, _shape(shape), _dtype(dtype)), requires_grad, name)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """Standard normal samples."""
    return _make(sample(normal_array, _shape(shape), _dtype(dtype)), requires_grad, name)


def _like(t: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    array = to_array(t, copy=False)
    return array.shape, np.dtype(dtype) if dtype is not None else array.dtype


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(t, dtype)
    return _make(np.zeros(shape, dt), requires_grad, None)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(t, dtype)
    return _make(np.ones(shape, dt), requires_grad, None)


def full_like(t: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(t, dtype)
    return _make(np.full(shape, fill_value, dt), requires_grad, None)


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(t, dtype)
    return _make(sample(uniform_array, shape, dt), requires_grad, None)


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dt = _like(t, dtype)
    return _make(sample(normal_array, shape, dt), requires_grad, None)
