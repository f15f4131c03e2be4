"""One training run from hyperparameters: data prepared, model built, fit, final metrics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autonet.cli.build import build_digits_cnn, build_model, make_optimizer, make_scheduler
from autonet.cli.hparams import DEFAULTS


def prepare_data(dataset: str, samples: int, val_fraction: float, data_seed: int) -> dict:
    """Load, split (stratified) and standardize (statistics of the training split only)."""
    from autonet.data import StandardScaler, load_dataset, train_test_split

    x, y = load_dataset(dataset, n_samples=samples, seed=data_seed)
    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=val_fraction, seed=data_seed,
                                                stratify=y)
    scaler = StandardScaler().fit(x_tr)
    return {"x_train": scaler.transform(x_tr), "y_train": y_tr, "x_val": scaler.transform(x_val),
            "y_val": y_val, "scaler": scaler, "raw_x": x, "raw_y": y,
            "classes": int(y.max()) + 1}


def run_training(verbose: int = 0, callbacks: Sequence[Any] = (), data: dict | None = None,
                 resume: str | None = None, architecture: str = "mlp",
                 compile: bool = False, **hparams: Any) -> tuple[Any, Any, dict, dict]:
    """Train one MLP classifier from hyperparameters (names as in DEFAULTS); ``resume``: a
    checkpoint of a run with the same hyperparameters and callbacks to continue (fit's);
    ``architecture="cnn"``: the digits CNN of build_digits_cnn instead of the MLP;
    ``compile``: fit's (the steps replayed through an.compile, same results).

    Returns (model, history, final validation metrics, data dict)."""
    import autonet as an
    from autonet import nn
    from autonet.train import EarlyStopping, evaluate, fit

    unknown = set(hparams) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"run_training: unknown hyperparameters {sorted(unknown)}; "
                         f"known: {sorted(DEFAULTS)}")
    hp = {**DEFAULTS, **hparams}
    layers = hp["layers"]
    layers = (layers,) if isinstance(layers, int) else tuple(layers)
    if data is None:
        data = prepare_data(hp["dataset"], hp["samples"], hp["val_fraction"], hp["data_seed"])
    an.manual_seed(hp["seed"])
    if architecture == "cnn":
        model = build_digits_cnn(data["classes"])
    else:
        model = build_model(data["x_train"].shape[1], layers, data["classes"], hp["activation"],
                            hp["dropout"], hp["init"])
    optimizer = make_optimizer(hp["optimizer"], model.parameters(), hp["lr"], hp["momentum"])
    scheduler = make_scheduler(hp["schedule"], optimizer, hp["epochs"])
    callbacks = list(callbacks)
    if hp["patience"]:
        callbacks.append(EarlyStopping("val_loss", patience=hp["patience"]))
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, loss_fn, optimizer, (data["x_train"], data["y_train"]),
                  epochs=hp["epochs"], val_data=(data["x_val"], data["y_val"]),
                  scheduler=scheduler, callbacks=callbacks, batch_size=hp["batch_size"],
                  seed=hp["seed"], l1=hp["l1"], l2=hp["l2"], verbose=verbose, resume=resume,
                  compile=compile)
    final = evaluate(model, loss_fn, (data["x_val"], data["y_val"]))
    metrics = {"val_loss": final["loss"], "val_accuracy": final.get("accuracy", math.nan),
               "train_loss": history["loss"][-1], "epochs_run": len(history)}
    return model, history, metrics, data


def tune_trial(**hparams: Any) -> dict[str, float]:
    """One tuning trial (module-level so process pools and Dask can run it)."""
    return run_training(**hparams)[2]
