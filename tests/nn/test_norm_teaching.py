"""summary() and graph drawings for the normalization, embedding and attention layers: the
course's batch norm step (gamma[l], beta[l], Z~[l], then A[l] = g(Z~[l])), output shapes and
parameter counts, attention's own parameters in their row."""

from __future__ import annotations

import numpy as np
import pytest

import autonet as an
from autonet import nn


def _row(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.lstrip("0123456789 ").startswith(start))


@pytest.mark.parametrize(("norm", "count"), [(lambda: nn.BatchNorm1d(4), 8),
                                             (lambda: nn.LayerNorm(4), 8),
                                             (lambda: nn.GroupNorm(2, 4), 8),
                                             (lambda: nn.BatchNorm1d(4, affine=False), 0)])
def test_summary_names_the_batch_norm_step_after_a_linear_layer(norm, count) -> None:
    model = nn.Sequential(nn.Linear(3, 4), norm(), nn.ReLU(), nn.Linear(4, 2))
    text = nn.summary(model, (3,), print_fn=None)
    row = _row(text, type(model[1]).__name__)
    assert "Z̃[1] (m, 4)" in row
    if count:
        assert "γ[1] (4,), β[1] (4,)" in row and row.rstrip().endswith(str(count))
    assert "A[1] (m, 4)" in _row(text, "ReLU")
    assert "Z[2] (m, 2)" in _row(text, "Linear(4 -> 2)")
    assert f"{16 + count + 10} total" in text


def test_summary_of_an_embedding_and_a_transformer_counts_every_parameter() -> None:
    model = nn.Sequential(nn.Embedding(20, 8),
                          nn.TransformerEncoder(nn.TransformerEncoderLayer(
                              8, 2, 12, batch_first=True), 2), nn.Linear(8, 3))
    text = nn.summary(model, (5,), batch_size=2, print_fn=None)
    lines = text.splitlines()
    attention = [i for i, line in enumerate(lines) if line.lstrip().startswith("MultiheadAtt")]
    assert len(attention) == 2
    # each attention row comes before its out_proj row, and lists in_proj_weight, in_proj_bias
    for i in attention:
        assert "in_proj_weight (24, 8)" in lines[i] and lines[i].rstrip().endswith("216")
        assert "Linear(8 -> 8)" in lines[i + 1]
    assert "(m, 5, 8)" in _row(text, "Embedding(20, 8)")
    total = sum(p.size for p in model.parameters())
    assert f"{total:,} total" in text
    rows = [line for line in lines if line.rstrip()[-1:].isdigit() and "(" in line]
    assert sum(int(line.split()[-1].replace(",", "")) for line in rows) == total


def test_drawings_box_the_norm_step_in_the_course_notation() -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2),
                          nn.LayerNorm(2))
    source = an.viz.draw_graph(model(an.randn(5, 3)).sum(), model=model).source
    assert "Z̃[1] = γ[1] Z_norm[1] + β[1]" in source
    assert "Z_norm[1] = (Z[1] - μ) / √(σ² + ε)" in source
    assert "A[1] = tanh(Z̃[1])" in source
    assert "γ[1] = 1.weight" in source and "β[1] = 1.bias" in source
    assert "Z[2] = A[1] W[2]ᵀ + b[2]" in source
    assert "over its last 2 values" in source


def test_a_norm_layer_that_does_not_follow_a_linear_layer_is_named_by_its_input() -> None:
    model = nn.Sequential(nn.LayerNorm(3), nn.Linear(3, 2))
    x = an.tensor(np.ones((2, 3)) * np.arange(3.0), name="X", requires_grad=True)
    source = an.viz.draw_graph(model(x).sum(), model=model).source
    assert "norm(X) = γ x_norm + β" in source and "x_norm = (X - μ) / √(σ² + ε)" in source
    assert "γ[" not in source
    unnamed = an.viz.draw_graph(model(np.ones((2, 3))).sum(), model=model).source
    assert "norm(x) = γ x_norm + β" in unnamed
