"""Tensor: a numpy array, its gradient, and a link to the op that made it.

Every operator and method here delegates to a function in ``autonet.ops``; the math lives there.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from autonet.arguments import flag

_default_dtype = np.dtype(np.float32)
_NUMERIC_KINDS = "biufc"  # bool, signed and unsigned int, float, complex


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


def as_array(x: Any) -> Any:
    """The numpy array behind a Tensor; any other value passes through unchanged (wrap it in
    ``np.asarray`` where an array is needed). The one "array from Tensor" helper."""
    return x.data if isinstance(x, Tensor) else x


def to_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """Numpy array for ``data``: numpy arrays keep their dtype, Python numbers become the default
    float dtype (bools stay bool), Tensors give their data."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray | np.generic):
        if data.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"tensor: cannot make a tensor from an array of dtype {data.dtype}; "
                            "tensors hold numbers (bool, int, float or complex)")
        return np.array(data, dtype=dtype, copy=copy) if copy or dtype is not None else data
    array = np.array(data, dtype=dtype)
    if dtype is None and array.dtype.kind in "iuf" and array.dtype != _default_dtype:
        array = array.astype(_default_dtype)
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"tensor: cannot make a numeric array from {type(data).__name__} "
                        f"{str(data)[:60]} (numpy reads it as {array.dtype}); pass numbers, "
                        "nested lists of equal length, or a numeric array")
    return array


class _ValueHooks:
    """Observers of values leaving the graph as Python or numpy (``item()``, ``numpy()``, ...)
    and of writes into a tensor in place that no op records (``t[i] = v``, ``t += v`` under
    no_grad); an.compile uses them to refuse what a replay would not repeat."""

    __slots__ = ("on_read", "on_write")

    def __init__(self) -> None:
        self.on_read: Any = None  # (tensor, what) -> None
        self.on_write: Any = None  # (tensor, value written, what) -> None


value_hooks = _ValueHooks()


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    Attributes:
        data: the values, a numpy array.
        grad: the gradient of the ``backward()`` roots with respect to this tensor, accumulated
            over calls; a numpy array of the same shape, or None until a backward reaches it.
        name: optional label shown in graph drawings and error messages.
    """

    # _written: the creation number (autograd.graph.next_seq) of the last in-place change made
    # through the Tensor (t += v under no_grad, t[i] = v, an optimizer step), 0 if none: backward
    # compares it with the numbers of the nodes that saved the tensor
    __slots__ = ("data", "_grad", "_requires_grad", "_node", "name", "_written", "__weakref__")
    __hash__ = object.__hash__  # identity, although == is elementwise

    def __init__(self, data: Any, *shape: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        if shape:
            _reject_shape_habit("an.Tensor", (data, *shape))
        _check_requires_grad("an.tensor", data, requires_grad)
        self.data = to_array(data, dtype)
        self._grad: np.ndarray | None = None
        self._node = None
        self.name = name
        self._written = 0
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
        value = flag(value, "requires_grad", "requires_grad")
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
    def grad(self) -> np.ndarray | None:
        """The accumulated gradient (a numpy array), or None until a backward reaches this tensor.

        Only leaves (and tensors that called ``retain_grad()``) get one; reading it on any other
        tensor warns, as PyTorch does: that is usually ``w = w - lr * w.grad`` run with grad on,
        which turned the leaf ``w`` into the result of an op."""
        if self._node is not None and self._node.retained is None and self._requires_grad:
            _warn_non_leaf_grad(self)
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray | None) -> None:
        if value is not None and np.shape(value) != self.data.shape:
            # an optimizer would broadcast it into the update, or fail deep inside numpy
            raise ValueError(f"grad: the assigned gradient has shape {np.shape(value)} but the "
                             f"tensor has shape {self.data.shape}; assign an array of the "
                             f"tensor's shape (or None)")
        self._grad = value

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
        if create_graph:
            raise TypeError("backward(create_graph=True): .grad holds numpy arrays, which cannot "
                            "be differentiated again; use an.grad(output, inputs, "
                            "create_graph=True), which returns differentiable tensors")

        global _engine
        if _engine is None:  # imported on first use: the engine imports this module
            import autonet.autograd.engine as _engine
        _engine.backward([self], [grad], retain_graph=retain_graph)

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
        self._grad = None

    @staticmethod
    def _wrap(array: np.ndarray, name: str | None = None) -> Tensor:
        t = Tensor.__new__(Tensor)
        t.data = array
        t._grad = None
        t._requires_grad = False
        t._node = None
        t.name = name
        t._written = 0
        return t

    # ---- numpy-like attributes -----------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> Size:
        """The number of elements, numpy's ``a.size`` (an int). It can also be called the PyTorch
        way: ``t.size()`` is the shape and ``t.size(d)`` its length along axis ``d``."""
        return Size(self.data.size, self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        return _ops.transpose(self)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        """The rows ``t[0], t[1], ...`` (each on the graph, as indexing is)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor; use t.item() for its value")
        return (self[i] for i in range(len(self.data)))

    def __deepcopy__(self, memo: dict) -> Tensor:
        """A copy of a leaf (values, grad, requires_grad, name; ``copy.deepcopy(model)`` copies
        its parameters so). A result of ops holds its graph and is refused, as in PyTorch."""
        if self._node is not None:
            raise RuntimeError(
                f"deepcopy: only leaf tensors can be deep-copied; this one is the result of "
                f"'{self._node.name}' and holds its graph. Copy t.detach() for its values, or "
                f"use t.clone() to stay on the graph")
        copy = type(self).__new__(type(self))
        memo[id(self)] = copy
        copy.data = self.data.copy()
        copy._grad = None if self._grad is None else np.array(self._grad, copy=True)
        copy._requires_grad = self._requires_grad
        copy._node = None
        copy.name = self.name
        copy._written = 0
        return copy

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if value_hooks.on_read is not None:
            value_hooks.on_read(self, "np.asarray()")
        return self.data if dtype is None else self.data.astype(dtype)

    # numpy's protocols: np.exp(t), np.sum(t, axis=0), np.concatenate([t, u]) run autonet's op
    # (a Tensor with its gradient); ndarray + Tensor reaches numpy's ufunc too and gives a Tensor.
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from autonet.numpy_interop import array_ufunc

        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        from autonet.numpy_interop import array_function

        return array_function(func, args, kwargs)

    def numpy(self) -> np.ndarray:
        """The values as a numpy array (shared memory, no graph)."""
        if value_hooks.on_read is not None:
            value_hooks.on_read(self, ".numpy()")
        return self.data

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if value_hooks.on_read is not None:
            value_hooks.on_read(self, ".item()")
        if self.data.size != 1:
            raise ValueError(f"item: tensor has shape {self.shape} ({self.size} elements); "
                             "only one-element tensors convert to a Python number")
        return self.data.item()

    def tolist(self) -> Any:
        if value_hooks.on_read is not None:
            value_hooks.on_read(self, ".tolist()")
        return self.data.tolist()

    def astype(self, dtype: Any) -> Tensor:
        """Cast to ``dtype``; the gradient is cast back."""
        try:
            resolved = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"astype: dtype {dtype!r} is not a numpy dtype; use e.g. 'float32', "
                            "'float64', 'int64' or 'bool'") from None
        if resolved.kind not in "biufc":
            raise TypeError(f"astype: dtype {resolved} holds no numbers; tensors hold bool, "
                            "integer, float or complex values")
        return _ops.astype(self, dtype=resolved)

    def float(self) -> Tensor:
        return self.astype(np.float32)

    def double(self) -> Tensor:
        return self.astype(np.float64)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if value_hooks.on_read is not None:
            value_hooks.on_read(self, "bool()")
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
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        if self._requires_grad:
            raise RuntimeError("setitem: in-place assignment into a tensor that requires grad "
                               "would corrupt its gradient; build a new tensor (an.where, "
                               "an.concatenate) or assign into .data under an.no_grad()")
        if value_hooks.on_write is not None:
            value_hooks.on_write(self, value, "t[...] = v")
        self.data[index] = value.data if isinstance(value, Tensor) else value
        self._changed_in_place()

    # comparisons give boolean tensors with no gradient
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.equal(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.not_equal(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ops.less(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.less_equal(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.greater(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.greater_equal(self, other)

    # bitwise on integer tensors, logical on bool ones (numpy's and PyTorch's meaning)
    def __invert__(self) -> Tensor:
        return _ops.bitwise_not(self)

    def __and__(self, other: Any) -> Tensor:
        return _ops.bitwise_and(self, other)

    def __rand__(self, other: Any) -> Tensor:
        return _ops.bitwise_and(other, self)

    def __or__(self, other: Any) -> Tensor:
        return _ops.bitwise_or(self, other)

    def __ror__(self, other: Any) -> Tensor:
        return _ops.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Tensor:
        return _ops.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Tensor:
        return _ops.bitwise_xor(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _ops.mod(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _ops.mod(other, self)

    # ---- methods -----------------------------------------------------------------------------
    # Ops whose row says method=True (exp, sum, max, softmax, ...) become methods t.<op>(...) =
    # an.<op>(t, ...) when autonet.ops is imported (ops/registry.py); those below differ from
    # their function form or are not ops.
    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], Sequence | np.ndarray):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], Sequence):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes or None)

    def split(self, *args: Any, **kwargs: Any) -> list[Tensor]:
        return ops.split(self, *args, **kwargs)

    # ---- op methods whose PyTorch form differs from the function (the rest come from the rows) --
    def mm(self, other: Any) -> Tensor:
        """PyTorch's matrix product of two 2-D tensors (``an.mm``)."""
        return ops.mm(self, other)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """PyTorch's name for clip(a_min=min, a_max=max) (``an.clamp``)."""
        return ops.clamp(self, min, max)

    def where(self, condition: Any, other: Any) -> Tensor:
        """PyTorch's ``x.where(condition, other)``: x where condition holds, else other; that is
        ``an.where(condition, x, other)``."""
        return ops.where(condition, self, other)

    def repeat(self, repeats: Any, *sizes: Any, **kwargs: Any) -> Tensor:
        """numpy's repeat: each element ``repeats`` times along ``axis=``."""
        if sizes:
            raise TypeError(f"repeat: numpy's x.repeat(repeats, axis=...) repeats each element; "
                            f"for PyTorch's x.repeat{(repeats, *sizes)} (tiling) use "
                            f"x.tile({(repeats, *sizes)})")
        return _ops.repeat(self, repeats, **kwargs)

    def tile(self, *reps: Any) -> Tensor:
        """numpy.tile (PyTorch's repeat): ``t.tile(2, 3)`` or ``t.tile((2, 3))``."""
        if len(reps) == 1 and isinstance(reps[0], Sequence | np.ndarray):
            reps = tuple(reps[0])
        return _ops.tile(self, reps)

    # ---- PyTorch spellings of the above (not ops: each is one of the methods above) -----------
    def view(self, *shape: Any) -> Tensor:
        """PyTorch's name for ``reshape`` (a copy may be made; autonet never aliases)."""
        return self.reshape(*shape)

    def permute(self, *dims: Any) -> Tensor:
        """PyTorch's name for ``transpose(axes)``: ``t.permute(2, 0, 1)`` (``an.permute``)."""
        return ops.permute(self, *dims)

    def t(self) -> Tensor:
        """The transpose of a 0-, 1- or 2-D tensor (PyTorch's ``t()``); ``.T`` for any ndim."""
        if self.ndim > 2:
            raise ValueError(f"t(): expects a tensor of at most 2 dimensions, got shape "
                             f"{self.shape}; use .transpose(axes) or .permute(...) for more")
        return self.T if self.ndim == 2 else self

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of length 1 at ``dim`` (PyTorch's name for ``expand_dims``)."""
        return ops.unsqueeze(self, dim)

    def numel(self) -> int:
        """The number of elements (``.size`` in numpy's spelling)."""
        return self.data.size

    def dim(self) -> int:
        """The number of dimensions (``.ndim`` in numpy's spelling)."""
        return self.data.ndim

    def expand(self, *sizes: Any) -> Tensor:
        """PyTorch's broadcast to ``sizes``, -1 keeping an axis: ``t.expand(3, -1)``."""
        return ops.expand(self, *sizes)

    def expand_as(self, other: Any) -> Tensor:
        """``t.expand(other.shape)``: broadcast to the shape of ``other``."""
        return ops.expand(self, np.shape(as_array(other)))

    def clone(self) -> Tensor:
        """A copy of the values that stays on the graph (gradients flow back to self)."""
        return ops.clone(self)

    def to(self, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False) -> Tensor:
        """``t.to(an.float64)`` casts (like ``astype``); ``t.to("cpu")`` is self: autonet runs on
        the CPU only, so a device is accepted when it is the CPU and refused otherwise."""
        for arg in args:
            if isinstance(arg, str) and not _is_dtype_name(arg):
                device = arg
            elif isinstance(arg, Tensor):
                dtype = arg.dtype
            else:
                dtype = arg
        if device is not None:
            _check_cpu(device)
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.astype(dtype)
        return self.clone() if copy else self

    def cpu(self) -> Tensor:
        """self: autonet tensors always live in main memory (numpy arrays)."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        raise RuntimeError("cuda(): autonet runs on numpy, on the CPU only; drop .cuda() (and "
                           ".to('cuda')): the code runs unchanged on the CPU")

    # ---- in place, under an.no_grad() ----------------------------------------------------------
    # ``with an.no_grad(): w -= lr * w.grad`` updates w's values in place, keeping w a leaf (as in
    # PyTorch). With grad on they build a new tensor, as ``w = w - lr * w.grad`` does.
    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place(np.add, ops.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place(np.subtract, ops.sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place(np.multiply, ops.mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place(np.true_divide, ops.div, other)

    def _in_place(self, ufunc: Any, op: Any, other: Any) -> Tensor:
        from autonet.autograd.graph import grad_mode

        if grad_mode.enabled:
            return op(self, other)
        if value_hooks.on_write is not None:
            value_hooks.on_write(self, other, f"in-place {op.name} under no_grad")
        value = other.data if isinstance(other, Tensor) else other
        try:
            ufunc(self.data, value, out=self.data, casting="same_kind")
        except (TypeError, ValueError) as error:  # numpy's casting and broadcasting refusals
            raise (TypeError if isinstance(error, TypeError) else ValueError)(
                f"in-place {op.name} under no_grad: the result of {self.data.dtype} "
                f"{self.data.shape} with {np.result_type(value)} {np.shape(value)} cannot be "
                f"written back into the tensor ({error}); an in-place update keeps the tensor's "
                f"shape and dtype: use t = t {_SYMBOLS[op.name]} v for a new tensor") from None
        self._changed_in_place()
        return self

    def _changed_in_place(self) -> None:
        """Note an in-place change, for backward to compare with when its nodes saved it."""
        from autonet.autograd.graph import next_seq

        self._written = next_seq()


_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


class Size(int):
    """An element count that is also PyTorch's ``size()``: ``t.size == 6``, ``t.size() == (2, 3)``,
    ``t.size(1) == 3``."""

    shape: tuple[int, ...]

    def __new__(cls, count: int, shape: tuple[int, ...]) -> Size:
        size = super().__new__(cls, count)
        size.shape = tuple(shape)
        return size

    def __call__(self, dim: int | None = None) -> tuple[int, ...] | int:
        if dim is None:
            return self.shape
        if not -len(self.shape) <= dim < len(self.shape):
            raise IndexError(f"size({dim}): the tensor has {len(self.shape)} dimensions "
                             f"(shape {self.shape})")
        return self.shape[dim]


def _reject_shape_habit(where: str, args: tuple) -> None:
    """``an.Tensor(2, 3)`` / ``an.tensor(2, 3)``: PyTorch's habit of passing a shape."""
    dims = ", ".join(repr(a) for a in args)
    raise TypeError(f"{where}({dims}): the first argument is the data and the rest are keywords "
                    f"(requires_grad=, dtype=, name=). For a tensor of shape ({dims}) use "
                    f"an.zeros(({dims})) or an.randn({dims}); for these values use "
                    f"an.tensor([{dims}])")


def _check_requires_grad(where: str, data: Any, requires_grad: Any) -> None:
    if isinstance(requires_grad, bool | np.bool_):
        return
    if isinstance(requires_grad, int | np.integer) and isinstance(data, int | np.integer):
        _reject_shape_habit(where, (data, requires_grad))
    raise TypeError(f"{where}: requires_grad={requires_grad!r} must be True or False")


def _warn_non_leaf_grad(t: Tensor) -> None:
    from autonet.autograd.warnings import NonLeafGradWarning, warn_at_user_code

    what = f"'{t.name}'" if t.name else f"of shape {t.shape}"
    warn_at_user_code(
        f".grad of the tensor {what}, which is not a leaf (the op '{t._node.name}' made it), "
        f"is None: backward stores gradients only in leaves. If this was a parameter updated with "
        f"w = w - lr * w.grad, that line made w the result of an op: update it in place under "
        f"an.no_grad() (with an.no_grad(): w -= lr * w.grad) or use an optimizer "
        f"(an.optim.SGD([w], lr)). For the gradient of an intermediate, call t.retain_grad() "
        f"before backward", NonLeafGradWarning)


def _is_dtype_name(text: str) -> bool:
    try:
        np.dtype(text)
    except TypeError:
        return False
    return True


def _check_cpu(device: Any) -> None:
    name = str(getattr(device, "type", device)).split(":")[0]
    if name != "cpu":
        raise RuntimeError(f"to({device!r}): autonet runs on numpy, on the CPU only; use "
                           "'cpu' or drop the device")


_engine: Any = None  # autonet.autograd.engine, once Tensor.backward first runs

import autonet.ops as ops  # noqa: E402  (the ops need the Tensor class defined above)
from autonet.ops.primitive import Primitive  # noqa: E402


class _DirectOps:
    """``autonet.ops`` as the methods above call it: each Primitive replaced by its bound
    ``__call__``. Calling a bound method is direct, while calling a Primitive instance goes
    through Python's generic instance-call path, which on a small array costs a good part of the
    op's whole bookkeeping. Looked up once per name, then cached as an attribute."""

    def __getattr__(self, name: str) -> Any:
        op = getattr(ops, name)
        direct = op.__call__ if isinstance(op, Primitive) else op
        setattr(self, name, direct)
        return direct


_ops = _DirectOps()
