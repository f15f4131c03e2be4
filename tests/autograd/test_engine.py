"""Backward semantics: accumulation, freeing, retain_graph, retain_grad, grad modes, depth,
memory."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import autonet as an
from autonet.autograd.warnings import NonLeafGradWarning


def test_gradients_accumulate_across_backward_calls_until_zeroed() -> None:
    x = an.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * 2 * x.data)
    x.zero_grad()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3, 3, 3])


def test_second_backward_through_freed_graph_says_retain_graph() -> None:
    x = an.tensor(2.0, requires_grad=True)
    y = x.exp() * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_backward_twice() -> None:
    x = an.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == pytest.approx(8.0)


def test_backward_frees_saved_arrays_as_it_goes() -> None:
    x = an.tensor(np.ones(3), requires_grad=True)
    y = x.tanh()
    z = y.sum()
    node = y.grad_fn
    assert node.out is not None and node.inputs is not None
    z.backward()
    assert node.freed and node.out is None and node.parents is None


def test_non_scalar_backward_names_the_shape() -> None:
    x = an.ones(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(3, 4\)"):
        (x * 2).backward()


def test_backward_with_explicit_grad() -> None:
    x = an.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(np.array([1.0, -1.0]))
    np.testing.assert_allclose(x.grad, [3, -3])
    with pytest.raises(ValueError, match="shape"):
        (x * 3).backward(np.ones(5))


def test_retain_grad_keeps_intermediate_gradients() -> None:
    x = an.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    other = x * 2  # no retain_grad
    (h * h + other).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)
    with pytest.warns(NonLeafGradWarning, match="not a leaf"):
        assert other.grad is None
    np.testing.assert_allclose(x.grad, 18 * x.data + 2)


def test_no_grad_records_nothing_and_enable_grad_restores() -> None:
    x = an.tensor([1.0], requires_grad=True)
    with an.no_grad():
        y = x * 2
        with an.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @an.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert an.is_grad_enabled()


def test_grad_mode_is_per_thread() -> None:
    seen = []
    with an.no_grad():
        thread = threading.Thread(target=lambda: seen.append(an.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


def test_detach_cuts_the_graph_and_shares_memory() -> None:
    x = an.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(x.grad, d.data)


def test_integer_tensors_cannot_require_grad() -> None:
    with pytest.raises(TypeError, match="floating"):
        an.tensor(np.array([1, 2]), requires_grad=True)
    t = an.tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="floating"):
        t.requires_grad = True


def test_backward_on_tensor_without_graph_explains() -> None:
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        an.tensor(1.0).backward()


def test_deep_chain_backward_and_drop_without_recursion() -> None:
    x = an.tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad, [1.0, 1.0])
    probe = weakref.ref(y.grad_fn)
    del y
    assert probe() is None  # freed by reference counting alone, no recursion


def test_dropping_the_output_frees_the_graph_without_gc() -> None:
    gc.disable()
    try:
        x = an.tensor(np.ones(3), requires_grad=True)
        h = x.exp()
        y = (h * x).sum()
        probes = [weakref.ref(h.grad_fn), weakref.ref(y.grad_fn)]
        del h, y
        assert all(p() is None for p in probes)  # no reference cycles
    finally:
        gc.enable()


def test_grad_returns_without_touching_dot_grad() -> None:
    x = an.tensor([1.0, 2.0], requires_grad=True)
    (g,) = an.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    assert x.grad is None


def test_higher_order_derivatives_of_x_cubed() -> None:
    x = an.tensor([1.5, -2.0], dtype=np.float64, requires_grad=True)
    (g1,) = an.grad((x ** 3).sum(), x, create_graph=True)
    (g2,) = an.grad(g1.sum(), x, create_graph=True)
    (g3,) = an.grad(g2.sum(), x)
    np.testing.assert_allclose(g1.data, 3 * x.data ** 2)
    np.testing.assert_allclose(g2.data, 6 * x.data)
    np.testing.assert_allclose(g3.data, [6.0, 6.0])


def test_hessian_vector_product_of_a_quadratic_form() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 4))
    v = rng.standard_normal(4)
    x0 = rng.standard_normal(4)
    (hv,) = an.hvp(lambda x: (x @ (an.tensor(a) @ x)) * 0.5, [an.tensor(x0)], [v])
    np.testing.assert_allclose(hv.data, 0.5 * (a + a.T) @ v, rtol=1e-5)


def test_jvp_matches_jacobian_times_vector() -> None:
    x0 = np.array([0.3, -0.7, 1.1])
    v = np.array([1.0, 2.0, -1.0])
    out, jv = an.jvp(lambda x: x.tanh() * x, [an.tensor(x0, dtype=np.float64)], [v])
    jac = np.diag(np.tanh(x0) + x0 * (1 - np.tanh(x0) ** 2))
    np.testing.assert_allclose(jv.data, jac @ v, rtol=1e-10)


def test_grad_of_intermediate_and_unused_inputs() -> None:
    x = an.tensor([1.0, 2.0], requires_grad=True)
    unused = an.tensor([5.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    gh, gu = an.grad(y, [h, unused], allow_unused=True)
    np.testing.assert_allclose(gh.data, 2 * h.data)
    assert gu is None
    with pytest.raises(RuntimeError, match="allow_unused"):
        an.grad((x * 2).sum(), [unused])


def test_repeated_integer_indices_accumulate() -> None:
    x = an.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 0.0, 1.0])


def test_boolean_mask_and_tensor_indices() -> None:
    x = an.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    (x[x > 0] * 2).sum().backward()
    np.testing.assert_allclose(x.grad, [[2, 0], [2, 0]])


def test_gradients_do_not_alias_between_leaves() -> None:
    x = an.tensor([1.0, 2.0], requires_grad=True)
    y = an.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()
    x.grad *= 10
    np.testing.assert_allclose(y.grad, [1.0, 1.0])


def test_gradient_of_a_leaf_used_as_root() -> None:
    x = an.tensor(3.0, requires_grad=True)
    (g,) = an.grad(x, x)
    assert g.item() == 1.0


def test_backward_create_graph_points_to_an_grad() -> None:
    x = an.tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="an.grad"):
        (x * x).backward(create_graph=True)


def test_vjp_returns_the_output_and_v_transpose_jacobian() -> None:
    x0 = np.array([0.3, -0.7, 1.1])
    v = np.array([1.0, 2.0, -1.0])
    out, (vj,) = an.vjp(lambda x: x.tanh() * x, [an.tensor(x0, dtype=np.float64)], v)
    np.testing.assert_allclose(out.data, np.tanh(x0) * x0)
    jac = np.diag(np.tanh(x0) + x0 * (1 - np.tanh(x0) ** 2))
    np.testing.assert_allclose(vj.data, v @ jac, rtol=1e-10)
