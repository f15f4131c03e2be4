"""End to end, the course's progression: logistic regression, a shallow tanh net on XOR, a deep
ReLU net on a spiral, and why weights are not initialized to zero. Seeded and small (each well
under a few seconds)."""

from __future__ import annotations

import numpy as np

import autonet as an
from autonet import nn, optim
from autonet.nn import functional as F


def spiral(n_per_class: int = 100, classes: int = 3, seed: int = 0):
    """CS231n's spiral: ``classes`` interleaved arms in 2-D, not linearly separable."""
    rng = np.random.default_rng(seed)
    x, y = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(k * 4, (k + 1) * 4, n_per_class) + rng.standard_normal(n_per_class) * 0.2
        x.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        y.append(np.full(n_per_class, k))
    return np.concatenate(x).astype(np.float32), np.concatenate(y)


def _accuracy_binary(logits: an.Tensor, y: np.ndarray) -> float:
    return float(np.mean((logits.data[:, 0] > 0) == (y > 0.5)))


def test_logistic_regression_separates_two_blobs() -> None:
    an.manual_seed(0)
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal([-2, -1], 1.0, (100, 2)), rng.normal([2, 1], 1.0, (100, 2))])
    y = np.concatenate([np.zeros(100), np.ones(100)]).astype(np.float32)
    x = an.tensor(x.astype(np.float32))
    model = nn.Linear(2, 1)  # z = w.x + b, p = sigmoid(z)
    opt = optim.SGD(model.parameters(), lr=0.5)
    first = None
    for _ in range(100):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y[:, None])
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first / 2
    assert _accuracy_binary(model(x), y) > 0.95


def test_shallow_tanh_net_learns_xor() -> None:
    an.manual_seed(1)
    x = an.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=np.float32)
    linear_only = nn.Linear(2, 1)  # a linear model cannot: XOR is not linearly separable
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    for net in (linear_only, model):
        opt = optim.Adam(net.parameters(), lr=0.05)
        for _ in range(400):
            opt.zero_grad()
            F.binary_cross_entropy_with_logits(net(x), y).backward()
            opt.step()
    assert _accuracy_binary(linear_only(x), y[:, 0]) <= 0.75
    assert _accuracy_binary(model(x), y[:, 0]) == 1.0


def test_deep_relu_mlp_fits_a_spiral() -> None:
    an.manual_seed(0)
    x, y = spiral()
    x = an.tensor(x)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 3))
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(300):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    accuracy = np.mean(model(x).data.argmax(axis=1) == y)
    assert accuracy > 0.9


def _train_hidden_layer(initialize) -> nn.Sequential:
    x, y = spiral(30, 2)
    model = nn.Sequential(nn.Linear(2, 5), nn.Sigmoid(), nn.Linear(5, 2))
    for layer in (model[0], model[2]):
        initialize(layer)
    opt = optim.SGD(model.parameters(), lr=0.5)
    for _ in range(50):
        opt.zero_grad()
        F.cross_entropy(model(an.tensor(x)), y).backward()
        opt.step()
    return model


def test_zero_initialization_keeps_hidden_units_symmetric() -> None:
    def zeros(layer):
        nn.init.zeros_(layer.weight)
        nn.init.zeros_(layer.bias)

    def random(layer):
        nn.init.xavier_normal_(layer.weight)
        nn.init.zeros_(layer.bias)

    sym = _train_hidden_layer(zeros)
    w1, w2 = sym[0].weight.data, sym[2].weight.data
    assert np.any(w1 != 0) and np.any(w2 != 0)  # the weights did train...
    np.testing.assert_array_equal(w1, np.broadcast_to(w1[0], w1.shape))  # ...but every hidden unit
    np.testing.assert_array_equal(w2, np.broadcast_to(w2[:, :1], w2.shape))  # stayed the same
    broken = _train_hidden_layer(random)
    assert len(np.unique(broken[0].weight.data.round(6), axis=0)) == 5  # random init: 5 distinct
