"""Engine bugs found in review (QA of issues 3 and 6), one minimal test each.

All are fixed; each test guards its fix. Expectations come from
formulas and numpy only (CI has no PyTorch); PyTorch 2.x agrees with every one of them.
"""

import gc
import weakref

import numpy as np
import pytest

import autonet as an

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_pow_with_exponent_zero_has_zero_gradient_at_zero_base():
    # a**0 == 1 for every a, including 0 (numpy's convention): its derivative is 0 everywhere.
    a = an.tensor(np.array([0.0, 2.0]), requires_grad=True)
    (a ** 0).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.0])
    b = an.tensor(np.array([0.0, 1.0]), requires_grad=True)  # a tensor exponent, same thing
    a.grad = None
    (a ** b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 1.0])


def test_std_of_a_constant_slice_has_zero_gradient():
    x = an.tensor(np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 6.0]]), requires_grad=True)
    an.std(x, axis=1).sum().backward()
    assert np.isfinite(x.grad).all()
    np.testing.assert_array_equal(x.grad[0], [0.0, 0.0, 0.0])
    row = x.data[1]
    np.testing.assert_allclose(x.grad[1], (row - row.mean()) / (row.size * row.std()))


def test_prod_second_derivative_with_two_zeros():
    # f = x0 * x1 * x2 at (0, 0, 1.5): the Hessian entry d2f/dx0dx1 = x2 = 1.5.
    x = an.tensor(np.array([0.0, 0.0, 1.5]), requires_grad=True)
    (g,) = an.grad(an.prod(x), x, create_graph=True)
    (h0,) = an.grad(g[0], x)
    np.testing.assert_allclose(h0.data, [0.0, 1.5, 0.0])


def test_backward_rejects_a_grad_of_another_shape_with_the_same_size():
    y = an.tensor(np.ones((2, 3)), requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        y.backward(np.arange(6.0).reshape(3, 2))


def test_create_graph_checks_the_shape_of_grad_outputs():
    x = an.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2,\)"):
        an.grad(x * 3.0, x, np.ones((3, 2)), create_graph=True)


def test_softmax_and_logsumexp_of_an_empty_axis():
    x = an.tensor(np.zeros((0, 3)), requires_grad=True)
    assert an.softmax(x, axis=0).shape == (0, 3)
    assert an.log_softmax(x, axis=0).shape == (0, 3)
    np.testing.assert_array_equal(an.logsumexp(x, axis=0).data, np.full(3, -np.inf))


class _Saves(an.Function):
    @staticmethod
    def forward(ctx, x):
        kept = x * 2.0  # an array of its own, not the output
        ctx.save_for_backward(kept)
        _Saves.saved = weakref.ref(kept)
        return x * 2.0

    @staticmethod
    def backward(ctx, grad):
        return grad * 2.0


def test_backward_frees_what_a_custom_function_saved():
    x = an.tensor(np.ones(4), requires_grad=True)
    y = _Saves.apply(x)
    y.sum().backward()
    gc.collect()
    assert _Saves.saved() is None  # y is still alive, its graph was freed


def _mul_changed_under_no_grad():
    x = an.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * x).sum()
    with an.no_grad():
        x *= 2
    return y, [x]


def _weight_changed_by_setitem():
    x = an.tensor([1.0, 2.0], requires_grad=True)
    w = an.tensor([3.0, 4.0])
    w.requires_grad = True
    y = (x * w).sum()
    w.requires_grad = False
    w[0] = 30.0
    w.requires_grad = True
    return y, [x]


def _saved_output_changed():
    x = an.tensor([1.0, 2.0], requires_grad=True)
    y = x.tanh()
    with an.no_grad():
        y *= 0
    return y.sum(), [x]


def _optimizer_step_between_two_backwards():
    w = an.tensor([1.0, 2.0], requires_grad=True)
    z = an.tensor([0.5, 0.3], requires_grad=True)
    loss = (w * z).sum()
    loss.backward(retain_graph=True)
    an.optim.SGD([w], lr=0.1).step()  # the GAN pattern: the graph saved the old w
    return loss, [z]


def _weights_loaded_after_the_forward():
    model = an.nn.Linear(2, 1)
    x = an.tensor(np.ones((3, 2)), requires_grad=True)
    loss = model(x).sum()
    model.load_state_dict({k: np.asarray(v) * 2 for k, v in model.state_dict().items()})
    return loss, [x]


@pytest.mark.parametrize("make", [_mul_changed_under_no_grad, _weight_changed_by_setitem,
                                  _saved_output_changed, _optimizer_step_between_two_backwards,
                                  _weights_loaded_after_the_forward])
@pytest.mark.parametrize("how", ["backward", "grad"])
def test_a_saved_tensor_changed_in_place_is_refused_by_backward(make, how):
    # the gradient would use the changed values (silently wrong before): PyTorch refuses too
    loss, inputs = make()
    with pytest.raises(RuntimeError, match=r"changed in place .* saved it as its (input|output)"):
        if how == "backward":
            loss.backward()
        else:
            an.grad(loss, inputs)


@pytest.mark.parametrize("batch", [1, 4, 16])
@pytest.mark.parametrize("seed", [0, 1])
def test_in_place_changes_that_do_not_touch_a_saved_value_pass(batch, seed):
    rng = np.random.default_rng(seed)
    model = an.nn.Sequential(an.nn.Linear(3, 5), an.nn.Tanh(), an.nn.Linear(5, 2))
    opt = an.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = an.tensor(rng.standard_normal((batch, 3)))
    y = rng.integers(0, 2, batch)
    for _ in range(3):  # the usual loop: each step's graph is made after the last update
        opt.zero_grad()
        an.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    # a rule that reads no input (add), a change before the graph was made, a change after
    # backward freed it, and two backwards of a retained graph with no change between them
    a = an.tensor(rng.standard_normal(3), requires_grad=True)
    s = (a + 1).sum()
    with an.no_grad():
        a *= 2
    s.backward()
    assert np.array_equal(a.grad, np.ones(3))
    with an.no_grad():
        a += 1
    t = (a * a).sum()
    t.backward(retain_graph=True)
    t.backward()
    with an.no_grad():
        a *= 0.5
    (a * a).sum().backward()
