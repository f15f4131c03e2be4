"""Module contract: registration, traversal, modes, state dicts, repr, scope on graph nodes."""

from __future__ import annotations

import numpy as np
import pytest

import autonet as an
from autonet import nn


class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.out = nn.Linear(4, 2)
        self.scale = nn.Parameter(np.ones(2))
        self.register_buffer("steps", an.zeros(1))
        self.not_a_param = np.ones(3)  # plain attribute: not registered

    def forward(self, x):
        return self.out(self.act(self.hidden(x))) * self.scale


def test_parameters_are_registered_with_dotted_names_in_order() -> None:
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "out.weight", "out.bias"]
    assert len(list(model.parameters())) == 5
    assert [n for n, _ in model.named_buffers()] == ["steps"]
    assert [n for n, _ in model.named_children()] == ["hidden", "act", "out"]
    assert [n for n, _ in model.named_modules()] == ["", "hidden", "act", "out"]


def test_parameter_defaults() -> None:
    p = nn.Parameter([1, 2, 3])
    assert p.requires_grad and p.is_leaf and p.dtype == np.float32
    assert nn.Parameter(np.zeros(2, dtype=np.float64)).dtype == np.float64
    layer = nn.Linear(2, 3)
    assert layer.weight.name == "weight" and layer.bias.name == "bias"
    assert "Parameter(" in repr(layer.weight)


def test_shared_parameters_appear_once() -> None:
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_reassigning_and_deleting_attributes_updates_the_registry() -> None:
    model = TwoLayer()
    model.hidden = nn.Linear(3, 5)
    assert model.hidden.out_features == 5
    assert model._modules["hidden"] is model.hidden
    model.out.bias = None
    assert "out.bias" not in dict(model.named_parameters())
    with pytest.raises(TypeError, match="is a Parameter"):
        model.scale = np.ones(2)
    del model.act
    assert "act" not in dict(model.named_children())


def test_setattr_before_super_init_explains() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_train_eval_switch_every_submodule() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.1)))
    model.eval()
    assert all(not m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())


def test_zero_grad_and_requires_grad() -> None:
    model = TwoLayer()
    model(an.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not model(an.randn(5, 3)).requires_grad


def test_state_dict_round_trip_and_copies() -> None:
    a, b = TwoLayer(), TwoLayer()
    state = a.state_dict()
    assert set(state) == {"scale", "hidden.weight", "hidden.bias", "out.weight", "out.bias",
                          "steps"}
    assert all(isinstance(v, np.ndarray) for v in state.values())
    weight_before = b.hidden.weight  # identity kept: optimizers still hold it
    b.load_state_dict(state)
    assert b.hidden.weight is weight_before
    x = an.randn(4, 3)
    np.testing.assert_array_equal(a(x).data, b(x).data)
    state["hidden.weight"][...] = 0  # a copy: the model does not change
    assert np.any(a.hidden.weight.data != 0)


def test_load_state_dict_errors_name_the_keys_and_shapes() -> None:
    model = TwoLayer()
    state = model.state_dict()
    del state["out.bias"]
    state["extra"] = np.ones(1)
    with pytest.raises(RuntimeError,
                       match=r"missing keys \['out.bias'\].*unexpected keys \['extra'\]"):
        model.load_state_dict(state)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["out.bias"] and result.unexpected_keys == ["extra"]
    bad = model.state_dict()
    bad["hidden.weight"] = np.ones((5, 3))
    with pytest.raises(ValueError, match=r"'hidden.weight' has shape \(5, 3\).*\(4, 3\)"):
        model.load_state_dict(bad)


def test_non_persistent_buffers_stay_out_of_state_dict() -> None:
    model = nn.Module()
    model.register_buffer("cache", an.ones(2), persistent=False)
    assert model.state_dict() == {}


def test_repr_is_indented_like_pytorch() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.2)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.2)\n"
        "  )\n"
        ")")


def test_containers() -> None:
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert len(seq) == 2 and isinstance(seq[-1], nn.ReLU)
    assert isinstance(seq[:1], nn.Sequential) and len(seq[:1]) == 1
    seq.append(nn.Linear(3, 1))
    assert seq(an.randn(4, 2)).shape == (4, 1)
    with pytest.raises(IndexError, match="out of range"):
        seq[5]
    with pytest.raises(TypeError, match="expected a Module"):
        nn.Sequential(lambda x: x)
    named = nn.Sequential({"fc": nn.Linear(2, 2), "act": nn.Tanh()})
    assert [n for n, _ in named.named_children()] == ["fc", "act"]

    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in layers] == ["Linear", "Tanh", "Linear", "Linear"]
    assert len(list(layers.parameters())) == 6
    holder = nn.ModuleDict({"a": nn.Linear(1, 1)})
    holder["b"] = nn.Linear(1, 2)
    assert list(holder) == ["a", "b"] and "b" in holder
    assert len(list(holder.parameters())) == 4
    del holder["a"]
    assert holder.keys() == ["b"]


def test_module_list_edits_like_a_python_list() -> None:
    a, b, c, d = nn.Linear(1, 1), nn.Tanh(), nn.Linear(1, 2), nn.ReLU()
    layers = nn.ModuleList([a, b, c])
    del layers[0]
    assert list(layers) == [b, c]
    assert [n for n, _ in layers.named_children()] == ["0", "1"]  # renumbered, no gap
    assert [n for n, _ in layers.named_parameters()] == ["1.weight", "1.bias"]
    layers += [d]
    assert list(layers) == [b, c, d]
    assert layers.pop(1) is c and list(layers) == [b, d]
    del layers[:1]
    assert list(layers) == [d]
    joined = layers + nn.ModuleList([a])
    assert list(joined) == [d, a] and list(layers) == [d]
    with pytest.raises(IndexError, match="out of range"):
        del layers[5]


def test_module_dict_update_pop_clear() -> None:
    a, b, c = nn.Linear(1, 1), nn.Tanh(), nn.Linear(1, 2)
    holder = nn.ModuleDict({"a": a})
    holder.update({"b": b})
    holder.update([("c", c), ("a", c)])
    assert holder.keys() == ["a", "b", "c"] and holder["a"] is c
    assert holder.pop("b") is b and "b" not in holder
    with pytest.raises(KeyError, match="no module 'b'"):
        holder["b"]
    holder.clear()
    assert len(holder) == 0 and list(holder.parameters()) == []


def test_every_node_knows_the_modules_that_made_it() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    out = model(an.randn(4, 2))
    relu_node = out.grad_fn
    assert relu_node.scope == (model, model[1])
    linear_node = relu_node.parents[0].grad_fn
    assert linear_node.scope == (model, model[0])
    assert an.randn(2, requires_grad=True).exp().grad_fn.scope == ()


def test_forward_hooks_run_and_can_be_removed() -> None:
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    layer(an.randn(3, 2))
    handle.remove()
    layer(an.randn(3, 2))
    assert seen == [(3, 2)]


def test_call_passes_keywords_on_and_restores_the_scope_after_an_error() -> None:
    from autonet.autograd.graph import grad_mode

    class Scaled(nn.Module):
        def forward(self, x, *, factor=1.0):
            if factor < 0:
                raise ValueError("negative factor")
            return x * factor

    layer, x = Scaled(), an.randn(2, requires_grad=True)
    assert np.allclose(layer(x, factor=3.0).data, 3 * x.data)
    assert layer(x).grad_fn.scope == (layer,)
    with pytest.raises(ValueError, match="negative factor"):
        layer(x, factor=-1.0)
    assert grad_mode.scope == ()


def test_to_double_casts_parameters() -> None:
    model = TwoLayer().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(an.tensor(np.ones((2, 3)))).dtype == np.float64


def test_summary_uses_course_notation_and_counts() -> None:
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    text = an.nn.summary(model, (4,), print_fn=None)
    assert "W[1] (5, 4), b[1] (5,)" in text and "W[2] (3, 5), b[2] (3,)" in text
    assert "A[1] (m, 5)" in text and "Z[2] (m, 3)" in text
    total = 4 * 5 + 5 + 5 * 3 + 3
    assert f"{total} total" in text
    assert "L = 2 layers" in text and "[4, 5, 3]" in text and "['ReLU', 'none']" in text
    assert model.training  # restored
    names = nn.course_names(model)
    assert names[id(model[2].weight)] == "W[2]" and names[id(model[0].bias)] == "b[1]"


def test_summary_repr_is_the_table_and_input_shape_comes_from_a_first_linear(capsys):
    model = an.nn.Sequential(an.nn.Linear(4, 3), an.nn.ReLU(), an.nn.Linear(3, 1))
    table = an.nn.summary(model)  # input_shape read from Linear(4, 3)
    assert capsys.readouterr().out == ""  # returned, not printed: a REPL shows it once
    assert repr(table) == str(table) and "Z[1] (m, 3)" in table
    assert table == an.nn.summary(model, (4,))
    assert "L = 2 layers" in table
    assert "L = 1 layer," in an.nn.summary(an.nn.Sequential(an.nn.Linear(2, 1)))
    an.nn.summary(model, print_fn=print)
    assert "Z[2]" in capsys.readouterr().out
    with pytest.raises(ValueError, match="input_shape"):
        an.nn.summary(an.nn.Sequential(an.nn.Conv2d(1, 2, 3)))


def test_summary_rows_add_up_to_the_total_with_a_free_parameter():
    class Scaled(an.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = an.nn.Linear(3, 2)
            self.scale = an.nn.Parameter(np.ones(2))

        def forward(self, x):
            return an.tanh(self.layer(x)) * self.scale

    table = an.nn.summary(Scaled(), (3,))
    assert "scale (2,)" in table
    counts = [int(line.split()[-1].replace(",", "")) for line in table.splitlines()
              if line.strip() and line.split()[-1].replace(",", "").isdigit()
              and ("(" in line) and not line.startswith("Hyper")]
    total = 3 * 2 + 2 + 2
    assert f"{total:,} total" in table and sum(counts) == total


def _row_counts(table) -> int:
    return sum(int(row[4].replace(",", "")) for row in table.table[1] if row[4])


class _Functional(an.nn.Module):
    """A custom module applying its activations as functions, one layer called twice, and a free
    Parameter."""

    def __init__(self):
        super().__init__()
        self.fc1 = an.nn.Linear(3, 4)
        self.fc2 = an.nn.Linear(4, 4)
        self.out = an.nn.Linear(4, 2)
        self.scale = an.nn.Parameter(np.ones(2))

    def forward(self, x):
        h = an.nn.functional.relu(self.fc1(x))
        h = an.tanh(self.fc2(h))
        h = an.tanh(self.fc2(h))  # fc2 again: its parameters are counted once
        return an.nn.functional.softmax(self.out(h) * self.scale)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_summary_rows_for_functional_activations_in_a_custom_forward(batch_size):
    model = _Functional()
    table = an.nn.summary(model, (3,), batch_size=batch_size)
    rows = table.table[1]
    modules = [row[1] for row in rows]
    order = [m for m in modules if m != "_Functional"]
    assert order == ["Linear(3 -> 4)", "relu (in _Functional.forward)", "Linear(4 -> 4)",
                     "tanh (in _Functional.forward)", "Linear(4 -> 4)",
                     "tanh (in _Functional.forward)", "Linear(4 -> 2)",
                     "softmax (in _Functional.forward)"]
    outputs = [row[3] for row in rows if row[1].endswith(".forward)")]
    assert outputs == ["A[1] (m, 4)", "A[2] (m, 4)", "A[3] (m, 4)", "A[4] (m, 2)"]
    assert "activations = ['ReLU', 'Tanh', 'Tanh', 'Softmax']" in table
    total = sum(p.size for p in model.parameters())
    assert _row_counts(table) == total and f"{total} total" in table
    second = [row for row in rows if row[1] == "Linear(4 -> 4)"][1]
    assert second[2].endswith("(shared)") and second[4] == ""
    assert "scale (2,)" in table


def test_summary_no_function_rows_for_sequential_or_autonet_layers_internals():
    model = an.nn.Sequential(an.nn.Linear(3, 4), an.nn.Tanh(), an.nn.Linear(4, 2))
    table = an.nn.summary(model)
    assert ".forward)" not in table and _row_counts(table) == 4 * 3 + 4 + 2 * 4 + 2

    class SelfAttention(an.nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = an.nn.MultiheadAttention(4, 2, batch_first=True)

        def forward(self, x):
            return self.attention(x, x, x)[0]

    model = SelfAttention()  # the softmax inside MultiheadAttention is part of it: no row
    table = an.nn.summary(model, (5, 4))
    assert "softmax" not in table and "MultiheadAttention" in table
    assert _row_counts(table) == sum(p.size for p in model.parameters())


def test_summary_of_a_model_whose_forward_calls_a_compiled_function():
    # summary() watches every op; a compiled function inside forward runs its own fn then, so
    # the rows see its ops (it used to raise compile's "being traced already"), and it neither
    # traces nor replays for the summary
    squash = an.compile(lambda z: an.tanh(z) * 2.0)

    class Squashed(an.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = an.nn.Linear(3, 4)

        def forward(self, x):
            return squash(self.fc(x))

    model = Squashed()
    x = an.tensor(np.ones((2, 3), np.float32))
    with an.no_grad():
        before = model(x).data.copy()
    assert (squash.traces, squash.replays) == (1, 0)
    table = an.nn.summary(model, (3,))
    assert "tanh (in Squashed.forward)" in table
    assert (squash.traces, squash.replays) == (1, 0)
    with an.no_grad():
        np.testing.assert_array_equal(model(x).data, before)
    assert squash.replays == 1
