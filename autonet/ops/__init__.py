"""Every differentiable primitive, forward and gradient rule side by side, plus composites built on
them. ``autonet.ops.<name>`` is also ``autonet.<name>``."""

from autonet.ops.elementwise import (
    abs,
    add,
    astype,
    clip,
    cos,
    div,
    elu,
    exp,
    leaky_relu,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    sub,
    tanh,
    where,
)
from autonet.ops.fused import log_softmax, softmax
from autonet.ops.linalg import matmul
from autonet.ops.nondiff import (
    argmax,
    argmin,
    equal,
    floor,
    greater,
    greater_equal,
    isfinite,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    not_equal,
    sign,
)
from autonet.ops.norm import erf, gelu, silu
from autonet.ops.primitive import Primitive
from autonet.ops.reduce import logsumexp, max, mean, min, prod, std, sum, var
from autonet.ops.shape import (
    broadcast_to,
    concatenate,
    expand_dims,
    flatten,
    index,
    pad,
    reshape,
    scatter_add,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from autonet.ops.shape import index as getitem

__all__ = [
    "Primitive", "abs", "add", "argmax", "argmin", "astype", "broadcast_to", "clip",
    "concatenate", "cos", "div", "elu", "equal", "exp", "expand_dims", "flatten", "floor",
    "getitem", "greater", "greater_equal", "index", "isfinite", "isnan", "leaky_relu", "less",
    "less_equal", "log", "log_softmax", "logical_and", "logical_not", "logical_or",
    "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg",
    "not_equal", "pad", "pow", "prod", "relu", "reshape", "scatter_add", "sigmoid", "sign",
    "sin", "softmax", "softplus", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum",
    "swapaxes", "tanh", "transpose", "var", "where",
    "erf", "gelu", "silu",  # ops/norm.py
]
