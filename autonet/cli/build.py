"""Model, optimizer and learning-rate schedule from hyperparameter values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autonet.cli.hparams import INITS, OPTIMIZERS, SCHEDULES


def build_model(in_features: int, layers: Sequence[int], out_features: int,
                activation: str = "tanh", dropout: float = 0.0, init: str = "auto") -> Any:
    """An MLP: [Linear -> activation (-> Dropout)] per hidden size, then a Linear output layer.

    ``init``: "he" (Kaiming normal, for ReLU-like units), "xavier" (Glorot normal, for tanh and
    sigmoid), "normal" (N(0, 0.01²), the course's first try), "default" (the layer's own), or
    "auto" (he for relu/leaky_relu/elu, xavier otherwise). Biases start at zero except "default".
    """
    from autonet import nn

    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
            "elu": nn.ELU}
    if activation not in acts:
        raise ValueError(f"build_model: activation must be one of {sorted(acts)}, "
                         f"got {activation!r}")
    modules: list[Any] = []
    sizes = [in_features, *layers]
    for a, b in zip(sizes[:-1], sizes[1:]):
        modules += [nn.Linear(a, b), acts[activation]()]
        if dropout:
            modules.append(nn.Dropout(dropout))
    modules.append(nn.Linear(sizes[-1], out_features))
    if init == "auto":
        init = "he" if activation in ("relu", "leaky_relu", "elu") else "xavier"
    if init not in INITS:
        raise ValueError(f"build_model: init must be one of {INITS}, got {init!r}")
    if init != "default":
        gain = "relu" if activation in ("relu", "leaky_relu", "elu") else "tanh"
        for m in modules:
            if isinstance(m, nn.Linear):
                if init == "he":
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                elif init == "xavier":
                    nn.init.xavier_normal_(m.weight, gain=nn.init.calculate_gain(
                        gain if activation != "sigmoid" else "sigmoid"))
                else:
                    nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)
    return nn.Sequential(*modules)


def build_digits_cnn(out_features: int = 10) -> Any:
    """The digits CNN: rows of 64 pixels seen as 1x8x8 images, conv 3x3 (8 filters, padding 1)
    -> relu -> max pool 2x2 -> conv 3x3 (16 filters) -> relu -> max pool 2x2 -> linear."""
    from autonet import nn

    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 2 * 2, out_features))


def make_optimizer(name: str, params: Any, lr: float, momentum: float = 0.0) -> Any:
    from autonet import optim

    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=momentum)
    table = {"adam": optim.Adam, "adamw": optim.AdamW, "adagrad": optim.Adagrad}
    if name not in table:
        raise ValueError(f"make_optimizer: optimizer must be one of {OPTIMIZERS}, got {name!r}")
    return table[name](params, lr=lr)


def make_scheduler(name: str, optimizer: Any, epochs: int) -> Any:
    """none, step (halve every epochs/4), exponential (x0.99 per epoch), cosine (to 0 over the
    run), plateau (x0.5 after 10 epochs without validation improvement)."""
    from autonet.optim import lr_scheduler

    if name == "none":
        return None
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 4), gamma=0.5)
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=0.99)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=10)
    raise ValueError(f"make_scheduler: schedule must be one of {SCHEDULES}, got {name!r}")
