"""Traps for users coming from PyTorch and numpy: each habit works, or fails with a message that
names the fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autonet as an
from autonet.autograd.warnings import NonLeafGradWarning


# ---- constructing ----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: an.tensor(2, 3), lambda: an.Tensor(2, 3),
                                  lambda: an.Tensor(2, 3, 4)])
def test_a_shape_where_data_goes_points_at_zeros_and_randn(make):
    with pytest.raises(TypeError, match=r"an\.zeros\(\(2, 3.*an\.randn\(2, 3"):
        make()


def test_keywords_after_data_still_work():
    t = an.Tensor([1.0, 2.0], requires_grad=True, dtype="float64", name="t")
    assert t.requires_grad and t.dtype == np.float64 and t.name == "t"
    assert an.tensor(2.0, requires_grad=np.bool_(True)).requires_grad
    with pytest.raises(TypeError, match="True or False"):
        an.tensor([1.0], requires_grad="yes")


@pytest.mark.parametrize("data", [["a", "b"], "text", np.array(["x"]), [b"x"], [None, 1.0],
                                  np.array(["2020-01-01"], dtype="datetime64[D]")])
def test_non_numeric_data_is_rejected(data):
    with pytest.raises(TypeError, match="numeric|numbers"):
        an.tensor(data)


@pytest.mark.parametrize("data", [[True, False], [1, 2], [1.5], np.arange(3), 1j, [[1, 2]]])
def test_numeric_data_is_accepted(data):
    assert an.tensor(data).size == np.asarray(data).size


# ---- grad modes -------------------------------------------------------------------------------
def test_set_grad_enabled_as_a_call_switches_grad_off_and_on():
    x = an.tensor([1.0], requires_grad=True)
    try:
        an.set_grad_enabled(False)
        assert not an.is_grad_enabled() and not (x * 2).requires_grad
        an.set_grad_enabled(True)
        assert an.is_grad_enabled() and (x * 2).requires_grad
    finally:
        an.set_grad_enabled(True)


def test_set_grad_enabled_still_scopes_a_block_and_a_decorated_function():
    with an.set_grad_enabled(False):
        assert not an.is_grad_enabled()
    assert an.is_grad_enabled()
    with an.no_grad():
        with an.set_grad_enabled(True):
            assert an.is_grad_enabled()
        assert not an.is_grad_enabled()

    @an.set_grad_enabled(False)
    def f():
        return an.is_grad_enabled()

    assert an.is_grad_enabled()  # decorating switched nothing
    assert f() is False and an.is_grad_enabled()


def test_inference_mode_is_no_grad():
    x = an.tensor([1.0], requires_grad=True)
    with an.inference_mode():
        assert not (x * 2).requires_grad
    with an.inference_mode(False):
        assert (x * 2).requires_grad
    assert an.is_grad_enabled()


@pytest.mark.parametrize("make", [lambda: an.set_grad_enabled("off"),
                                  lambda: an.set_grad_enabled(None),
                                  lambda: an.inference_mode(2)])
def test_grad_mode_arguments_must_be_bools(make):
    with pytest.raises(TypeError, match="True or False"):
        make()
    assert an.is_grad_enabled()


# ---- lists of tensors given to ops ----------------------------------------------------------
@pytest.mark.parametrize("op, reference", [
    (an.mean, lambda a: a.mean()), (an.sum, lambda a: a.sum()), (an.exp, np.exp),
    (an.sigmoid, lambda a: 1 / (1 + np.exp(-a))), (lambda v: an.maximum(v, 2.5),
                                                    lambda a: np.maximum(a, 2.5)),
])
def test_a_list_of_tensors_is_stacked_with_its_gradient(op, reference):
    x = an.tensor([1.0, 2.0, 3.0], requires_grad=True, dtype="float64")
    y = op([x, x * 2])
    np.testing.assert_allclose(y.data, reference(np.stack([x.data, 2 * x.data])))
    assert y.requires_grad
    an.gradcheck(lambda t: op([t, t * 2]), [x])


def test_lists_of_numbers_work_for_every_op_and_shapes_must_agree():
    np.testing.assert_allclose(an.sigmoid([1.0, 2.0]).data, 1 / (1 + np.exp(-np.array([1, 2]))),
                               rtol=1e-6)
    assert an.exp([1.0, 2.0]).dtype == an.sigmoid([0.0]).dtype == np.float32
    assert an.reshape(an.ones(4), [2, 2]).shape == (2, 2)  # a list attribute stays a list
    with pytest.raises(ValueError, match="shapes differ"):
        an.mean([an.ones(2, requires_grad=True), an.ones(3)])


# ---- .grad of a non-leaf ----------------------------------------------------------------------
def test_the_course_update_without_no_grad_warns_at_the_next_read():
    w = an.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w = w - 0.1 * w.grad  # grad mode on: w is now the result of an op
    (w * w).sum().backward()
    with pytest.warns(NonLeafGradWarning, match=r"an\.no_grad\(\).*optimizer") as seen:
        assert w.grad is None
    assert seen[0].filename == __file__


def test_healthy_gradient_reads_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = an.tensor([1.0, 2.0], requires_grad=True)
        for _ in range(3):
            h = w * 3
            h.retain_grad()
            (h * h).sum().backward()
            assert h.grad is not None and w.grad is not None
            with an.no_grad():
                w -= 0.1 * w.grad  # in place: w stays a leaf
            assert w.is_leaf and w.requires_grad
            w.grad = None
        assert an.tensor([1.0]).grad is None  # no grad asked for
        assert (an.tensor([1.0]) * 2).grad is None  # not on a graph at all
        model = an.nn.Linear(2, 1)
        opt = an.optim.SGD(model.parameters(), lr=0.1)
        an.nn.functional.mse_loss(model(an.ones((3, 2))), an.zeros((3, 1))).backward()
        opt.step()
        assert all(p.grad is not None for p in model.parameters())


def test_in_place_operators_under_no_grad_keep_the_tensor():
    w = an.tensor([1.0, 2.0], requires_grad=True)
    before = w
    with an.no_grad():
        w += 1.0
        w *= an.tensor([2.0, 2.0])
        w /= 4
        w -= 0.5
    assert w is before and w.is_leaf
    np.testing.assert_allclose(w.data, [0.5, 1.0])
    v = w
    v = v - 1.0  # with grad on, a new tensor, as before
    assert v is not w and not v.is_leaf


# ---- numpy functions on tensors -------------------------------------------------------------
def test_numpy_ufuncs_and_functions_run_autonet_ops_with_gradients():
    x = an.tensor([0.5, 1.0, 2.0], requires_grad=True, dtype="float64")
    for fn in (lambda t: np.exp(t).sum(), lambda t: np.sum(np.tanh(t) * t),
               lambda t: np.mean(np.maximum(t, 0.7)), lambda t: np.concatenate([t, t]).sum(),
               lambda t: np.sqrt(np.power(t, 2.0)).sum(), lambda t: (np.ones(3) - t).sum()):
        y = fn(x)
        assert isinstance(y, an.Tensor) and y.requires_grad
        an.gradcheck(fn, [x])


def test_ndarray_on_the_left_still_gives_a_tensor():
    t = an.tensor([1.0, 2.0], requires_grad=True)
    for result in (np.ones(2) + t, np.ones(2) * t, np.ones(2) - t, np.ones(2) / t,
                   np.ones((2, 2)) @ t, np.ones(2) < t):
        assert isinstance(result, an.Tensor)
    assert (np.ones(2) + t).requires_grad


def test_numpy_functions_autonet_lacks_are_refused_with_grad_and_allowed_without():
    t = an.tensor([1.0, 2.0, 4.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"np\.median.*lose.*an\.exp"):
        np.median(t)
    assert np.median(t.detach()) == 2.0
    assert np.allclose(t, [1.0, 2.0, 4.0]) and np.shape(t) == (3,)  # no gradient to lose
    assert np.asarray(t) is t.data
    out = np.zeros(3)
    with pytest.raises(TypeError, match="out="):
        np.add(t, 1.0, out=out)  # writing into an array would drop the gradient
    np.add(t.detach(), 1.0, out=out)  # without grad: numpy's semantics
    np.testing.assert_allclose(out, [2.0, 3.0, 5.0])


# ---- PyTorch tensor methods -----------------------------------------------------------------
def test_pytorch_methods_match_their_numpy_spellings():
    x = an.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, dtype="float64")
    assert x.view(3, 2).shape == (3, 2) and x.view(-1).shape == (6,)
    assert x.permute(1, 0).shape == (3, 2) and x.t().shape == (3, 2)
    assert x[0].t().shape == (3,)
    with pytest.raises(ValueError, match="at most 2"):
        an.ones((2, 2, 2)).t()
    assert x.unsqueeze(0).shape == (1, 2, 3) and x.unsqueeze(-1).shape == (2, 3, 1)
    assert x.numel() == 6 and x.dim() == 2
    assert x.size == 6 and x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.size + 1 == 7 and isinstance(x.size, int)
    with pytest.raises(IndexError):
        x.size(2)
    c = x.clone()
    assert c is not x and c.data is not x.data and c.requires_grad
    c.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))
    for method in (lambda t: t.view(3, 2), lambda t: t.permute(1, 0), lambda t: t.t(),
                   lambda t: t.unsqueeze(1), lambda t: t.clone()):
        an.gradcheck(lambda t, m=method: (m(t) ** 2).sum(), [x])


def test_to_and_cpu_are_casts_or_no_ops():
    x = an.tensor([1.0, 2.0], requires_grad=True)
    assert x.cpu() is x and x.to("cpu") is x and x.to(device="cpu") is x
    assert x.to(an.float64).dtype == np.float64 and x.to("cpu", an.float64).requires_grad
    assert x.to(dtype="float64").dtype == np.float64 and x.to(an.float32) is x
    assert x.to(an.tensor([1], dtype=an.int64)).dtype == np.int64
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()


def test_dtype_names():
    assert an.float32 is np.float32 and an.float64 is np.float64 and an.int64 is np.int64
    assert an.float is np.float32 and an.double is np.float64 and an.long is np.int64
    assert an.bool is np.bool_ and an.tensor([1, 2], dtype=an.int64).dtype == np.int64


def test_pytorch_function_names_are_the_ops_they_name():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3))
    b = rng.normal(size=(3, 4))
    x = an.tensor(a, requires_grad=True)
    np.testing.assert_allclose(an.clamp(x, -0.5, 0.5).data, np.clip(a, -0.5, 0.5))
    np.testing.assert_allclose(an.clamp(x, min=0.0).data, np.clip(a, 0.0, None))
    np.testing.assert_allclose(an.mm(x, b).data, a @ b)
    np.testing.assert_array_equal(an.permute(x, 1, 0).data, a.T)
    np.testing.assert_array_equal(an.permute(x, (1, 0)).data, a.T)
    c = an.clone(x)
    assert c.data is not x.data and c.requires_grad and c.dtype == x.dtype
    np.testing.assert_array_equal(c.data, a)
    np.testing.assert_allclose(x.where(x > 0, -1.0).data, np.where(a > 0, a, -1.0))
    for fn in (lambda t: an.clamp(t, -0.5, 0.5), lambda t: an.mm(t, an.tensor(b)),
               lambda t: an.permute(t, 1, 0), an.clone, lambda t: t.where(t > 0, t * 3)):
        an.gradcheck(lambda t, f=fn: (f(t) ** 2).sum(), [x])
    with pytest.raises(ValueError, match=r"mm: needs two 2-D.*\(3,\)"):
        an.mm(x, an.tensor(b[:, 0]))
