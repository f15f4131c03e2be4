"""RNN, LSTM, GRU and their cells: against plain loops written here (per example, per time step,
numpy), gradcheck in float64 on drawn configurations, PyTorch when installed, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autonet as an
from autonet import nn
from autonet.nn.utils import functional_call

MODES = ["RNN", "RNN_relu", "LSTM", "GRU"]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _layer(mode: str, *args, **kwargs) -> nn.Module:
    if mode == "RNN_relu":
        return nn.RNN(*args, nonlinearity="relu", **kwargs)
    return getattr(nn, mode)(*args, **kwargs)


# ---- the reference: one example, one time step at a time ---------------------------------------
def step(mode: str, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One time step of one example: x (H_in,), h and c (H,) -> (h', c')."""
    hidden = h.shape[0]
    a = w_ih @ x + b_ih
    b = w_hh @ h + b_hh
    if mode in ("RNN", "RNN_relu"):
        z = a + b
        return (np.tanh(z) if mode == "RNN" else np.maximum(z, 0)), c
    if mode == "LSTM":
        z = a + b
        i, f = _sigmoid(z[:hidden]), _sigmoid(z[hidden:2 * hidden])
        g, o = np.tanh(z[2 * hidden:3 * hidden]), _sigmoid(z[3 * hidden:])
        c = f * c + i * g
        return o * np.tanh(c), c
    r = _sigmoid(a[:hidden] + b[:hidden])
    z = _sigmoid(a[hidden:2 * hidden] + b[hidden:2 * hidden])
    n = np.tanh(a[2 * hidden:] + r * b[2 * hidden:])
    return (1 - z) * n + z * h, c


def reference(mode: str, params: dict, x, h0, c0, num_layers: int, directions: int):
    """The whole layer by loops: x (L, N, H_in), h0/c0 (D layers, N, H) -> (out, h_n, c_n)."""
    steps, batch, _ = x.shape
    hidden = h0.shape[-1]
    h_n, c_n = np.zeros_like(h0), np.zeros_like(c0)
    inp = x
    for layer in range(num_layers):
        out = np.zeros((steps, batch, directions * hidden))
        for d in range(directions):
            k = layer * directions + d
            suffix = f"l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = params[f"weight_ih_{suffix}"], params[f"weight_hh_{suffix}"]
            b_ih = params.get(f"bias_ih_{suffix}", np.zeros(w_ih.shape[0]))
            b_hh = params.get(f"bias_hh_{suffix}", np.zeros(w_ih.shape[0]))
            for n in range(batch):
                h, c = h0[k, n], c0[k, n]
                for t in (range(steps - 1, -1, -1) if d else range(steps)):
                    h, c = step(mode, inp[t, n], h, c, w_ih, w_hh, b_ih, b_hh)
                    out[t, n, d * hidden:(d + 1) * hidden] = h
                h_n[k, n], c_n[k, n] = h, c
        inp = out
    return inp, h_n, c_n


configs = st.fixed_dictionaries({
    "mode": st.sampled_from(MODES), "steps": st.integers(1, 4), "batch": st.integers(1, 3),
    "n_in": st.integers(1, 3), "hidden": st.integers(1, 3), "num_layers": st.integers(1, 2),
    "bidirectional": st.booleans(), "batch_first": st.booleans(), "bias": st.booleans(),
    "initial": st.booleans(), "seed": st.integers(0, 2**16)})


def _build(cfg: dict):
    an.manual_seed(cfg["seed"])
    layer = _layer(cfg["mode"], cfg["n_in"], cfg["hidden"], num_layers=cfg["num_layers"],
                   bias=cfg["bias"], batch_first=cfg["batch_first"],
                   bidirectional=cfg["bidirectional"], dtype=np.float64)
    rng = np.random.default_rng(cfg["seed"])
    d = 2 if cfg["bidirectional"] else 1
    x = rng.uniform(-1, 1, (cfg["steps"], cfg["batch"], cfg["n_in"]))
    state = (d * cfg["num_layers"], cfg["batch"], cfg["hidden"])
    h0 = rng.uniform(-1, 1, state) if cfg["initial"] else np.zeros(state)
    c0 = rng.uniform(-1, 1, state) if cfg["initial"] else np.zeros(state)
    return layer, x, h0, c0, d


def _hx(cfg: dict, h0, c0):
    if not cfg["initial"]:
        return None
    return (h0, c0) if cfg["mode"] == "LSTM" else h0


@settings(max_examples=25)
@given(cfg=configs)
def test_layers_match_a_plain_loop(cfg) -> None:
    layer, x, h0, c0, d = _build(cfg)
    params = {k: v.data for k, v in layer.named_parameters()}
    want_out, want_h, want_c = reference(cfg["mode"], params, x, h0, c0, cfg["num_layers"], d)
    fed = x.transpose(1, 0, 2) if cfg["batch_first"] else x
    out, state = layer(an.tensor(fed), _hx(cfg, h0, c0))
    got = out.data.transpose(1, 0, 2) if cfg["batch_first"] else out.data
    np.testing.assert_allclose(got, want_out, rtol=1e-10, atol=1e-12)
    h_n = state[0] if cfg["mode"] == "LSTM" else state
    np.testing.assert_allclose(h_n.data, want_h, rtol=1e-10, atol=1e-12)
    if cfg["mode"] == "LSTM":
        np.testing.assert_allclose(state[1].data, want_c, rtol=1e-10, atol=1e-12)
    # unbatched: the first example alone, without its batch axis
    if not cfg["batch_first"]:
        hx = _hx(cfg, h0[:, 0], c0[:, 0])
        out1, _ = layer(an.tensor(x[:, 0]), hx)
        np.testing.assert_allclose(out1.data, want_out[:, 0], rtol=1e-10, atol=1e-12)


@settings(max_examples=12)
@given(cfg=configs)
def test_layer_gradients_match_central_differences(cfg) -> None:
    layer, x, h0, c0, _ = _build(cfg)
    if cfg["mode"] == "RNN_relu":  # keep pre-activations away from relu's kink at 0
        x = x + np.sign(x) * 0.5
    # contiguous: gradcheck perturbs inputs through x.data.reshape(-1), a copy for a transpose
    fed = np.ascontiguousarray(x.transpose(1, 0, 2)) if cfg["batch_first"] else x
    names = [n for n, _ in layer.named_parameters()]
    lstm = cfg["mode"] == "LSTM"
    weight = np.random.default_rng(1).uniform(-1, 1, (2,))

    def fn(x, h0, c0, *params):
        hx = ((h0, c0) if lstm else h0) if cfg["initial"] else None
        out, state = functional_call(layer, dict(zip(names, params)), x, hx)
        h_n = state[0] if lstm else state
        total = (out * out).sum() * weight[0] + h_n.sum() * weight[1]
        return total + state[1].sum() if lstm else total

    tensors = [an.tensor(a, requires_grad=True) for a in (fed, h0, c0)]
    tensors += [an.tensor(p.data.copy(), requires_grad=True) for p in layer.parameters()]
    assert an.gradcheck(fn, tensors)


CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
         ("GRUCell", {})]


@settings(max_examples=12)
@given(which=st.sampled_from(CELLS), batch=st.integers(1, 3), n_in=st.integers(1, 3),
       hidden=st.integers(1, 3), bias=st.booleans(), initial=st.booleans(),
       unbatched=st.booleans(), seed=st.integers(0, 2**16))
def test_cells_match_one_step_of_the_loop_and_gradcheck(which, batch, n_in, hidden, bias,
                                                        initial, unbatched, seed) -> None:
    name, kwargs = which
    an.manual_seed(seed)
    cell = getattr(nn, name)(n_in, hidden, bias=bias, dtype=np.float64, **kwargs)
    mode = {"RNNCell": "RNN_relu" if kwargs else "RNN", "LSTMCell": "LSTM",
            "GRUCell": "GRU"}[name]
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (batch, n_in)) + 0.3
    h = rng.uniform(-1, 1, (batch, hidden)) if initial else np.zeros((batch, hidden))
    c = rng.uniform(-1, 1, (batch, hidden)) if initial else np.zeros((batch, hidden))
    p = {k: v.data for k, v in cell.named_parameters()}
    zeros = np.zeros(cell.weight_ih.shape[0])
    want = [step(mode, x[n], h[n], c[n], p["weight_ih"], p["weight_hh"],
                 p.get("bias_ih", zeros), p.get("bias_hh", zeros)) for n in range(batch)]
    if unbatched:
        x, h, c, want = x[0], h[0], c[0], want[:1]
    hx = ((h, c) if name == "LSTMCell" else h) if initial else None
    got = cell(an.tensor(x), hx)
    got_h = got[0] if name == "LSTMCell" else got
    np.testing.assert_allclose(got_h.data.reshape(-1, hidden), [w[0] for w in want], rtol=1e-10)
    if name == "LSTMCell":
        np.testing.assert_allclose(got[1].data.reshape(-1, hidden), [w[1] for w in want],
                                   rtol=1e-10, atol=1e-12)
    names = [n for n, _ in cell.named_parameters()]

    def fn(x, h, c, *params):
        hx = ((h, c) if name == "LSTMCell" else h) if initial else None
        out = functional_call(cell, dict(zip(names, params)), x, hx)
        return (out[0] * out[1]).sum() + out[0].sum() if name == "LSTMCell" else out

    tensors = [an.tensor(a, requires_grad=True) for a in (x, h, c)]
    tensors += [an.tensor(q.data.copy(), requires_grad=True) for q in cell.parameters()]
    assert an.gradcheck(fn, tensors)


def test_parameter_names_shapes_and_init_follow_pytorch() -> None:
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    shapes = {k: v.shape for k, v in lstm.named_parameters()}
    assert list(shapes)[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                "weight_ih_l0_reverse"]
    assert shapes["weight_ih_l0"] == (80, 10) and shapes["weight_hh_l0"] == (80, 20)
    assert shapes["weight_ih_l1"] == (80, 40) and shapes["bias_hh_l1_reverse"] == (80,)
    assert len(shapes) == 16
    assert {k: v.shape for k, v in nn.GRU(3, 5, bias=False).named_parameters()} == {
        "weight_ih_l0": (15, 3), "weight_hh_l0": (15, 5)}
    bound = 1 / np.sqrt(20)
    values = np.concatenate([p.data.ravel() for p in lstm.parameters()])
    assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    assert repr(nn.RNN(3, 4, 2, nonlinearity="relu", batch_first=True)) == \
        "RNN(3, 4, num_layers=2, nonlinearity='relu', batch_first=True)"


def test_dropout_between_layers_only_in_training() -> None:
    layer = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = an.randn(5, 2, 3)
    layer.eval()
    a, _ = layer(x)
    b, _ = layer(x)
    np.testing.assert_array_equal(a.data, b.data)
    layer.train()
    c, _ = layer(x)
    assert not np.allclose(a.data, c.data)
    one = nn.LSTM(3, 4, dropout=0.5)  # one layer: nothing between layers, nothing dropped
    np.testing.assert_array_equal(one(x)[0].data, one.eval()(x)[0].data)


def test_higher_order_gradients_equal_the_first_order_ones() -> None:
    """The rules under create_graph (written with xp) give the same first derivatives."""
    for layer in (nn.LSTM(2, 3, dtype=np.float64), nn.GRU(2, 3, dtype=np.float64)):
        x = an.tensor(np.random.default_rng(0).uniform(-1, 1, (4, 2, 2)), requires_grad=True)
        params = list(layer.parameters())
        fast = an.grad((layer(x)[0] ** 2).sum(), [x, *params])
        slow = an.grad((layer(x)[0] ** 2).sum(), [x, *params], create_graph=True)
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a, b.data, rtol=1e-12, atol=1e-14)


def test_float32_stays_float32_and_long_sequences_run() -> None:
    layer = nn.GRU(3, 4)
    out, h = layer(an.randn(30, 2, 3))  # long enough to slice through chunks of steps
    assert out.dtype == np.float32 and h.dtype == np.float32
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


# ---- bad input -----------------------------------------------------------------------------------
def test_wrong_feature_count_names_the_layer_shapes_and_layout() -> None:
    with pytest.raises(ValueError) as info:
        nn.LSTM(10, 20)(an.randn(5, 3, 7))
    assert str(info.value).startswith(
        "LSTM(10, 20): input has 7 features in its last dimension, expected 10; input shape "
        "(5, 3, 7) is (L, N, H_in) (batch_first=False)")
    with pytest.raises(ValueError, match=r"\(N, L, H_in\) \(batch_first=True\)"):
        nn.GRU(10, 20, batch_first=True)(an.randn(3, 5, 7))


def test_wrong_rank_and_wrong_initial_state_say_what_is_expected() -> None:
    with pytest.raises(ValueError, match=r"RNN\(4, 8\): expected a 3-D input \(L, N, H_in\).*"
                                         r"got shape \(2, 3, 4, 5\)"):
        nn.RNN(4, 8)(an.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"LSTM\(4, 8\): h_0 has shape \(1, 3, 8\), expected "
                                         r"\(4, 3, 8\) = \(num_layers \* num_directions, N, "
                                         r"hidden_size\)"):
        nn.LSTM(4, 8, num_layers=2, bidirectional=True)(
            an.randn(5, 3, 4), (an.zeros(1, 3, 8), an.zeros(4, 3, 8)))
    with pytest.raises(ValueError, match=r"c_0 has shape \(1, 8\)"):
        nn.LSTM(4, 8)(an.randn(5, 3, 4), (an.zeros(1, 3, 8), an.zeros(1, 8)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h_0, c_0\)"):
        nn.LSTM(4, 8)(an.randn(5, 3, 4), an.zeros(1, 3, 8))
    with pytest.raises(ValueError, match=r"GRUCell\(4, 8\): expected an input of shape \(N, 4\)"):
        nn.GRUCell(4, 8)(an.randn(3, 5))
    with pytest.raises(ValueError, match=r"LSTMCell\(4, 8\): h has shape \(3, 7\), expected "
                                         r"\(3, 8\)"):
        nn.LSTMCell(4, 8)(an.randn(3, 4), (an.zeros(3, 7), an.zeros(3, 8)))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(4, 8, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout must be a probability"):
        nn.GRU(4, 8, dropout=1.5)


# ---- PyTorch -------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_a_pytorch_state_dict_gives_pytorch_outputs_and_gradients(mode) -> None:
    torch = pytest.importorskip("torch")
    kwargs = {"nonlinearity": "relu"} if mode == "RNN_relu" else {}
    cls = mode.split("_")[0]
    options = dict(num_layers=2, bidirectional=True, batch_first=True)
    theirs = getattr(torch.nn, cls)(3, 4, dtype=torch.float64, **kwargs, **options)
    ours = _layer(mode, 3, 4, dtype=np.float64, **options)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    x, h0, c0 = rng.standard_normal((2, 6, 3)), rng.standard_normal((4, 2, 4)), \
        rng.standard_normal((4, 2, 4))
    hx = (h0, c0) if cls == "LSTM" else h0
    t_hx = tuple(map(torch.tensor, hx)) if cls == "LSTM" else torch.tensor(hx)
    out, _ = ours(an.tensor(x), hx)
    t_out, _ = theirs(torch.tensor(x), t_hx)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out ** 2).sum().backward()
    (t_out ** 2).sum().backward()
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, getattr(theirs, name).grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_pytorch_cells_agree(name) -> None:
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 4, dtype=torch.float64)
    ours = getattr(nn, name)(3, 4, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3))
    got, want = ours(an.tensor(x)), theirs(torch.tensor(x))
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_summary_shows_recurrent_shapes_and_parameter_counts() -> None:
    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
            self.head = nn.Linear(16, 3)

        def forward(self, x):
            return self.head(self.lstm(x)[0])

    model = Tagger()
    text = nn.summary(model, (5, 8), batch_size=2, print_fn=None)
    lstm_line = next(line for line in text.splitlines() if "LSTM(8, 16" in line)
    per_layer = [4 * 16 * (8 + 16) + 8 * 16, 4 * 16 * (16 + 16) + 8 * 16]
    assert f"{sum(per_layer):,}" in lstm_line
    assert "output (m, 5, 16), h_n (2, m, 16), c_n (2, m, 16)" in lstm_line
    assert "weight_ih_l0 (64, 8)" in lstm_line and "+ 4 more" in lstm_line
    gru = nn.summary(nn.GRU(3, 4, bidirectional=True, batch_first=True), (7, 3), print_fn=None)
    assert "output (m, 7, 8), h_n (2, m, 4)" in gru and f"{2 * (12 * 3 + 12 * 4 + 24)}" in gru


@pytest.mark.parametrize("mode", MODES)
def test_a_compiled_step_through_a_recurrent_layer_replays_the_same_gradients(mode) -> None:
    # the layer's drawing-only scopes (input projection, time steps) are not Modules
    an.manual_seed(0)
    layer = _layer(mode, 2, 3, bidirectional=True)
    x = an.randn(4, 2, 2)

    def step(x):
        out, _ = layer(x)
        loss = (out * out).sum()
        loss.backward()
        return loss

    compiled = an.compile(step)
    grads = []
    for run in (step, compiled, compiled):
        layer.zero_grad()
        run(x)
        grads.append([p.grad.copy() for p in layer.parameters()])
    for replayed in grads[1:]:
        for a, b in zip(grads[0], replayed):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("layer", [nn.RNN, nn.LSTM, nn.GRU])
def test_dropout_with_one_layer_says_it_never_applies(layer):
    with pytest.warns(UserWarning, match=r"dropout=0.3 acts between stacked layers.*num_layers=1"):
        layer(3, 4, dropout=0.3)


@pytest.mark.parametrize("layer", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("num_layers, dropout", [(1, 0.0), (2, 0.3), (3, 0.5), (2, 0.0)])
def test_no_dropout_warning_where_dropout_applies_or_is_off(layer, num_layers, dropout):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = layer(3, 4, num_layers=num_layers, dropout=dropout)
        module(an.tensor(np.ones((2, 5, 3), np.float32)))
