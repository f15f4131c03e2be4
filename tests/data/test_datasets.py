"""Generated and bundled datasets, standardization, and the IDX (MNIST) reader."""

import gzip
import hashlib

import numpy as np
import pytest

import autonet.data as data
from autonet.data import StandardScaler, one_hot, standardize
from autonet.data.mnist import load_mnist, read_idx


@pytest.mark.parametrize("name", ["flower", "moons", "circles", "spirals", "blobs", "xor"])
def test_generated_sets_are_seeded_and_shaped(name):
    x, y = data.load_dataset(name, n_samples=101, seed=5)
    x2, y2 = data.load_dataset(name, n_samples=101, seed=5)
    x3, _ = data.load_dataset(name, n_samples=101, seed=6)
    assert x.shape == (101, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(x, x2) and np.array_equal(y, y2) and not np.array_equal(x, x3)
    assert len(np.unique(y)) >= 2


def test_flower_is_not_linearly_separable():
    # Least-squares linear classifier does badly on the flower: a network is needed.
    x, y = data.flower(400, seed=0)
    a = np.c_[x, np.ones(len(x))]
    w = np.linalg.lstsq(a, 2.0 * y - 1, rcond=None)[0]
    assert np.mean((a @ w > 0) == y) < 0.75


def test_linear_regression_recovers_its_weights():
    x, y, w, b = data.linear_regression(500, n_features=3, noise=0.01, seed=2)
    fit = np.linalg.lstsq(np.c_[x, np.ones(len(x))], y[:, 0], rcond=None)[0]
    assert np.allclose(fit[:3], w, atol=0.01) and abs(fit[3] - b) < 0.01


def test_bundled_iris_and_digits():
    x, y = data.load_iris()
    assert x.shape == (150, 4) and np.bincount(y).tolist() == [50, 50, 50]
    assert 4.0 < x[:, 0].min() < x[:, 0].max() < 8.0
    xd, yd = data.load_digits()
    assert xd.shape == (1797, 64) and xd.min() >= 0.0 and xd.max() == 1.0
    assert sorted(np.unique(yd).tolist()) == list(range(10))
    assert data.load_digits(flatten=False)[0].shape == (1797, 8, 8)


def test_unknown_dataset_names_choices():
    with pytest.raises(ValueError, match="flower"):
        data.load_dataset("nope")


def test_scaler_fits_on_train_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5, 3, (200, 2)).astype(np.float32)
    test = rng.normal(9, 1, (50, 2)).astype(np.float32)
    tr, te = standardize(train, test)
    assert np.allclose(tr.mean(0), 0, atol=1e-5) and np.allclose(tr.std(0), 1, atol=1e-4)
    scaler = StandardScaler().fit(train)
    assert np.allclose(te, (test - train.mean(0)) / train.std(0), atol=1e-4)
    assert np.allclose(scaler.inverse_transform(te), test, atol=1e-4)
    constant = StandardScaler().fit(np.ones((4, 1)))
    assert np.all(constant.transform(np.ones((2, 1))) == 0)
    with pytest.raises(RuntimeError, match="fit"):
        StandardScaler().transform(train)


def test_one_hot():
    assert one_hot(np.array([2, 0])).tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(ValueError, match="num_classes"):
        one_hot(np.array([3]), num_classes=2)


def _write_idx(path, array, code):
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    body = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(body)


def test_read_idx_round_trips_small_files(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    _write_idx(tmp_path / "a-idx3-ubyte.gz", images, 0x08)
    assert np.array_equal(read_idx(tmp_path / "a-idx3-ubyte.gz"), images)
    floats = np.arange(6, dtype=np.float32).reshape(2, 3)
    _write_idx(tmp_path / "f.idx", floats, 0x0D)
    assert np.array_equal(read_idx(tmp_path / "f.idx"), floats)


def test_read_idx_rejects_truncated_and_foreign_files(tmp_path):
    path = tmp_path / "t.idx"
    _write_idx(path, np.zeros((3, 2, 2), np.uint8), 0x08)
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)
    (tmp_path / "x.idx").write_bytes(b"PK\x03\x04junk")
    with pytest.raises(ValueError, match="not an IDX"):
        read_idx(tmp_path / "x.idx")


def test_read_idx_names_a_broken_gz_file_and_the_fix(tmp_path):
    _write_idx(tmp_path / "good-idx1-ubyte", np.arange(50, dtype=np.uint8), 0x08)
    good = gzip.compress((tmp_path / "good-idx1-ubyte").read_bytes())  # 10-byte gzip header
    broken = {"html.gz": b"<html>rate limited</html>",  # not gzip at all
              "cut.gz": good[:-12],  # a download that stopped early
              "crc.gz": good[:-8] + bytes(4) + good[-4:],  # checksum mismatch
              "block.gz": good[:10] + b"\xff" * 6 + good[16:]}  # corrupt deflate data
    for name, content in broken.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=rf"read_idx: .*{name} ends in .gz but is not a "
                                             r"readable gzip file .*delete it and download"):
            read_idx(tmp_path / name)
    raw = tmp_path / "raw-idx1-ubyte"
    _write_idx(raw, np.arange(5, dtype=np.uint8), 0x08)
    raw.rename(tmp_path / "raw-idx1-ubyte.gz")
    with pytest.raises(ValueError, match=r"uncompressed IDX file: rename it to raw-idx1-ubyte$"):
        read_idx(tmp_path / "raw-idx1-ubyte.gz")


def _fake_mnist(root, n=4):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    _write_idx(root / "t10k-images-idx3-ubyte.gz", images, 0x08)
    _write_idx(root / "t10k-labels-idx1-ubyte.gz", labels, 0x08)
    sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.iterdir()}
    return images, labels, sums


def test_load_mnist_download_verifies_sha256(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    images, labels, sums = _fake_mnist(src)
    x, y = load_mnist(dst, train=False, download=True, base_url=src.as_uri() + "/",
                      checksums=sums)
    assert np.array_equal(x, images) and np.array_equal(y, labels) and y.dtype == np.int64
    bad = dict(sums, **{"t10k-images-idx3-ubyte.gz": "0" * 64})
    with pytest.raises(RuntimeError, match="SHA-256"):
        load_mnist(tmp_path / "other", train=False, download=True,
                   base_url=src.as_uri() + "/", checksums=bad)
    assert not (tmp_path / "other" / "t10k-images-idx3-ubyte.gz").exists()
    with pytest.raises(RuntimeError, match="SHA-256"):  # files already present are checked too
        load_mnist(dst, train=False, checksums=bad)


def test_load_mnist_missing_files_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_mnist(tmp_path, train=True)


def test_read_idx_names_a_file_whose_header_is_cut_off(tmp_path):
    path = tmp_path / "short.idx"
    path.write_bytes(bytes([0, 0, 0x08, 3, 0, 0]))  # 3 dimensions declared, 2 size bytes
    with pytest.raises(ValueError, match="short.idx.*header is cut off"):
        read_idx(path)


def test_nursery_rhymes_are_bundled_text() -> None:
    from autonet.data import load_nursery_rhymes

    text = load_nursery_rhymes()
    assert 3000 < len(text) < 10000 and text.startswith("Twinkle, twinkle, little star,")
    assert text.count("\n\n") >= 20 and text.isascii()


def test_scaler_statistics_are_named_without_a_trailing_underscore():
    x = np.random.default_rng(3).normal(2.0, 3.0, size=(50, 4))
    scaler = StandardScaler().fit(x)
    np.testing.assert_allclose(scaler.mean, x.mean(axis=0))
    np.testing.assert_allclose(scaler.std, x.std(axis=0))
    assert not hasattr(scaler, "mean_")  # a trailing underscore means in-place in autonet
