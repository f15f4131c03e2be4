"""DataLoader and Dataset semantics: batches as Tensors, every sample once per epoch, seeded
shuffling, splits."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autonet as an
from autonet.data import DataLoader, Dataset, TensorDataset, random_split, train_test_split


def _ids(loader):
    return np.concatenate([batch[1].numpy() for batch in loader])


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 45), shuffle=st.booleans(),
       seed=st.integers(0, 2**31))
def test_every_sample_once_per_epoch(n, batch_size, shuffle, seed):
    x = np.arange(n * 2, dtype=np.float64).reshape(n, 2)
    loader = DataLoader(TensorDataset(x, np.arange(n)), batch_size=batch_size, shuffle=shuffle,
                        seed=seed)
    for _ in range(2):
        ids = _ids(loader)
        assert sorted(ids.tolist()) == list(range(n))
        sizes = [len(b[1].numpy()) for b in loader]
        assert len(sizes) == len(loader) == -(-n // batch_size)
        assert all(s == batch_size for s in sizes[:-1]) and 1 <= sizes[-1] <= batch_size


def test_batches_are_tensors_with_float32_features_and_int64_labels():
    x, y = np.ones((10, 3), np.float64), np.arange(10, dtype=np.int32)
    xb, yb = next(iter(DataLoader((x, y), batch_size=4)))
    assert isinstance(xb, an.Tensor) and isinstance(yb, an.Tensor)
    assert xb.dtype == np.float32 and yb.dtype == np.int64 and xb.shape == (4, 3)


def test_shuffle_depends_only_on_seed_and_differs_between_epochs():
    data = TensorDataset(np.zeros((50, 1)), np.arange(50))
    a, b = DataLoader(data, 7, shuffle=True, seed=3), DataLoader(data, 7, shuffle=True, seed=3)
    an.manual_seed(123)  # the global stream must not matter
    first_a, first_b = _ids(a), _ids(b)
    assert np.array_equal(first_a, first_b)
    assert not np.array_equal(first_a, np.arange(50))
    assert not np.array_equal(_ids(a), first_a)  # a new order each epoch
    assert not np.array_equal(_ids(DataLoader(data, 7, shuffle=True, seed=4)), first_a)


def test_no_shuffle_keeps_order_and_drop_last():
    data = TensorDataset(np.zeros((10, 1)), np.arange(10))
    assert _ids(DataLoader(data, 3)).tolist() == list(range(10))
    loader = DataLoader(data, 3, drop_last=True)
    assert len(loader) == 3 and _ids(loader).tolist() == list(range(9))


def test_rng_state_round_trip_repeats_the_next_epoch():
    data = TensorDataset(np.zeros((20, 1)), np.arange(20))
    loader = DataLoader(data, 5, shuffle=True, seed=0)
    _ids(loader)
    state = loader.rng_state()
    expected = _ids(loader)
    other = DataLoader(data, 5, shuffle=True, seed=99)
    other.set_rng_state(state)
    assert np.array_equal(_ids(other), expected)


class Squares(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return np.array([i, i * i], np.float32), i


def test_custom_dataset_is_stacked():
    xb, yb = next(iter(DataLoader(Squares(), batch_size=6)))
    assert xb.numpy()[:, 1].tolist() == [i * i for i in range(6)]
    assert yb.dtype == np.int64


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.zeros((3, 1))), batch_size=bad)


def test_tensor_dataset_length_mismatch():
    with pytest.raises(ValueError, match="different lengths"):
        TensorDataset(np.zeros((3, 1)), np.zeros(4))


def test_random_split_partitions_deterministically():
    data = TensorDataset(np.arange(10))
    parts = random_split(data, [0.7, 0.3], seed=1)
    assert [len(p) for p in parts] == [7, 3]
    ids = np.concatenate([p.indices for p in parts])
    assert sorted(ids.tolist()) == list(range(10))
    assert np.array_equal(random_split(data, [7, 3], seed=1)[0].indices, parts[0].indices)
    with pytest.raises(ValueError, match="summing to 10"):
        random_split(data, [5, 6])


def test_train_test_split_is_disjoint_and_stratified():
    x = np.arange(100)
    y = np.repeat([0, 1], [80, 20])
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, seed=0, stratify=y)
    assert len(x_te) == 25 and len(x_tr) == 75
    assert set(x_tr.tolist()).isdisjoint(x_te.tolist())
    assert np.bincount(y_te).tolist() == [20, 5]
    assert np.array_equal(y[x_te], y_te)
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(x, test_size=0.0)


def test_train_test_split_rejects_stratify_labels_of_another_length():
    x = np.arange(10)
    with pytest.raises(ValueError, match=r"stratify has shape \(5,\).*10 rows"):
        train_test_split(x, test_size=0.3, stratify=np.arange(5) % 2)


def test_numpy_float_sizes_are_fractions():
    x = np.arange(10)
    train, test = train_test_split(x, test_size=np.float32(0.2), seed=0)
    assert (len(train), len(test)) == (8, 2)
    parts = random_split(TensorDataset(x), [np.float64(0.7), np.float64(0.3)])
    assert [len(p) for p in parts] == [7, 3]


@pytest.mark.parametrize("batch_size", [1, 2, 5])
@pytest.mark.parametrize("shuffle", [False, True])
def test_a_list_of_sample_pairs_batches_as_the_columns_would(batch_size, shuffle):
    # PyTorch's usual dataset, [(x0, y0), (x1, y1), ...]: the same batches as (X, y)
    rng = np.random.default_rng(batch_size)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 4, 5)
    pairs = [(X[i], int(y[i])) for i in range(5)]
    by_rows = list(DataLoader(pairs, batch_size=batch_size, shuffle=shuffle, seed=3))
    by_columns = list(DataLoader((X, y), batch_size=batch_size, shuffle=shuffle, seed=3))
    assert len(by_rows) == len(by_columns)
    for (xa, ya), (xb, yb) in zip(by_rows, by_columns):
        assert np.array_equal(xa.numpy(), xb.numpy()) and np.array_equal(ya.numpy(), yb.numpy())
        assert ya.dtype == np.int64


def test_dict_samples_batch_as_dicts_of_tensors():
    samples = [{"x": np.full(2, i), "y": i % 2} for i in range(4)]
    batch = next(iter(DataLoader(samples, batch_size=3)))
    assert set(batch) == {"x", "y"} and batch["x"].shape == (3, 2)
    assert batch["y"].numpy().tolist() == [0, 1, 0]


class _Ragged(Dataset):
    def __init__(self, sample):
        self.sample = sample

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return self.sample(i)


@pytest.mark.parametrize("sample, error, words", [
    (lambda i: (np.ones(2 + i), 0), ValueError, ("_Ragged", "part 0 of sample 1", "shape (3,)")),
    (lambda i: (np.ones(2),) if i else (np.ones(2), 0), ValueError,
     ("_Ragged", "sample 1 is a tuple of 1", "tuple of 2")),
    (lambda i: ("text", i), TypeError, ("_Ragged", "part 0 of sample 0 holds str")),
    (lambda i: {"x": 1} if i else {"x": 1, "y": 2}, ValueError, ("sample 1 has keys ['x']",)),
])
def test_samples_that_do_not_stack_name_the_sample(sample, error, words):
    with pytest.raises(error) as caught:
        next(iter(DataLoader(_Ragged(sample), batch_size=3)))
    for word in words:
        assert word in str(caught.value), str(caught.value)
