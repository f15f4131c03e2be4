"""autonet: a small, readable, fast autograd engine on numpy.

    import autonet as an
    x = an.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # array([2., 4.], dtype=float32)
"""

from autonet import data, nn, optim
from autonet.autograd.anomaly import AnomalyError, detect_anomaly, set_detect_anomaly
from autonet.autograd.compile import compile
from autonet.autograd.function import Function
from autonet.autograd.functional import grad, hvp, jvp, vjp
from autonet.autograd.graph import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from autonet.autograd.warnings import set_warn_broadcast, set_warn_double_backward
from autonet.check import GradcheckError, check_gradients, gradcheck, gradgradcheck
from autonet.check.graph import check_graph
from autonet.creation import (
    arange,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from autonet.dtypes import bool as bool  # noqa: A004  (an.bool, an.float: PyTorch's names)
from autonet.dtypes import (
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    uint8,
)
from autonet.dtypes import float as float  # noqa: A004
from autonet.io import load, save
from autonet.ops import *  # noqa: F403  (every op is also an.<op>)
from autonet.ops import __all__ as _ops_all
from autonet.tensor import Tensor, get_default_dtype, set_default_dtype
from autonet.train import History, fit

__version__ = "0.1.0"

__all__ = [
    # tensors and autograd
    "Tensor", "tensor", "from_numpy", "zeros", "ones", "full", "arange", "linspace", "eye",
    "rand", "randn", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like",
    "manual_seed", "get_default_dtype", "set_default_dtype",
    # dtype names (numpy's types; an.float and an.bool too, kept out of * imports: builtins)
    "float16", "half", "float32", "float64", "double", "int8", "int16", "int32", "int64",
    "long", "uint8", "complex64", "complex128",
    "grad", "vjp", "jvp", "hvp", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "inference_mode",
    # checking gradients
    "gradcheck", "gradgradcheck", "check_gradients", "GradcheckError", "check_graph", "Function",
    "detect_anomaly", "set_detect_anomaly", "compile", "AnomalyError", "set_warn_broadcast",
    "set_warn_double_backward",
    # the rest of the framework
    "nn", "optim", "data", "fit", "History", "save", "load",
    *_ops_all,
]


# Loaded when first used, with their optional dependencies (Graphviz, matplotlib, Optuna, Dask,
# tqdm), so that ``import autonet`` needs numpy alone and stays quick: an.viz, an.plot, an.tune,
# an.cli.
_LAZY = ("viz", "plot", "tune", "cli")


def __getattr__(name: str) -> object:
    """The lazily loaded packages, and ops registered after import (your own Primitive rows)
    are ``an.<name>`` too."""
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"autonet.{name}")
    from autonet.ops import registry

    op = registry.lookup(name)
    if op is None:
        raise AttributeError(f"module 'autonet' has no attribute {name!r}")
    return op


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
