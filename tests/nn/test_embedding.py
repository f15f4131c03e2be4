"""Embedding, one_hot, GELU and SiLU: against plain loops, padding_idx's missing gradient,
from_pretrained, max_norm, errors, and PyTorch when installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autonet as an
from autonet import nn

F = nn.functional


def test_embedding_looks_up_rows_like_a_loop_and_accumulates_repeated_gradients() -> None:
    layer = nn.Embedding(5, 3).double()
    idx = np.array([[4, 0, 4], [2, 2, 2]])
    out = layer(idx)
    expected = np.array([[layer.weight.data[i] for i in row] for row in idx])
    np.testing.assert_array_equal(out.data, expected)
    g = np.random.default_rng(0).normal(size=out.shape)
    (out * g).sum().backward()
    grad = np.zeros((5, 3))
    for position in np.ndindex(*idx.shape):
        grad[idx[position]] += g[position]
    np.testing.assert_allclose(layer.weight.grad, grad, rtol=1e-12)


def test_padding_idx_starts_at_zero_and_gets_no_gradient() -> None:
    layer = nn.Embedding(4, 2, padding_idx=-1).double()
    assert layer.padding_idx == 3
    np.testing.assert_array_equal(layer.weight.data[3], 0.0)
    layer.weight.data[3] = 7.0  # its value is still looked up, as in PyTorch
    out = layer(np.array([3, 1, 3]))
    np.testing.assert_array_equal(out.data[0], 7.0)
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad[3], 0.0)
    np.testing.assert_array_equal(layer.weight.grad[1], 1.0)


def test_from_pretrained_copies_and_freezes() -> None:
    table = np.arange(6.0).reshape(3, 2)
    layer = nn.Embedding.from_pretrained(table)
    table[0, 0] = 100.0
    assert not layer.weight.requires_grad and layer.weight.data[0, 0] == 0.0
    np.testing.assert_array_equal(layer(np.array([2])).data, [[4.0, 5.0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_max_norm_rescales_the_rows_it_looks_up() -> None:
    layer = nn.Embedding(3, 2, max_norm=1.0).double()
    layer.weight.data[...] = [[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]
    out = layer(np.array([0, 1]))
    np.testing.assert_allclose(out.data, [[0.6, 0.8], [0.3, 0.4]], rtol=1e-6)
    np.testing.assert_array_equal(layer.weight.data[2], [6.0, 8.0])  # not looked up


def test_one_hot_matches_a_loop() -> None:
    idx = np.array([[0, 3], [2, 2]])
    out = F.one_hot(idx, num_classes=5)
    expected = np.zeros((2, 2, 5), dtype=np.int64)
    for position in np.ndindex(*idx.shape):
        expected[position][idx[position]] = 1
    np.testing.assert_array_equal(out.data, expected)
    assert out.dtype == np.int64 and F.one_hot(idx).shape == (2, 2, 4)


def test_errors_name_the_layer_the_index_and_the_range() -> None:
    with pytest.raises(IndexError, match=r"Embedding\(10, 4\): index 12 is out of range for "
                                         r"num_embeddings 10; indices must be in \[0, 9\]"):
        nn.Embedding(10, 4)(np.array([1, 12]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        nn.Embedding(10, 4)(np.array([-1]))
    with pytest.raises(TypeError, match=r"Embedding\(10, 4\): indices must be integers, got "
                                        "dtype float"):
        nn.Embedding(10, 4)(np.array([1.0]))
    with pytest.raises(IndexError, match="one_hot: index 3 is out of range for num_classes 3"):
        F.one_hot(np.array([3]), num_classes=3)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_and_silu_modules_match_elementwise_loops(approximate: str) -> None:
    x = np.linspace(-5, 5, 11)
    gelu = nn.GELU(approximate)(x).data
    for v, out in zip(x, gelu):
        if approximate == "none":
            expected = v * 0.5 * (1 + math.erf(v / math.sqrt(2)))
        else:
            expected = 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))
        # 1 + erf (1 + tanh) cancels for x << 0: there both forms keep only ~1e-9 relative
        assert out == pytest.approx(expected, rel=1e-8 if v < -2 else 1e-14, abs=1e-300)
    for v, out in zip(x, nn.SiLU()(x).data):
        assert out == pytest.approx(v / (1 + math.exp(-v)), rel=1e-14)
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")


def test_embedding_and_activations_agree_with_pytorch() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(6, 3, padding_idx=1).double()
    ours = nn.Embedding(6, 3, padding_idx=1).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    idx = np.array([[1, 5, 0], [5, 5, 1]])
    ty = theirs(torch.tensor(idx))
    ay = ours(idx)
    g = np.random.default_rng(1).normal(size=ay.shape)
    (ty * torch.tensor(g)).sum().backward()
    (ay * g).sum().backward()
    np.testing.assert_array_equal(ay.data, ty.detach().numpy())
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    x = np.linspace(-6, 6, 41)
    for approximate in ("none", "tanh"):
        tx = torch.tensor(x, requires_grad=True)
        torch.nn.functional.gelu(tx, approximate=approximate).sum().backward()
        ax = an.tensor(x, requires_grad=True)
        F.gelu(ax, approximate=approximate).sum().backward()
        np.testing.assert_allclose(F.gelu(x, approximate=approximate).data,
                                   torch.nn.functional.gelu(torch.tensor(x),
                                                            approximate=approximate).numpy(),
                                   rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(ax.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(F.silu(x).data, torch.nn.functional.silu(torch.tensor(x)).numpy(),
                               rtol=1e-14)
    np.testing.assert_array_equal(F.one_hot(idx, 7).data,
                                  torch.nn.functional.one_hot(torch.tensor(idx), 7).numpy())
