"""check_graph: every node checked alone; the wrong rule is blamed on its op only."""

import numpy as np
import pytest

import autonet as an
from autonet.check.graph import label_of
from autonet.ops.primitive import Primitive
from tests.functions import Cube

rng = np.random.default_rng(1)


def _t(shape, requires_grad=True, dtype=np.float64):
    return an.tensor(rng.normal(size=shape).astype(dtype), requires_grad=requires_grad)


# exp with the rule of a different function (g * x): wrong everywhere except where exp(x) == x.
bad_exp = Primitive("bad_exp", np.exp, (lambda xp, g, y, x: g * x,))


def _mlp(x, w1, b1, w2, activation=an.tanh):
    return an.log_softmax(activation(x @ w1 + b1) @ w2, axis=1).mean()


def test_a_correct_network_passes_and_lists_every_op_in_forward_order():
    loss = _mlp(_t((6, 4), False), _t((4, 5)), _t((5,)), _t((5, 3)))
    report = an.check_graph(loss)
    assert report.passed and report.bad_nodes == [] and report.first_bad is None
    assert [c.label for c in report.checks] == ["matmul", "add", "tanh", "matmul",
                                                "log_softmax", "mean"]
    assert all(c.status == "ok" for c in report.checks)
    assert "all rules agree" in str(report)


@pytest.mark.parametrize("depth", [0, 3])
def test_the_wrong_op_is_named_wherever_it_sits(depth):
    x = _t((4, 3))
    h = x
    for _ in range(depth):
        h = an.sigmoid(h * 1.5)
    wrong = bad_exp(h)
    loss = an.tanh(wrong @ _t((3, 2), False)).sum()
    report = an.check_graph(loss)
    assert report.bad_nodes == [wrong.grad_fn]
    assert report.status_of(wrong.grad_fn) == "wrong"
    assert report.first_bad.position == 1 + 2 * depth
    assert sum(c.status == "ok" for c in report.checks) == len(report.checks) - 1
    text = str(report)
    assert "first wrong rule: bad_exp" in text and "WRONG" in text


def test_big_inputs_are_checked_along_random_directions():
    x = _t((30, 20))
    loss = bad_exp(x * 0.1).sum()
    report = an.check_graph(loss, max_elements=100)
    ic = report.first_bad.inputs[0]
    assert ic.mode == "directions" and len(ic.mismatches) == 3
    assert report.checks[0].status == "ok"  # mul, checked along directions too


def test_kinks_of_an_op_are_left_out_not_blamed():
    # relu(relu(x)): the second relu sees exact zeros; perturbing them crosses its kink.
    x = _t((5, 4))
    for big in (False, True):
        loss = an.relu(an.relu(x) * 2.0).sum()
        report = an.check_graph(loss, max_elements=5 if big else 100)
        assert report.passed, str(report)
        assert report.checks[2].inputs[0].on_kinks > 0


def test_the_graph_of_a_custom_function_is_named_by_class():
    class Halve(an.Function):
        @staticmethod
        def forward(ctx, x):
            return x / 2

        @staticmethod
        def backward(ctx, grad):
            return grad  # wrong: should be grad / 2

    y = Halve.apply(an.tanh(_t((3,))))
    report = an.check_graph(an.sum(y * y))
    assert report.first_bad.node is y.grad_fn
    assert label_of(y.grad_fn) == "Halve (custom Function)"
    assert "first wrong rule: Halve (custom Function)" in str(report)


def test_checking_a_custom_function_leaves_its_real_backward_intact():
    x = _t((4,), dtype=np.float32)
    y = Cube.apply(x)
    y.sum().backward(retain_graph=True)
    expected = x.grad.copy()
    x.grad = None
    assert an.check_graph(y.sum()).passed
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, expected)
    assert x.grad.dtype == np.float32


def test_an_op_whose_rule_raises_is_reported_wrong():
    broken = Primitive("broken", np.sin, (lambda xp, g, y, x: g @ np.ones((7, 7)),))
    y = broken(_t((2, 3)))
    report = an.check_graph(y.sum())
    assert report.bad_nodes == [y.grad_fn]
    assert "rule raised" in str(report)


def test_random_forward_is_skipped_with_a_reason():
    noisy = Primitive("noisy", lambda x: x + np.random.default_rng().normal(size=x.shape),
                      (lambda xp, g, y, x: g,))
    report = an.check_graph(noisy(_t((3,))).sum())
    assert report.checks[0].status == "skipped" and "random" in report.checks[0].note
    assert report.passed


def test_a_freed_or_missing_graph_is_a_clear_error():
    loss = (_t((3,)) * 2).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        an.check_graph(loss)
    with pytest.raises(ValueError, match="no recorded graph"):
        an.check_graph(_t((3,), requires_grad=False))


def test_elu_at_its_kink_is_not_blamed():
    # elu with alpha != 1 has slopes alpha and 1 at 0; the zeros come from relu upstream.
    x = _t((4, 3))
    loss = (an.elu(an.relu(x) * 1.0, 0.5) * 2.0).sum()
    report = an.check_graph(loss)
    assert report.passed, str(report)
    assert report.checks[2].label == "elu" and report.checks[2].inputs[0].on_kinks > 0


def test_an_op_outside_its_domain_is_skipped_not_blamed():
    # log of a negative value is NaN: numbers through it say nothing about log's rule.
    x = an.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = (an.log(x * 1.0) * 2.0).sum()
        report = an.check_graph(loss)
    log_check = report.checks[1]
    assert log_check.label == "log" and log_check.status == "skipped"
    assert "NaN/Inf" in log_check.note and "detect_anomaly" in log_check.note
    assert report.passed  # nothing is wrong, so no rule is named


def test_the_wrong_rows_hint_is_shown() -> None:
    from autonet.ops import registry
    from autonet.ops.primitive import Primitive

    swapped = Primitive("swapped_matmul", np.matmul, (
        lambda xp, g, y, a, b: g @ b,  # wrong: should be g @ b.T
        lambda xp, g, y, a, b: a.T @ g,
    ), kind="linalg", hint="dA = dZ @ B^T: the factor B is transposed")
    try:
        a = an.tensor(np.ones((3, 3)), dtype="float64", requires_grad=True)
        b = an.tensor(np.arange(9.0).reshape(3, 3), dtype="float64")
        text = str(an.check_graph(swapped(a, b).sum()))
        assert "hint: dA = dZ @ B^T: the factor B is transposed" in text
        healthy = str(an.check_graph((a @ b).sum()))
        assert "hint:" not in healthy
    finally:
        registry.unregister("swapped_matmul")


def test_check_graph_works_inside_no_grad() -> None:
    # each op is re-run through the engine to check it; a no_grad block around the call must not
    # turn that into "no input requires grad"
    x = _t((3, 2))
    loss = bad_exp(x * 2.0).sum()
    with an.no_grad():
        report = an.check_graph(loss)
    assert report.bad_nodes == [loss.grad_fn.parents[0].grad_fn]
