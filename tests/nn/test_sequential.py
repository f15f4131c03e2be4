"""Sequential edited like a list, as in PyTorch: append, extend, insert, pop, del, slicing, +."""

from __future__ import annotations

import numpy as np
import pytest

import autonet as an
from autonet import nn


def _layers(n: int) -> list[nn.Module]:
    return [nn.Linear(2, 2) for _ in range(n)]


def _names(seq: nn.Sequential) -> list[str]:
    return [name for name, _ in seq.named_children()]


def test_list_edits_keep_positions_and_names_equal() -> None:
    a, b, c, d, e = _layers(5)
    seq = nn.Sequential(a, b)
    assert seq.append(c) is seq and list(seq) == [a, b, c]
    assert seq.extend(nn.Sequential(d)) is seq and list(seq) == [a, b, c, d]
    assert seq.insert(-1, e) is seq and list(seq) == [a, b, c, e, d]  # list.insert's -1
    assert seq.insert(0, e) is seq and list(seq)[0] is e
    assert seq.pop() is d and seq.pop(0) is e
    del seq[1]
    assert list(seq) == [a, c, e] and _names(seq) == ["0", "1", "2"]
    assert [n for n, _ in seq.named_parameters()] == [f"{i}.{p}" for i in range(3)
                                                      for p in ("weight", "bias")]
    seq[1] = b
    assert list(seq) == [a, b, e] and not hasattr(seq, "3")
    seq.insert(3, c)  # index == len appends
    assert list(seq) == [a, b, e, c]


def test_slices_share_modules_and_delete_and_pop_like_lists() -> None:
    layers = _layers(5)
    seq = nn.Sequential(*layers)
    head = seq[1:4:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[1:4:2]
    assert _names(head) == ["1", "3"]  # a slice keeps the names, as in PyTorch
    popped = seq.pop(slice(0, 2))
    assert list(popped) == layers[:2] and list(seq) == layers[2:]
    assert _names(seq) == ["0", "1", "2"]
    del seq[::2]
    assert list(seq) == [layers[3]]
    combined = nn.Sequential(*layers[:2]) + nn.Sequential(layers[4])
    assert list(combined) == [layers[0], layers[1], layers[4]] and _names(combined) == ["0", "1",
                                                                                         "2"]
    seq += combined
    assert len(seq) == 4 and list(seq)[1:] == list(combined)


def test_edited_sequential_computes_the_composition() -> None:
    an.manual_seed(0)
    first, second = nn.Linear(3, 4), nn.Linear(4, 2)
    seq = nn.Sequential(first)
    seq.append(nn.Tanh()).extend([second])
    x = an.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    expected = np.tanh(x.data @ first.weight.data.T + first.bias.data) @ second.weight.data.T \
        + second.bias.data
    np.testing.assert_allclose(seq(x).data, expected, rtol=1e-6)
    seq.insert(1, nn.ReLU())
    del seq[2]  # the Tanh
    expected = np.maximum(x.data @ first.weight.data.T + first.bias.data, 0) @ \
        second.weight.data.T + second.bias.data
    np.testing.assert_allclose(seq(x).data, expected, rtol=1e-6)


def test_errors() -> None:
    seq = nn.Sequential(*_layers(2))
    with pytest.raises(IndexError, match=r"insert: index 3 is out of range for 2 modules"):
        seq.insert(3, nn.ReLU())
    with pytest.raises(IndexError, match="index -3 is out of range for 2 modules"):
        del seq[-3]
    with pytest.raises(IndexError, match="out of range"):
        nn.Sequential().pop()
    with pytest.raises(TypeError, match="expected a Module"):
        seq.append(np.tanh)
    with pytest.raises(TypeError, match="add another Sequential"):
        seq + [nn.ReLU()]
    assert len(seq) == 2
