"""The everyday ops as Tensor methods (PyTorch's and numpy's names), index results of sort/topk,
and the errors of bad calls: one builtin exception naming the op, the shapes and the fix."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autonet as an

A = np.array([[1.5, -2.0, 0.5], [3.0, 0.25, -1.0]])
B = np.array([[0.5, 1.0, -0.5], [2.0, 2.0, 2.0]])

METHODS = [
    ("pow", lambda t: t.pow(2), A ** 2),
    ("matmul", lambda t: t.matmul(an.tensor(B.T)), A @ B.T),
    ("mm", lambda t: t.mm(an.tensor(B.T)), A @ B.T),
    ("dot", lambda t: t[0].dot(an.tensor(B[0])), A[0] @ B[0]),
    ("maximum", lambda t: t.maximum(an.tensor(B)), np.maximum(A, B)),
    ("minimum", lambda t: t.minimum(an.tensor(B)), np.minimum(A, B)),
    ("clamp", lambda t: t.clamp(min=-1.0, max=1.0), np.clip(A, -1, 1)),
    ("clamp min only", lambda t: t.clamp(min=0.0), np.clip(A, 0, None)),
    ("square", lambda t: t.square(), A ** 2),
    ("rsqrt", lambda t: t.abs().rsqrt(), 1 / np.sqrt(np.abs(A))),
    ("norm", lambda t: t.norm(), np.linalg.norm(A)),
    ("norm p=1 dim", lambda t: t.norm(p=1, dim=1), np.linalg.norm(A, ord=1, axis=1)),
    ("cumsum", lambda t: t.cumsum(axis=1), np.cumsum(A, axis=1)),
    ("cumprod", lambda t: t.cumprod(0), np.cumprod(A, axis=0)),
    ("flip", lambda t: t.flip(0), np.flip(A, 0)),
    ("roll", lambda t: t.roll(1, axis=1), np.roll(A, 1, axis=1)),
    ("repeat", lambda t: t.repeat(2, axis=0), np.repeat(A, 2, axis=0)),
    ("tile", lambda t: t.tile(2, 1), np.tile(A, (2, 1))),
    ("tril", lambda t: t.tril(), np.tril(A)),
    ("triu", lambda t: t.triu(1), np.triu(A, 1)),
    ("diag", lambda t: t.diag(), np.diag(A)),
    ("trace", lambda t: t.trace(), np.trace(A)),
    ("sort", lambda t: t.sort(axis=1), np.sort(A, axis=1)),
    ("masked_fill", lambda t: t.masked_fill(t > 1, 0.0), np.where(A > 1, 0, A)),
    ("log1p", lambda t: t.abs().log1p(), np.log1p(np.abs(A))),
    ("tan", lambda t: t.tan(), np.tan(A)),
    ("arctan", lambda t: t.arctan(), np.arctan(A)),
    ("floor", lambda t: t.floor(), np.floor(A)),
    ("round", lambda t: t.round(), np.round(A)),
    ("cat", lambda t: an.cat([t, t], dim=1), np.concatenate([A, A], axis=1)),
    ("where", lambda t: an.where(t > 0, t, 0.0), np.where(A > 0, A, 0)),
    ("vstack", lambda t: an.vstack([t[0], t[1]]), np.vstack([A[0], A[1]])),
    ("hstack", lambda t: an.hstack([t, t]), np.hstack([A, A])),
    ("dot", lambda t: an.dot(t, an.tensor(B.T)), A @ B.T),
    ("expand", lambda t: t[:1].expand(3, -1), np.broadcast_to(A[:1], (3, 3))),
    ("expand new axis", lambda t: an.expand(t, (2, 2, 3)), np.broadcast_to(A, (2, 2, 3))),
    ("expand_as", lambda t: t[:, :1].expand_as(A), np.broadcast_to(A[:, :1], A.shape)),
    ("outer", lambda t: an.outer(t[0], an.tensor(B[1])), np.outer(A[0], B[1])),
    ("outer of matrices", lambda t: an.outer(t, an.tensor(B[0])), np.outer(A, B[0])),
]


@pytest.mark.parametrize("name, call, expected", METHODS, ids=[m[0] for m in METHODS])
def test_method_matches_numpy(name, call, expected) -> None:
    got = call(an.tensor(A))
    np.testing.assert_allclose(got.data, expected, rtol=1e-6)


def test_clamp_and_norm_have_gradients() -> None:
    t = an.tensor(A, requires_grad=True)
    (t.clamp(min=-1.0, max=1.0).sum() + t.norm()).backward()
    # clip passes the gradient at its bounds (A has a -1.0)
    np.testing.assert_allclose(t.grad, (np.abs(A) <= 1) + A / np.linalg.norm(A), rtol=1e-6)


@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_stable_and_topk_indices_match_numpy(descending) -> None:
    x = np.array([[2.0, 1.0, 2.0, 0.0, 1.0], [5.0, 5.0, 4.0, 5.0, 3.0]])
    order = np.argsort(-x if descending else x, axis=1, kind="stable")
    np.testing.assert_array_equal(an.sort(an.tensor(x), descending=descending).data,
                                  np.take_along_axis(x, order, axis=1))
    values, indices = an.topk(an.tensor(x), 3, largest=descending)
    np.testing.assert_array_equal(indices.data, order[:, :3])
    np.testing.assert_array_equal(values.data, np.take_along_axis(x, order[:, :3], axis=1))
    np.testing.assert_array_equal(an.argsort(an.tensor(x), axis=1).data,
                                  np.argsort(x, axis=1, kind="stable"))


def test_sort_gradient_follows_each_value_home() -> None:
    x = an.tensor([3.0, 1.0, 2.0], requires_grad=True)
    (an.sort(x) * an.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [100.0, 1.0, 10.0])


def test_cumprod_gradient_with_zeros_matches_a_plain_loop() -> None:
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    expected = np.zeros(5)
    for j in range(5):  # d/dx_j sum_i w_i prod_row{k <= i} x_k, the product without x_j
        for i in range(j, 5):
            expected[j] += w[i] * np.prod([x[k] for k in range(i + 1) if k != j])
    t = an.tensor(x, requires_grad=True)
    (an.cumprod(t) * an.tensor(w)).sum().backward()
    np.testing.assert_array_equal(t.grad, expected)


ERRORS = [
    (lambda: an.tensor(A).repeat(2, 3), TypeError, r"tile\(\(2, 3\)\)"),
    (lambda: an.tensor(A).mm(an.tensor(A[0])), ValueError, r"mm: needs two 2-D.*\(3,\)"),
    (lambda: an.pad(an.tensor(A), 1, mode="mirror"), ValueError, r"pad: unknown mode 'mirror'"),
    (lambda: an.gather(an.tensor(A), 1, np.zeros((2, 1))), TypeError, r"gather: indices must be"),
    (lambda: an.gather(an.tensor(A), 1, np.zeros(2, int)), ValueError, r"gather: indices have 1"),
    (lambda: an.gather(an.tensor(A), 1, np.zeros((3, 1), int)), ValueError,
     r"gather: index shape \(3, 1\) exceeds input shape \(2, 3\)"),
    (lambda: an.topk(an.tensor(A), 4), ValueError, r"topk: k=4 is out of range.*length 3"),
    (lambda: an.einsum("ij,jk->ik", an.tensor(A)), ValueError, r"einsum: .* names 2 operand"),
    (lambda: an.einsum("ijk->i", an.tensor(A)), ValueError, r"einsum: subscripts 'ijk' do not"),
    (lambda: an.einsum(an.tensor(A), "ij"), TypeError, r"einsum: the first argument"),
    (lambda: an.tril(an.tensor(A[0])), ValueError, r"tril: needs at least 2 dimensions"),
    (lambda: an.diag(an.zeros((2, 2, 2))), ValueError, r"diag: needs a 1-D or 2-D"),
    (lambda: an.masked_fill(an.tensor(A), np.ones(3), 0.0), TypeError, r"must be boolean"),
    (lambda: an.tensordot(an.tensor(A), an.tensor(B), axes=([0, 1], [0])), ValueError,
     r"tensordot: 2 axes of a against 1"),
    (lambda: an.array_split(an.tensor(A), 0), ValueError, r"must be positive"),
]


@pytest.mark.parametrize("call, error, message", ERRORS)
def test_bad_calls_raise_one_clear_error(call, error, message) -> None:
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("torch_mode, numpy_mode", [("replicate", "edge"), ("circular", "wrap")])
def test_pytorch_pad_mode_names_are_numpy_modes(torch_mode, numpy_mode) -> None:
    widths = ((1, 2), (3, 0))
    got = an.tensor(A).pad(widths, mode=torch_mode)
    np.testing.assert_array_equal(got.data, np.pad(A, widths, mode=numpy_mode))


@settings(max_examples=12, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
       lead=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_expand_and_outer_gradients_match_central_differences(shape, lead, seed) -> None:
    rng = np.random.default_rng(seed)
    x = an.tensor(rng.standard_normal(shape), requires_grad=True)
    sizes = tuple(rng.integers(1, 4, lead)) + tuple(
        int(rng.integers(1, 4)) if n == 1 else (-1 if rng.random() < 0.5 else n) for n in shape)
    expected = np.broadcast_to(x.data, tuple(n if s == -1 else s for s, n in
                                             zip(sizes, (None,) * lead + shape)))
    np.testing.assert_array_equal(x.expand(*sizes).data, expected)
    weights = an.tensor(rng.standard_normal(expected.shape))
    an.gradcheck(lambda t: (t.expand(*sizes) * weights).sum(), [x])
    y = an.tensor(rng.standard_normal(shape[::-1]), requires_grad=True)
    np.testing.assert_allclose(an.outer(x, y).data, np.outer(x.data, y.data), rtol=1e-12)
    an.gradcheck(lambda a, b: an.outer(a, b), [x, y])
