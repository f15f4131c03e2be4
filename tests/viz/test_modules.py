"""Module calls as boxes (course notation W[l], b[l], Z[l], A[l]) or expanded clusters."""

from __future__ import annotations

import re

import numpy as np

import autonet as an
from autonet.autograd.graph import module_scope
from tests.viz import dot


def mlp():
    model = an.nn.Sequential(an.nn.Linear(3, 4), an.nn.Tanh(), an.nn.Linear(4, 2),
                             an.nn.Sigmoid())
    return model, model(an.randn(5, 3)).sum()


def boxes(found: dict) -> dict[str, list[str]]:
    return {i: n["label"] for i, n in found.items() if "box3d" in n["attrs"]}


def test_mlp_collapses_into_one_box_per_layer_in_course_notation():
    model, loss = mlp()
    source = an.viz.draw_graph(loss, model=model, legend=False).source
    found = dot.nodes(source)
    titles = sorted(label[:2] for label in boxes(found).values())
    assert titles == [
        ["0 (Linear)", "Z[1] = A[0] W[1]ᵀ + b[1]"],
        ["1 (Tanh)", "A[1] = tanh(Z[1])"],
        ["2 (Linear)", "Z[2] = A[1] W[2]ᵀ + b[2]"],
        ["3 (Sigmoid)", "A[2] = sigmoid(Z[2])"],
    ]
    for first in ("W[1] = 0.weight", "b[1] = 0.bias", "W[2] = 2.weight", "b[2] = 2.bias",
                  "A[0]", "Z[1]", "A[1]", "Z[2]", "A[2]"):
        dot.by_first_line(found, first)
    # the ops inside the Linear calls are hidden: only the final sum is an op ellipse
    assert [n["label"][0] for i, n in found.items() if i.startswith("op")] == ["sum"]
    assert source.count("subgraph cluster_") == 1  # the Sequential around the boxes
    # parameters get the parameter colour; W[1] feeds the first Linear box
    w1 = dot.by_first_line(found, "W[1] = 0.weight")
    assert "#cfe2f3" in found[w1]["attrs"]
    (lin1,) = [i for i, label in boxes(found).items() if label[0] == "0 (Linear)"]
    assert (w1, lin1) in [(s, d) for s, d, _ in dot.edges(source)]


_EQUATION = re.compile(r"^(\S+) = (\S+) (\S+?)(ᵀ?)(?: \+ (\S+))?$")


def evaluate(equation: str, values: dict[str, np.ndarray]) -> tuple[str, np.ndarray]:
    """``Z[1] = A[0] W[1]ᵀ + b[1]`` read literally with the named arrays: (lhs name, result)."""
    m = _EQUATION.match(equation)
    assert m, equation
    lhs, x, w, transposed, b = m.groups()
    weight = values[w].T if transposed else values[w]
    out = values[x] @ weight  # raises if the product the label names is impossible
    return lhs, out if b is None else out + values[b]


def test_linear_equations_compute_what_the_layers_compute():
    model, _ = mlp()
    X = an.randn(5, 3)
    Z1 = model[0](X)
    A1 = model[1](Z1)
    Z2 = model[2](A1)
    values = {"A[0]": X.data, "Z[1]": Z1.data, "A[1]": A1.data, "Z[2]": Z2.data,
              "W[1]": model[0].weight.data, "b[1]": model[0].bias.data,
              "W[2]": model[2].weight.data, "b[2]": model[2].bias.data}
    found = dot.nodes(an.viz.draw_graph(model[3](Z2).sum(), model=model, legend=False).source)
    equations = [label[1] for label in boxes(found).values() if label[0].endswith("(Linear)")]
    assert len(equations) == 2
    for equation in equations:
        lhs, result = evaluate(equation, values)
        np.testing.assert_allclose(result, values[lhs], rtol=1e-5, atol=1e-6)


def test_legend_says_rows_are_examples_when_equations_are_shown():
    model, loss = mlp()
    source = an.viz.draw_graph(loss, model=model).source
    assert "rows are examples" in source and "is A[l-1] W[l]ᵀ here" in source
    for off in (dict(notation=False), dict(legend=False)):
        assert "rows are examples" not in an.viz.draw_graph(loss, model=model, **off).source
    x = an.randn(3, requires_grad=True)
    assert "rows are examples" not in an.viz.draw_graph(an.tanh(x).sum()).source


def test_linear_without_bias_has_no_bias_term():
    model = an.nn.Sequential(an.nn.Linear(3, 2, bias=False), an.nn.Tanh())
    found = dot.nodes(an.viz.draw_graph(model(an.randn(4, 3)).sum(), model=model,
                                        legend=False).source)
    notes = sorted(label[1] for label in boxes(found).values())
    assert notes == ["A[1] = tanh(Z[1])", "Z[1] = A[0] W[1]ᵀ"]


def test_dropout_output_is_named_and_is_what_the_next_layer_reads():
    an.manual_seed(0)
    model = an.nn.Sequential(an.nn.Linear(3, 4), an.nn.ReLU(), an.nn.Dropout(0.5),
                             an.nn.Linear(4, 2), an.nn.Linear(2, 1))
    X = an.randn(6, 3)
    source = an.viz.draw_graph(model(X).sum(), model=model, legend=False).source
    found = dot.nodes(source)
    notes = {label[0]: label[1] for label in boxes(found).values()}
    assert notes == {
        "0 (Linear)": "Z[1] = A[0] W[1]ᵀ + b[1]",
        "1 (ReLU)": "A[1] = relu(Z[1])",
        "2 (Dropout)": "dropout(A[1]) = A[1] * D[1] / keep_prob",
        "3 (Linear)": "Z[2] = dropout(A[1]) W[2]ᵀ + b[2]",
        "4 (Linear)": "Z[3] = Z[2] W[3]ᵀ + b[3]",  # no activation between: its input is Z[2]
    }
    # the value boxes carry the same names, wired as the equations say
    by_name = {first: dot.by_first_line(found, first)
               for first in ("A[1]", "dropout(A[1])", "D[1] / keep_prob")}
    box = {label[0]: i for i, label in boxes(found).items()}
    wires = {(s, d) for s, d, _ in dot.edges(source)}
    assert {(by_name["A[1]"], box["2 (Dropout)"]), (by_name["D[1] / keep_prob"],
            box["2 (Dropout)"]), (box["2 (Dropout)"], by_name["dropout(A[1])"]),
            (by_name["dropout(A[1])"], box["3 (Linear)"])} <= wires
    mask = found[by_name["D[1] / keep_prob"]]["label"]
    assert "min 0, max 2]" in mask[1]  # kept entries scaled by 1 / keep_prob = 2
    # in eval mode dropout records nothing: the next layer reads A[1] itself
    model.eval()
    found = dot.nodes(an.viz.draw_graph(model(X).sum(), model=model, legend=False).source)
    notes = {label[0]: label[1] for label in boxes(found).values()}
    assert notes["3 (Linear)"] == "Z[2] = A[1] W[2]ᵀ + b[2]" and "2 (Dropout)" not in notes


def test_an_input_without_a_course_name_is_not_given_one():
    first, act, second = an.nn.Linear(3, 2), an.nn.Tanh(), an.nn.Linear(2, 1)
    x = an.randn(4, 3, requires_grad=True)
    h = act(first(x * 2)) * 3  # an op between the modules: not A[1] any more
    found = dot.nodes(an.viz.draw_graph(second(h).sum(), legend=False).source)
    notes = sorted(label[1] for label in boxes(found).values())
    assert notes == ["A[1] = tanh(Z[1])", "Z[1] = A[0] W[1]ᵀ + b[1]",  # x * 2 is the input
                     "Z[2] = (input) W[2]ᵀ + b[2]"]
    h.name = "h"
    found = dot.nodes(an.viz.draw_graph(second(h).sum(), legend=False).source)
    assert "Z[2] = h W[2]ᵀ + b[2]" in [label[1] for label in boxes(found).values()]


def test_input_named_after_the_callers_variable():
    model, _ = mlp()
    X = an.randn(5, 3)
    found = dot.nodes(an.viz.draw_graph(model(X).sum(), model=model, legend=False).source)
    dot.by_first_line(found, "A[0] = X")


def test_box_gradients_match_the_expanded_drawing():
    model, loss = mlp()
    collapsed = dot.nodes(an.viz.draw_graph(loss, model=model, legend=False).source)
    expanded = dot.nodes(an.viz.draw_graph(loss, model=model, expand_modules=True,
                                           legend=False).source)
    for first in ("W[1] = 0.weight", "Z[2]", "A[1]"):
        assert (collapsed[dot.by_first_line(collapsed, first)]["label"]
                == expanded[dot.by_first_line(expanded, first)]["label"])


def test_expand_modules_draws_ops_inside_nested_clusters():
    model, loss = mlp()
    source = an.viz.draw_graph(loss, model=model, expand_modules=True, legend=False).source
    found = dot.nodes(source)
    assert not boxes(found)
    ops = sorted(n["label"][0] for i, n in found.items() if i.startswith("op"))
    assert ops == sorted(op.node.name for op in an.viz.walk_graph(loss).ops)
    assert len(ops) > 3  # every op of the 4 calls, plus the sum
    assert source.count("subgraph cluster_") == 5  # Sequential + 4 calls
    assert 'label="0 (Linear)\\nZ[1] = A[0] W[1]ᵀ + b[1]"' in source
    # clusters nest: the call clusters come inside the Sequential's
    outer = source.index("label=Sequential")
    assert all(source.index(f"label=\"{i} (") > outer for i in range(4))


def test_reused_activation_module_gives_one_box_per_call():
    class Net(an.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = an.nn.Linear(2, 2)
            self.b = an.nn.Linear(2, 1)
            self.act = an.nn.ReLU()

        def forward(self, x):
            return self.act(self.b(self.act(self.a(x))))

    net = Net()
    out = net(an.randn(4, 2)).mean()
    found = dot.nodes(an.viz.draw_graph(out, model=net, legend=False).source)
    titles = sorted(label[0] for label in boxes(found).values())
    assert titles == ["a (Linear)", "act (ReLU)", "act (ReLU)", "b (Linear)"]
    notes = sorted(label[1] for label in boxes(found).values())
    assert notes == ["A[1] = relu(Z[1])", "A[2] = relu(Z[2])", "Z[1] = A[0] W[1]ᵀ + b[1]",
                     "Z[2] = A[1] W[2]ᵀ + b[2]"]


def test_scopes_without_nn_use_the_pytorch_module_contract():
    class Linear:  # duck-typed: what module_scope and the drawing need, no autonet.nn
        def __init__(self, n_in, n_out):
            self.weight = an.randn(n_out, n_in, requires_grad=True)
            self.bias = an.zeros(n_out, requires_grad=True)

        def __call__(self, x):
            with module_scope(self):
                return x @ self.weight.T + self.bias

    class Tanh:
        def __call__(self, x):
            with module_scope(self):
                return an.tanh(x)

    first, act, second = Linear(3, 2), Tanh(), Linear(2, 1)
    x = np.ones((4, 3), np.float32)
    out = second(act(first(an.tensor(x)))).sum()
    found = dot.nodes(an.viz.draw_graph(out, params={"first.weight": first.weight},
                                        legend=False).source)
    notes = sorted(label[1] for label in boxes(found).values())
    assert notes == ["A[1] = tanh(Z[1])", "Z[1] = A[0] W[1]ᵀ + b[1]", "Z[2] = A[1] W[2]ᵀ + b[2]"]
    dot.by_first_line(found, "W[1] = first.weight")
    dot.by_first_line(found, "b[2]")
    dot.by_first_line(found, "Z[2]")


def test_notation_can_be_switched_off():
    model, loss = mlp()
    found = dot.nodes(an.viz.draw_graph(loss, model=model, notation=False, legend=False).source)
    dot.by_first_line(found, "0.weight")
    assert all(len(label) == 2 for label in boxes(found).values())  # title and op list only
