"""an.compile: a replay leaves exactly what eager leaves (outputs and .grad, bit for bit), draws
fresh random values, retraces on a new signature, and refuses what it cannot replay."""

import warnings

import numpy as np
import pytest

import autonet as an
from autonet import nn
from autonet.autograd.compile import CompileError

F = nn.functional


def _mlp(dropout: float = 0.0, seed: int = 0) -> nn.Sequential:
    an.manual_seed(seed)
    layers = [nn.Linear(5, 8), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3))


def _data(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)).astype(np.float32), rng.integers(0, 3, n)


def _train(step_of, model, batches, compiled: bool, seed: int = 7, lr: float = 0.1):
    """Run an SGD loop (zero_grad and step outside the step function); return every loss,
    gradient and parameter value along the way."""
    opt = an.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    step = step_of(model)
    if compiled:
        step = an.compile(step)
    an.manual_seed(seed)
    seen = []
    for x, y in batches:
        opt.zero_grad()
        out = step(an.tensor(x), y)
        seen.append(np.array(out.data))
        seen += [p.grad.copy() for p in model.parameters()]
        opt.step()
        seen += [p.data.copy() for p in model.parameters()]
    return seen, step


def _ce_step(model):
    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss
    return step


def _assert_same(eager, compiled):
    assert len(eager) == len(compiled)
    for a, b in zip(eager, compiled):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b), np.max(np.abs(a - b))


@pytest.mark.parametrize("dropout", [0.0, 0.4])
@pytest.mark.parametrize("n", [1, 7, 16])
def test_mlp_training_is_bit_exact(dropout, n):
    batches = [_data(n, seed) for seed in range(5)]
    eager, _ = _train(_ce_step, _mlp(dropout), batches, compiled=False)
    compiled, step = _train(_ce_step, _mlp(dropout), batches, compiled=True)
    _assert_same(eager, compiled)
    assert step.traces == 1 and step.replays == 4


def test_dropout_draws_fresh_masks_on_every_replay():
    model = _mlp(dropout=0.5)
    x, y = _data(8)
    step = an.compile(_ce_step(model))
    losses = {float(step(an.tensor(x), y).data) for _ in range(4)}
    assert len(losses) == 4  # same inputs, same parameters: only the masks differ


def test_broadcasting_and_a_parameter_used_twice():
    def step_of(params):
        w, b, s = params

        def step(x, y):
            h = (x @ w + b) * s  # b (1, 4) and s (4,) broadcast over the batch
            h = an.tanh(h) @ w.T  # w used a second time
            loss = ((h - x) ** 2).mean() + (s * s).sum() * 0.01
            loss.backward()
            return loss, h
        return step

    def run(compiled):
        an.manual_seed(3)
        params = [an.randn(4, 4, requires_grad=True), an.randn(1, 4, requires_grad=True),
                  an.randn(4, dtype="float64", requires_grad=True)]
        step = step_of(params)
        step = an.compile(step) if compiled else step
        seen = []
        for k in range(3):
            x = an.tensor(np.random.default_rng(k).standard_normal((6, 4)).astype(np.float32))
            loss, h = step(x, None)
            seen += [np.array(loss.data), h.data.copy()] + [p.grad.copy() for p in params]
        return seen  # grads accumulate over the calls: no zero_grad here

    _assert_same(run(False), run(True))


def test_input_tensors_that_require_grad_receive_grad():
    def f(x, w):
        y = (an.sigmoid(x * w) + x).sum()
        y.backward()
        return y

    step = an.compile(f)
    for k in range(3):
        rng = np.random.default_rng(k)
        x, w = rng.standard_normal(3), rng.standard_normal(3)
        pairs = [[an.tensor(a, requires_grad=True) for a in (x, w)] for _ in range(2)]
        want, got = f(*pairs[0]), step(*pairs[1])
        assert np.array_equal(want.data, got.data)
        for a, b in zip(*pairs):
            assert np.array_equal(a.grad, b.grad)
    assert step.traces == 1


def test_retraces_on_new_signature_and_caches():
    model = _mlp()
    step = an.compile(_ce_step(model))
    for n in (4, 4, 3, 4, 3):
        model.zero_grad()
        x, y = _data(n)
        loss = step(an.tensor(x), y)
        model.zero_grad()
        want = F.cross_entropy(model(an.tensor(x)), y)
        assert np.array_equal(loss.data, want.data)
    assert step.traces == 2 and step.replays == 3
    model.eval()  # train/eval state is part of the signature
    step(an.tensor(_data(4)[0]), _data(4)[1])
    assert step.traces == 3
    with an.no_grad():  # so is grad mode
        step2 = an.compile(lambda x: model(x))
        step2(an.tensor(_data(4)[0]))
        step2(an.tensor(_data(4)[0]))
        assert step2.traces == 1


def test_outputs_of_inference_under_no_grad():
    model = _mlp()
    step = an.compile(lambda x: model(x))
    with an.no_grad():
        for k in range(3):
            x = an.tensor(_data(5, k)[0])
            assert np.array_equal(step(x).data, model(x).data)


def test_check_mode_names_the_first_op_that_differs():
    state = {"scale": 1.0}

    def f(x, w):
        loss = (x * w * state["scale"]).sum()  # a Python value frozen at trace time
        loss.backward()
        return loss

    w = an.tensor(np.ones(3), requires_grad=True)
    step = an.compile(f, check=True)
    step(an.tensor(np.arange(3.0)), w)
    step(an.tensor(np.arange(3.0)), w)  # nothing changed: the check passes
    state["scale"] = 2.0
    with pytest.raises(CompileError, match=r"op 1 'mul' gives different values"):
        step(an.tensor(np.arange(3.0)), w)


def test_check_mode_detects_a_graph_that_changed():
    calls = {"n": 0}

    def f(x):
        calls["n"] += 1
        return x.tanh() if calls["n"] == 1 else x.sigmoid()

    step = an.compile(f, check=True)
    with an.no_grad():
        step(an.tensor(np.ones(2)))
        with pytest.raises(CompileError, match=r"graph changed: op 0 was 'tanh'"):
            step(an.tensor(np.ones(2)))


def test_check_mode_passes_on_healthy_training_and_leaves_eager_state():
    batches = [_data(6, seed) for seed in range(4)]
    eager, _ = _train(_ce_step, _mlp(0.3), batches, compiled=False)
    seen, step = _train(lambda m: an.compile(_ce_step(m), check=True), _mlp(0.3), batches,
                        compiled=False)
    _assert_same(eager, seen)
    assert step.traces == 1


@pytest.mark.parametrize("read", [lambda t: t.item(), lambda t: t.numpy(), lambda t: bool(t),
                                  lambda t: float(t)])
def test_reading_a_traced_value_is_refused(read):
    def f(x):
        s = x.sum()
        if read(s) > 0:
            return s * 2
        return s

    with pytest.raises(CompileError, match=r"reads a traced value"):
        an.compile(f)(an.tensor(np.ones(3)))


def test_changing_parameters_inside_is_refused():
    model = _mlp()
    opt = an.optim.SGD(model.parameters(), lr=0.1)

    def f(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    x, y = _data(4)
    with pytest.raises(CompileError, match=r"changed .* in place.*optimizer"):
        an.compile(f)(an.tensor(x), y)


def _write_copy(x):
    c = an.tensor(x)
    c[0] = 5.0
    return c * 1


def _write_result(x):
    c = x * 1
    c[:, 1] = 0.0
    return c + 1


def _write_traced_into_fresh(x):
    c = an.zeros(x.shape)
    c[0] = x[1]
    return c * 2


def _write_after_use(x):
    c = an.ones(x.shape)
    y = x * c
    c[0] = 3.0  # eager's y used the ones; a replay reading c afresh would not
    return y


def _add_in_place_without_grad(x):
    c = x * 2
    with an.no_grad():
        c += 1
    return c


@pytest.mark.parametrize("fn, traced", [(_write_copy, False), (_write_result, False),
                                        (_write_traced_into_fresh, True),
                                        (_write_after_use, False),
                                        (_add_in_place_without_grad, False)])
def test_writing_in_place_into_a_traced_value_is_refused(fn, traced):
    # each would replay wrongly (the write is not an op): refused at trace time, naming the write
    x = an.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(CompileError, match=r"writes in place into a tensor of shape") as caught:
        an.compile(fn)(x)
    assert ("from a traced value" in str(caught.value)) == traced
    assert "t[...] = v" in str(caught.value) or "in-place add under no_grad" in str(caught.value)


@pytest.mark.parametrize("n", [1, 3, 4])
def test_writing_into_a_fresh_constant_before_use_still_replays(n):
    # a tensor made inside the step from constants and written before any op reads it is a
    # constant of the trace, the same on every call: no refusal, and the replay equals eager
    def f(x):
        c = an.zeros(x.shape[1:])
        c[0] = 1.5
        with an.no_grad():
            d = an.ones(x.shape[1:])
            d *= 3
        return x * c + d

    step = an.compile(f)
    rng = np.random.default_rng(n)
    for _ in range(3):
        x = an.tensor(rng.standard_normal((n, 3)))
        assert np.array_equal(step(x).numpy(), f(x).numpy())
    assert step.traces == 1 and step.replays == 2


def _reseeds_then_drops(x):
    an.manual_seed(0)
    return F.dropout(x, 0.5)


def _drops_in_a_seeded_block(x):
    with an.random.seeded(3):
        return F.dropout(x, 0.5)


def _reseeds_after_its_draws(x):
    y = F.dropout(x, 0.5)
    an.manual_seed(1)  # eager's next call draws from the fresh seed; a replay would not reseed
    return y


@pytest.mark.parametrize("fn", [_reseeds_then_drops, _drops_in_a_seeded_block,
                                _reseeds_after_its_draws, lambda x: an.manual_seed(2) and x * 2])
def test_reseeding_inside_is_refused(fn):
    with pytest.raises(CompileError, match=r"reseeds autonet's generator"):
        an.compile(fn)(an.tensor(np.ones(8)))


@pytest.mark.parametrize("n", [1, 8, 32])
def test_seeding_outside_still_replays_dropout_as_eager(n):
    # the healthy habit: one seed before the loop, or each call inside its own seeded block
    x = an.tensor(np.ones((n, 4)))
    results = []
    for compiled in (False, True):
        an.manual_seed(5)
        step = an.compile(lambda x: F.dropout(x, 0.5)) if compiled else (
            lambda x: F.dropout(x, 0.5))
        results.append([step(x).numpy() for _ in range(3)])
        with an.random.seeded(9):
            results[-1].append(step(x).numpy())
    for eager, replayed in zip(*results):
        assert np.array_equal(eager, replayed)


def _freeze_first_layer(model):
    model[0].weight.requires_grad = False
    model[0].bias.requires_grad_(False)


def _swap_last_weight(model):
    model[4].weight = nn.Parameter(np.full((3, 6), 0.1, np.float32))


def _widen_a_bias_dtype(model):
    model[2].bias.data = model[2].bias.data.astype(np.float64)


def _swap_a_layer(model):
    model[3] = nn.Sigmoid()
    model[4] = nn.Linear(6, 3)


def _load_doubled_weights(model):
    model.load_state_dict({k: np.asarray(v) * 2 for k, v in model.state_dict().items()})


@pytest.mark.parametrize("change, retraces", [(_freeze_first_layer, True),
                                              (_swap_last_weight, True),
                                              (_widen_a_bias_dtype, True),
                                              (_swap_a_layer, True),
                                              (_load_doubled_weights, False)])
@pytest.mark.parametrize("n", [1, 6])
def test_changing_the_model_between_calls_replays_what_eager_does(change, retraces, n):
    # freezing a layer, assigning a new Parameter or a new dtype after the first call: the
    # trace read the old state, so the call traces again; new values alone just replay
    x, y = _data(n)
    runs = []
    for compiled in (False, True):
        model = _mlp()
        step = _ce_step(model)
        step = an.compile(step) if compiled else step
        step(an.tensor(x), y)
        change(model)
        model.zero_grad()
        loss = step(an.tensor(x), y)
        runs.append([loss.numpy()] + [p.grad for p in model.parameters()])
        if compiled:
            assert (step.traces, step.replays) == ((2, 0) if retraces else (1, 1))
    for eager, replayed in zip(*runs):
        assert (eager is None) == (replayed is None)
        if eager is not None:
            assert eager.dtype == replayed.dtype and np.array_equal(eager, replayed)


def test_forward_hooks_run_on_every_call_and_are_said_once():
    # a hook is Python (here it logs and changes the output): while one is registered the calls
    # run eagerly, with one RuntimeWarning; removed, the step replays again
    model = _mlp()
    x, y = _data(4)
    step = an.compile(_ce_step(model))
    step(an.tensor(x), y)
    seen = []

    def hook(module, inputs, out):
        seen.append(out.shape)
        return out * 0.5

    handle = model[2].register_forward_hook(hook)
    eager_model = _mlp()
    eager_model[2].register_forward_hook(lambda m, i, o: o * 0.5)
    with pytest.warns(RuntimeWarning, match="forward hooks") as caught:
        for _ in range(3):
            model.zero_grad()
            eager_model.zero_grad()
            got = step(an.tensor(x), y)
            want = _ce_step(eager_model)(an.tensor(x), y)
            assert got.item() == want.item()
            assert np.array_equal(model[0].weight.grad, eager_model[0].weight.grad)
    assert len(seen) == 3 and len(caught) == 1
    handle.remove()
    replays = step.replays
    step(an.tensor(x), y)
    step(an.tensor(x), y)
    assert len(seen) == 3 and step.replays == replays + 1  # traced again, then replayed


@pytest.mark.parametrize("n", [1, 5, 16])
def test_no_hook_warning_without_hooks(n):
    step = an.compile(_ce_step(_mlp(0.3)))
    x, y = _data(n)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            step(an.tensor(x), y)
    assert step.replays == 2


def test_keyword_arguments_trace_and_replay_as_eager():
    def f(x, y, scale=1.0, *, shift=0.0):
        loss = (F.cross_entropy(model(x), y) * scale + shift)
        loss.backward()
        return loss

    model = _mlp()
    step = an.compile(f)
    x, y = _data(4)
    t = an.tensor(x)
    calls = [((t, y), {}), ((t,), {"y": y}), ((), {"y": y, "x": t}), ((t, y), {"scale": 2.0}),
             ((t, y, 2.0), {"shift": 1.0}), ((t, y), {"shift": 1.0, "scale": 2.0}),
             ((t,), {"y": y})]
    for args, kwargs in calls:
        model.zero_grad()
        want = f(*args, **kwargs).item()
        grads = [p.grad.copy() for p in model.parameters()]
        model.zero_grad()
        assert step(*args, **kwargs).item() == want
        assert all(np.array_equal(p.grad, g) for p, g in zip(model.parameters(), grads))
    assert step.replays >= 1  # the repeated keyword call replayed
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        step(an.tensor(x), y, z=1)


@pytest.mark.parametrize("options", [{}, {"weight": np.array([1.0, 5.0, 10.0], np.float32)},
                                     {"label_smoothing": 0.1},
                                     {"weight": np.array([0.5, 2.0, 1.0], np.float32),
                                      "label_smoothing": 0.2, "ignore_index": 1}])
@pytest.mark.parametrize("n", [1, 6])
def test_cross_entropy_replays_its_mean_from_every_batchs_targets(options, n):
    # the mean divides by the kept examples' weight, which depends on the targets: traced on a
    # batch without ignored targets, replayed on batches with some, all or other classes
    def step(model):
        def f(x, y):
            loss = F.cross_entropy(model(x), y, **options)
            loss.backward()
            return loss
        return f

    x, _ = _data(n)
    ignore = options.get("ignore_index", -100)
    targets = [np.zeros(n, np.int64), np.full(n, 2), np.arange(n) % 3]
    targets += [np.where(np.arange(n) % 2 == 0, ignore, 2), np.full(n, ignore)]
    runs = []
    for compiled in (False, True):
        model = _mlp()
        f = an.compile(step(model)) if compiled else step(model)
        seen = []
        for y in targets:
            model.zero_grad()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # every target ignored: 0 / 0
                seen.append(f(an.tensor(x), y).numpy())
            seen += [p.grad.copy() for p in model.parameters()]
        runs.append(seen)
    _assert_same(runs[0][:1], runs[1][:1])
    for eager, replayed in zip(*runs):
        assert np.array_equal(eager, replayed, equal_nan=True)


def test_a_replayed_cross_entropy_still_checks_its_targets():
    step = an.compile(_ce_step(_mlp()))
    x, y = _data(4)
    step(an.tensor(x), y)
    for bad in (np.array([0, 1, -1, 2]), np.array([0, 3, 1, 2])):  # -1 would index from the end
        with pytest.raises(ValueError, match=r"target class index (-1|3) is out of range for 3"):
            step(an.tensor(x), bad)


def test_one_tensor_passed_twice_is_its_own_signature():
    # traced as one input (the same Tensor): calls with two distinct tensors trace again
    def f(a, b):
        loss = ((a - b) ** 2 * a).sum()
        loss.backward()
        return loss

    step = an.compile(f)
    x = an.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = an.tensor(np.array([3.0, 5.0]), requires_grad=True)
    for a, b in [(x, x), (x, x), (x, y), (y, x), (y, y), (x, y)]:
        x.grad = y.grad = None
        got = step(a, b).item()
        grads = (x.grad, y.grad)
        x.grad = y.grad = None
        assert got == f(a, b).item()
        for g, want in zip(grads, (x.grad, y.grad)):
            assert (g is None and want is None) or np.array_equal(g, want)
    assert step.traces == 2 and step.replays == 4


@pytest.mark.parametrize("extra", [
    lambda logits, y: (logits.data.argmax(1) == y).mean(),  # numpy on .data: frozen
    lambda logits, y: float(logits.data.sum()),
    lambda logits, y: {"acc": np.asarray(logits.data[:, 0])},
])
def test_check_finds_a_returned_value_computed_outside_the_ops(extra):
    model = _mlp()

    def f(x, y):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        return loss, extra(logits, y)

    step = an.compile(f, check=True)
    step(*_batch(5, 0))
    with pytest.raises(CompileError, match=r"the result\[1\].* differs between replay and eager"):
        step(*_batch(5, 1))


def _batch(n, seed):
    x, y = _data(n, seed)
    return an.tensor(x), y


@pytest.mark.parametrize("n", [1, 4, 9])
def test_check_passes_returned_tensors_and_constants(n):
    model = _mlp(0.2)

    def f(x, y):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        return {"loss": loss, "correct": (logits.argmax(axis=1) == an.tensor(y)).sum(),
                "name": "mlp", "classes": 3, "nothing": None}

    step = an.compile(f, check=True)
    for seed in range(5):
        out = step(*_batch(n, seed))
        assert out["name"] == "mlp" and out["classes"] == 3
    assert step.replays == 1  # 1 trace, 3 checked calls, then a plain replay


def test_a_live_graph_as_output_is_refused():
    model = _mlp()
    with pytest.raises(CompileError, match=r"graph is still alive"):
        an.compile(lambda x: model(x))(an.tensor(_data(3)[0]))


def test_an_grad_with_create_graph_inside_is_refused():
    w = an.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(CompileError, match=r"an.grad\(..., create_graph=True\) .* not supported"):
        an.compile(lambda x: an.grad((x * w).sum(), w, create_graph=True)[0])(
            an.tensor(np.ones(3)))


def test_eager_works_again_after_a_refused_trace():
    with pytest.raises(CompileError):
        an.compile(lambda x: x.sum().item())(an.tensor(np.ones(2)))
    x = an.tensor(np.ones(2), requires_grad=True)
    (x * 3).sum().backward()
    assert np.array_equal(x.grad, [3.0, 3.0]) and x.sum().item() == 2.0


def test_many_signatures_warn_once_the_cache_overflows():
    step = an.compile(lambda x: x * 2, cache_size=2)
    with an.no_grad():
        step(an.tensor(np.ones(1)))
        step(an.tensor(np.ones(2)))
        step(an.tensor(np.ones(1)))  # healthy: two shapes alternate, no warning
        with pytest.warns(RuntimeWarning, match=r"more than 2 input signatures"):
            step(an.tensor(np.ones(3)))


def test_long_traces_replay_through_the_loop_with_the_same_results(monkeypatch):
    import autonet.autograd.compile as compile_module

    monkeypatch.setattr(compile_module, "COMPILE_STEPS", 0)  # every trace counts as long
    batches = [_data(5, seed) for seed in range(3)]
    eager, _ = _train(_ce_step, _mlp(0.3), batches, compiled=False)
    compiled, step = _train(_ce_step, _mlp(0.3), batches, compiled=True)
    _assert_same(eager, compiled)
    checked, _ = _train(lambda m: an.compile(_ce_step(m), check=True), _mlp(0.3), batches,
                        compiled=False)
    _assert_same(eager, checked)


def test_a_scalar_chain_replays_exactly():
    def f(x, w):
        y = x
        for _ in range(30):
            y = (y * w).tanh() + 0.5
        y.backward()
        return y

    step = an.compile(f)
    for k in range(3):
        pairs = [[an.tensor(np.float64(v), requires_grad=True) for v in (0.1 * k, 1.3)]
                 for _ in range(2)]
        want, got = f(*pairs[0]), step(*pairs[1])
        assert np.array_equal(want.data, got.data) and got.shape == ()
        for a, b in zip(*pairs):
            assert np.array_equal(a.grad, b.grad) and type(a.grad) is type(b.grad)


def test_conv_pooling_and_channel_dropout_replay_exactly():
    def make():
        an.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Dropout2d(0.3),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 3))

    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((4, 1, 4, 4)).astype(np.float32), rng.integers(0, 3, 4))
               for _ in range(3)]
    eager, _ = _train(_ce_step, make(), batches, compiled=False)
    compiled, step = _train(_ce_step, make(), batches, compiled=True)
    _assert_same(eager, compiled)
    assert step.traces == 1


def _ce_replays(fuse: bool, monkeypatch, dtype, batches):
    """Losses and logits' gradients of a compiled CE-mean step (traced on batches[0]) over
    every batch, with the cross-entropy rewrite on or off."""
    import autonet.autograd.rewrites as rewrites

    monkeypatch.setattr(rewrites, "FUSE", fuse)

    def f(z, t):
        loss = F.cross_entropy(z, t)
        loss.backward()
        return loss

    step = an.compile(f)
    seen = []
    for z, t in batches:
        leaf = an.tensor(z.astype(dtype), requires_grad=True)
        loss = step(leaf, t)
        seen += [np.array(loss.data), leaf.grad]
    return seen, step


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_mean_replays_as_one_fused_step_exactly(monkeypatch, dtype):
    rng = np.random.default_rng(3)
    batches = [(rng.standard_normal((n, 4)) * scale, rng.integers(0, 4, n))
               for n, scale in [(6, 1.0), (6, 30.0), (6, 1e4), (6, 1e-3)]]
    batches[2][0][0] = 1e4  # a row of ties at a huge value
    batches[0][0][:2] = [[-0.0, 0.0, -0.0, 0.0], [0.0, -0.0, -0.0, -0.0]]  # max ties of signed 0
    fused_run, step = _ce_replays(True, monkeypatch, dtype, batches)
    assert "_fused(" in step.replay_code and "softmax_cross_entropy" not in step.replay_code
    plain_run, plain = _ce_replays(False, monkeypatch, dtype, batches)
    assert "_fused(" not in plain.replay_code
    _assert_same(plain_run, fused_run)
    eager = []
    for z, t in batches:
        leaf = an.tensor(z.astype(dtype), requires_grad=True)
        loss = F.cross_entropy(leaf, t)
        loss.backward()
        eager += [np.array(loss.data), leaf.grad]
    _assert_same(eager, fused_run)


def test_cross_entropy_mean_rewrite_falls_back_for_ignored_targets(monkeypatch):
    # traced with every target kept; a later batch ignores some: the replay repeats the traced
    # ops (the rule's weighted form) whether fused or not
    rng = np.random.default_rng(4)
    batches = [(rng.standard_normal((5, 3)), rng.integers(0, 3, 5)) for _ in range(3)]
    batches[1][1][[0, 3]] = -100
    fused_run, _ = _ce_replays(True, monkeypatch, np.float32, batches)
    plain_run, _ = _ce_replays(False, monkeypatch, np.float32, batches)
    _assert_same(plain_run, fused_run)
    assert np.all(fused_run[3][[0, 3]] == 0)


def test_cross_entropy_kept_per_example_is_not_fused():
    def f(z, t):
        per = F.cross_entropy(z, t, reduction="none")
        loss = per.mean()
        loss.backward()
        return loss, per.detach()

    rng = np.random.default_rng(5)
    z, t = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    step = an.compile(f)
    for _ in range(2):
        leaf = an.tensor(z, requires_grad=True)
        loss, per = step(leaf, t)
    assert "_fused(" not in step.replay_code
    want = an.tensor(z, requires_grad=True)
    F.cross_entropy(want, t).backward()
    assert np.array_equal(leaf.grad, want.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_backward_rewrite_is_bit_exact_on_zeros_infs_and_nans(monkeypatch, dtype):
    import autonet.autograd.rewrites as rewrites

    x = np.array([[-1.0, 0.0, -0.0, 2.0, np.nan, np.inf, -np.inf, 3.0]], dtype)
    c = np.array([[np.inf, -3.0, np.nan, 1.0, 2.0, -np.inf, 5.0, -2.0]], dtype)

    def f(x, c):
        loss = (F.relu(x) * c).sum()
        loss.backward()
        return loss

    grads = {}
    rewrite = rewrites._relu_grad
    calls: list = []
    monkeypatch.setattr(rewrites, "_relu_grad", lambda *args: calls.append(1) or rewrite(*args))
    for fuse in (False, True):
        monkeypatch.setattr(rewrites, "FUSE", fuse)
        calls.clear()
        step = an.compile(f)
        for _ in range(2):
            leaf = an.tensor(x, requires_grad=True)
            step(leaf, an.tensor(c))
        assert bool(calls) == fuse  # the replay ran the rewrite exactly when FUSE is on
        grads[fuse] = leaf.grad
    eager = an.tensor(x, requires_grad=True)
    f(eager, an.tensor(c))
    for g in grads.values():
        assert g.dtype == eager.grad.dtype
        assert np.array_equal(g.view(np.uint8), eager.grad.view(np.uint8))  # bit for bit


def _relu_net(seed: int) -> tuple[nn.Linear, nn.Linear]:
    """Two layers whose first gives exact zeros (a zero row of W with a zero bias entry)."""
    an.manual_seed(seed)
    first, second = nn.Linear(4, 6), nn.Linear(6, 3)
    first.weight.data[1] = 0
    first.bias.data[1] = 0
    return first, second


def _relu_plain(first, second, x):
    loss = second(F.relu(first(x))).sum()
    loss.backward()
    return (loss,)


def _relu_input_read_again(first, second, x):
    z = first(x)
    loss = (second(F.relu(z)) + z[:, :3]).sum()
    loss.backward()
    return (loss,)


def _relu_output_returned(first, second, x):
    a = F.relu(first(x))
    loss = second(a).sum()
    loss.backward()
    return loss, a


def _relu_output_read_after_backward(first, second, x):
    a = F.relu(first(x))
    loss = second(a).sum()
    loss.backward()
    return loss, (a * 2).detach()


@pytest.mark.parametrize("fn, forward_in_place, rule_in_place", [
    (_relu_plain, True, True),
    (_relu_input_read_again, False, False),
    (_relu_output_returned, True, False),
    (_relu_output_read_after_backward, True, False),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_after_linear_is_written_in_place_only_when_nothing_else_reads_it(
        fn, forward_in_place, rule_in_place, dtype):
    """The replay writes relu(Z) over Z, and its rule's mask over Z, only when no other step
    reads Z or A at that point; every case equals eager bit for bit, zeros and NaNs included."""
    import autonet.autograd.replay as replay
    import autonet.autograd.rewrites as rewrites

    rng = np.random.default_rng(8)
    nets = [_relu_net(3), _relu_net(3)]
    for net in nets:
        for p in (*net[0].parameters(), *net[1].parameters()):
            p.data = p.data.astype(dtype)
    step = an.compile(lambda x: fn(*nets[0], x))
    for n in (1, 5, 5, 2):
        x = rng.standard_normal((n, 4)).astype(dtype)
        x[0, 0] = np.nan if n == 2 else x[0, 0]
        got = step(an.tensor(x))
        want = fn(*nets[1], an.tensor(x))
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and np.array_equal(g.data, w.data, equal_nan=True)
        for p, q in zip((*nets[0][0].parameters(), *nets[0][1].parameters()),
                        (*nets[1][0].parameters(), *nets[1][1].parameters())):
            assert np.array_equal(p.grad, q.grad, equal_nan=True)
            p.grad = q.grad = None
    assert step.replays == 1  # n = 1, 5, then 5 again (a replay), then 2: a new signature
    code, bound = replay.replay_code(step.trace)
    assert (", 0, out=" in code) == forward_in_place
    assert any(v is rewrites._relu_grad_into for v in bound.values()) == rule_in_place


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_fused_cross_entropy_mean_equals_eager_over_many_batches(dtype):
    # the fused step shifts the softmax by the argmax's logit and reuses the forward's
    # exponentials: equal to eager on every batch, in every float dtype
    rng = np.random.default_rng(6)

    def f(z, t):
        loss = F.cross_entropy(z, t)
        loss.backward()
        return loss

    for n in (1, 3, 7, 100):
        step = an.compile(f)
        for _ in range(12):
            z = (rng.standard_normal((n, 5)) * rng.uniform(0.1, 20)).astype(dtype)
            t = rng.integers(0, 5, n)
            got, want = an.tensor(z, requires_grad=True), an.tensor(z, requires_grad=True)
            loss = step(got, t)
            eager = f(want, t)
            assert loss.dtype == eager.dtype and np.array_equal(loss.data, eager.data)
            assert np.array_equal(got.grad, want.grad)
        assert "_fused(" in step.replay_code


@pytest.mark.parametrize("source", [lambda x, a: x * 2, lambda x, a: a])
def test_an_tensor_of_a_traced_value_follows_each_call(source):
    """an.tensor(t) copies t's values: the replay reads that call's values (it kept the first
    call's before), for a traced Tensor and for an array argument."""
    def f(x, a):
        return an.tensor(source(x, a)) + 1

    step = an.compile(f)
    for k in range(4):
        x, a = an.tensor(np.full(3, float(k))), np.arange(3.0) * k
        assert np.array_equal(step(x, a).data, f(x, a).data)
    assert step.replays == 3


def test_an_tensor_that_changes_dtype_of_a_traced_value_is_refused():
    with pytest.raises(CompileError, match=r"tensor\(...\) .* dtype float64 into shape \(3,\) "
                                           r"and dtype float32.*astype"):
        an.compile(lambda x: an.tensor(x, dtype="float32") + 1)(an.tensor(np.ones(3)))
