"""Small real datasets shipped inside the package (no network): Fisher's iris, the UCI
handwritten digits (8x8) and a few KB of traditional nursery rhymes (text for character-level
language models). Source and licence: autonet/data/DATASETS.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_HERE = Path(__file__).parent

IRIS_CLASSES = ("setosa", "versicolor", "virginica")
IRIS_FEATURES = ("sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm")


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris: X float32 (150, 4) measurements in cm (see IRIS_FEATURES), y int64 (150,)
    class indices into IRIS_CLASSES."""
    table = np.loadtxt(_HERE / "iris.csv", delimiter=",", skiprows=1)
    return table[:, :4].astype(np.float32), table[:, 4].astype(np.int64)


def load_digits(flatten: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """UCI optical handwritten digits: 1797 images of 8x8 pixels in 0..16.

    Returns X float32 scaled to [0, 1], shape (1797, 64) (or (1797, 8, 8) with flatten=False),
    and y int64 (1797,) digits 0-9."""
    with np.load(_HERE / "digits.npz", allow_pickle=False) as archive:
        images, labels = archive["images"], archive["labels"]
    x = images.astype(np.float32) / 16.0
    return (x.reshape(len(x), -1) if flatten else x), labels.astype(np.int64)


def load_nursery_rhymes() -> str:
    """About 3.6 KB of traditional English nursery rhymes (public domain), one rhyme per
    paragraph: a text small enough to train a character-level LSTM on in seconds."""
    return (_HERE / "nursery_rhymes.txt").read_text(encoding="utf-8")
