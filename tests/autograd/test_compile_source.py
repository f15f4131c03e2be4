"""step.source: the replay written as standalone numpy gives the same loss and gradients, bit for
bit, and names values in the course's notation."""

import numpy as np
import pytest

import autonet as an
from autonet import nn


def _run_source(source: str, *args):
    namespace: dict = {}
    exec(compile(source, "<step.source>", "exec"), namespace)  # only numpy is imported
    return namespace["step"](*args)


@pytest.mark.parametrize("loss_name", ["cross_entropy", "mse", "bce"])
def test_source_of_an_mlp_matches_the_replay(loss_name):
    an.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Dropout(0.25), nn.Linear(6, 5),
                          nn.ReLU(), nn.Linear(5, 3 if loss_name == "cross_entropy" else 1))
    rng = np.random.default_rng(1)
    X = rng.standard_normal((9, 4)).astype(np.float32)
    if loss_name == "cross_entropy":
        Y = rng.integers(0, 3, 9)
        loss_fn = nn.functional.cross_entropy
    elif loss_name == "mse":
        Y = rng.standard_normal((9, 1)).astype(np.float32)
        loss_fn = nn.functional.mse_loss
    else:
        Y = rng.integers(0, 2, (9, 1)).astype(np.float32)
        loss_fn = nn.functional.binary_cross_entropy_with_logits

    def step(X, Y):
        loss = loss_fn(model(X), Y)
        loss.backward()
        return loss

    compiled = an.compile(step)
    compiled(an.tensor(X), Y)
    source = compiled.source
    assert "import autonet" not in source and "Z1 = " in source and "A1 = " in source
    assert "D1 = " in source and "dW3 = " in source and "dZ1 = " in source
    an.manual_seed(5)
    model.zero_grad()
    loss = compiled(an.tensor(X), Y)
    params = [p.data for p in model.parameters()]
    out, grads = _run_source(source, X, Y, *params, np.random.default_rng(5))
    assert np.array_equal(out, loss.data) and out.dtype == loss.dtype
    names = [f"{kind}{layer}" for layer in (1, 2, 3) for kind in ("W", "b")]
    assert sorted(grads) == sorted(names)
    for name, p in zip(names, model.parameters()):
        assert np.array_equal(grads[name], p.grad), name


def test_source_sums_broadcast_gradients_and_accumulates_reuse():
    w = an.tensor(np.random.default_rng(0).standard_normal((3, 3)), requires_grad=True, name="w")
    b = an.tensor(np.ones((1, 3)), requires_grad=True, name="b")

    def f(x):
        h = an.tanh(x @ w + b) @ w  # w used twice, b broadcast over the rows
        loss = (h * h).sum()
        loss.backward()
        return loss

    compiled = an.compile(f)
    x = np.random.default_rng(1).standard_normal((4, 3))
    loss = compiled(an.tensor(x))
    source = compiled.source
    assert "sum the broadcast gradient back to shape (1, 3)" in source
    assert "accumulate" in source
    out, grads = _run_source(source, x, w.data, b.data)
    assert np.array_equal(out, loss.data)
    assert np.array_equal(grads["w"], w.grad) and np.array_equal(grads["b"], b.grad)


def test_source_comments_name_the_op_and_its_rule():
    x = an.tensor(np.ones(3), requires_grad=True)

    def f(x):
        y = (x.tanh() * 2.0).sum()
        y.backward()
        return y

    compiled = an.compile(f)
    compiled(x)
    source = compiled.source
    assert "np.tanh(x)  # tanh" in source
    assert "# tanh backward for input 0: g * (1 - y * y)" in source
    out, grads = _run_source(source, np.ones(3))
    assert np.array_equal(grads["x"], x.grad)


def test_source_before_the_first_call_says_what_to_do():
    with pytest.raises(RuntimeError, match="call the compiled function once first"):
        _ = an.compile(lambda x: x).source


def _compiled_mlp(dtype, reduction="mean", bias=True, x_shape=(9, 4), bias1_dtype=None):
    an.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.Tanh(),
                          nn.Linear(5, 3, bias=bias))
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    if bias1_dtype is not None:
        model[0].bias.data = model[0].bias.data.astype(bias1_dtype)
    rng = np.random.default_rng(1)
    X = rng.standard_normal(x_shape).astype(dtype)
    weights = np.linspace(-1, 2, x_shape[0]).astype(dtype)
    T = rng.integers(0, 3, x_shape[0])

    def step(X, T, weights):
        logits = model(X)
        if len(x_shape) > 2:
            loss = (logits * logits).mean()
        elif reduction == "none":
            loss = (nn.functional.cross_entropy(logits, T, reduction="none") * weights).sum()
        else:
            loss = nn.functional.cross_entropy(logits, T)
        loss.backward()
        return loss

    compiled = an.compile(step)
    compiled(an.tensor(X), T, an.tensor(weights))
    return model, compiled, X, T, weights


def _assert_source_replays_bit_for_bit(model, compiled, X, T, weights):
    model.zero_grad()
    loss = compiled(an.tensor(X), T, an.tensor(weights))
    params = [p.data for p in model.parameters()]
    out, grads = _run_source(compiled.source, X, T, weights, *params)
    assert out.dtype == loss.dtype and out.tobytes() == loss.data.tobytes()
    names = ["W1", "b1", "W2", "b2", "W3", "b3"][:len(params)]
    for name, p in zip(names, model.parameters()):
        assert grads[name].dtype == p.grad.dtype and grads[name].tobytes() == p.grad.tobytes(), \
            name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_source_writes_the_common_layers_as_the_course_does(dtype):
    model, compiled, X, T, weights = _compiled_mlp(dtype)
    lines = [line.split("  #")[0].strip() for line in compiled.source.splitlines()]
    for line in ["Z1 = X @ W1.T + b1", "A1 = np.maximum(Z1, 0)", "Z3 = A2 @ W3.T + b3",
                 "dZ3 = (_softmax(Z3) - _one_hot(T, 3)) * (T != -100)[:, None] * "
                 "(dloss * (1 / max(float(np.count_nonzero(T != -100)), 1.0)))",
                 "dA2 = dZ3 @ W3", "dW3 = dZ3.T @ A2", "db3 = dZ3.sum(axis=0)",
                 "dZ2 = dA2 * (1 - A2 * A2)", "dZ1 = dA1 * (Z1 > 0)", "dW1 = dZ1.T @ X"]:
        assert line in lines
    assert "_linear" not in compiled.source and "_rows" not in compiled.source
    _assert_source_replays_bit_for_bit(model, compiled, X, T, weights)


def test_source_of_cross_entropy_masks_ignored_targets_as_the_rule_does():
    # traced on ordinary targets, replayed on a batch with ignored ones (the rule's weighted form)
    for reduction in ("mean", "none"):
        model, compiled, X, T, weights = _compiled_mlp(np.float32, reduction)
        T = T.copy()
        T[[1, 4]] = -100
        _assert_source_replays_bit_for_bit(model, compiled, X, T, weights)
    assert "dZ3 = (_softmax(Z3) - _one_hot(T, 3)) * (T != -100)[:, None] * " \
           "dsoftmax_cross_entropy[:, None]" in compiled.source


def test_source_keeps_the_general_linear_where_the_course_form_would_differ():
    model, compiled, X, T, weights = _compiled_mlp(np.float32, bias=False, x_shape=(2, 3, 4))
    source = compiled.source
    assert "import math" in source and "Z1 = _linear(X, W1, b1)" in source
    assert "dW1 = _rows(xp, dZ1).T @ _rows(xp, X)" in source and "Z3 = _linear(A2, W3)" in source
    # the mean of all elements and its rule, 1 / m spread over the shape, at any shape
    assert "loss = np.asarray(np.mean(mul))" in source
    assert "dmul = np.broadcast_to(dloss * (1 / 18), (2, 3, 3))" in source
    _assert_source_replays_bit_for_bit(model, compiled, X, T, weights)
    # a float64 bias on a float32 layer: _linear adds it in place, in float32
    model, compiled, X, T, weights = _compiled_mlp(np.float32, bias1_dtype=np.float64)
    assert "Z1 = _linear(X, W1, b1)" in compiled.source and "Z3 = A2 @ W3.T + b3" in \
        compiled.source
    _assert_source_replays_bit_for_bit(model, compiled, X, T, weights)
