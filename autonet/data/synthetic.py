"""Generated datasets: the course's planar "flower" and the usual toy sets. All are seeded and
return ``(X, y)`` numpy arrays: X float32 of shape (N, 2) (or (N, d)), y int64 class indices of
shape (N,) (float32 targets of shape (N, 1) for regression)."""

from __future__ import annotations

import numpy as np


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(seed)


def _check_n(name: str, n: int, minimum: int = 1) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < minimum:
        raise ValueError(f"{name}: n_samples must be an integer >= {minimum}, got {n!r}")


def _pack(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(x))
    return x[order].astype(np.float32), y[order].astype(np.int64)


def flower(n_samples: int = 400, petals: int = 4, noise: float = 0.2,
           seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """The planar "flower" of the course: two classes of points along the petals of a rose curve
    r = a·sin(petals·t), alternately red and blue, not linearly separable.
    X (N, 2), y (N,) in {0, 1}."""
    _check_n("flower", n_samples, 2)
    rng = _rng(seed)
    per_class = n_samples // 2
    xs, ys = [], []
    for label in (0, 1):
        n = per_class if label == 0 else n_samples - per_class
        t = np.linspace(label * np.pi, (label + 1) * np.pi, n) + rng.normal(0, noise, n)
        r = 4.0 * np.sin(petals * t) + rng.normal(0, noise, n)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n, label))
    return _pack(np.concatenate(xs), np.concatenate(ys), rng)


def moons(n_samples: int = 400, noise: float = 0.1,
          seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles. X (N, 2), y (N,) in {0, 1}."""
    _check_n("moons", n_samples, 2)
    rng = _rng(seed)
    n0 = n_samples // 2
    n1 = n_samples - n0
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = np.concatenate([upper, lower]) + rng.normal(0, noise, (n_samples, 2))
    return _pack(x, np.repeat([0, 1], [n0, n1]), rng)


def circles(n_samples: int = 400, noise: float = 0.05, factor: float = 0.5,
            seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1)."""
    _check_n("circles", n_samples, 2)
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be in (0, 1), got {factor}")
    rng = _rng(seed)
    n0 = n_samples // 2
    n1 = n_samples - n0
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    outer = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    inner = factor * np.stack([np.cos(t1), np.sin(t1)], axis=1)
    x = np.concatenate([outer, inner]) + rng.normal(0, noise, (n_samples, 2))
    return _pack(x, np.repeat([0, 1], [n0, n1]), rng)


def spirals(n_samples: int = 400, classes: int = 2, turns: float = 1.5, noise: float = 0.1,
            seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms (the classic "swiss roll" classification task)."""
    _check_n("spirals", n_samples, classes)
    rng = _rng(seed)
    xs, ys = [], []
    for c in range(classes):
        n = n_samples // classes + (1 if c < n_samples % classes else 0)
        r = np.linspace(0.05, 1.0, n)
        t = turns * 2 * np.pi * r + 2 * np.pi * c / classes + rng.normal(0, noise, n)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n, c))
    return _pack(np.concatenate(xs), np.concatenate(ys), rng)


def blobs(n_samples: int = 400, centers: int = 3, n_features: int = 2, std: float = 1.0,
          box: float = 10.0, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters with centres drawn uniformly in [-box, box]^n_features. y = cluster."""
    _check_n("blobs", n_samples, centers)
    rng = _rng(seed)
    means = rng.uniform(-box, box, (centers, n_features))
    y = np.arange(n_samples) % centers
    x = means[y] + rng.normal(0, std, (n_samples, n_features))
    return _pack(x, y, rng)


def xor(n_samples: int = 400, noise: float = 0.0,
        seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-1, 1]^2 labelled by the XOR of their signs (class 1 when x1·x2 < 0)."""
    _check_n("xor", n_samples)
    rng = _rng(seed)
    x = rng.uniform(-1, 1, (n_samples, 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    x = x + rng.normal(0, noise, x.shape) if noise else x
    return x.astype(np.float32), y


def linear_regression(n_samples: int = 200, n_features: int = 1, noise: float = 0.1,
                      seed: int | None = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """y = x·w + b + noise. Returns X float32 (N, d), y float32 (N, 1), and the true w (d,), b."""
    _check_n("linear_regression", n_samples)
    rng = _rng(seed)
    w = rng.normal(0, 1, n_features)
    b = float(rng.normal())
    x = rng.uniform(-2, 2, (n_samples, n_features))
    y = x @ w + b + rng.normal(0, noise, n_samples)
    return x.astype(np.float32), y[:, None].astype(np.float32), w, b


GENERATORS = {"flower": flower, "moons": moons, "circles": circles, "spirals": spirals,
              "blobs": blobs, "xor": xor}
