"""Draw the pictures docs/graphs.md shows (the site draws them from the page's own code): a
neuron, its derivative flow, an MLP in course notation, sigmoid saturation, and backward step by
step.

    python examples/draw_graphs.py            # writes ./graphs/*.svg (a few seconds)
    python examples/draw_graphs.py out_dir    # somewhere else

Without Graphviz's ``dot`` program the DOT sources are written instead (with a hint to install it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import autonet as an

OUT = Path("graphs")


def neuron() -> an.Tensor:
    """o = tanh(x1*w1 + x2*w2 + b), the course's single neuron."""
    x1 = an.tensor(2.0, requires_grad=True, name="x1")
    x2 = an.tensor(0.0, requires_grad=True, name="x2")
    w1 = an.tensor(-3.0, requires_grad=True, name="w1")
    w2 = an.tensor(1.0, requires_grad=True, name="w2")
    b = an.tensor(6.8813735870195432, requires_grad=True, name="b")
    n = x1 * w1 + x2 * w2
    n.name = "x1*w1 + x2*w2"
    z = n + b
    z.name = "z"
    o = an.tanh(z)
    o.name = "o"
    return o


def mlp(activation=an.nn.Tanh, scale: float = 1.0, depth: int = 1, shift: float = 0.0):
    """A 2-3-...-3-1 network (``depth`` hidden layers) on 4 examples with a mean squared error;
    ``scale`` multiplies the parameters and ``shift`` is added to every bias (large weights or
    biases push sigmoids into their flat, saturated parts)."""
    an.manual_seed(0)
    layers = [an.nn.Linear(2, 3), activation()]
    for _ in range(depth - 1):
        layers += [an.nn.Linear(3, 3), activation()]
    model = an.nn.Sequential(*layers, an.nn.Linear(3, 1), an.nn.Sigmoid())
    with an.no_grad():
        for p in model.parameters():
            p.data *= scale
        for layer in layers[::2]:
            layer.bias.data += shift
    X = an.tensor(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], np.float32))
    Y = an.tensor(np.array([[1.0], [1.0], [0.0], [0.0]], np.float32))
    loss = ((model(X) - Y) ** 2).mean()
    return model, loss


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    o = neuron()
    written.append(an.viz.save_graph(o, out / "neuron.svg"))
    written.append(an.viz.save_graph(o, out / "neuron_flow.svg", flow=True))
    model, loss = mlp()
    written.append(an.viz.save_graph(loss, out / "mlp.svg", model=model, flow=True))
    written.append(an.viz.save_graph(loss, out / "mlp_expanded.svg", model=model,
                                     expand_modules=True, rankdir="TB"))
    model, loss = mlp(an.nn.Sigmoid, depth=3, shift=4.0)
    written.append(an.viz.save_graph(loss, out / "saturation.svg", model=model, flow=True))
    index = an.viz.save_backward_steps(o, out / "neuron_steps")  # the flipbook's page
    written.extend([*sorted(index.parent.glob("frame_*")), index])
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(path)
