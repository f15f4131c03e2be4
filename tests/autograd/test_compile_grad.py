"""an.grad (and an.vjp) inside a compiled function: the replay returns the gradients that eager
an.grad returns, bit for bit and fresh on every call, and leaves .grad alone as eager does;
create_graph=True (an.jvp, an.hvp) is refused, since a replay makes no graph."""

import numpy as np
import pytest

import autonet as an
from autonet import nn
from autonet.autograd.compile import CompileError

F = nn.functional


def _mlp(seed: int = 0) -> nn.Sequential:
    an.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))


def _batches(sizes, seed: int = 1):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n, 5)).astype(np.float32), rng.integers(0, 3, n))
            for n in sizes]


def _arrays(result) -> list:
    items = result if isinstance(result, tuple | list) else [result]
    return [None if t is None else np.array(t.data) for t in items]


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        (x is None and y is None) or (x is not None and y is not None and x.dtype == y.dtype
                                      and np.array_equal(x, y, equal_nan=True))
        for x, y in zip(a, b))


def _compare(fn, calls) -> an.compile:
    """Run ``fn`` compiled and eagerly on each call's arguments; every result must be equal."""
    step = an.compile(fn)
    for args in calls:
        compiled = _arrays(step(*args))
        eager = _arrays(fn(*args))
        assert _same(compiled, eager)
    return step


def test_parameter_gradients_equal_eager_and_leave_grad_alone():
    model = _mlp()
    params = list(model.parameters())

    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        return (loss.detach(), *an.grad(loss, params))

    compiled = _compare(step, [(an.tensor(x), y) for x, y in _batches([4, 4, 4])])
    assert compiled.traces == 1 and compiled.replays == 2
    assert all(p.grad is None for p in params)


def test_an_sgd_update_computed_from_the_gradients_is_returned_fresh():
    w = an.tensor(np.linspace(-1, 1, 15).reshape(5, 3), requires_grad=True)

    def step(x, y):
        loss = F.cross_entropy(x @ w, y)
        (g,) = an.grad(loss, w)
        with an.no_grad():
            w_new = w - 0.5 * g
        return loss.detach(), w_new

    compiled = an.compile(step)
    seen = []
    for x, y in _batches([6, 6, 6]):
        got, want = _arrays(compiled(an.tensor(x), y)), _arrays(step(an.tensor(x), y))
        assert _same(got, want)
        seen.append(got[1])
    assert not np.array_equal(seen[0], seen[1])  # a new input gives a new update
    assert compiled.replays == 2 and w.grad is None


def test_a_new_shape_traces_again():
    model = _mlp()
    params = list(model.parameters())

    def step(x, y):
        return an.grad(F.cross_entropy(model(x), y), params)

    compiled = _compare(step, [(an.tensor(x), y) for x, y in _batches([3, 5, 3, 5])])
    assert compiled.traces == 2 and compiled.replays == 2


def test_gradients_of_inputs_and_intermediates_with_grad_outputs():
    w = an.tensor(np.arange(6.0).reshape(3, 2) / 7, requires_grad=True)

    def step(x, v):
        h = an.tanh(x @ w)
        out = h * h + h
        gx, gh, gw = an.grad(out, [x, h, w], grad_outputs=v)
        return gx, gh, gw, gx * 2 + 1

    rng = np.random.default_rng(3)
    calls = [(an.tensor(rng.standard_normal((4, 3)), requires_grad=True),
              an.tensor(rng.standard_normal((4, 2)))) for _ in range(3)]
    _compare(step, calls)
    assert w.grad is None and all(x.grad is None for x, _ in calls)


def test_several_outputs_and_a_target_passed_twice():
    def step(a, b):
        return an.grad([(a * b).sum(), (a * a).mean()], [a, b, a])

    rng = np.random.default_rng(4)
    _compare(step, [(an.tensor(rng.standard_normal(5), requires_grad=True),
                     an.tensor(rng.standard_normal(5), requires_grad=True)) for _ in range(3)])


def test_allow_unused_gives_none_as_eager():
    def step(a, b):
        return an.grad((a * 3).sum(), [a, b], allow_unused=True)

    rng = np.random.default_rng(5)
    compiled = _compare(step, [(an.tensor(rng.standard_normal(4), requires_grad=True),
                                an.tensor(rng.standard_normal(2), requires_grad=True))
                               for _ in range(3)])
    b = an.tensor(np.ones(2), requires_grad=True)
    assert compiled(an.tensor(np.ones(4), requires_grad=True), b)[1] is None


def test_an_unused_input_raises_as_eager():
    def step(a, b):
        return an.grad((a * 3).sum(), [a, b])

    def args():
        return an.tensor(np.ones(4), requires_grad=True), an.tensor(np.ones(2), requires_grad=True)

    with pytest.raises(RuntimeError) as eager:
        step(*args())
    with pytest.raises(RuntimeError) as compiled:
        an.compile(step)(*args())
    assert str(compiled.value) == str(eager.value)
    assert "input 1 (shape (2,)) is not used" in str(eager.value)


def test_grad_then_backward_in_one_function():
    """an.grad with retain_graph=True, then loss.backward(): the returned gradients and the
    stored .grad are both eager's."""
    model = _mlp()
    params = list(model.parameters())

    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        grads = an.grad(loss, params[:2], retain_graph=True)
        loss.backward()
        return (loss.detach(), *grads)

    compiled = an.compile(step)
    for x, y in _batches([4, 4, 4]):
        for p in params:
            p.grad = None
        got = _arrays(compiled(an.tensor(x), y))
        stored = [p.grad.copy() for p in params]
        for p in params:
            p.grad = None
        assert _same(got, _arrays(step(an.tensor(x), y)))
        assert _same(stored, [p.grad for p in params])


def test_check_mode_accepts_an_grad():
    w = an.tensor(np.ones((5, 3)) / 4, requires_grad=True)

    def step(x, y):
        return an.grad(F.cross_entropy(x @ w, y), w)[0]

    compiled = an.compile(step, check=True)
    for x, y in _batches([4, 4, 4, 4]):
        assert _same(_arrays(compiled(an.tensor(x), y)), _arrays(step(an.tensor(x), y)))


def test_vjp_equals_eager():
    w = an.tensor(np.arange(6.0).reshape(2, 3) / 5, requires_grad=True)

    def step(x, v):
        out, (gx, gw) = an.vjp(lambda a, b: an.sin(a @ b), [x, w], v)
        return out.detach(), gx, gw

    rng = np.random.default_rng(6)
    _compare(step, [(an.tensor(rng.standard_normal((4, 2)), requires_grad=True),
                     an.tensor(rng.standard_normal((4, 3)))) for _ in range(3)])
    assert w.grad is None


def test_create_graph_is_refused_and_says_why():
    w = an.tensor(np.ones(3), requires_grad=True)
    x = an.tensor(np.ones(3))
    with pytest.raises(CompileError, match=r"create_graph=True.*makes no graph"):
        an.compile(lambda x: an.grad((x * w).sum(), w, create_graph=True)[0])(x)
    with pytest.raises(CompileError, match=r"an.jvp / an.hvp"):
        an.compile(lambda x: an.jvp(lambda a: a * a, [x], [x])[1])(x)
    with pytest.raises(CompileError, match=r"an.jvp / an.hvp"):
        an.compile(lambda x: an.hvp(lambda a: (a * a * a).sum(), [w], [x])[0])(x)
    # the refused traces left nothing installed: eager an.grad works
    assert np.array_equal(an.grad((x * w).sum(), w)[0].data, [1.0, 1.0, 1.0])


def test_a_gradient_read_into_python_is_refused():
    w = an.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(CompileError, match=r"reads a traced value"):
        an.compile(lambda x: an.grad((x * w).sum(), w)[0].sum().item())(an.tensor(np.ones(3)))


def test_vjp_of_inputs_that_do_not_require_grad():
    """an.vjp copies such inputs into new leaves; the replay reads each call's values."""
    scale = an.tensor(np.full(4, 0.5))  # read at every call, as a parameter is

    def step(x, v):
        out, (gx, gs) = an.vjp(lambda a, s: an.sin(a) * a * s, [x, scale], v)
        return out.detach(), gx, gs

    rng = np.random.default_rng(7)
    compiled = an.compile(step)
    for _ in range(3):
        x, v = an.tensor(rng.standard_normal(4)), rng.standard_normal(4)
        assert _same(_arrays(compiled(x, v)), _arrays(step(x, v)))
        scale.data = scale.data + 1.0
    assert compiled.replays == 2


def test_source_of_an_an_grad_trace_says_it_is_not_written_yet():
    w = an.tensor(np.ones(3), requires_grad=True)
    compiled = an.compile(lambda x: an.grad((x * w).sum(), w)[0])
    compiled(an.tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match=r"\.source is not written .* an.grad"):
        _ = compiled.source
    assert "def replay" in compiled.replay_code


def test_the_output_itself_as_target_with_grad_outputs():
    """an.grad(x, x, v) is v, copied: the replay returns a fresh array, not the caller's v."""
    def step(x, v):
        return an.grad(x, x, grad_outputs=v)[0]

    compiled = an.compile(step)
    for k in range(3):
        v = np.full(3, float(k))
        got = compiled(an.tensor(np.ones(3), requires_grad=True), v)
        assert np.array_equal(got.data, v) and not np.shares_memory(got.data, v)
    assert compiled.replays == 2


def test_a_target_named_twice_gets_two_separate_gradients():
    """an.grad(out, [a, a]): two equal gradients, each its own array in every replay as in eager
    (writing into one leaves the other alone)."""
    a = an.tensor(np.array([1.0, 2.0]), requires_grad=True)

    def step(x):
        return an.grad((a * a * x).sum(), [a, a])

    compiled = _compare(step, [(an.tensor(np.full(2, float(k))),) for k in range(1, 4)])
    g1, g2 = compiled(an.tensor(np.full(2, 5.0)))
    assert g1 is not g2 and not np.shares_memory(g1.data, g2.data)
    assert np.array_equal(g1.data, [10.0, 20.0]) and np.array_equal(g2.data, g1.data)
    e1, e2 = step(an.tensor(np.full(2, 5.0)))
    assert e1 is not e2 and not np.shares_memory(e1.data, e2.data)
