"""The hyperparameters of the course: their choices and the defaults of ``autonet train``."""

from __future__ import annotations

from typing import Any

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
INITS = ("auto", "he", "xavier", "normal", "default")
SCHEDULES = ("none", "step", "exponential", "cosine", "plateau")
DATASETS = ("flower", "moons", "circles", "spirals", "blobs", "xor", "iris", "digits")

DEFAULTS: dict[str, Any] = {
    "dataset": "flower", "samples": 400, "layers": (16, 16), "activation": "tanh", "lr": 0.01,
    "epochs": 200, "batch_size": 32, "optimizer": "adam", "momentum": 0.9, "init": "auto",
    "l1": 0.0, "l2": 0.0, "dropout": 0.0, "schedule": "none", "val_fraction": 0.25,
    "patience": 0, "seed": 0, "data_seed": 0,
}
