"""Module and Parameter: PyTorch's contract for networks built from layers.

A Module registers the Parameters, buffers and sub-Modules assigned to its attributes, so
``parameters()``, ``state_dict()`` and ``train()/eval()`` reach every layer. Registered values live
both in the instance ``__dict__`` (plain attribute reads stay fast) and in the registries
``_parameters``, ``_buffers`` and ``_modules`` (which keep the registration order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from autonet.arguments import flag
from autonet.autograd.graph import grad_mode
from autonet.tensor import Tensor, get_default_dtype, to_array


class Parameter(Tensor):
    """A Tensor that is learned: it requires grad and registers itself when assigned to a Module.

    Lists and integer arrays become the default float dtype (float32); float arrays keep theirs.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        array = to_array(data, copy=True)
        if array.dtype.kind != "f":
            array = array.astype(get_default_dtype())
        super().__init__(array, requires_grad=requires_grad, name=name)

    @classmethod
    def empty(cls, shape: Any, dtype: Any, owner: str) -> Parameter:
        """A parameter of ``shape`` for an init to fill; one that cannot be allocated is a
        MemoryError naming ``owner`` (the layer), the shape and the bytes."""
        from autonet.arguments import allocate

        shape, dtype = tuple(int(s) for s in np.atleast_1d(shape)), np.dtype(dtype)
        return cls(allocate(owner, shape, dtype, lambda: np.empty(shape, dtype)))

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__() + ")"


def add_weight_and_bias(module: Module, weight_shape: tuple[int, ...], bias_size: int, bias: Any,
                        dtype: np.dtype, call: str) -> None:
    """``module.weight`` of ``weight_shape`` and ``module.bias`` of ``(bias_size,)`` (None when
    ``bias`` is False, a switch checked in the name of ``call``), empty for reset_parameters to
    fill: what Linear and the convolutions share."""
    owner = type(module).__name__
    module.weight = Parameter.empty(weight_shape, dtype, owner)
    if flag(bias, call, "bias"):
        module.bias = Parameter.empty((bias_size,), dtype, owner)
    else:
        module.register_parameter("bias", None)


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class _HookHandle:
    """Returned by ``register_forward_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: dict, key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Module:
    """Base class of every layer and network: subclass it, assign layers and Parameters to
    attributes in ``__init__``, and write ``forward``. Call the module, not ``forward``: the call
    records which module made each graph node (for drawings) and runs forward hooks."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Module define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # module_scope(self), spelled out: the ops of forward record self in their nodes' scope
        previous = grad_mode.scope
        grad_mode.scope = previous + (self,)
        try:
            # without keywords, forward is called without copying the empty kwargs dict
            out = self.forward(*args, **kwargs) if kwargs else self.forward(*args)
        finally:
            grad_mode.scope = previous
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]) -> _HookHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a non-None result replaces
        the output. Returns a handle whose ``remove()`` unregisters it."""
        key = max(self._forward_hooks, default=-1) + 1
        self._forward_hooks[key] = hook
        return _HookHandle(self._forward_hooks, key)

    # ---- registration ----------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() at the start of "
                                 f"__init__, before assigning self.{name}")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
            if value.name is None:
                value.name = name
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                hint = (f"; to update it in place (m.{name} -= lr * g, say) run that under "
                        f"an.no_grad(), or assign nn.Parameter(...)"
                        if isinstance(value, Tensor) else "")
                raise TypeError(f"{type(self).__name__}.{name} is a Parameter; assign an "
                                f"an.nn.Parameter or None, not {type(value).__name__}{hint}")
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}.{name} is a buffer; assign a Tensor or "
                                f"None, not {type(value).__name__}")
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"{type(self).__name__}.{name} is a sub-module; assign a Module "
                                f"or None, not {type(value).__name__}")
            modules[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent.discard(name)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a declared but absent parameter such as a missing bias)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an an.nn.Parameter or None, "
                            f"not {type(param).__name__}")
        self._parameters[name] = param
        if param is not None and param.name is None:
            param.name = name
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a Tensor that is state but not learned (e.g. running statistics); it is part
        of ``state_dict()`` unless ``persistent=False``."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, not "
                            f"{type(tensor).__name__}")
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` under ``name`` (for names that are not identifiers, like '0')."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, not "
                            f"{type(module).__name__}")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ---- traversal -------------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for self and every sub-module, depth first, each module once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{k}" if name else k, m)
                        for k, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter), e.g. ('0.weight', W[1]); a shared parameter appears once."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules(prefix):
            for name, buf in module._buffers.items():
                if buf is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buf

    def buffers(self) -> Iterator[Tensor]:
        for _, buf in self.named_buffers():
            yield buf

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every sub-module and on self (e.g. to re-initialize weights)."""
        for module in list(self.modules())[::-1]:
            fn(module)
        return self

    # ---- modes and gradients ---------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active); returns self."""
        mode = flag(mode, f"{type(self).__name__}.train", "mode")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter (None, or zeros with ``set_to_none=False``)."""
        set_to_none = flag(set_to_none, f"{type(self).__name__}.zero_grad", "set_to_none")
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; returns self."""
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def to(self, dtype: Any) -> Module:
        """Cast every floating parameter and buffer to ``dtype`` in place; returns self."""
        try:
            resolved = np.dtype(dtype)
        except TypeError:
            resolved = None
        if resolved is None or resolved.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: expected a float dtype (float32, "
                            f"float64), got {dtype!r:.40}; autonet runs on the CPU, so there is no "
                            "device to move to")
        dtype = resolved
        for t in [*self.parameters(), *self.buffers()]:
            if t.data.dtype.kind == "f":
                t.data = t.data.astype(dtype)
                t.grad = None if t.grad is None else t.grad.astype(dtype)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ---- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter and persistent buffer by dotted name, as a copy (numpy arrays), ready
        for ``an.save``."""
        state: dict[str, np.ndarray] = {}
        for module_name, module in self.named_modules():
            dot = f"{module_name}." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    state[dot + name] = param.data.copy()
            for name, buf in module._buffers.items():
                if buf is not None and name not in module._non_persistent:
                    state[dot + name] = buf.data.copy()
        return state

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers in place (optimizers keep working).

        Raises:
            RuntimeError: with ``strict=True``, when keys are missing or unexpected (it lists
                them), as in PyTorch.
            ValueError: when a value's shape differs from the parameter's.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: expected a dict of arrays, got "
                            f"{type(state_dict).__name__}")
        strict = flag(strict, "load_state_dict", "strict")
        targets: dict[str, Tensor] = {}
        for module_name, module in self.named_modules():
            dot = f"{module_name}." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    targets[dot + name] = param
            for name, buf in module._buffers.items():
                if buf is not None and name not in module._non_persistent:
                    targets[dot + name] = buf
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            raise RuntimeError(
                f"load_state_dict for {type(self).__name__}: missing keys {missing}, unexpected "
                f"keys {unexpected}; check that the checkpoint comes from the same architecture, "
                "or pass strict=False to load the matching keys")
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = to_array(state_dict[key], copy=False)
            if value.shape != target.data.shape:
                raise ValueError(f"load_state_dict: {key!r} has shape {value.shape} in the state "
                                 f"dict but {target.data.shape} in the model; the checkpoint was "
                                 "saved from a network with different layer sizes")
            if target.data.dtype.kind in "biu" and value.dtype.kind in "fc":
                cut = value[value != np.round(value.real)]  # NaN too
                if cut.size:
                    raise ValueError(f"load_state_dict: {key!r} holds integers "
                                     f"({target.data.dtype}) in the model but the state dict "
                                     f"has {value.dtype} values that are not whole numbers (such "
                                     f"as {cut.flat[0].item()}); copying would cut them off: "
                                     "check the checkpoint")
        for key, target in targets.items():
            if key in state_dict:
                target.data[...] = to_array(state_dict[key], copy=False)
                target._changed_in_place()  # a graph saved the old values: backward will say
        return IncompatibleKeys(missing, unexpected)

    # ---- printing --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The arguments shown inside the parentheses of ``repr`` (override in layers)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            body = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}(" + (f"\n  {extra}" if extra else "")
        return head + "\n" + "\n".join(lines) + "\n)"
