"""A deep ReLU network (L = 3 layers: 2-64-64-3) learns CS231n's three-arm spiral, which no
linear model can separate. Shows the model summary (W[l], b[l], A[l]), He initialization,
Adam with a cosine learning-rate schedule, and a checkpoint round trip.

    python examples/deep_mlp_spiral.py
"""

import os
import tempfile

import numpy as np

import autonet as an
from autonet import nn, optim
from autonet.nn import functional as F


def spiral(n_per_class: int = 100, classes: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    x, y = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4 * k, 4 * (k + 1), n_per_class) + rng.standard_normal(n_per_class) * 0.2
        x.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        y.append(np.full(n_per_class, k))
    return np.concatenate(x).astype(np.float32), np.concatenate(y)


def main(epochs: int = 300) -> float:
    an.manual_seed(0)
    x, y = spiral()
    x = an.tensor(x)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 3))
    for layer in model:
        if isinstance(layer, nn.Linear):  # He init: Var(W[l]) = 2 / n[l-1]
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    print(an.nn.summary(model, (2,)))

    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)  # softmax + cross-entropy, one stable op
        loss.backward()
        optimizer.step()
        scheduler.step()
        if epoch % 100 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}: loss {loss.item():.4f}  lr {scheduler.get_last_lr()[0]:.4f}")

    model.eval()
    with an.no_grad():
        accuracy = float(np.mean(model(x).data.argmax(axis=1) == y))
    print(f"train accuracy {accuracy:.3f}")

    with tempfile.TemporaryDirectory() as tmp:  # save and restore the learned parameters
        path = os.path.join(tmp, "spiral.npz")
        an.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
        restored = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                 nn.Linear(64, 3))
        restored.load_state_dict(an.load(path)["model"])
        with an.no_grad():
            same = np.array_equal(restored(x).data, model(x).data)
    print(f"checkpoint restored identically: {same}")
    return accuracy


if __name__ == "__main__":
    main()
