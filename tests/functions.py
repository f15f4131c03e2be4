"""Custom Functions shared by the tests: the course's logistic-regression cost with the hand-written
backward of examples/check_custom_function.py (right, and with the classic missing 1/m), and x**3
with a right and a wrong backward."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import autonet as an

ROOT = Path(__file__).resolve().parents[1]


def load_example(name: str) -> ModuleType:
    """Import examples/<name>.py (examples are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_example = load_example("check_custom_function")
LogisticCost = _example.LogisticCost
LogisticCostWrong = _example.LogisticCostWrong


class Cube(an.Function):
    """y = x**3, dy/dx = 3 x**2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad


class WrongCube(Cube):
    """y = x**3 with the derivative of x**2 (2x instead of 3x**2)."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x
