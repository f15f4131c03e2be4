"""gradcheck's report: per-input tables worst first, hints, kinks, fast mode; and proof that the
checker catches a deliberately wrong rule and check_graph blames the right op."""

import warnings

import numpy as np
import pytest

import autonet as an
from autonet.check import KinkWarning, check_gradients
from autonet.ops.primitive import Primitive

rng = np.random.default_rng(0)

# A primitive whose rule for b is off by a factor 2 at one element only: the subtlest kind of bug.
_WRONG_AT = (1, 2)


def _wrong_rule_b(xp, g, y, a, b):
    scale = np.ones(b.shape)
    scale[_WRONG_AT] = 2.0
    return g * a * scale


wrong_mul = Primitive("wrong_mul", np.multiply, (lambda xp, g, y, a, b: g * b, _wrong_rule_b))
# Wrong everywhere (d/db of a*b taken as 1.5 a): what fast mode is for.
off_mul = Primitive("off_mul", np.multiply, (lambda xp, g, y, a, b: g * b,
                                             lambda xp, g, y, a, b: 1.5 * g * a))


def _t(shape, name=None, requires_grad=True):
    return an.tensor(rng.normal(size=shape), requires_grad=requires_grad, name=name)


def test_checker_catches_a_wrong_rule_and_names_the_element():
    a, b = _t((3, 4), "a"), _t((3, 4), "b")
    with pytest.raises(an.GradcheckError) as caught:
        an.gradcheck(lambda a, b: wrong_mul(a, b), [a, b])
    report = caught.value.report
    assert [(m.input, m.index) for m in report.failures] == [(1, _WRONG_AT)]
    text = str(caught.value)
    assert "'b' (3, 4): 1 of 12 element(s) differ" in text
    assert str(_WRONG_AT) in text
    assert "'a' (3, 4): ok" in text
    m = report.failures[0]
    assert m.analytic == pytest.approx(2 * m.numeric, rel=1e-6)


def test_check_graph_localizes_the_wrong_rule_in_a_larger_graph():
    x, w = _t((5, 3)), _t((3, 4))
    hidden = an.tanh(x @ w)
    bad = wrong_mul(hidden, _t((5, 4)))
    loss = an.sigmoid(bad).sum()
    report = an.check_graph(loss)
    assert not report.passed
    assert report.bad_nodes == [bad.grad_fn]
    assert report.first_bad.label == "wrong_mul"
    assert [ic.input for ic in report.first_bad.inputs if not ic.passed] == [1]
    assert "first wrong rule: wrong_mul" in str(report)
    assert {c.label for c in report.checks if c.status == "ok"} == {"matmul", "tanh", "sigmoid",
                                                                    "sum"}


def test_correct_gradients_pass_and_report_every_input():
    a, b = _t((2, 3), "a"), _t((3,), "b")
    report = check_gradients(lambda a, b: an.tanh(a * b).sum(axis=0), [a, b])
    assert report.passed
    assert "gradcheck passed: 2 input(s), 9 element(s)" in str(report)
    assert "'a' (2, 3): ok" in str(report) and "'b' (3,): ok" in str(report)


def test_worst_elements_come_first():
    # wrong by an amount that grows with the index: the table must list the largest first.
    def rule(xp, g, y, x):
        return g * (1 + np.arange(x.size).reshape(x.shape) * 0.1)

    grows = Primitive("grows", lambda x: x.copy(), (rule,))
    report = check_gradients(lambda x: grows(x), [_t((5,))])
    rows = [line for line in str(report).splitlines() if line.strip().startswith("(")]
    assert [row.split()[0] for row in rows] == ["(4,)", "(3,)", "(2,)", "(1,)"]


@pytest.mark.parametrize("factor, hint", [(2.0, "constant factor"), (-1.0, "sign is flipped"),
                                          (0.0, "0 everywhere")])
def test_hints_for_common_hand_derivation_slips(factor, hint):
    scaled = Primitive("scaled", lambda x: x * 3, (lambda xp, g, y, x: g * 3 * factor,))
    report = check_gradients(lambda x: scaled(x), [_t((4,))])
    assert not report.passed
    assert hint in str(report)


def test_transposed_gradient_hint():
    # A rule that returns the transpose of the right gradient of a square input.
    transposed = Primitive("t_bug", lambda w, x: x @ w, (lambda xp, g, y, w, x: (x.T @ g).T, None))
    x = _t((3, 3), requires_grad=False)
    report = check_gradients(lambda w: transposed(w, x), [_t((3, 3))])
    assert "transposed" in str(report)


@pytest.mark.parametrize("fn, x, where", [
    (lambda x: an.relu(x) * 3, [0.0, 1.0, -2.0], "relu at 0"),
    (lambda x: an.clip(x, a_min=-1.0, a_max=1.0), [1.0, 0.5], "clip at a_min/a_max"),
    # within eps of the kink (not on it: the symmetric kinks of abs and of ties match there)
    (lambda x: an.abs(x), [3e-7, 1.5], "abs at 0"),
    (lambda x: an.leaky_relu(x, 0.1), [0.0, 2.0], "leaky_relu at 0"),
    (lambda x: an.clip(x, -1.0, 1.0), [1.0, 0.5], "clip at a_min/a_max"),
    (lambda x: an.maximum(x, an.tensor(np.array([0.5, 9.0]))), [0.5 + 3e-7, 1.0], "maximum"),
    (lambda x: an.minimum(x * 1.0, an.tensor(np.array([2.0, 0.0]))), [2.0 - 3e-7, 1.0], "minimum"),
    (lambda x: an.relu(an.relu(x) - 1.0), [1.0, 3.0], "relu at 0"),  # kink of an intermediate
    (lambda x: an.max(x * 1.0), [2.0, 2.0 + 3e-7, 1.0], "tie for the max"),
    # elu with alpha != 1 has slopes alpha and 1 meeting at 0
    (lambda x: an.elu(x, 0.5), [0.0, 1.0], "elu at 0"),
    (lambda x: an.sqrt(x * x), [0.0, 1.0], "sqrt at 0"),
    # piecewise functions written with where or a boolean mask: the branch flips at 0
    (lambda x: an.where(x > 0, x * 2.0, -x), [0.0, 1.0], "condition flips"),
    (lambda x: x[x >= 0].sum() * 2.0, [0.0, 1.0], "boolean mask"),
])
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")  # sqrt'(0) is inf, on purpose
def test_mismatch_on_a_kink_is_explained_not_failed(fn, x, where):
    x = an.tensor(np.array(x), requires_grad=True)
    report = check_gradients(fn, [x])
    assert report.passed and report.failures == []
    assert (0,) in [m.index for m in report.on_kinks]
    assert where in report.on_kinks[0].kink
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert an.gradcheck(fn, [x])
    assert any(issubclass(w.category, KinkWarning) for w in seen)
    assert "sit on a kink" in str(report)


def test_a_real_bug_next_to_a_kink_still_fails():
    x = an.tensor(np.abs(rng.normal(size=(3, 4))) + 0.5, requires_grad=True)
    x.data[0, 0] = 0.0  # on relu's kink
    with pytest.raises(an.GradcheckError) as caught:
        an.gradcheck(lambda x, w: wrong_mul(w, an.relu(x)), [x, _t((3, 4), requires_grad=False)])
    report = caught.value.report
    assert [(m.input, m.index) for m in report.failures] == [(0, _WRONG_AT)]
    assert [m.index for m in report.on_kinks] == [(0, 0)]


def test_fast_mode_catches_a_wrong_rule_in_two_evaluations_and_names_the_input():
    calls = []

    def fn(a, b):
        calls.append(1)
        return off_mul(a, b)

    a, b = _t((40, 50), "a"), _t((40, 50), "b")
    with pytest.raises(an.GradcheckError) as caught:
        an.gradcheck(fn, [a, b], fast=True)
    report = caught.value.report
    # 1 base evaluation + 2 for the joint direction, then 2 per input to localize.
    assert len(calls) == 1 + 2 + 2 * 2
    assert [m.input for m in report.failures] == [-1, 1]
    assert "MISMATCH" in str(report) and "'b'" in str(report)


def test_fast_mode_passes_correct_gradients_with_few_evaluations():
    calls = []

    def fn(x):
        calls.append(1)
        return an.tanh(x @ x.T).sum(axis=1)

    assert an.gradcheck(fn, [_t((60, 30))], fast=True, directions=3)
    assert len(calls) == 1 + 2 * 3


def test_lower_precision_inputs_are_upcast_with_a_warning():
    x = an.tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float32"):
        assert an.gradcheck(lambda x: an.exp(x), [x])


def test_return_false_instead_of_raising():
    assert not an.gradcheck(lambda a, b: wrong_mul(a, b), [_t((2, 3)), _t((2, 3))],
                            raise_exception=False)


def test_no_input_requires_grad_is_an_error():
    with pytest.raises(ValueError, match="requires_grad=True"):
        an.gradcheck(lambda x: x * 2, [_t((2,), requires_grad=False)])


def test_gradgradcheck_catches_a_wrong_second_derivative():
    # square with a first-order rule that is right at first order but wrong at second order:
    # g * 2 * x computed as g * (x + x.detach-like constant) loses half the second derivative.
    def rule(xp, g, y, x):
        return g * (x + np.asarray(getattr(x, "data", x)))

    square = Primitive("square_bad2", lambda x: x * x, (rule,))
    x = _t((3,))
    assert an.gradcheck(lambda x: square(x), [x])
    with pytest.raises(an.GradcheckError):
        an.gradgradcheck(lambda x: square(x), [x])


def test_an_output_whose_shape_depends_on_the_values_is_a_kink_not_a_broadcast():
    # x[x > 0] gains an element when x[0] = 0 moves up: the weights v of the base output must not
    # be broadcast against the longer output (that gave a silently wrong numeric derivative).
    for values in ([0.0, 1.0], [0.0, 1.0, 2.0]):
        x = an.tensor(np.array(values), requires_grad=True)
        report = check_gradients(lambda x: x[x > 0] * 3.0, [x])
        assert report.passed, str(report)
        assert [m.index for m in report.on_kinks] == [(0,)]
        assert "mask" in report.on_kinks[0].kink


def test_nan_in_the_output_is_named_instead_of_blaming_the_rule():
    # log is right; the point is outside its domain, so every numeric derivative is NaN.
    x = an.tensor(np.array([0.5, 1.0, -1.0]), requires_grad=True)
    report = check_gradients(lambda x: an.log(x), [x])
    assert not report.passed
    text = str(report)
    assert "rule itself is likely wrong" not in text
    assert "NaN/Inf" in text and "domain" in text


def test_nan_analytic_gradient_gets_a_hint():
    # A rule that divides by zero somewhere (0 * inf, 1 / 0): the analytic value is not finite.
    singular = Primitive("singular", lambda x: x * 2.0,
                         (lambda xp, g, y, x: g * 2.0 / (x != 0) * (x != 0),))
    x = an.tensor(np.array([0.0, 1.0]), requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        report = check_gradients(lambda x: singular(x), [x])
    assert [m.index for m in report.failures] == [(0,)]
    assert "analytic gradient is NaN/Inf" in str(report)


def test_a_single_tensor_is_accepted_as_the_inputs():
    x = _t((2, 3))
    assert an.gradcheck(lambda x: an.tanh(x), x)
    assert an.gradgradcheck(lambda x: an.tanh(x), x)
    assert check_gradients(lambda x: an.tanh(x), x).passed


def test_fast_mode_never_passes_a_nan():
    # NaN compares False with everything: "error > tolerance" let NaN directions pass.
    nan_rule = Primitive("nan_rule", lambda x: x * 2.0, (lambda xp, g, y, x: g * np.nan,))
    x = _t((3, 4))
    report = check_gradients(lambda x: nan_rule(x), [x], fast=True)
    assert not report.passed and "MISMATCH" in str(report)
    with np.errstate(invalid="ignore"):
        outside = check_gradients(lambda x: an.log(x), [an.tensor(np.array([1.0, -1.0]),
                                                                  requires_grad=True)], fast=True)
    assert not outside.passed and "NaN/Inf" in str(outside)


@pytest.mark.parametrize("layout", ["transposed", "strided", "fortran"])
def test_numeric_gradients_are_right_for_any_memory_layout(layout):
    base = np.arange(1.0, 13.0).reshape(3, 4)
    data = {"transposed": base.T, "strided": base[:, ::2],
            "fortran": np.asfortranarray(base)}[layout]
    x = an.tensor(data, requires_grad=True)
    report = check_gradients(lambda a: (a * a * a).sum(), [x])
    scale = report.numeric[0] / (3 * data**2)  # fn's output is weighted by one random v
    np.testing.assert_allclose(scale, scale.flat[0], rtol=1e-6)
    assert abs(scale.flat[0]) > 1e-3
    assert not report.mismatches
