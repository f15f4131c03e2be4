"""Tensor construction, dtypes, numpy interoperability, operators, errors."""

from __future__ import annotations

import numpy as np
import pytest

import autonet as an


def test_lists_and_scalars_default_to_float32_arrays_keep_dtype() -> None:
    assert an.tensor([1, 2, 3]).dtype == np.float32
    assert an.tensor(2.5).dtype == np.float32
    assert an.tensor(np.arange(3)).dtype == np.int64
    assert an.tensor(np.ones(2, np.float64)).dtype == np.float64
    assert an.tensor([True, False]).dtype == bool
    an.set_default_dtype(np.float64)
    assert an.tensor([1.0]).dtype == np.float64


def test_tensor_copies_its_data_and_from_numpy_shares() -> None:
    a = np.zeros(3)
    t, shared = an.tensor(a), an.from_numpy(a)
    a[0] = 1
    assert t.data[0] == 0 and shared.data[0] == 1


def test_constructors() -> None:
    an.manual_seed(3)
    r1 = an.randn(2, 3)
    an.manual_seed(3)
    r2 = an.randn((2, 3))
    np.testing.assert_array_equal(r1.data, r2.data)
    assert an.zeros(2, 3).shape == (2, 3) and an.ones(4).data.sum() == 4
    assert an.full((2,), 7.0).data.tolist() == [7.0, 7.0]
    assert an.arange(5).shape == (5,) and an.eye(3).data.trace() == 3
    assert an.zeros_like(r1).shape == r1.shape and an.ones_like(r1).dtype == np.float32
    assert an.rand(10).data.min() >= 0 and an.rand(10).data.max() < 1
    assert an.randn_like(r1).shape == (2, 3) and an.full_like(r1, 2.0).data[0, 0] == 2
    assert an.tensor([1.0], name="w").name == "w"


def test_dtype_is_preserved_through_ops_and_gradients() -> None:
    x = an.randn(3, 3, requires_grad=True)
    y = ((x @ x).tanh() * 2.0 + 1).sigmoid().log_softmax(axis=1).mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_numpy_on_the_left_still_yields_tensors() -> None:
    x = an.tensor([1.0, 2.0], requires_grad=True)
    a = np.array([3.0, 4.0], dtype=np.float32)
    for y in (a + x, a * x, a - x, a / x, 2 * x, 1 / x, 2 ** x, a @ x):
        assert isinstance(y, an.Tensor) and y.requires_grad
    (a @ x).backward()
    np.testing.assert_allclose(x.grad, a)


def test_comparisons_are_boolean_tensors_without_gradient() -> None:
    x = an.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask in (x > 1, x >= 2, x < 2, x <= 1, x == 2, x != 2):
        assert mask.dtype == bool and not mask.requires_grad
    np.testing.assert_array_equal((x > 1).data, [False, True, True])


def test_tensor_is_hashable_by_identity() -> None:
    a, b = an.tensor(1.0), an.tensor(1.0)
    assert len({a, b}) == 2


def test_item_and_bool_errors_name_the_shape() -> None:
    with pytest.raises(ValueError, match=r"\(2,\)"):
        an.tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(an.tensor([1.0, 2.0]))
    assert an.tensor([[3.0]]).item() == 3.0


def test_matmul_error_names_shapes_and_dims() -> None:
    with pytest.raises(ValueError) as info:
        an.randn(3, 4) @ an.randn(5, 2)
    assert "matmul: shapes (3, 4) and (5, 2) are not aligned: 4 (dim 1) != 5 (dim 0)" in str(
        info.value)


def test_broadcast_error_names_op_shapes_tensors_and_fix() -> None:
    with pytest.raises(ValueError, match=r"add: .*\(3,\).*\(4,\)") as info:
        an.ones(3, name="x") + an.ones(4, name="w")
    assert "x: (3,)" in str(info.value) and "w: (4,)" in str(info.value)
    assert "reshape" in str(info.value)


def test_reshape_error_names_op() -> None:
    with pytest.raises(ValueError, match="reshape"):
        an.ones(6).reshape(4, 2)


def test_setitem_refuses_tensors_that_require_grad() -> None:
    x = an.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x[0] = 1.0
    y = an.zeros(3)
    y[1] = 5.0
    assert y.data[1] == 5.0


def test_softmax_and_log_softmax_are_stable_for_huge_logits() -> None:
    logits = an.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, 1e4]], requires_grad=True)
    p = an.softmax(logits, axis=1)
    lp = an.log_softmax(logits, axis=1)
    assert np.all(np.isfinite(p.data)) and np.all(np.isfinite(lp.data))
    np.testing.assert_allclose(p.data.sum(axis=1), [1.0, 1.0])
    lp[:, 0].sum().backward()
    assert np.all(np.isfinite(logits.grad))
    assert np.isfinite(an.logsumexp(logits, axis=1).data).all()


def test_methods_mirror_functions() -> None:
    x = an.randn(2, 3)
    pairs = [(x.exp(), an.exp(x)), (x.sum(axis=0), an.sum(x, axis=0)),
             (x.T, an.transpose(x)), (x.reshape(3, 2), an.reshape(x, (3, 2))),
             (x.max(axis=1, keepdims=True), an.max(x, axis=1, keepdims=True)),
             (x.flatten(), an.flatten(x)), (x.clip(-0.5, 0.5), an.clip(x, -0.5, 0.5))]
    for a, b in pairs:
        np.testing.assert_array_equal(a.data, b.data)
    assert x.argmax(axis=1).dtype.kind == "i"


def test_repr_shows_grad_fn_and_name() -> None:
    x = an.tensor([1.0], requires_grad=True, name="x")
    assert "requires_grad=True" in repr(x) and "'x'" in repr(x)
    assert "grad_fn=mul" in repr(x * 2)


def test_split_stack_concatenate_roundtrip() -> None:
    x = an.arange(12).reshape(3, 4)
    parts = x.split(2, axis=1)
    assert [p.shape for p in parts] == [(3, 2), (3, 2)]
    np.testing.assert_array_equal(an.concatenate(parts, axis=1).data, x.data)
    assert an.stack(parts, axis=0).shape == (2, 3, 2)
    with pytest.raises(ValueError, match="split"):
        x.split(3, axis=1)


def test_every_constructor_takes_a_name() -> None:
    import inspect

    makers = {"tensor": ([1.0],), "from_numpy": (np.ones(2),), "zeros": (2,), "ones": (2,),
              "full": (2, 1.0), "arange": (3,), "linspace": (0, 1, 3), "eye": (2,),
              "rand": (2,), "randn": (2,), "zeros_like": (np.ones(2),),
              "ones_like": (np.ones(2),), "full_like": (np.ones(2), 3.0),
              "rand_like": (np.ones(2),), "randn_like": (np.ones(2),)}
    for name, args in makers.items():
        maker = getattr(an, name)
        assert "name" in inspect.signature(maker).parameters, name
        assert maker(*args, name="x0").name == "x0", name


def test_deepcopy_copies_leaves_and_models_and_refuses_a_graph_at_any_depth():
    import copy

    model = an.nn.Sequential(an.nn.Linear(2, 3), an.nn.ReLU(), an.nn.Linear(3, 1))
    model[0].weight.grad = np.ones((3, 2), np.float32)
    twin = copy.deepcopy(model)
    for p, q in zip(model.parameters(), twin.parameters()):
        assert type(q) is type(p) and q is not p and q.requires_grad and q.name == p.name
        assert np.array_equal(p.data, q.data) and not np.shares_memory(p.data, q.data)
    assert np.array_equal(twin[0].weight.grad, model[0].weight.grad)
    assert not np.shares_memory(twin[0].weight.grad, model[0].weight.grad)
    x = an.tensor(np.ones(3), requires_grad=True)
    for depth in (1, 50_000):  # a deep graph was a RecursionError
        y = x
        for _ in range(depth):
            y = y * 1.0
        with pytest.raises(RuntimeError, match="only leaf tensors can be deep-copied.*'mul'"):
            copy.deepcopy(y)


def test_iterating_gives_rows_on_the_graph_and_refuses_0d():
    x = an.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    (rows[1] * rows[2]).sum().backward()
    assert x.grad.tolist() == [[0, 0], [4, 5], [2, 3]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(an.tensor(1.0))
