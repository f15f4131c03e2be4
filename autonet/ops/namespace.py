"""The two namespaces a gradient rule runs in (see primitive.py).

``NUMPY`` maps each name to raw numpy (a primitive's own forward), for the fast backward.
``AUTONET`` maps the same names to the differentiable ops, for ``create_graph=True``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from autonet.ops import (
    contract,
    elementwise,
    linalg,
    nondiff,
    rearrange,
    reduce,
    scan,
    shape,
    transcendental,
)
from autonet.ops.primitive import Primitive

_PRIMITIVES = {
    p.name: p for module in (elementwise, transcendental, reduce, scan, shape, linalg, contract)
    for p in vars(module).values() if isinstance(p, Primitive)
}
# What rules may call besides Python operators: primitives and their numpy twins, and a few
# composites whose numpy twin has the same signature.
_NAMES = ("exp", "log", "sin", "cos", "sigmoid", "where", "astype", "sum", "mean", "prod",
          "reshape", "broadcast_to", "transpose", "getitem", "scatter_add", "matmul",
          "sqrt", "sinh", "cosh", "cumsum", "cumprod", "einsum")
_COMPOSITES = {
    "swapaxes": (np.swapaxes, shape.swapaxes),
    "expand_dims": (np.expand_dims, shape.expand_dims),
    "sign": (np.sign, nondiff.sign),
    "floor": (np.floor, nondiff.floor),
    "trunc": (np.trunc, nondiff.trunc),
    "flip": (np.flip, rearrange.flip),
}

NUMPY = SimpleNamespace(
    **{name: _PRIMITIVES[name].forward for name in _NAMES},
    **{name: pair[0] for name, pair in _COMPOSITES.items()},
    records_graph=False,
)
AUTONET = SimpleNamespace(
    **{name: _PRIMITIVES[name] for name in _NAMES},
    **{name: pair[1] for name, pair in _COMPOSITES.items()},
    records_graph=True,  # a rule may pick a formula that is slower but right at every order
)
