"""Conv, pooling and reshaping layers: against plain-loop implementations written here, gradcheck
through the layers, PyTorch's state_dict and outputs when torch is installed, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autonet as an
from autonet import nn
from autonet.nn import functional as F
from tests.ops.op_table import conv2d_loops, conv_transpose2d_loops, max_pool2d_loops


def avg_pool2d_loops(x, k, s, p, count_include_pad=True):
    """Each window's sum over the positions inside x, divided by k*k or by how many were inside."""
    n, c, h, w = x.shape
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            total, inside = 0.0, 0
            for u in range(k):
                for v in range(k):
                    r, q = i * s + u - p, j * s + v - p
                    if 0 <= r < h and 0 <= q < w:
                        total = total + x[:, :, r, q]
                        inside += 1
            out[:, :, i, j] = total / (k * k if count_include_pad else inside)
    return out


def adaptive_avg_pool2d_loops(x, oh, ow):
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
            q0, q1 = (j * w) // ow, math.ceil((j + 1) * w / ow)
            out[:, :, i, j] = x[:, :, r0:r1, q0:q1].mean(axis=(2, 3))
    return out


def _gradcheck_layer(layer: nn.Module, x: np.ndarray) -> None:
    names = [name for name, _ in layer.named_parameters()]

    def fn(x, *params):
        return nn.utils.functional_call(layer, dict(zip(names, params)), x)

    tensors = [an.tensor(x, requires_grad=True),
               *(an.tensor(p.data, requires_grad=True) for p in layer.parameters())]
    assert an.gradcheck(fn, tensors)


@settings(max_examples=8)
@given(n=st.integers(1, 2), c=st.integers(1, 3), o=st.integers(1, 3), k=st.integers(1, 3),
       s=st.integers(1, 2), p=st.integers(0, 1), extra=st.integers(0, 2), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_conv2d_layer_matches_loops(n, c, o, k, s, p, extra, bias, seed) -> None:
    rng = np.random.default_rng(seed)
    layer = nn.Conv2d(c, o, k, stride=s, padding=p, bias=bias, dtype=np.float64)
    assert layer.weight.shape == (o, c, k, k)
    x = rng.standard_normal((n, c, max(1, k - 2 * p) + extra, max(1, k - 2 * p) + extra + 1))
    expected = conv2d_loops(x, layer.weight.data, layer.bias.data if bias else None, (s, s), (p, p))
    np.testing.assert_allclose(layer(an.tensor(x)).data, expected, rtol=1e-10, atol=1e-12)
    _gradcheck_layer(layer, x)


def test_conv1d_and_grouped_dilated_conv2d_match_loops() -> None:
    rng = np.random.default_rng(1)
    layer = nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2, dtype=np.float64)
    x = rng.standard_normal((2, 4, 9))
    w = layer.weight.data[:, :, None, :]
    expected = conv2d_loops(x[:, :, None, :], w, layer.bias.data, (1, 2), (0, 2), (1, 2), 2)
    np.testing.assert_allclose(layer(an.tensor(x)).data, expected[:, :, 0], rtol=1e-10)
    _gradcheck_layer(layer, x)
    same = nn.Conv2d(2, 4, (2, 3), padding="same", groups=2, dtype=np.float64)
    x2 = rng.standard_normal((1, 2, 5, 4))
    assert same(an.tensor(x2)).shape == (1, 4, 5, 4)
    # 'same' with an even kernel pads 0 above and 1 below, as PyTorch does
    padded = np.pad(x2, ((0, 0), (0, 0), (0, 1), (1, 1)))
    np.testing.assert_allclose(same(an.tensor(x2)).data, conv2d_loops(
        padded, same.weight.data, same.bias.data, groups=2), rtol=1e-10)


def test_conv_transpose2d_layer_matches_loops() -> None:
    rng = np.random.default_rng(2)
    layer = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2,
                               dtype=np.float64)
    assert layer.weight.shape == (4, 1, 3, 3)
    x = rng.standard_normal((2, 4, 3, 2))
    expected = conv_transpose2d_loops(x, layer.weight.data, layer.bias.data, (2, 2), (1, 1),
                                      (1, 1), (1, 1), 2)
    out = layer(an.tensor(x))
    assert out.shape == (2, 2, 6, 4)  # (3 - 1) * 2 - 2 + 3 + 1
    np.testing.assert_allclose(out.data, expected, rtol=1e-10)
    _gradcheck_layer(layer, x)


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0)])
def test_pooling_layers_match_loops(k, s, p) -> None:
    rng = np.random.default_rng(k * 10 + s)
    x = rng.permutation(2 * 3 * 5 * 6).reshape(2, 3, 5, 6) * 0.1  # distinct: no ties
    np.testing.assert_array_equal(nn.MaxPool2d(k, s, p)(an.tensor(x)).data,
                                  max_pool2d_loops(x, (k, k), (s, s), (p, p)))
    for include in (True, False):
        np.testing.assert_allclose(nn.AvgPool2d(k, s, p, count_include_pad=include)(
            an.tensor(x)).data, avg_pool2d_loops(x, k, s, p, include), rtol=1e-12)
        _gradcheck_layer(nn.AvgPool2d(k, s, p, count_include_pad=include), x)
    _gradcheck_layer(nn.MaxPool2d(k, s, p), x)
    for size in [(1, 1), (2, 3), (5, 6), (3, 4)]:
        np.testing.assert_allclose(nn.AdaptiveAvgPool2d(size)(an.tensor(x)).data,
                                   adaptive_avg_pool2d_loops(x, *size), rtol=1e-12)
    _gradcheck_layer(nn.AdaptiveAvgPool2d((3, 4)), x)


def test_max_pool_ties_send_the_gradient_to_the_first_max() -> None:
    x = an.tensor(np.ones((1, 1, 2, 4)), requires_grad=True)
    out, indices = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(indices[0, 0], [[0, 2]])


def test_dropout2d_zeros_whole_channels_and_flatten_unflatten() -> None:
    x = an.tensor(np.ones((8, 16, 3, 3)))
    out = nn.Dropout2d(0.5)(x).data
    per_channel = out.reshape(8, 16, 9)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # a channel is all or none
    assert 0.2 < (per_channel[:, :, 0] == 0).mean() < 0.8
    sequences = nn.Dropout2d(0.5)(an.tensor(np.ones((8, 16, 5)))).data  # (N, C, L), as PyTorch
    assert np.all(sequences.min(axis=2) == sequences.max(axis=2))
    assert 0.2 < (sequences[:, :, 0] == 0).mean() < 0.8
    layer = nn.Dropout2d(0.5)
    layer.eval()
    assert layer(x) is x
    flat = nn.Flatten()(x)
    assert flat.shape == (8, 144)
    assert nn.Flatten(0, 1)(x).shape == (128, 3, 3)
    assert nn.Flatten(start_axis=2)(x).shape == (8, 16, 9)
    assert nn.Unflatten(1, (16, 3, 3))(flat).shape == (8, 16, 3, 3)
    with pytest.raises(ValueError, match=r"does not split into \(5, 5\)"):
        nn.Unflatten(1, (5, 5))(flat)


def test_conv_default_init_is_pytorchs() -> None:
    layer = nn.Conv2d(4, 64, 3, groups=2)
    bound = 1 / math.sqrt(2 * 3 * 3)  # fan_in = in_channels / groups * kH * kW
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.1 * bound


@pytest.mark.parametrize("make,x_shape,message", [
    (lambda: nn.Conv2d(3, 8, 3), (32, 1, 28, 28),
     r"Conv2d\(3, 8\): input has 1 channel, expected 3; input shape \(32, 1, 28, 28\) is "
     r"\(N, C, H, W\)"),
    (lambda: nn.Conv2d(1, 8, 5), (2, 1, 3, 3),
     r"Conv2d\(1, 8\): kernel size 5 along H is larger than the padded input 3 \+ 2\*0 = 3.*"
     r"pad more"),
    (lambda: nn.Conv2d(1, 8, 3), (28, 28), r"Conv2d\(1, 8\): input has shape \(28, 28\) \(2 "
     r"dimensions\); expected 4 dimensions \(N, C, H, W\).*x.reshape\(N, 1, H, W\)"),
    (lambda: nn.Conv1d(2, 4, 3), (2, 3, 7), r"Conv1d\(2, 4\): input has 3 channels, expected 2"),
    (lambda: nn.MaxPool2d(3), (1, 1, 2, 2), r"MaxPool2d: kernel size 3 along H is larger"),
    (lambda: nn.ConvTranspose2d(4, 2, 3), (1, 2, 5, 5),
     r"ConvTranspose2d\(4, 2\): input has 2 channels, expected 4"),
])
def test_bad_input_names_the_layer_shapes_and_fix(make, x_shape, message) -> None:
    with pytest.raises(ValueError, match=message):
        make()(an.zeros(*x_shape))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"groups=2 must divide in_channels \(3\)"):
        nn.Conv2d(3, 8, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(3, 8, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 8, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="at most half the kernel size"):
        nn.MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(an.zeros(1, 2, 3, 3), an.zeros(2, 1, 3, 3), stride=1, output_padding=1)


# ---- PyTorch: a converted state_dict loads and gives the same outputs and gradients -------------
def test_pytorch_state_dict_loads_and_matches() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), torch.nn.ReLU(),
        torch.nn.AvgPool2d(2, ceil_mode=True), torch.nn.ConvTranspose2d(6, 3, 2, stride=2),
        torch.nn.AdaptiveAvgPool2d((2, 3)), torch.nn.Flatten(), torch.nn.Linear(18, 5))
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), nn.ReLU(),
        nn.AvgPool2d(2, ceil_mode=True), nn.ConvTranspose2d(6, 3, 2, stride=2),
        nn.AdaptiveAvgPool2d((2, 3)), nn.Flatten(), nn.Linear(18, 5))
    state = {k: v.detach().numpy() for k, v in tnet.state_dict().items()}
    assert set(state) == set(net.state_dict())
    net.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((3, 1, 11, 11)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    tnet(tx).square().sum().backward()
    ax = an.tensor(x, requires_grad=True)
    out = net(ax)
    np.testing.assert_allclose(out.data, tnet(tx).detach().numpy(), rtol=1e-4, atol=1e-5)
    (out * out).sum().backward()
    np.testing.assert_allclose(ax.grad, tx.grad.numpy(), rtol=1e-3, atol=1e-5)
    for name, p in net.named_parameters():
        expected = dict(tnet.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(p.grad, expected, rtol=1e-3, atol=1e-5, err_msg=name)


def test_pytorch_functional_forms_match() -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 9, 7))
    w = rng.standard_normal((6, 2, 4, 3))
    b = rng.standard_normal(6)
    t = torch.tensor
    for kwargs in [dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2),
                   dict(padding="same", groups=2), dict(padding="valid", groups=2)]:
        np.testing.assert_allclose(F.conv2d(x, w, b, **kwargs).data,
                                   tf.conv2d(t(x), t(w), t(b), **kwargs).numpy(), atol=1e-12)
    wt = rng.standard_normal((4, 3, 3, 2))
    kwargs = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(1, 2))
    np.testing.assert_allclose(F.conv_transpose2d(x, wt, None, **kwargs).data,
                               tf.conv_transpose2d(t(x), t(wt), None, **kwargs).numpy(),
                               atol=1e-12)
    kwargs = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    out, idx = F.max_pool2d(x, return_indices=True, dilation=(1, 2), **kwargs)
    t_out, t_idx = tf.max_pool2d(t(x), return_indices=True, dilation=(1, 2), **kwargs)
    np.testing.assert_array_equal(out.data, t_out.numpy())
    np.testing.assert_array_equal(idx, t_idx.numpy())
    np.testing.assert_allclose(F.avg_pool2d(x, count_include_pad=False, **kwargs).data,
                               tf.avg_pool2d(t(x), count_include_pad=False, **kwargs).numpy(),
                               atol=1e-12)
    x1, w1 = rng.standard_normal((2, 4, 11)), rng.standard_normal((6, 4, 3))
    np.testing.assert_allclose(F.conv1d(x1, w1, b, stride=2, padding=1).data,
                               tf.conv1d(t(x1), t(w1), t(b), stride=2, padding=1).numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(F.avg_pool1d(x1, 3, 2, 1).data,
                               tf.avg_pool1d(t(x1), 3, 2, 1).numpy(), atol=1e-12)
    np.testing.assert_array_equal(F.max_pool1d(x1, 3, 2, 1).data,
                                  tf.max_pool1d(t(x1), 3, 2, 1).numpy())


# ---- teaching: summary arithmetic and graph boxes ------------------------------------------------
@pytest.mark.parametrize("size,k,s,p", [(28, 3, 1, 0), (28, 5, 2, 2), (8, 3, 2, 1), (7, 2, 3, 0)])
def test_summary_shows_the_conv_arithmetic_with_the_numbers(size, k, s, p) -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, k, stride=s, padding=p), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten())
    text = nn.summary(model, (3, size, size), print_fn=None)
    n_out = (size + 2 * p - k) // s + 1
    assert f"H, W: floor(({size} + 2*{p} - {k}) / {s}) + 1 = {n_out}" in text
    assert f"Z[1] (m, 4, {n_out}, {n_out})" in text and f"A[1] (m, 4, {n_out}, {n_out})" in text
    assert f"H, W: floor(({n_out} + 2*0 - 2) / 2) + 1 = {n_out // 2}" in text
    assert f"W[1] (4, 3, {k}, {k}), b[1] (4,)" in text
    assert f"{4 * 3 * k * k + 4:,}" in text.split("W[1]")[1].split("\n")[0]
    assert "channels n_C[l] then units n[l] = [3, 4]" in text


def test_graph_boxes_conv_and_pool_layers_in_course_words() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(8, 3))
    loss = F.cross_entropy(model(an.randn(2, 1, 4, 4)), np.array([0, 2]))
    source = an.viz.draw_graph(loss, model=model).source
    assert "Z[1] = W[1] * A[0] + b[1]" in source
    assert "conv 3x3, s=1, p=1: 1 -> 2 channels (2 filters of 1x3x3)" in source
    assert "A[1] = relu(Z[1])" in source and "max pool 2x2, s=2" in source
    assert "Z[2] = flatten(pool(A[1])) W[2]ᵀ + b[2]" in source


def test_second_derivatives_through_conv_and_pooling() -> None:
    """create_graph runs max_pool2d's scatter and the conv rules as ops: gradgradcheck."""
    rng = np.random.default_rng(0)
    x = an.tensor(rng.permutation(72).reshape(2, 1, 6, 6) * 0.1, requires_grad=True)
    w = an.tensor(rng.standard_normal((3, 1, 3, 3)), requires_grad=True)
    assert an.gradgradcheck(lambda x, w: F.max_pool2d(an.tanh(F.conv2d(x, w, padding=1)), 2),
                            [x, w], atol=1e-4)
    assert an.gradgradcheck(lambda x, w: F.avg_pool2d(an.tanh(F.conv2d(
        x, w, stride=2, padding=1)), 2, ceil_mode=True), [x, w], atol=1e-4)
