"""autonet: a small, readable, fast autograd engine on numpy.

    import autonet as an
    x = an.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # array([2., 4.], dtype=float32)
"""

from autonet.autograd.functional import grad, hvp, jvp, vjp
from autonet.autograd.graph import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autonet.check import GradcheckError, check_gradients, gradcheck, gradgradcheck
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
from autonet.ops import *  # noqa: F403  (every op is also an.<op>)
from autonet.ops import __all__ as _ops_all
from autonet.tensor import Tensor, get_default_dtype, set_default_dtype

__version__ = "0.1.0"

__all__ = [
    "GradcheckError", "Tensor", "check_gradients", "gradcheck", "gradgradcheck", "arange", "enable_grad", "eye", "from_numpy", "full", "full_like",
    "get_default_dtype", "grad", "hvp", "is_grad_enabled", "jvp", "linspace", "manual_seed",
    "no_grad", "ones", "ones_like", "rand", "rand_like", "randn", "randn_like",
    "set_default_dtype", "set_grad_enabled", "tensor", "vjp", "zeros", "zeros_like", *_ops_all,
]
from autonet.autograd.anomaly import AnomalyError, detect_anomaly, set_detect_anomaly  # noqa: E402
from autonet.check_graph import check_graph  # noqa: E402
from autonet.function import Function  # noqa: E402
from autonet.warnings import set_warn_broadcast, set_warn_double_backward  # noqa: E402

__all__ += ["AnomalyError", "Function", "check_graph", "detect_anomaly", "set_detect_anomaly",
            "set_warn_broadcast", "set_warn_double_backward"]
from autonet import viz  # noqa: E402  (an.viz.draw_graph, save_graph, save_backward_steps)
from autonet import nn, optim  # noqa: E402  (an.nn, an.optim)
from autonet.io import load, save  # noqa: E402  (an.save, an.load: .npz checkpoints, no pickle)
from autonet import data, tune  # noqa: E402  (an.data: datasets and DataLoader; an.tune: search)
from autonet.train import History, fit  # noqa: E402  (an.fit, an.train.EarlyStopping, ...)
__all__ += ["History", "data", "fit", "tune"]
