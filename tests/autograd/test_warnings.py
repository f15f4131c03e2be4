"""Course warnings: the rank-1 broadcast bug and gradients adding up over two backwards."""

import warnings

import numpy as np
import pytest

import autonet as an
from autonet.autograd.engine import observers
from autonet.autograd.warnings import BroadcastWarning, DoubleBackwardWarning, rank1_pair
from autonet.ops.primitive import _hooks


@pytest.fixture
def warn_broadcast():
    an.set_warn_broadcast(True)  # the default; a test that switches it off switches it back
    yield


@pytest.fixture
def warn_double_backward():
    an.set_warn_double_backward(True)
    yield
    an.set_warn_double_backward(False)


@pytest.mark.parametrize("shapes, pair", [
    ([(5,), (5, 1)], ((5,), (5, 1))),
    ([(5, 1), (5,)], ((5,), (5, 1))),
    ([(5,), (1, 5)], None),
    ([(5, 1), (5, 1)], None),
    ([(1,), (1, 1)], None),
    ([(4,), (5, 1)], None),
    ([(), (5, 1)], None),
    # a batch of columns meets the rank-1 array just the same: (2, 5, 1) - (5,) is (2, 5, 5)
    ([(5,), (2, 5, 1)], ((5,), (2, 5, 1))),
    ([(3, 2, 5, 1), (5,)], ((5,), (3, 2, 5, 1))),
    ([(5,), (5, 2, 1)], None),
])
def test_rank1_pair_table(shapes, pair):
    assert rank1_pair(shapes) == pair


@pytest.mark.parametrize("op", [lambda a, y: a - y, lambda a, y: y * a, lambda a, y: a / (y + 2),
                                lambda a, y: an.maximum(a, y)])
def test_rank1_broadcast_warns_at_the_users_line(warn_broadcast, op):
    A = an.tensor(np.ones((4, 1)), requires_grad=True)
    Y = an.tensor(np.zeros(4))
    with pytest.warns(BroadcastWarning, match=r"\(4,\).*\(4, 1\).*\(4, 4\)") as seen:
        out = op(A, Y)
    assert out.shape == (4, 4)
    assert seen[0].filename == __file__


def test_matching_shapes_do_not_warn(warn_broadcast):
    A = an.tensor(np.ones((4, 1)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A - an.tensor(np.zeros((4, 1)))
        A.reshape(4) - an.tensor(np.zeros(4))
        A - an.tensor(np.zeros((1, 4)))  # an explicit outer difference is fine


def test_broadcast_warning_is_on_by_default_without_grad_and_can_be_silenced():
    A = an.tensor(np.ones((3, 1)))  # no grad anywhere: plain tensor code
    with pytest.warns(BroadcastWarning, match="rank-1") as seen:
        A - an.tensor(np.zeros(3))
    assert seen[0].filename == __file__
    with pytest.warns(BroadcastWarning):
        np.ones(3) * A  # an ndarray on the left too
    an.set_warn_broadcast(False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            A - an.tensor(np.zeros(3))
    finally:
        an.set_warn_broadcast(True)
    with pytest.raises(TypeError, match="True or False"):
        an.set_warn_broadcast("no")


def test_explicit_outer_sums_and_healthy_shapes_never_warn():
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in (1, 2, 3, 7, 64):
            x, y = an.tensor(rng.normal(size=n)), an.tensor(rng.normal(size=n))
            assert (x[:, None] + y[None, :]).shape == (n, n)  # deliberate, with explicit axes
            assert (x.reshape(-1, 1) * y.reshape(1, -1)).shape == (n, n)
            x + y, x * 2.0, an.maximum(x, 0.0)
            M = an.tensor(rng.normal(size=(n, n)), requires_grad=True)
            M + x, M * y[None, :], M - x.reshape(-1, 1), an.where(M > 0, M, 0.0)
            (M @ M.T + M).sum().backward()
            b = an.tensor(rng.normal(size=(n, 1)))
            b - an.tensor(rng.normal(size=(n, 1))), b + 1.0
        model = an.nn.Sequential(an.nn.Linear(4, 4), an.nn.Tanh(), an.nn.Linear(4, 4))
        for m in (1, 4, 16):  # square batches: (m, 4) with m = 4 included
            X = an.tensor(rng.normal(size=(m, 4)))
            an.nn.functional.cross_entropy(model(X), np.arange(m) % 4).backward()
            an.nn.functional.mse_loss(model(X), an.tensor(rng.normal(size=(m, 4)))).backward()


def test_broadcast_warning_works_under_anomaly_mode(warn_broadcast):
    A = an.tensor(np.ones((3, 1)), requires_grad=True)
    with an.detect_anomaly(), pytest.warns(BroadcastWarning):
        d = A - an.tensor(np.zeros(3))
    assert d.grad_fn.site is not None
    assert _hooks.on_forward is None  # anomaly mode uninstalled its hook; the warning needs none
    with pytest.warns(BroadcastWarning):
        A - an.tensor(np.zeros(3))


def test_second_backward_through_a_retained_graph_warns(warn_double_backward):
    x = an.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    with pytest.warns(DoubleBackwardWarning, match="accumulate") as seen:
        y.backward()
    assert seen[0].filename == __file__
    np.testing.assert_array_equal(x.grad, 2 * (2 * x.data))  # the sum of both passes


def test_no_double_backward_warning_for_fresh_graphs_or_an_grad(warn_double_backward):
    x = an.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            (x * x).sum().backward()  # a new graph each time: the usual loop
        y = (x * x).sum()
        an.grad(y, x, retain_graph=True)
        an.grad(y, x)  # an.grad returns gradients, nothing accumulates


def test_double_backward_warning_is_off_by_default():
    assert observers.on_backward_start is None
    x = an.tensor(np.array([1.0]), requires_grad=True)
    y = (x * 3.0).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward(retain_graph=True)
        y.backward()


@pytest.mark.parametrize("m", [2, 5, 64])
@pytest.mark.parametrize("grad", [False, True])
def test_the_broadcast_warning_names_the_fix_and_the_switch(warn_broadcast, m, grad):
    A = an.tensor(np.ones((m, 1)), requires_grad=grad)
    with pytest.warns(BroadcastWarning) as seen:
        A * an.tensor(np.zeros(m))
    text = str(seen[0].message)
    assert f"({m},)" in text and f"({m}, 1)" in text and f"({m}, {m})" in text
    assert "reshape(-1, 1)" in text and "x[:, None] + y[None, :]" in text
    assert "an.set_warn_broadcast(False)" in text and seen[0].filename == __file__
