"""Searches validate their arguments, enumerate a grid lazily, and keep a tuned seed."""

from __future__ import annotations

import csv
import tracemalloc

import pytest

from autonet.tune import BayesianSearch, GridSearch, RandomSearch


def score(**params) -> float:
    return float(sum(v for v in params.values() if isinstance(v, int | float)))


HUGE = {f"p{i}": list(range(10)) for i in range(20)}  # 10**20 combinations


def test_a_huge_grid_is_enumerated_lazily() -> None:
    tracemalloc.start()
    try:
        search = GridSearch(score, HUGE, n_trials=3)
        assert search.planned_trials() == 3
        results = search.run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(results) == 3 and peak < 10 << 20
    assert [t["params"]["p19"] for t in sorted(results.trials, key=lambda t: t["trial"])] == \
        [0, 1, 2]


def test_a_huge_grid_without_a_cap_is_refused() -> None:
    with pytest.raises(ValueError, match=r"GridSearch: the grid has 10{20} combinations.*"
                                         r"n_trials="):
        GridSearch(score, HUGE)


def test_bayesian_batch_size_is_validated() -> None:
    for bad, error in [(-1, ValueError), (0, ValueError), (2.5, TypeError), ("4", TypeError)]:
        with pytest.raises(error, match=f"BayesianSearch: batch_size must be .*{bad!r}"):
            BayesianSearch(score, {"x": [1]}, batch_size=bad)


def test_a_tuned_seed_is_the_trial_seed_in_one_column(tmp_path) -> None:
    results = GridSearch(lambda lr, seed: lr + seed, {"lr": [0.5], "seed": [3, 7]}).run()
    assert sorted(t["seed"] for t in results.trials) == [3, 7]
    assert sorted(row["seed"] for row in results.table) == [3, 7]
    assert results.columns().count("seed") == 1
    results.to_csv(tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text().splitlines()
    header, rows = next(csv.reader(text)), list(csv.DictReader(text))
    assert header.count("seed") == 1 and sorted(r["seed"] for r in rows) == ["3", "7"]
    assert sorted(float(r["val_loss"]) for r in rows) == [3.5, 7.5]
    assert "seed" in results.format().splitlines()[0]


def test_an_empty_value_list_is_named_at_once() -> None:
    with pytest.raises(ValueError, match="GridSearch: the values of 'lr' are an empty list"):
        GridSearch(score, {"lr": []})
    with pytest.raises(ValueError, match="RandomSearch: the values of 'lr' are an empty list"):
        RandomSearch(score, {"lr": []})


@pytest.mark.parametrize("kwargs, error, words", [
    ({"n_trials": 2.5}, TypeError, ("n_trials", "2.5")),
    ({"n_trials": 0}, ValueError, ("n_trials", "0")),
    ({"n_trials": True}, TypeError, ("n_trials", "True")),
    ({"n_jobs": 0}, ValueError, ("n_jobs", "0")),
    ({"seed": -1}, ValueError, ("seed", "-1")),
    ({"seed": "0"}, TypeError, ("seed", "'0'")),
    ({"mode": "avg"}, ValueError, ("mode", "'avg'")),
    ({"metric": 3}, TypeError, ("metric", "3")),
    ({"same_seed": "no"}, TypeError, ("same_seed", "'no'")),
    ({"executor": 4}, TypeError, ("executor", "int")),
])
@pytest.mark.parametrize("cls", [GridSearch, RandomSearch, BayesianSearch])
def test_search_arguments_are_validated(cls, kwargs, error, words) -> None:
    with pytest.raises(error) as info:
        cls(score, {"x": [1, 2]}, **kwargs)
    for word in (cls.__name__, *words):
        assert word in str(info.value)


def test_the_metric_names_the_direction() -> None:
    assert GridSearch(score, {"x": [1]}, metric="val_accuracy").mode == "max"
    assert GridSearch(score, {"x": [1]}, metric="val_f1").mode == "max"
    assert GridSearch(score, {"x": [1]}).mode == "min"
