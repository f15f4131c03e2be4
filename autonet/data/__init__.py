"""Data: datasets, the DataLoader, preprocessing, generated toy sets and bundled real data."""

from autonet.data.bundled import load_digits, load_iris, load_nursery_rhymes
from autonet.data.dataset import (
    Dataset,
    Samples,
    Subset,
    TensorDataset,
    random_split,
    train_test_split,
)
from autonet.data.loader import DataLoader
from autonet.data.mnist import load_mnist, read_idx
from autonet.data.preprocessing import StandardScaler, one_hot, standardize
from autonet.data.synthetic import (
    blobs,
    circles,
    flower,
    linear_regression,
    moons,
    spirals,
    xor,
)

__all__ = [
    "DataLoader", "Dataset", "Samples", "StandardScaler", "Subset", "TensorDataset", "blobs",
    "circles",
    "flower", "linear_regression", "load_digits", "load_iris", "load_mnist",
    "load_nursery_rhymes", "moons",
    "one_hot", "random_split", "read_idx", "spirals", "standardize", "train_test_split", "xor",
    "load_dataset",
]


def load_dataset(name: str, n_samples: int | None = None, seed: int = 0):
    """``(X, y)`` for a dataset by name: a generated one (flower, moons, circles, spirals, blobs,
    xor; ``n_samples`` and ``seed`` apply) or a bundled one (iris, digits)."""
    from autonet.data.synthetic import GENERATORS

    if name in GENERATORS:
        kwargs = {"seed": seed} if n_samples is None else {"seed": seed, "n_samples": n_samples}
        return GENERATORS[name](**kwargs)
    if name == "iris":
        return load_iris()
    if name == "digits":
        return load_digits()
    raise ValueError(f"load_dataset: unknown dataset {name!r}; choose one of "
                     f"{sorted([*GENERATORS, 'iris', 'digits'])}")


DATASETS = ("flower", "moons", "circles", "spirals", "blobs", "xor", "iris", "digits")
