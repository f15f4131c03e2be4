"""Tensor: a numpy array, its gradient, and a link to the op that made it.

Every operator and method here delegates to a function in ``autonet.ops``; the math lives there.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Dtype given to Python lists and scalars (float32 unless changed; float64 for checking)."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: {dtype} is not a floating dtype; use float32 or "
                        "float64")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """The dtype Python lists and scalars become (float32 by default)."""
    return _default_dtype


def to_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """Numpy array for ``data``: numpy arrays keep their dtype, Python numbers become the default
    float dtype (bools stay bool), Tensors give their data."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray | np.generic):
        return np.array(data, dtype=dtype, copy=copy) if copy or dtype is not None else data
    array = np.array(data, dtype=dtype)
    if dtype is None and array.dtype.kind in "iuf" and array.dtype != _default_dtype:
        array = array.astype(_default_dtype)
    if array.dtype == object:
        raise TypeError(f"tensor: cannot make a numeric array from {type(data).__name__} "
                        f"{str(data)[:60]}; pass numbers, nested lists of equal length, or an "
                        "array")
    return array


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    Attributes:
        data: the values, a numpy array.
        grad: the gradient of the ``backward()`` roots with respect to this tensor, accumulated
            over calls; a numpy array of the same shape, or None until a backward reaches it.
        name: optional label shown in graph drawings and error messages.
    """

    __slots__ = ("data", "grad", "_requires_grad", "_node", "name", "__weakref__")
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray + Tensor -> Tensor
    __hash__ = object.__hash__  # identity, although == is elementwise

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        self.data = to_array(data, dtype)
        self.grad: np.ndarray | None = None
        self._node = None
        self.name = name
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    # ---- autograd state ----------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind not in "fc":
            raise TypeError(f"requires_grad: only floating tensors have gradients, this one is "
                            f"{self.data.dtype}; make it float first, e.g. "
                            f"an.tensor(x, dtype='float32', requires_grad=True)")
        if not value and self._node is not None:
            raise RuntimeError("requires_grad: cannot switch off on a tensor computed by an op; "
                               "use .detach() for a copy without a graph")
        self._requires_grad = bool(value)

    def requires_grad_(self, value: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = value
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user created (not the result of a recorded op)."""
        return self._node is None

    @property
    def grad_fn(self):
        """The Node that produced this tensor, or None for leaves."""
        return self._node

    def backward(self, grad: Any = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        Args:
            grad: gradient with respect to self, same shape; may be omitted when self is a scalar.
            retain_graph: keep the graph so backward can run through it again.
            create_graph: not supported here, since ``.grad`` holds plain numpy arrays; use
                ``an.grad(outputs, inputs, create_graph=True)`` for differentiable gradients.
        """
        from autonet.autograd.engine import backward

        if create_graph:
            raise TypeError("backward(create_graph=True): .grad holds numpy arrays, which cannot "
                            "be differentiated again; use an.grad(output, inputs, "
                            "create_graph=True), which returns differentiable tensors")

        backward([self], [grad], retain_graph=retain_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad, so it gets none")
        if self._node is not None:
            self._node.retained = weakref.ref(self)

    def detach(self) -> Tensor:
        """The same values (shared memory) cut from the graph."""
        return Tensor._wrap(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.grad = None

    @staticmethod
    def _wrap(array: np.ndarray, name: str | None = None) -> Tensor:
        t = Tensor.__new__(Tensor)
        t.data = array
        t.grad = None
        t._requires_grad = False
        t._node = None
        t.name = name
        return t

    # ---- numpy-like attributes -----------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def numpy(self) -> np.ndarray:
        """The values as a numpy array (shared memory, no graph)."""
        return self.data

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: tensor has shape {self.shape} ({self.size} elements); "
                             "only one-element tensors convert to a Python number")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def astype(self, dtype: Any) -> Tensor:
        """Cast to ``dtype``; the gradient is cast back."""
        return ops.astype(self, dtype=np.dtype(dtype))

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                             "use .any() or .all()")
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != _default_dtype:
            extra += f", dtype={self.data.dtype}"
        if self._node is not None:
            extra += f", grad_fn={self._node.name}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"tensor({body}{extra})"

    # ---- operators -------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        if self._requires_grad:
            raise RuntimeError("setitem: in-place assignment into a tensor that requires grad "
                               "would corrupt its gradient; build a new tensor (an.where, "
                               "an.concatenate) or assign into .data under an.no_grad()")
        self.data[index] = value.data if isinstance(value, Tensor) else value

    # comparisons give boolean tensors with no gradient
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.equal(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.not_equal(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return ops.less(self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.less_equal(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.greater(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.greater_equal(self, other)

    def __invert__(self) -> Tensor:
        return ops.logical_not(self)

    def __and__(self, other: Any) -> Tensor:
        return ops.logical_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return ops.logical_or(self, other)

    # ---- methods -----------------------------------------------------------------------------
    # Ops whose row says method=True (exp, sum, max, softmax, ...) become methods t.<op>(...) =
    # an.<op>(t, ...) when autonet.ops is imported (ops/registry.py); those below differ from
    # their function form or are not ops.
    def any(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(self.data.any(axis=axis, keepdims=keepdims)))

    def all(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(self.data.all(axis=axis, keepdims=keepdims)))

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], Sequence | np.ndarray):
            shape = tuple(shape[0])
        return ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], Sequence):
            axes = tuple(axes[0])
        return ops.transpose(self, axes or None)


    def split(self, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
        return ops.split(self, indices_or_sections, axis)


import autonet.ops as ops  # noqa: E402  (ops need the Tensor class defined above)
