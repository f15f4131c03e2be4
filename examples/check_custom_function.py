"""Write the logistic-regression backward by hand as a custom op and let autonet check it.

    python examples/check_custom_function.py            # also writes ./graphs/check_graph.svg
    python examples/check_custom_function.py out_dir    # the picture somewhere else

Shapes follow the course: X (n_x, m) holds m examples as columns, Y (1, m), W (1, n_x), b (1, 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import autonet as an

OUT = Path("graphs")


class LogisticCost(an.Function):
    """J = -1/m sum(Y log A + (1 - Y) log(1 - A)) with A = sigmoid(W X + b)."""

    @staticmethod
    def forward(ctx, W, b, X, Y):
        A = 1 / (1 + np.exp(-(W @ X + b)))
        ctx.save_for_backward(A, X, Y)
        return np.asarray(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))

    @staticmethod
    def backward(ctx, grad):
        A, X, Y = ctx.saved_tensors
        m = X.shape[1]
        dZ = A - Y                    # (1, m)
        dW = dZ @ X.T / m             # (1, n_x)
        db = np.sum(dZ) / m           # scalar, broadcast back to (1, 1)
        return grad * dW, grad * db, None, None   # X and Y are data: no gradient


class LogisticCostWrong(LogisticCost):
    """The same, with a classic slip: dW forgets the 1/m."""

    @staticmethod
    def backward(ctx, grad):
        A, X, Y = ctx.saved_tensors
        m = X.shape[1]
        dZ = A - Y
        dW = dZ @ X.T                 # wrong: missing / m
        db = np.sum(dZ) / m
        return grad * dW, grad * db, None, None


def make_data(n_x: int = 3, m: int = 4, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = an.tensor(rng.normal(size=(n_x, m)))
    Y = an.tensor((rng.random((1, m)) > 0.5).astype(np.float64))
    W = an.tensor(rng.normal(size=(1, n_x)) * 0.1, requires_grad=True, name="W")
    b = an.tensor(np.zeros((1, 1)), requires_grad=True, name="b")
    return W, b, X, Y


def main() -> None:
    W, b, X, Y = make_data()

    print("== the right backward ==")
    report = an.check_gradients(lambda W, b: LogisticCost.apply(W, b, X, Y), [W, b])
    print(report)

    print("\n== the wrong backward ==")
    try:
        an.gradcheck(lambda W, b: LogisticCostWrong.apply(W, b, X, Y), [W, b])
    except an.GradcheckError as error:
        print(error)

    print("\n== which op is wrong, inside a bigger graph ==")
    # The custom cost plus an L2 penalty on W: several ops, one of them wrong.
    cost = LogisticCostWrong.apply(W, b, X, Y) + 0.05 * an.sum(W * W)
    print(an.check_graph(cost))


def draw_check_graph(out: Path = OUT) -> Path:
    """The graph of the cost above with the op check_graph blames in red (check_graph.svg)."""
    W, b, X, Y = make_data()
    cost = LogisticCostWrong.apply(W, b, X, Y) + 0.05 * an.sum(W * W)
    report = an.check_graph(cost)
    # same as an.viz.draw_graph(cost, highlight=report.bad_nodes)
    return an.viz.save_graph(report.draw(), out / "check_graph.svg")


if __name__ == "__main__":
    main()
    print("\nwrote", draw_check_graph(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
