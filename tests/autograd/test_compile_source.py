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
