"""an.Function: hand-written forward/backward in PyTorch's shape, validated with gradcheck."""

import weakref

import numpy as np
import pytest

import autonet as an
from tests.functions import ROOT, Cube, LogisticCost, LogisticCostWrong, load_example

rng = np.random.default_rng(2)


def _data(n=3, m=5):
    X = an.tensor(rng.normal(size=(n, m)))
    Y = an.tensor((rng.random((1, m)) > 0.5).astype(np.float64))
    W = an.tensor(rng.normal(size=(1, n)) * 0.5, requires_grad=True, name="W")
    b = an.tensor(np.zeros((1, 1)), requires_grad=True, name="b")
    return W, b, X, Y


def test_hand_written_logistic_backward_passes_gradcheck():
    W, b, X, Y = _data()
    assert an.gradcheck(lambda W, b: LogisticCost.apply(W, b, X, Y), [W, b])


def test_matches_the_same_model_built_from_autonet_ops():
    W, b, X, Y = _data()
    LogisticCost.apply(W, b, X, Y).backward()
    custom = W.grad.copy(), b.grad.copy()
    W.grad = b.grad = None
    A = an.sigmoid(W @ X + b)
    (-an.mean(Y * an.log(A) + (1 - Y) * an.log(1 - A))).backward()
    np.testing.assert_allclose(custom[0], W.grad, rtol=1e-10)
    np.testing.assert_allclose(custom[1], b.grad, rtol=1e-10)


def test_the_wrong_backward_is_caught_with_the_factor_named():
    W, b, X, Y = _data(m=5)
    with pytest.raises(an.GradcheckError) as caught:
        an.gradcheck(lambda W, b: LogisticCostWrong.apply(W, b, X, Y), [W, b])
    text = str(caught.value)
    assert "'W' (1, 3): 3 of 3 element(s) differ" in text
    assert "analytic = 5 x numeric" in text  # m = 5
    graph = an.check_graph(LogisticCostWrong.apply(W, b, X, Y))
    assert "LogisticCostWrong (custom Function)" in str(graph)


def test_ctx_attributes_needs_input_grad_and_constants():
    seen = {}

    class Scale(an.Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.factor = factor
            seen["needs"] = ctx.needs_input_grad
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.factor, None

    x = an.tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = Scale.apply(x, 3.0)
    assert seen["needs"] == (True, False)
    assert y.grad_fn.name == "Scale"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert an.gradcheck(lambda x: Scale.apply(x, 3.0), [x])


def test_backward_runs_once_per_backward_pass_for_all_inputs():
    calls = []

    class Mul(an.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            calls.append(1)
            a, b = ctx.saved_tensors
            return grad * b, grad * a

    a, b = (an.tensor(rng.normal(size=3), requires_grad=True) for _ in range(2))
    y = Mul.apply(a, b).sum()
    y.backward(retain_graph=True)
    assert len(calls) == 1
    y.backward()  # a second pass gets a fresh call, not the cached one
    assert len(calls) == 2
    np.testing.assert_allclose(a.grad, 2 * b.data)


def test_no_grad_and_constant_inputs_record_nothing():
    class Double(an.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

    assert Double.apply(an.tensor([1.0])).grad_fn is None
    with an.no_grad():
        assert Double.apply(an.tensor([1.0], requires_grad=True)).grad_fn is None


def test_clear_errors_for_misuse():
    class TwoGrads(an.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    class WrongShape(an.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, grad):
            return np.ones(7)

    class TwoOutputs(an.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class NoBackward(an.Function):
        @staticmethod
        def forward(ctx, x):
            return x

    x = an.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="TwoGrads.backward returned 2 gradient"):
        TwoGrads.apply(x).sum().backward()
    with pytest.raises(ValueError, match=r"WrongShape.backward.*\(7,\).*\(3,\)"):
        WrongShape.apply(x).backward()
    with pytest.raises(TypeError, match="one output"):
        TwoOutputs.apply(x)
    with pytest.raises(TypeError, match="NoBackward"):
        NoBackward.apply(x)


def test_second_derivatives_need_a_differentiable_backward():
    class CubeTwice(Cube):
        differentiable_backward = True

    x = an.tensor(rng.normal(size=4), requires_grad=True)
    with pytest.raises(RuntimeError, match="first derivatives only"):
        an.gradgradcheck(lambda x: Cube.apply(x), [x])
    assert an.gradgradcheck(lambda x: CubeTwice.apply(x), [x])
    (g,) = an.grad(CubeTwice.apply(x).sum(), x, create_graph=True)
    (h,) = an.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 6 * x.data)


def test_example_runs_and_docs_show_its_real_output(capsys):
    import re

    load_example("check_custom_function").main()
    printed = capsys.readouterr().out
    doc = (ROOT / "docs" / "checking.md").read_text()
    blocks = re.findall(r"```text\n(.*?)```", doc, flags=re.S)
    shown = [b.replace("autonet.check.GradcheckError: ", "") for b in blocks[:3]]
    for block in shown:
        for line in block.strip().splitlines():
            assert line in printed, f"docs/checking.md shows a line no longer printed: {line}"


def test_gradients_returned_twice_or_saved_do_not_alias():
    class AddTwice(an.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            g = grad * 1.0
            return g, g  # the same array for both inputs

    class Scale(an.Function):
        @staticmethod
        def forward(ctx, x, c):
            ctx.save_for_backward(x)
            return x * c

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2.0, x  # d/dc = x when grad is 1: the saved input itself

    a = an.tensor([1.0, 2.0], requires_grad=True)
    b = an.tensor([3.0, 4.0], requires_grad=True)
    AddTwice.apply(a, b).sum().backward()
    a.grad *= 10
    np.testing.assert_allclose(b.grad, [1.0, 1.0])

    x = an.tensor([1.0, 2.0])
    c = an.tensor([2.0, 2.0], requires_grad=True)
    Scale.apply(x, c).backward(np.ones(2, np.float32))
    c.grad += 100
    np.testing.assert_allclose(x.data, [1.0, 2.0])


class _Cube(an.Function):
    kept: list = []

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * a * a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        da, db = 3 * a * a * b * grad, a * a * a * grad
        _Cube.kept = [weakref.ref(da), weakref.ref(db)]
        return da, db


def test_a_reused_gradient_array_changed_in_place_gets_a_fresh_backward():
    # The per-pass cache was keyed on the identity of grad: the same array, refilled by the user
    # between two passes, returned the gradients of the old values.
    a, b = (an.tensor(np.array([1.0, 2.0]), requires_grad=True) for _ in range(2))
    y = _Cube.apply(a, b)
    seed = np.ones(2)
    y.backward(seed, retain_graph=True)
    a.grad = b.grad = None
    seed[:] = 5.0
    y.backward(seed)
    np.testing.assert_allclose(a.grad, 5.0 * 3 * a.data ** 2 * b.data)
    np.testing.assert_allclose(b.grad, 5.0 * a.data ** 3)


def test_the_gradients_backward_returned_are_not_kept_after_the_pass():
    a, b = (an.tensor(np.array([1.0, 2.0]), requires_grad=True) for _ in range(2))
    y = _Cube.apply(a, b)
    y.sum().backward()
    assert all(ref() is None for ref in _Cube.kept)  # y (and its ctx) still alive


class _RowGradient(an.Function):
    """backward returns one row for a (3, 4) input: a forgotten sum or keepdims, not a gradient."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad.sum(axis=0)


class _ScalarGradient(an.Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum() * 3

    @staticmethod
    def backward(ctx, grad):
        return grad * 3  # one value for every entry: broadcast to the input's shape


def test_a_gradient_smaller_than_its_input_is_refused_unless_it_is_one_value():
    x = an.tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(ValueError, match=r"_RowGradient.backward: .* shape \(4,\) .* \(3, 4\)"):
        _RowGradient.apply(x).sum().backward()
    for shape in [(1, 1), (3, 4), (2, 1, 5)]:
        y = an.tensor(np.ones(shape), requires_grad=True)
        _ScalarGradient.apply(y).backward()
        assert y.grad.shape == shape and np.all(y.grad == 3)
