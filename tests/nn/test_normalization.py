"""BatchNorm1d/2d, LayerNorm, GroupNorm: against plain loops over channels, examples and groups,
gradients through the layers, running statistics, state_dict, errors, and PyTorch when
installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autonet as an
from autonet import nn


def _loop_normalize(values: list[float], eps: float) -> list[float]:
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    return [(v - mean) / math.sqrt(var + eps) for v in values]


def _loop_batch_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                     eps: float) -> tuple[np.ndarray, list, list]:
    """Per channel c: every value x[n, c, ...] normalized with the channel's batch mean and
    biased variance; also the channel means and unbiased variances."""
    out = np.empty_like(x)
    means, unbiased = [], []
    for c in range(x.shape[1]):
        positions = [(n, c, *rest) for n in range(x.shape[0])
                     for rest in np.ndindex(*x.shape[2:])]
        values = [x[p] for p in positions]
        for p, v in zip(positions, _loop_normalize(values, eps)):
            out[p] = gamma[c] * v + beta[c]
        mean = sum(values) / len(values)
        means.append(mean)
        unbiased.append(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return out, means, unbiased


def _params(layer: nn.Module, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for p in layer.parameters():
        p.data[...] = rng.uniform(0.5, 1.5, size=p.shape)


@pytest.mark.parametrize(("cls", "shape"), [(nn.BatchNorm1d, (4, 3)), (nn.BatchNorm1d, (2, 3, 5)),
                                            (nn.BatchNorm2d, (2, 3, 2, 3)),
                                            (nn.BatchNorm2d, (1, 2, 3, 1))])
def test_batch_norm_train_matches_a_loop_over_channels_and_updates_running_stats(cls, shape):
    layer = cls(shape[1], momentum=0.3).double()
    _params(layer, 1)
    x = np.random.default_rng(2).normal(2.0, 3.0, size=shape)
    expected, means, unbiased = _loop_batch_norm(x, layer.weight.data, layer.bias.data, 1e-5)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean.data, 0.3 * np.array(means), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.data, 0.7 + 0.3 * np.array(unbiased),
                               rtol=1e-12)
    assert layer.num_batches_tracked.data == 1 and layer.num_batches_tracked.dtype == np.int64


def test_batch_norm_eval_uses_running_stats_and_momentum_none_averages_batches() -> None:
    layer = nn.BatchNorm1d(2, momentum=None).double()
    rng = np.random.default_rng(3)
    batches = [rng.normal(size=(5, 2)) * (i + 1) for i in range(3)]
    for b in batches:
        layer(b)
    np.testing.assert_allclose(layer.running_mean.data,
                               np.mean([b.mean(axis=0) for b in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.data,
                               np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0),
                               rtol=1e-12)
    layer.eval()
    x = rng.normal(size=(1, 2))  # one example is fine in eval()
    expected = [[(x[0, c] - layer.running_mean.data[c]) / math.sqrt(
        layer.running_var.data[c] + 1e-5) for c in range(2)]]
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12)
    assert layer.num_batches_tracked.data == 3  # eval() does not count


def test_batch_norm_without_running_stats_or_affine() -> None:
    layer = nn.BatchNorm1d(3, affine=False, track_running_stats=False).double().eval()
    assert list(layer.state_dict()) == [] and layer.running_mean is None
    x = np.random.default_rng(4).normal(size=(4, 3))
    expected, _, _ = _loop_batch_norm(x, np.ones(3), np.zeros(3), 1e-5)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-10)  # batch stats in eval too


def test_batch_norm_state_dict_holds_buffers_and_loads_them() -> None:
    layer = nn.BatchNorm2d(2)
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                        "num_batches_tracked"]
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    other = nn.BatchNorm2d(2)
    other(np.random.default_rng(5).normal(size=(3, 2, 2, 2)).astype(np.float32))
    layer.load_state_dict(other.state_dict())
    np.testing.assert_array_equal(layer.running_var.data, other.running_var.data)
    assert layer.num_batches_tracked.data == 1


@pytest.mark.parametrize("normalized_shape", [4, (2, 3)])
def test_layer_norm_matches_a_loop_over_examples(normalized_shape) -> None:
    layer = nn.LayerNorm(normalized_shape, eps=1e-3).double()
    _params(layer, 6)
    trailing = layer.normalized_shape
    x = np.random.default_rng(7).normal(1.0, 2.0, size=(2, 3, *trailing))
    expected = np.empty_like(x)
    for index in np.ndindex(2, 3):
        for p, v in zip(np.ndindex(*trailing), _loop_normalize(list(x[index].ravel()), 1e-3)):
            expected[index + p] = layer.weight.data[p] * v + layer.bias.data[p]
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("groups", "shape"), [(2, (2, 4, 3)), (1, (1, 3, 2, 2)), (3, (2, 3))])
def test_group_norm_matches_a_loop_over_examples_and_groups(groups, shape) -> None:
    layer = nn.GroupNorm(groups, shape[1]).double()
    _params(layer, 8)
    x = np.random.default_rng(9).normal(size=shape)
    expected = np.empty_like(x)
    per = shape[1] // groups
    for n in range(shape[0]):
        for g in range(groups):
            positions = [(n, c, *rest) for c in range(g * per, (g + 1) * per)
                         for rest in np.ndindex(*shape[2:])]
            normalized = _loop_normalize([x[p] for p in positions], 1e-5)
            for p, v in zip(positions, normalized):
                expected[p] = layer.weight.data[p[1]] * v + layer.bias.data[p[1]]
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make", [lambda: nn.BatchNorm1d(2), lambda: nn.BatchNorm2d(2),
                                  lambda: nn.LayerNorm((2, 3)), lambda: nn.GroupNorm(1, 2)])
def test_gradients_through_the_layers_match_central_differences(make) -> None:
    layer = make().double()
    _params(layer, 10)
    shape = (3, 2, 3) if not isinstance(layer, nn.BatchNorm2d) else (2, 2, 2, 1)
    x = an.tensor(np.random.default_rng(11).normal(size=shape), requires_grad=True)
    weight = an.tensor(np.random.default_rng(12).normal(size=shape))
    assert an.gradcheck(lambda x_, *ps: (layer(x_) * weight).sum(), [x, *layer.parameters()])
    assert an.gradgradcheck(lambda x_: (layer(x_) * weight).sum(), [x], atol=1e-4)


def test_errors_name_the_layer_the_shapes_and_the_fix() -> None:
    with pytest.raises(ValueError, match=r"LayerNorm\(\(8,\)\): input shape \(4, 7\) does not "
                                         r"end in normalized_shape \(8,\)"):
        nn.LayerNorm(8)(an.zeros(4, 7))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): in train\(\) each channel needs "
                                         r"more than 1 value.*\(1, 4\).*\.eval\(\)"):
        nn.BatchNorm1d(4)(an.zeros(1, 4))
    layer = nn.BatchNorm1d(4)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\): expected input of shape \(N, C\) "
                                         r"or \(N, C, L\) with C = 4, got \(2, 3\) \(3 channels"):
        layer(an.zeros(2, 3))
    assert layer.num_batches_tracked.data == 0  # a rejected call changes nothing
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): .*\(N, C, H, W\).*got \(2, 3\) "
                                         r"\(2-D\)"):
        nn.BatchNorm2d(3)(an.zeros(2, 3))
    with pytest.raises(ValueError, match=r"GroupNorm\(4, 6\): num_channels must be divisible"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 6\): .*C = 6, got \(2, 4, 3\)"):
        nn.GroupNorm(2, 6)(an.zeros(2, 4, 3))


def test_functional_forms_check_their_arguments() -> None:
    F = nn.functional
    with pytest.raises(ValueError, match="batch_norm: training=False normalizes with "
                                         "running_mean"):
        F.batch_norm(an.zeros(2, 3), None, None)
    with pytest.raises(ValueError, match=r"batch_norm: weight has shape \(2,\), expected \(3,\)"):
        F.batch_norm(an.zeros(2, 3), None, None, weight=np.ones(2), training=True)
    with pytest.raises(ValueError, match="group_norm: 5 channels cannot be split into "
                                         "num_groups=2"):
        F.group_norm(an.zeros(2, 5), 2)


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("kind", ["bn1d", "bn2d", "ln", "gn"])
def test_a_pytorch_state_dict_loads_and_gives_the_same_outputs_and_gradients(kind) -> None:
    torch = _torch()
    torch.manual_seed(0)
    shape = {"bn1d": (4, 3, 5), "bn2d": (3, 3, 2, 2), "ln": (2, 4, 3), "gn": (2, 6, 2)}[kind]
    make = {"bn1d": lambda m: m.BatchNorm1d(3, momentum=0.2),
            "bn2d": lambda m: m.BatchNorm2d(3, momentum=None),
            "ln": lambda m: m.LayerNorm((4, 3)), "gn": lambda m: m.GroupNorm(3, 6)}[kind]
    theirs, ours = make(torch.nn).double(), make(nn).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    for step in range(2):
        x = rng.normal(size=shape) * (step + 1)
        tx = torch.tensor(x, requires_grad=True)
        ty = theirs(tx)
        (ty * torch.arange(ty.numel(), dtype=ty.dtype).reshape(ty.shape)).sum().backward()
        ax = an.tensor(x, requires_grad=True)
        ay = ours(ax)
        (ay * np.arange(ay.size, dtype=np.float64).reshape(ay.shape)).sum().backward()
        np.testing.assert_allclose(ay.data, ty.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(ax.grad, tx.grad.numpy(), rtol=1e-8, atol=1e-10)
        for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-8, atol=1e-10,
                                       err_msg=name)
            p.grad, tp.grad = None, None
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12)
    theirs.eval()
    ours.eval()
    x = rng.normal(size=shape)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
