"""The VANISHING outline: on genuinely shrinking gradients only, whatever the batch size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import autonet as an
from autonet.data import flower
from autonet.viz import health
from autonet.viz.flow import compute_flow
from autonet.viz.walk import walk_graph
from tests.viz import dot


def _net(sizes, activation, seed, shift=0.0):
    an.manual_seed(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [an.nn.Linear(n_in, n_out), activation()]
    model = an.nn.Sequential(*layers[:-1])
    with an.no_grad():
        for layer in layers[::2]:
            layer.bias.data += shift
    return model


def _verdicts(loss):
    walk = walk_graph(loss)
    verdicts = health.judge(walk, compute_flow(walk), vanish=1e-3, explode=1e3)
    return {i: v for i, v in verdicts.items() if v != "ok"}, walk


def _flags(loss, model):
    source = an.viz.draw_graph(loss, model=model, legend=False).source
    return source.count("VANISHING gradient") + source.count("ZERO gradient")


@pytest.mark.parametrize("sizes", [(2, 16, 2), (2, 8, 8, 8, 2), (64, 32, 10), (10, 64, 64, 3),
                                   (3, 32, 32, 32, 32, 1)])
@pytest.mark.parametrize("activation", [an.nn.Tanh, an.nn.ReLU])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_healthy_nets_get_no_flag_at_any_batch_size(sizes, activation, seed):
    rng = np.random.default_rng(seed)
    model = _net(sizes, activation, seed)
    for m in (4, 16, 64, 256, 1024):
        X = an.tensor(rng.normal(size=(m, sizes[0])).astype(np.float32))
        if sizes[-1] > 1:
            loss = an.nn.functional.cross_entropy(model(X), rng.integers(0, sizes[-1], m))
        else:
            Y = an.tensor(rng.normal(size=(m, 1)).astype(np.float32))
            loss = ((model(X) - Y) ** 2).mean()
        flagged, _ = _verdicts(loss)
        assert not flagged, (sizes, activation.__name__, seed, m, flagged)


@pytest.mark.parametrize("m", [32, 256])
def test_the_issue_case_a_fresh_tanh_net_on_the_flower(m):
    """2-16-2 tanh on the flower: flagged A[1], Z[1] at batch 256 (not at 32) before the fix."""
    x, y = flower(m, seed=0)
    model = _net((2, 16, 2), an.nn.Tanh, 0)
    loss = an.nn.functional.cross_entropy(model(an.tensor(x)), y)
    assert _flags(loss, model) == 0


@pytest.mark.parametrize("m", [8, 64, 512])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_saturated_deep_sigmoid_net_is_flagged_on_its_early_layers(m, seed):
    model = _net((2, 8, 8, 8, 8, 2), an.nn.Sigmoid, seed, shift=5.0)
    X = an.tensor(np.random.default_rng(seed).normal(size=(m, 2)).astype(np.float32))
    loss = an.nn.functional.cross_entropy(model(X), np.arange(m) % 2)
    flagged, walk = _verdicts(loss)
    first = model[0]
    first_z = next(v for v in walk.values
                   if v.node is not None and any(p is first.weight for p in v.node.parents))
    assert flagged.get(first_z.index) == "vanishing"
    weight = next(v for v in walk.values if v.tensor is first.weight)
    assert flagged.get(weight.index) == "vanishing"  # every layer output it makes vanishes
    last = model[-1]
    out = next(v for v in walk.values
               if v.node is not None and any(p is last.weight for p in v.node.parents))
    assert out.index not in flagged  # the last layer still gets its gradient
    assert _flags(loss, model) >= 2


def test_the_verdict_does_not_depend_on_the_batch_size():
    """The statistic (sum |g| over a mean-reduced loss) is the same for a batch and for the batch
    repeated k times, so the same net gives the same ratios."""
    rng = np.random.default_rng(0)
    model = _net((2, 8, 8, 2), an.nn.Sigmoid, 0, shift=3.0)
    X = rng.normal(size=(16, 2)).astype(np.float32)
    y = np.arange(16) % 2

    def ratios(k):
        loss = an.nn.functional.cross_entropy(model(an.tensor(np.tile(X, (k, 1)))), np.tile(y, k))
        walk = walk_graph(loss)
        flow = compute_flow(walk)
        refs = health.reference_norms(walk, flow)
        return [health.l1_norm(flow.value_grads[v.index]) / refs[v.index]
                for v in walk.values if v.node is not None and v.index in refs]

    np.testing.assert_allclose(ratios(1), ratios(64), rtol=1e-3)


def test_boxes_show_the_gradient_magnitude_not_its_signed_mean():
    an.manual_seed(0)
    logits = an.randn(64, 3, requires_grad=True, name="logits")
    loss = an.nn.functional.cross_entropy(logits, np.arange(64) % 3)
    found = dot.nodes(an.viz.draw_graph(loss, legend=False).source)
    line = found[dot.by_first_line(found, "logits")]["label"][3]
    assert line.startswith("grad mean|g| ")
    assert not line.startswith("grad mean|g| 0 ")  # the signed mean is ~0 here, |g| is not


@pytest.mark.parametrize("demo", ["digits", "flower"])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_demos_own_step_graph_has_no_flag(demo, seed, tmp_path):
    """The issue saw the demo's graph.svg flag Z[1] and Z[2]: a trained, healthy net."""
    from autonet.cli.commands import DEMOS
    from autonet.cli.outputs import save_step_graph
    from autonet.cli.run import run_training

    model, _, _, data = run_training(seed=seed, **DEMOS[demo])  # trained as the demo trains
    path = save_step_graph(model, data, tmp_path / "graph.dot")
    text = Path(path).read_text()
    assert text.count("grad mean|g|") >= 2  # the layers' gradients are drawn: a flag could show
    assert "VANISHING" not in text and "ZERO gradient" not in text and "EXPLODING" not in text


@pytest.mark.parametrize("m", [4, 64, 1024])
@pytest.mark.parametrize("depth", [1, 4])
@pytest.mark.parametrize("seed", [0, 3])
def test_the_readme_step_and_a_deeper_tutorial_net_have_no_flag(m, depth, seed):
    """README's tour (2-8-1 tanh, MSE on randn inputs) and a 4-hidden-layer version of it (the
    issue's tutorial step.svg flagged Z[2] and Z[4])."""
    an.manual_seed(seed)
    layers = [an.nn.Linear(2, 8), an.nn.Tanh()]
    for _ in range(depth - 1):
        layers += [an.nn.Linear(8, 8), an.nn.Tanh()]
    model = an.nn.Sequential(*layers, an.nn.Linear(8, 1))
    loss = an.nn.functional.mse_loss(model(an.randn(m, 2)), an.rand(m, 1))
    assert _flags(loss, model) == 0
    assert "EXPLODING" not in an.viz.draw_graph(loss, model=model, legend=False).source
