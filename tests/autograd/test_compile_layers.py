"""an.compile on every layer family and loss: a few Adam steps (batch sizes 6, 6, 4, 6: the 4
is a second trace) compiled equal the eager steps bit for bit, losses, parameters and buffers
(BatchNorm's running statistics) included, and so does an evaluation in eval mode after."""

import numpy as np
import pytest

import autonet as an
import autonet.autograd.compile as compile_module
from autonet import nn
from autonet.autograd.compile import CompileError

F = nn.functional


class _Sequence(nn.Module):
    """Embedding -> a recurrent layer -> the last step's features -> Linear."""

    def __init__(self, rnn, features):
        super().__init__()
        self.emb, self.rnn, self.head = nn.Embedding(7, 4), rnn, nn.Linear(features, 3)

    def forward(self, x):
        out = self.rnn(self.emb(x))
        out = out[0] if isinstance(out, tuple) else out
        return self.head(out[:, -1])


class _Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.att, self.head = nn.MultiheadAttention(4, 2, dropout=0.2), nn.Linear(4, 3)

    def forward(self, x):
        out = self.att(x, x, x)
        out = out[0] if isinstance(out, tuple) else out
        return self.head(out.mean(axis=1))


def _floats(*shape):
    return lambda rng, n: rng.standard_normal((n, *shape)).astype(np.float32)


def _tokens(rng, n):
    return rng.integers(0, 7, (n, 4))


def _classes(rng, n):
    return rng.integers(0, 3, n)


def _targets(rng, n):
    return rng.uniform(0, 1, (n, 3)).astype(np.float32)


CE = F.cross_entropy
CASES = {
    "activations": (lambda: nn.Sequential(
        nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 8), nn.SiLU(), nn.Linear(8, 8), nn.ELU(),
        nn.Linear(8, 8), nn.LeakyReLU(0.1), nn.Linear(8, 8), nn.Softplus(), nn.Linear(8, 8),
        nn.Sigmoid(), nn.Dropout(0.3), nn.Linear(8, 3)), _floats(5), _classes, CE),
    "norms": (lambda: nn.Sequential(
        nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 8), nn.LayerNorm(8),
        nn.Tanh(), nn.Linear(8, 3)), _floats(5), _classes, CE),
    "conv1d": (lambda: nn.Sequential(
        nn.Conv1d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2), nn.AvgPool1d(2),
        nn.Flatten(), nn.Linear(6, 3)), _floats(2, 8), _classes, CE),
    "conv2d": (lambda: nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.GroupNorm(2, 4), nn.ReLU(),
        nn.Dropout2d(0.2), nn.AvgPool2d(2), nn.ConvTranspose2d(4, 2, 2, stride=2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3)), _floats(1, 6, 6), _classes,
        CE),
    "lstm": (lambda: _Sequence(nn.LSTM(4, 5, batch_first=True), 5), _tokens, _classes, CE),
    "gru": (lambda: _Sequence(nn.GRU(4, 5, batch_first=True, bidirectional=True), 10),
            _tokens, _classes, CE),
    "rnn": (lambda: _Sequence(nn.RNN(4, 5, num_layers=2, batch_first=True), 5), _tokens,
            _classes, CE),
    "attention": (_Attention, _floats(3, 4), _classes, CE),
    "transformer": (lambda: nn.Sequential(
        nn.TransformerEncoderLayer(4, 2, 8, dropout=0.1, batch_first=True), nn.Flatten(),
        nn.Linear(12, 3)), _floats(3, 4), _classes, CE),
    "mse": (lambda: nn.Sequential(nn.Linear(5, 3)), _floats(5), _targets, nn.MSELoss()),
    "l1": (lambda: nn.Sequential(nn.Linear(5, 3)), _floats(5), _targets, nn.L1Loss()),
    "huber": (lambda: nn.Sequential(nn.Linear(5, 3)), _floats(5), _targets,
              nn.HuberLoss(delta=0.3)),
    "bce_logits": (lambda: nn.Sequential(nn.Linear(5, 3)), _floats(5), _targets,
                   nn.BCEWithLogitsLoss()),
    "bce": (lambda: nn.Sequential(nn.Linear(5, 3), nn.Sigmoid()), _floats(5), _targets,
            nn.BCELoss()),
    "nll": (lambda: nn.Sequential(nn.Linear(5, 3), nn.LogSoftmax(axis=1)), _floats(5),
            _classes, nn.NLLLoss()),
}


def _run(case, compiled, check=False):
    make, inputs, targets, loss_fn = CASES[case]
    rng = np.random.default_rng(5)
    batches = [(inputs(rng, n), targets(rng, n)) for n in (6, 6, 4, 6)]
    an.manual_seed(0)
    model = make()
    opt = an.optim.Adam(model.parameters(), lr=0.01)

    def step(x, t):
        loss = loss_fn(model(x), t)
        loss.backward()
        return loss

    run = an.compile(step, check=check) if compiled else step
    an.manual_seed(3)
    seen = []
    for x, t in batches:
        opt.zero_grad()
        loss = run(an.tensor(x), an.tensor(t))
        opt.step()
        seen += [np.array(loss.data)] + [np.array(v, copy=True)
                                         for v in model.state_dict().values()]
    model.eval()
    evaluate = an.compile(lambda x: model(x)) if compiled else model
    with an.no_grad():
        for x, _ in batches[:2]:
            seen.append(evaluate(an.tensor(x)).data.copy())
    return seen, run


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_training_equals_eager_for_each_layer(case):
    eager, _ = _run(case, compiled=False)
    compiled, step = _run(case, compiled=True)
    assert len(eager) == len(compiled)
    for a, b in zip(eager, compiled):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    assert (step.traces, step.replays) == (2, 2)


@pytest.mark.parametrize("case", ["lstm", "norms", "conv2d"])
def test_long_trace_loop_and_check_mode_agree(case, monkeypatch):
    eager, _ = _run(case, compiled=False)
    checked, _ = _run(case, compiled=True, check=True)
    monkeypatch.setattr(compile_module, "COMPILE_STEPS", 0)  # every trace replays as a loop
    looped, _ = _run(case, compiled=True)
    for a, b, c in zip(eager, checked, looped):
        assert np.array_equal(a, b) and np.array_equal(a, c)


def test_nll_loss_with_ignored_targets_is_refused_not_frozen():
    an.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 3), nn.LogSoftmax(axis=1))

    def step(x, t):
        loss = F.nll_loss(model(x), t)
        loss.backward()
        return loss

    x = an.tensor(_floats(5)(np.random.default_rng(0), 4))
    run = an.compile(step)
    run(x, an.tensor(np.array([0, 1, 2, 1])))
    with pytest.raises(CompileError, match=r"traced on targets without ignore_index=-100"):
        run(x, an.tensor(np.array([0, -100, 2, 1])))  # the replay would pick column -100
    with pytest.raises(CompileError, match=r"nll_loss: targets equal to ignore_index"):
        an.compile(step)(x, an.tensor(np.array([0, -100, 2, 1])))


def test_an_index_tensor_is_read_on_every_replay():
    w = an.tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)

    def pick(i):
        out = w[i].sum()
        out.backward()
        return out

    step = an.compile(pick)
    for k in range(3):
        i = np.array([k, 5 - k, k])
        w.grad = None
        got = step(an.tensor(i))
        assert got.item() == w.data[i].sum()
        want = np.zeros((6, 2))
        np.add.at(want, i, 1.0)
        assert np.array_equal(w.grad, want)
    assert step.replays == 2


def test_a_view_of_traced_data_as_an_index_is_refused():
    w = an.tensor(np.arange(12.0).reshape(6, 2))
    with pytest.raises(CompileError, match=r"'getitem' takes its index from a view"):
        an.compile(lambda i: an.index(w, i.data[::-1]))(an.tensor(np.array([0, 1])))


def test_batchnorm_cumulative_average_is_refused():
    norm = nn.BatchNorm1d(3, momentum=None)
    with pytest.raises(CompileError, match=r"momentum=None .* cannot be compiled"):
        an.compile(lambda x: norm(x).sum())(an.tensor(np.ones((4, 3), np.float32)))


def test_comparisons_sign_and_argmax_are_recomputed_on_every_replay():
    def f(x):
        mask = x > 0.1
        out = (an.where(mask, x, x * 0.5) * an.sign(x)).sum() + x[an.argmax(x)] * 0
        out.backward()
        return out, mask, an.argmax(x)

    step = an.compile(f)
    rng = np.random.default_rng(0)
    for _ in range(4):
        data = rng.standard_normal(6)
        pairs = [an.tensor(data, requires_grad=True) for _ in range(2)]
        want, got = f(pairs[0]), step(pairs[1])
        for a, b in zip(want, got):
            assert np.array_equal(a.data, b.data)
        assert np.array_equal(pairs[0].grad, pairs[1].grad)
    assert step.replays == 3


def test_replayed_effects_run_on_each_replays_arrays():
    from autonet.autograd.trace import replayed
    from autonet.ops.primitive import as_array

    total = an.tensor(np.zeros(3))

    def accumulate(target, value):
        as_array(target)[...] += value  # a Tensor now, its array in the replays

    def f(x):
        y = x * 2
        replayed(accumulate, total, y.data)
        return y

    step = an.compile(f)
    with an.no_grad():
        for k in range(3):
            step(an.tensor(np.full(3, float(k + 1))))
    assert np.array_equal(total.data, np.full(3, 2.0 + 4.0 + 6.0))
