"""Optimizers: first steps against the published update rules written out by hand here,
param groups, skipping params without grad, state_dict round trips that resume bit-identically."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autonet as an
from autonet import nn, optim

P0 = np.array([0.5, -1.5, 2.0])
GRADS = [np.array([0.1, -0.4, 0.3]), np.array([-0.2, 0.5, 0.25]), np.array([0.3, 0.1, -0.6])]


def _run(make, steps: int = 3) -> list[np.ndarray]:
    """Feed the fixed gradients GRADS to an optimizer over one float64 parameter; the values after
    each step."""
    p = nn.Parameter(P0.copy())
    opt = make([p])
    history = []
    for g in GRADS[:steps]:
        p.grad = g.copy()
        opt.step()
        history.append(p.data.copy())
    return history


def _close(actual: list[np.ndarray], expected: list[np.ndarray]) -> None:
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("momentum,dampening,nesterov,wd", [
    (0.0, 0.0, False, 0.0), (0.9, 0.0, False, 0.0), (0.9, 0.3, False, 0.1),
    (0.8, 0.0, True, 0.05)])
def test_sgd(momentum, dampening, nesterov, wd) -> None:
    lr = 0.1
    p, buf, expected = P0.copy(), None, []
    for g in GRADS:
        d = g + wd * p
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        p = p - lr * d
        expected.append(p)
    _close(_run(lambda ps: optim.SGD(ps, lr=lr, momentum=momentum, dampening=dampening,
                                     nesterov=nesterov, weight_decay=wd)), expected)


@pytest.mark.parametrize("amsgrad,wd", [(False, 0.0), (True, 0.0), (False, 0.1), (True, 0.2)])
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_and_adamw(amsgrad, wd, decoupled) -> None:
    lr, b1, b2, eps = 0.01, 0.9, 0.99, 1e-8
    p, m, v, vmax, expected = P0.copy(), 0.0, 0.0, 0.0, []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        v_used = vmax if amsgrad else v
        m_hat = m / (1 - b1**t)
        p = p - lr * m_hat / (np.sqrt(v_used) / math.sqrt(1 - b2**t) + eps)
        expected.append(p)
    cls = optim.AdamW if decoupled else optim.Adam
    _close(_run(lambda ps: cls(ps, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd,
                               amsgrad=amsgrad)), expected)


def test_adam_first_step_moves_each_coordinate_by_lr() -> None:
    # m_hat = g, v_hat = g^2 at t = 1, so the step is lr * sign(g) (up to eps)
    (p1,) = _run(lambda ps: optim.Adam(ps, lr=0.05), steps=1)
    np.testing.assert_allclose(p1, P0 - 0.05 * np.sign(GRADS[0]), rtol=1e-6)


@pytest.mark.parametrize("momentum,centered,wd", [(0.0, False, 0.0), (0.5, False, 0.1),
                                                  (0.0, True, 0.0), (0.9, True, 0.05)])
def test_rmsprop(momentum, centered, wd) -> None:
    lr, alpha, eps = 0.01, 0.9, 1e-8
    p, v, a, buf, expected = P0.copy(), 0.0, 0.0, 0.0, []
    for g in GRADS:
        g = g + wd * p
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            a = alpha * a + (1 - alpha) * g
            denom = np.sqrt(v - a * a) + eps
        else:
            denom = np.sqrt(v) + eps
        if momentum:
            buf = momentum * buf + g / denom
            p = p - lr * buf
        else:
            p = p - lr * g / denom
        expected.append(p)
    _close(_run(lambda ps: optim.RMSprop(ps, lr=lr, alpha=alpha, eps=eps, weight_decay=wd,
                                         momentum=momentum, centered=centered)), expected)


@pytest.mark.parametrize("lr_decay,init,wd", [(0.0, 0.0, 0.0), (0.5, 0.1, 0.2)])
def test_adagrad(lr_decay, init, wd) -> None:
    lr, eps = 0.1, 1e-10
    p, s, expected = P0.copy(), np.full(3, init), []
    for t, g in enumerate(GRADS, start=1):
        g = g + wd * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
        expected.append(p)
    _close(_run(lambda ps: optim.Adagrad(ps, lr=lr, lr_decay=lr_decay, weight_decay=wd,
                                         initial_accumulator_value=init, eps=eps)), expected)


ALL = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.01),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    lambda ps: optim.Adagrad(ps, lr=0.1),
]


@pytest.mark.parametrize("make", ALL, ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_updates_are_in_place_and_skip_params_without_grad(make) -> None:
    used, unused = nn.Parameter(P0.copy()), nn.Parameter(P0.copy())
    data = used.data
    opt = make([used, unused])
    used.grad = GRADS[0].copy()
    grad_before = used.grad.copy()
    opt.step()
    assert used.data is data  # same array: updated in place
    assert not np.allclose(used.data, P0)
    np.testing.assert_array_equal(unused.data, P0)
    np.testing.assert_array_equal(used.grad, grad_before)  # the gradient is not modified
    assert unused not in opt.state


@pytest.mark.parametrize("make", ALL, ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_state_dict_resumes_training_bit_identically(make) -> None:
    def model_and_data():
        an.manual_seed(3)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        x, y = an.randn(8, 3), np.arange(8) % 2
        return model, x, y

    def train(model, opt, x, y, steps):
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

    model, x, y = model_and_data()
    opt = make(model.parameters())
    train(model, opt, x, y, 3)
    saved_model, saved_opt = model.state_dict(), opt.state_dict()
    train(model, opt, x, y, 3)

    resumed, _, _ = model_and_data()
    resumed.load_state_dict(saved_model)
    resumed_opt = make(resumed.parameters())
    resumed_opt.load_state_dict(saved_opt)
    train(resumed, resumed_opt, x, y, 3)
    for a, b in zip(model.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_is_plain_data() -> None:
    p = nn.Parameter(P0.copy())
    opt = optim.Adam([p], lr=0.1)
    p.grad = GRADS[0].copy()
    opt.step()
    state = opt.state_dict()
    assert state["param_groups"] == [{"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8,
                                      "weight_decay": 0.0, "amsgrad": False, "params": [0]}]
    assert set(state["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert isinstance(state["state"][0]["exp_avg"], np.ndarray)
    state["state"][0]["exp_avg"][...] = 99  # a copy
    assert not np.any(opt.state[p]["exp_avg"] == 99)


def test_param_groups_have_their_own_hyperparameters() -> None:
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones(2)
    opt.step()
    np.testing.assert_allclose(a.data, 0.9)
    np.testing.assert_allclose(b.data, 0.5)
    assert opt.param_groups[1]["momentum"] == 0.0  # filled from defaults
    c = nn.Parameter(np.ones(1))
    opt.add_param_group({"params": c, "lr": 1.0})
    assert len(opt.param_groups) == 3 and "Parameter Group 2" in repr(opt)


def test_zero_grad_and_closure() -> None:
    w = nn.Parameter(np.array([2.0]))
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(w.data, [2.0 - 0.25 * 4.0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad, [0.0])
    opt.zero_grad()
    assert w.grad is None


def test_constructor_errors() -> None:
    w = nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="does not require grad"):
        optim.SGD([an.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="unknown hyperparameter 'beta'"):
        optim.Adam([{"params": [w], "beta": 0.5}])
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="2 parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]})


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.1),
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    lambda ps: optim.Adam(ps, weight_decay=0.1, amsgrad=True),
    lambda ps: optim.AdamW(ps),
    lambda ps: optim.RMSprop(ps, weight_decay=0.1),
    lambda ps: optim.RMSprop(ps, momentum=0.9, centered=True),
    lambda ps: optim.Adagrad(ps, weight_decay=0.1),
], ids=["SGD-damp", "SGD-nesterov", "Adam", "AdamW", "RMSprop", "RMSprop-centered", "Adagrad"])
def test_steps_allocate_no_parameter_sized_temporaries(make) -> None:
    import tracemalloc

    p = nn.Parameter(np.zeros(100_000, dtype=np.float32))
    p.grad = np.full(p.shape, 0.5, dtype=np.float32)
    opt = make([p])
    opt.step()  # the first step creates the state and the reused work arrays
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < p.data.nbytes // 4, f"a step allocated {peak} bytes, the param is {p.data.nbytes}"
