"""Containers: Sequential (a chain of layers), ModuleList and ModuleDict (registered
collections)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from autonet.nn.module import Module


def _index(name: str, i: int, n: int) -> int:
    if not -n <= i < n:
        raise IndexError(f"{name}: index {i} is out of range for {n} modules")
    return i % n


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output:
    ``Sequential(Linear(2, 4), Tanh(), Linear(4, 1))``. Also accepts one dict of name -> module."""

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, module in modules[0].items():
                self.add_module(str(name), _checked("Sequential", module))
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), _checked("Sequential", module))

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, i: int | slice) -> Any:
        """A module by position, or a Sequential of a slice (sharing the modules, keeping their
        names, as in PyTorch)."""
        items = list(self._modules.items())
        if isinstance(i, slice):
            return type(self)(dict(items[i]))
        return items[_index("Sequential", i, len(items))][1]

    def __setitem__(self, i: int, module: Module) -> None:
        """Replace the module at position ``i`` (it keeps its name)."""
        name = list(self._modules)[_index("Sequential", i, len(self))]
        self.add_module(name, _checked("Sequential", module))

    def __delitem__(self, i: int | slice) -> None:
        """Remove by position or slice; the rest are renumbered '0', '1', ... (as in PyTorch)."""
        values = list(self._modules.values())
        if isinstance(i, slice):
            del values[i]
        else:
            del values[_index("Sequential", i, len(values))]
        self._renumber(values)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end (named by its position) and return self."""
        self.add_module(str(len(self._modules)), _checked("Sequential", module))
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Append each of ``modules`` (a Sequential, list, ...) and return self."""
        for module in list(modules):
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` before position ``index`` (-len <= index <= len) and return self; the
        modules are renumbered '0', '1', ..."""
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} is out of range for {n} modules "
                             f"(use -{n} <= index <= {n})")
        values = list(self._modules.values())
        # list.insert's meaning, which is PyTorch's: -1 puts it before the last module
        values.insert(index, _checked("Sequential", module))
        self._renumber(values)
        return self

    def pop(self, i: int | slice = -1) -> Any:
        """Remove and return the module at ``i`` (or a Sequential of a slice)."""
        module = self[i]
        del self[i]
        return module

    def __add__(self, other: Sequential) -> Sequential:
        """A new Sequential of this one's modules then ``other``'s (shared, renumbered)."""
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential + {type(other).__name__}: add another Sequential")
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential += {type(other).__name__}: add another Sequential")
        return self.extend(other)

    def _renumber(self, values: list[Module]) -> None:
        """Re-register ``values`` as '0', '1', ... (how PyTorch keeps positions and names equal)."""
        for name in list(self._modules):
            delattr(self, name)
        for position, module in enumerate(values):
            self.add_module(str(position), module)


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list would hide them)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, i: int | slice) -> Any:
        values = list(self._modules.values())
        if isinstance(i, slice):
            return ModuleList(values[i])
        return values[_index("ModuleList", i, len(values))]

    def __setitem__(self, i: int, module: Module) -> None:
        self.add_module(str(_index("ModuleList", i, len(self))), _checked("ModuleList", module))

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), _checked("ModuleList", module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        values = list(self._modules.values())
        values.insert(index, _checked("ModuleList", module))
        self._renumber(values)

    def __delitem__(self, i: int | slice) -> None:
        values = list(self._modules.values())
        if isinstance(i, slice):
            del values[i]
        else:
            del values[_index("ModuleList", i, len(values))]
        self._renumber(values)

    def pop(self, i: int = -1) -> Module:
        module = self[i]
        del self[i]
        return module

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def _renumber(self, values: list[Module]) -> None:
        """Re-register ``values`` as '0', '1', ... (indices stay contiguous, as in PyTorch)."""
        for name in list(self._modules):
            delattr(self, name)
        self.extend(values)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward; iterate over it in your own "
                                  "module's forward (or use Sequential)")


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, in insertion order."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for name, module in (modules or {}).items():
            self[name] = module

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module {key!r}; keys: {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(str(key), _checked("ModuleDict", module))

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> list[str]:
        return list(self._modules)

    def values(self) -> list[Module]:
        return list(self._modules.values())

    def items(self) -> list[tuple[str, Module]]:
        return list(self._modules.items())

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace modules from a mapping or from (name, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for name, module in pairs:
            self[name] = module

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for name in list(self._modules):
            del self[name]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleDict has no forward; pick modules by key in your own "
                                  "module's forward")


def _checked(container: str, module: Any) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{container}: expected a Module, got {type(module).__name__}; wrap "
                        "functions in a Module subclass")
    return module
