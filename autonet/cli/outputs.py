"""What the commands write: the output directory, pictures (plots, the graph of a training step)
and the closing lines on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def output_dir(path: str) -> Path:
    """``path`` as a directory that exists."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_plots(out: Path, model: Any, history: Any, data: dict, notes: list[str]) -> None:
    """Loss and learning-rate curves, and the decision boundary (2-D data) or the confusion
    matrix; appends the files written (or why plots were skipped) to ``notes``."""
    try:
        from autonet.plot import plot_decision_boundary, plot_history, plot_lr_schedule
        from autonet.train import predict

        plot_history(history, out / "loss.png")
        plot_lr_schedule(history, out / "lr_schedule.png")
        notes += [str(out / "loss.png"), str(out / "lr_schedule.png")]
        if data["raw_x"].shape[1] == 2:
            scaler = data["scaler"]
            plot_decision_boundary(lambda pts: predict(model, scaler.transform(pts)),
                                   data["raw_x"], data["raw_y"], out / "decision_boundary.png")
            notes.append(str(out / "decision_boundary.png"))
        else:
            from autonet.plot import plot_confusion_matrix

            predicted = predict(model, data["x_val"]).argmax(axis=1)
            plot_confusion_matrix(data["y_val"], predicted, out / "confusion_matrix.png")
            notes.append(str(out / "confusion_matrix.png"))
    except ImportError as err:
        notes.append(f"(plots skipped: {err})")


def save_step_graph(model: Any, data: dict, path: Path) -> str:
    """Picture of one training step's graph with its gradients, drawn before backward frees it."""
    import autonet as an
    from autonet import nn

    x = an.tensor(data["x_train"][:4])
    y = an.tensor(data["y_train"][:4])
    loss = nn.CrossEntropyLoss()(model(x), y)
    return str(an.viz.save_graph(loss, path, model=model, flow=True))


def print_summary(metrics: dict[str, Any], notes: list[str]) -> None:
    """The final metrics and the files written."""
    print("final: " + "  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                for k, v in metrics.items()))
    print("wrote: " + ", ".join(notes))
