"""Logistic regression, the course's first network: one unit, sigmoid output, cross-entropy loss,
gradient descent. Two Gaussian blobs in 2-D; prints the loss as it falls and the final accuracy.

    python examples/logistic_regression.py

In the course's notation: z = w x + b, a = sigmoid(z), J = mean of -[y log a + (1 - y) log(1 - a)].
Here ``nn.Linear(2, 1)`` holds w (weight, shape (1, 2)) and b (bias, shape (1,)), and
``binary_cross_entropy_with_logits`` fuses the sigmoid into the loss (stable for any z).
"""

import numpy as np

import autonet as an
from autonet import nn, optim
from autonet.nn import functional as F


def make_blobs(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal([-2.0, -1.0], 1.0, (n // 2, 2)),
                        rng.normal([2.0, 1.0], 1.0, (n // 2, 2))]).astype(np.float32)
    y = np.repeat([0.0, 1.0], n // 2).astype(np.float32)[:, None]  # (m, 1)
    return x, y


def main() -> float:
    an.manual_seed(0)
    x, y = make_blobs()
    x = an.tensor(x)
    model = nn.Linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.5)  # plain gradient descent, alpha = 0.5
    for step in range(101):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()  # dJ/dw and dJ/db land in model.weight.grad and model.bias.grad
        optimizer.step()  # w -= alpha * dw, b -= alpha * db
        if step % 25 == 0:
            print(f"step {step:3d}: loss {loss.item():.4f}")
    with an.no_grad():
        accuracy = float(np.mean((model(x).data > 0) == (y > 0.5)))
    w, b = model.weight.data[0], model.bias.data[0]
    print(f"w = [{w[0]:.3f}, {w[1]:.3f}], b = {b:.3f}, train accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
