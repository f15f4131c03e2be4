"""Edge cases the peer suites found (issue 12): 0-d reductions, empty means, pow at inf and 0,
jvp of outputs that do not depend on the input, bitwise operators, kinks of mod."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autonet as an

REDUCTIONS = ["sum", "prod", "max", "min", "mean", "std", "var", "logsumexp"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [0, -1, (0,), (-1,)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_of_a_0d_tensor_over_axis_0_or_minus_1(name, axis, keepdims) -> None:
    x = an.tensor(1.5, requires_grad=True)
    y = getattr(an, name)(x, axis=axis, keepdims=keepdims)
    expected = getattr(an, name)(x)  # reducing a 0-d tensor over its only "axis" = over nothing
    assert y.shape == () and y.item() == pytest.approx(expected.item())
    y.backward()
    assert x.grad.shape == ()
    expected_grad = 0.0 if name in ("std", "var") else 1.0
    assert x.grad == pytest.approx(expected_grad)


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_0d_reductions_reject_other_axes(name) -> None:
    with pytest.raises(ValueError, match="axis 1"):
        getattr(an, name)(an.tensor(1.0), axis=1)


def test_0d_reduction_as_a_method_and_under_create_graph() -> None:
    x = an.tensor(2.0, requires_grad=True, dtype="float64")
    (g,) = an.grad((x ** 3).sum(axis=0), x, create_graph=True)
    (h,) = an.grad(g.sum(axis=-1), x)
    assert g.item() == pytest.approx(12.0) and h.item() == pytest.approx(12.0)


@pytest.mark.parametrize("shape, axis", [((3, 0), 1), ((0,), 0), ((0, 2), 0), ((2, 0, 3), (1, 2))])
def test_mean_over_an_empty_axis_has_an_empty_gradient(shape, axis) -> None:
    x = an.zeros(shape, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: mean of an empty slice
        y = an.mean(x, axis=axis)
    (y * an.ones(y.shape)).sum().backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("fn", [an.sign, an.floor, an.ceil, an.round, an.trunc,
                                lambda t: an.tensor([1.0, 2.0, 3.0]), lambda t: t * 0 + 1])
def test_jvp_of_an_output_that_does_not_depend_on_the_input_is_zero(fn) -> None:
    x = an.tensor([1.5, -2.5, 0.3])
    out, jv = an.jvp(fn, [x], [an.ones(3)])
    np.testing.assert_array_equal(jv.data, np.zeros(out.shape))


def test_jvp_mixes_dependent_and_independent_outputs() -> None:
    x = an.tensor([1.5, -2.0], dtype="float64")
    _, (j_sign, j_double) = an.jvp(lambda t: [an.sign(t), t * 2 + an.floor(t)], [x],
                                   [an.tensor([1.0, 3.0], dtype="float64")])
    np.testing.assert_array_equal(j_sign.data, [0, 0])
    np.testing.assert_array_equal(j_double.data, [2, 6])
    _, (jv,) = an.vjp(an.sign, [x], an.ones(2))
    np.testing.assert_array_equal(jv.data, [0, 0])


def test_derivative_of_x_to_the_0_is_0_everywhere_also_at_inf_and_0() -> None:
    x = an.tensor([np.inf, 0.0, -np.inf, 2.0], requires_grad=True, dtype="float64")
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 0, 0])
    e = an.tensor([0.0, 0.0], dtype="float64", requires_grad=True)
    base = an.tensor([np.inf, 0.0], dtype="float64", requires_grad=True)
    (base ** e).sum().backward()
    np.testing.assert_array_equal(base.grad, [0, 0])


def test_exponent_gradient_at_base_0() -> None:
    # d(a**b)/db = a**b log a: -inf for b < 0 (as PyTorch), 0 for b >= 0
    a = an.tensor([0.0, 0.0, 0.0, 2.0], dtype="float64")
    b = an.tensor([-1.5, 0.0, 2.0, -1.0], dtype="float64", requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = (a ** b).sum()  # 0 ** -1.5 = inf: numpy warns of a division by zero
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # but backward does not warn of log(0)
        y.backward()
    np.testing.assert_array_equal(b.grad[:3], [-np.inf, 0, 0])
    assert b.grad[3] == pytest.approx(2.0 ** -1 * np.log(2.0))


def test_bitwise_operators_on_integer_tensors() -> None:
    a, b = np.array([5, 6, -3]), np.array([3, 10, 7])
    t, u = an.tensor(a), an.tensor(b)
    np.testing.assert_array_equal((t & u).data, a & b)
    np.testing.assert_array_equal((t | u).data, a | b)
    np.testing.assert_array_equal((t ^ u).data, a ^ b)
    np.testing.assert_array_equal((~t).data, ~a)
    np.testing.assert_array_equal((3 & t).data, 3 & a)
    np.testing.assert_array_equal((3 | t).data, 3 | a)
    np.testing.assert_array_equal((3 ^ t).data, 3 ^ a)
    np.testing.assert_array_equal((a & u).data, a & b)  # numpy array on the left


def test_bitwise_operators_on_bool_tensors_are_logical() -> None:
    p, q = np.array([True, True, False]), np.array([True, False, False])
    t, u = an.tensor(p), an.tensor(q)
    np.testing.assert_array_equal((t & u).data, p & q)
    np.testing.assert_array_equal((t | u).data, p | q)
    np.testing.assert_array_equal((t ^ u).data, p ^ q)
    np.testing.assert_array_equal((~t).data, ~p)
    np.testing.assert_array_equal((True & u).data, q)
    assert (~t).dtype == bool


@pytest.mark.parametrize("op", [lambda t: t & t, lambda t: ~t, lambda t: 1 | t])
def test_bitwise_operators_on_float_tensors_raise_with_a_hint(op) -> None:
    with pytest.raises(TypeError, match=r"integer or bool.*compare first"):
        op(an.tensor([1.0, 2.0]))


def test_mod_jumps_are_kinks_gradcheck_knows() -> None:
    # at a / b = 2 exactly the central difference straddles the jump of mod by b
    a = an.tensor([3.0, 1.0], dtype="float64", requires_grad=True)
    b = an.tensor([1.5, 0.7], dtype="float64", requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the KinkWarning that says so
        assert an.gradcheck(lambda x, y: an.mod(x, y), [a, b])
        assert an.gradcheck(lambda x, y: an.fmod(x, y), [a, b])


def test_mod_follows_python_and_fmod_c_sign_conventions() -> None:
    a, b = np.array([-7.0, 7.0, -7.0]), np.array([3.0, -3.0, -3.0])
    np.testing.assert_array_equal((an.tensor(a) % an.tensor(b)).data, a % b)
    np.testing.assert_array_equal((7.0 % an.tensor(b)).data, 7.0 % b)
    np.testing.assert_array_equal(an.fmod(an.tensor(a), an.tensor(b)).data, np.fmod(a, b))


def test_rounding_ops_give_no_gradient_but_leave_others_alone() -> None:
    x = an.tensor([1.4, -2.6, 2.5], requires_grad=True)
    for op in (an.floor, an.ceil, an.round, an.trunc, an.sign):
        assert not op(x).requires_grad
    (x.round() * 3 + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 1])
    np.testing.assert_array_equal(an.round(x).data, np.round(x.data))
    np.testing.assert_array_equal(an.isinf(an.tensor([np.inf, 1.0])).data, [True, False])


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign", "isnan", "isinf",
                                  "isfinite"])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_no_gradient_ops_match_numpy_as_functions_and_methods(name, shape) -> None:
    rng = np.random.default_rng(len(shape))
    data = rng.normal(scale=3.0, size=shape)
    if data.size:
        data.flat[0] = np.inf if name.startswith("is") else 2.5  # round half to even
        if data.size > 2:
            data.flat[1], data.flat[2] = np.nan, -np.inf
    x = an.tensor(data, requires_grad=True, dtype="float64")
    expected = getattr(np, name)(data)
    for got in (getattr(an, name)(x), getattr(x, name)()):
        assert got.shape == expected.shape and not got.requires_grad
        np.testing.assert_array_equal(got.data, expected)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_sigmoid_is_the_two_branch_formula_bit_for_bit(dtype) -> None:
    # sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, with e = exp(-|x|): nothing
    # overflows and the tiny values of large negative x survive; nan, +-inf and -0 included
    specials = [-1e4, -40.0, -5.0, -0.0, 0.0, 1e-30, 5.0, 40.0, 1e4, np.inf, -np.inf, np.nan]
    rng = np.random.default_rng(0)
    x = np.concatenate([np.array(specials), rng.standard_normal(500) * 30]).astype(dtype)
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(x))
        r = 1 / (1 + e)
        expected = np.where(x >= 0, r, e * r)
        got = an.sigmoid(x).numpy()
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got, expected)  # nan equals nan here
    assert an.sigmoid(np.float64(-40.0)).item() == pytest.approx(4.248354255291589e-18, rel=1e-12)


@pytest.mark.parametrize("z", [np.array([1 + 1j, -2 + 0.5j, 0j, -3 - 2j], np.complex128),
                               np.array([0.5 - 1j], np.complex64), np.complex128(-1 + 2j), 2 - 1j])
def test_sigmoid_of_complex_numbers_is_the_formula(z) -> None:
    # the real-line branch trick compares values: complex ones take 1 / (1 + exp(-z)) itself
    expected = 1 / (1 + np.exp(-np.asarray(z)))
    got = an.sigmoid(z).numpy()
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)
