"""Training plots with matplotlib (``pip install autonet[plot]``), each written to a PNG or SVG
file: loss/metric curves, the decision boundary of a 2-D classifier, the learning-rate schedule,
the confusion matrix. (A search's figure is ``autonet.tune.plot``.)

Figures are made without pyplot (no global state, no display needed, safe in worker processes).
A leaf: it reads Histories and models through their public attributes and imports no training
or tuning code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["confusion_matrix", "plot_confusion_matrix", "plot_decision_boundary", "plot_history",
           "plot_lr_schedule"]


def figure(width: float, height: float, ncols: int = 1) -> tuple[Any, list[Any]]:
    """A matplotlib Figure (no pyplot) with ``ncols`` panels in a row."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("autonet.plot needs matplotlib: pip install 'autonet[plot]' (in a "
                          "source checkout: pip install -e '.[plot]')") from None
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def save_figure(fig: Any, path: str | os.PathLike) -> None:
    """Write ``fig`` to a .png, .svg or .pdf file (making its directory)."""
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix not in (".png", ".svg", ".pdf"):
        raise ValueError(f"plot: save as .png, .svg or .pdf, got {path!r}")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)


def _epoch_axis(ax: Any) -> None:
    """Label the x axis "epoch" with whole-number ticks (no 2.5 epochs on short runs)."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def plot_history(history: Any, path: str | os.PathLike, title: str | None = None) -> None:
    """Loss curves (train and validation) and, when recorded, accuracy curves, by epoch."""
    panels = [("loss", "val_loss")]
    if "accuracy" in history or "val_accuracy" in history:
        panels.append(("accuracy", "val_accuracy"))
    fig, axes = figure(5.0 * len(panels), 3.6, len(panels))
    for ax, keys in zip(axes, panels):
        for key, style in zip(keys, ("-", "--")):
            if key in history:
                ax.plot(history.epoch, history[key], style, label=key)
        _epoch_axis(ax)
        ax.set_ylabel(keys[0])
        ax.grid(alpha=0.3)
        ax.legend()
    if panels[0][0] in history and min(history["loss"]) > 0:
        values = np.asarray(history["loss"])
        if values.max() / values.min() > 50:
            axes[0].set_yscale("log")
    if title:
        fig.suptitle(title)
    save_figure(fig, path)


def plot_decision_boundary(predict: Callable[[np.ndarray], np.ndarray] | Any, x: Any, y: Any,
                           path: str | os.PathLike, resolution: int = 200,
                           title: str | None = None) -> None:
    """Shade the plane by the predicted class and scatter the points, for 2-D inputs.

    Args:
        predict: a model (called in eval mode on float32 batches) or a function mapping inputs of
            shape (M, 2) to outputs (M, C) (argmax taken) or (M,)/(M, 1) logits (class = > 0).
        x: points of shape (N, 2) in the model's input space; y: labels of shape (N,).
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: needs 2-D inputs of shape (N, 2), got {x.shape}")
    if not callable(predict):
        raise TypeError("plot_decision_boundary: predict must be a model or a function")
    if hasattr(predict, "parameters"):
        from autonet.nn.utils import predict as predict_outputs

        model = predict
        predict = lambda points: predict_outputs(model, points)
    pad = 0.1 * (x.max(0) - x.min(0)) + 1e-6
    lo, hi = x.min(0) - pad, x.max(0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    out = np.asarray(predict(grid))
    classes = out.argmax(1) if out.ndim == 2 and out.shape[1] > 1 else (out.ravel() > 0)
    fig, (ax,) = figure(5.0, 4.4)
    n_classes = int(max(classes.max(), y.max())) + 1
    ax.contourf(gx, gy, classes.reshape(gx.shape).astype(float),
                levels=np.arange(n_classes + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3,
               vmin=0, vmax=max(n_classes - 1, 1))
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title or "decision boundary")
    save_figure(fig, path)


def confusion_matrix(target: Any, predicted: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts (num_classes, num_classes): row = true class, column = predicted class."""
    target, predicted = np.asarray(target).ravel(), np.asarray(predicted).ravel()
    if target.shape != predicted.shape:
        raise ValueError(f"confusion_matrix: {target.shape[0]} targets but "
                         f"{predicted.shape[0]} predictions")
    k = num_classes or int(max(target.max(), predicted.max())) + 1
    counts = np.zeros((k, k), np.int64)
    np.add.at(counts, (target.astype(np.int64), predicted.astype(np.int64)), 1)
    return counts


def plot_confusion_matrix(target: Any, predicted: Any, path: str | os.PathLike,
                          labels: Sequence[str] | None = None, title: str | None = None) -> None:
    """Heat map of ``confusion_matrix(target, predicted)`` with the counts written in."""
    counts = confusion_matrix(target, predicted, len(labels) if labels else None)
    k = len(counts)
    names = list(labels) if labels else [str(i) for i in range(k)]
    fig, (ax,) = figure(1.2 + 0.5 * k, 1.0 + 0.5 * k)
    ax.imshow(counts, cmap="Blues")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if counts[i, j] > counts.max() / 2 else "black")
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or f"accuracy {np.trace(counts) / max(counts.sum(), 1):.3f}")
    save_figure(fig, path)


def plot_lr_schedule(lrs: Sequence[float] | Any, path: str | os.PathLike,
                     title: str | None = None) -> None:
    """Learning rate by epoch, from a History (its "lr") or a list of rates."""
    values = list(lrs["lr"]) if hasattr(lrs, "history") else [float(v) for v in lrs]
    fig, (ax,) = figure(5.0, 3.4)
    ax.plot(range(1, len(values) + 1), values, "-")
    _epoch_axis(ax)
    ax.set_ylabel("learning rate")
    ax.grid(alpha=0.3)
    ax.set_title(title or "learning-rate schedule")
    save_figure(fig, path)
