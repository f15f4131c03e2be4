"""Making tensors: from data, filled, ranges, random (seeded with ``manual_seed``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autonet.arguments import allocate, flag, integer, number, numeric, numeric_dtype
from autonet.autograd.engine import observers
from autonet.autograd.graph import draws
from autonet.random import manual_seed, rng, seeded  # noqa: F401  (manual_seed lived here)
from autonet.tensor import Tensor, get_default_dtype, to_array
from autonet.tensor import _check_requires_grad as check_requires_grad


def sample(draw: Callable[..., np.ndarray], *args: Any) -> np.ndarray:
    """``draw(generator, *args)`` on autonet's generator: how every random array inside a
    computation is made, so a compiled step draws fresh values from the same stream."""
    out = draw(rng(), *args)
    if draws.on_sample is not None:
        draws.on_sample(draw, args, out)
    return out


draws.generator = rng


def uniform_array(generator: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    """Uniform samples in [0, 1) of ``shape`` and ``dtype``."""
    return generator.random(shape).astype(dtype)


def normal_array(generator: np.random.Generator, shape: tuple, dtype: Any) -> np.ndarray:
    """Standard normal samples of ``shape`` and ``dtype``."""
    return generator.standard_normal(shape).astype(dtype)


def _make(array: np.ndarray, requires_grad: bool, name: str | None, call: str) -> Tensor:
    return _with_grad(Tensor._wrap(array, name), requires_grad, call)


def _with_grad(t: Tensor, requires_grad: bool, call: str) -> Tensor:
    """``t`` recording ops if ``requires_grad`` (checked to be a bool by the caller)."""
    if requires_grad:
        if t.data.dtype.kind not in "fc":
            fix = ("convert the array first, e.g. array.astype(np.float32)"
                   if call == "from_numpy" else "pass dtype='float32' or 'float64'")
            raise TypeError(f"{call}: requires_grad=True needs a floating dtype (only floating "
                            f"tensors have gradients), this one is {t.data.dtype}; {fix}")
        t.requires_grad = True
    return t


def _dtype(dtype: Any, call: str = "tensor") -> np.dtype:
    return get_default_dtype() if dtype is None else numeric_dtype(dtype, call)


def _shape(shape: tuple, call: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], Sequence | np.ndarray):
        shape = tuple(shape[0])
    return tuple(integer(s, call, "shape", minimum=0) for s in shape)


def _fill_value(value: Any, call: str) -> None:
    """Refuse a string fill, which numpy would parse ('1') or fail to convert ('x'); NaN and
    inf are fine fills, so this is not ``number``."""
    if isinstance(value, str | bytes):
        raise TypeError(f"{call}: fill_value must be a number, got {value!r:.60}")


def _numeric(array: np.ndarray, call: str, data: Any, argument: str = "data") -> np.ndarray:
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{call}: {argument} {data!r:.60} gives an array of dtype "
                        f"{array.dtype}, not numbers; tensors hold bool, integer, float or "
                        "complex values")
    return array


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None,
           name: str | None = None) -> Tensor:
    """A new tensor holding a copy of ``data``. Lists and Python numbers become the default float
    dtype (float32); numpy arrays keep theirs. ``name`` labels it in graph drawings and errors."""
    if dtype is not None:
        _dtype(dtype, "tensor")
    if isinstance(data, str | bytes):
        raise TypeError(f"tensor: data must be numbers, got the string {data!r:.60}")
    check_requires_grad("tensor", data, requires_grad)
    try:
        made = Tensor(data, dtype=dtype, name=name)
    except ValueError as error:
        if "inhomogeneous" not in str(error) and "sequence" not in str(error):
            raise
        raise ValueError(f"tensor: data {data!r:.60} is ragged (its rows have different "
                         "lengths), so it is no rectangular array; pad the rows to one "
                         "length") from None
    _numeric(made.data, "tensor", data)
    if observers.tracer is not None and isinstance(data, Tensor | np.ndarray):
        observers.tracer.on_copy(made, data, "tensor")  # an.compile: each call's values
    return _with_grad(made, bool(requires_grad), "tensor")


def from_numpy(array: np.ndarray, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A tensor sharing memory with ``array`` (no copy)."""
    requires_grad = flag(requires_grad, "from_numpy", "requires_grad")
    array = np.asarray(array)
    return _make(_numeric(array, "from_numpy", array, "array"), requires_grad, name, "from_numpy")


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """Zeros of ``shape`` (given as sizes or one tuple: zeros(2, 3) or zeros((2, 3)))."""
    requires_grad = flag(requires_grad, "zeros", "requires_grad")
    shape, dtype = _shape(shape, "zeros"), _dtype(dtype, "zeros")
    return _make(allocate("zeros", shape, dtype, lambda: np.zeros(shape, dtype)),
                 requires_grad, name, "zeros")


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """Ones of ``shape`` (given as sizes or one tuple)."""
    requires_grad = flag(requires_grad, "ones", "requires_grad")
    shape, dtype = _shape(shape, "ones"), _dtype(dtype, "ones")
    return _make(allocate("ones", shape, dtype, lambda: np.ones(shape, dtype)),
                 requires_grad, name, "ones")


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """``fill_value`` everywhere in ``shape`` (an int or a tuple)."""
    requires_grad = flag(requires_grad, "full", "requires_grad")
    shape = _shape((shape,) if not isinstance(shape, Sequence | np.ndarray) else tuple(shape),
                   "full")
    dtype = _dtype(dtype, "full")
    _fill_value(fill_value, "full")
    return _make(allocate("full", shape, dtype, lambda: np.full(shape, fill_value, dtype)),
                 requires_grad, name, "full")


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Evenly spaced values in [start, stop) (numpy.arange; arange(n) is 0 .. n - 1)."""
    requires_grad = flag(requires_grad, "arange", "requires_grad")
    for argument, value in (("start", start), ("stop", stop), ("step", step)):
        if value is not None:
            number(value, "arange", argument)
    if step == 0:
        raise ValueError(f"arange: step must not be 0 (start={start}, stop={stop}), or the "
                         "range never ends")
    dtype = _dtype(dtype, "arange")
    length = max(0, math.ceil(((start if stop is None else stop - start)) / step))
    return _make(allocate("arange", (length,), dtype,
                           lambda: np.arange(start, stop, step, dtype=dtype)),
                 requires_grad, name, "arange")


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None,
             requires_grad: bool = False, name: str | None = None) -> Tensor:
    """``num`` evenly spaced values from start to stop, both included (numpy.linspace)."""
    requires_grad = flag(requires_grad, "linspace", "requires_grad")
    number(start, "linspace", "start")
    number(stop, "linspace", "stop")
    num, dtype = integer(num, "linspace", "num", minimum=0), _dtype(dtype, "linspace")
    return _make(allocate("linspace", (num,), dtype,
                           lambda: np.linspace(start, stop, num, dtype=dtype)),
                 requires_grad, name, "linspace")


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        name: str | None = None) -> Tensor:
    """The (n, m) identity matrix (m = n by default)."""
    requires_grad = flag(requires_grad, "eye", "requires_grad")
    n = integer(n, "eye", "n", minimum=0)
    m = n if m is None else integer(m, "eye", "m", minimum=0)
    dtype = _dtype(dtype, "eye")
    return _make(allocate("eye", (n, m), dtype, lambda: np.eye(n, m, dtype=dtype)),
                 requires_grad, name, "eye")


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1)."""
    requires_grad = flag(requires_grad, "rand", "requires_grad")
    shape, dtype = _shape(shape, "rand"), _dtype(dtype, "rand")
    return _make(allocate("rand", shape, np.dtype(np.float64),
                           lambda: sample(uniform_array, shape, dtype)),
                 requires_grad, name, "rand")


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          name: str | None = None) -> Tensor:
    """Standard normal samples."""
    requires_grad = flag(requires_grad, "randn", "requires_grad")
    shape, dtype = _shape(shape, "randn"), _dtype(dtype, "randn")
    return _make(allocate("randn", shape, np.dtype(np.float64),
                           lambda: sample(normal_array, shape, dtype)),
                 requires_grad, name, "randn")


def _like(t: Any, dtype: Any, call: str) -> tuple[tuple[int, ...], np.dtype]:
    array = to_array(numeric(t, call, "input"), copy=False)
    return array.shape, _dtype(dtype, call) if dtype is not None else array.dtype


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False,
               name: str | None = None) -> Tensor:
    """Zeros with the shape and dtype of ``t`` (or ``dtype``)."""
    requires_grad = flag(requires_grad, "zeros_like", "requires_grad")
    shape, dt = _like(t, dtype, "zeros_like")
    array = allocate("zeros_like", shape, dt, lambda: np.zeros(shape, dt))
    return _make(array, requires_grad, name, "zeros_like")


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None) -> Tensor:
    """Ones with the shape and dtype of ``t`` (or ``dtype``)."""
    requires_grad = flag(requires_grad, "ones_like", "requires_grad")
    shape, dt = _like(t, dtype, "ones_like")
    array = allocate("ones_like", shape, dt, lambda: np.ones(shape, dt))
    return _make(array, requires_grad, name, "ones_like")


def full_like(t: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None) -> Tensor:
    """``fill_value`` with the shape and dtype of ``t`` (or ``dtype``)."""
    requires_grad = flag(requires_grad, "full_like", "requires_grad")
    shape, dt = _like(t, dtype, "full_like")
    _fill_value(fill_value, "full_like")
    array = allocate("full_like", shape, dt, lambda: np.full(shape, fill_value, dt))
    return _make(array, requires_grad, name, "full_like")


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False,
              name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1) with the shape and dtype of ``t`` (or ``dtype``)."""
    requires_grad = flag(requires_grad, "rand_like", "requires_grad")
    shape, dt = _like(t, dtype, "rand_like")
    array = allocate("rand_like", shape, dt, lambda: sample(uniform_array, shape, dt))
    return _make(array, requires_grad, name, "rand_like")


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False,
               name: str | None = None) -> Tensor:
    """Standard normal samples with the shape and dtype of ``t`` (or ``dtype``)."""
    requires_grad = flag(requires_grad, "randn_like", "requires_grad")
    shape, dt = _like(t, dtype, "randn_like")
    array = allocate("randn_like", shape, dt, lambda: sample(normal_array, shape, dt))
    return _make(array, requires_grad, name, "randn_like")
