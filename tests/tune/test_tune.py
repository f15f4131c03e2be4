"""Hyperparameter search: grid finds the computable best, distributions, failures, executors."""

import csv
import math

import numpy as np
import pytest

from autonet import tune
from autonet.cli.space import parse_space
from autonet.tune import (
    BayesianSearch,
    Choice,
    GridSearch,
    IntUniform,
    LogUniform,
    RandomSearch,
    Uniform,
)


def bowl(x, y, seed):
    """A known minimum at x=2, y=-1; `seed` adds nothing but must be passed."""
    assert isinstance(seed, int)
    return {"val_loss": (x - 2) ** 2 + (y + 1) ** 2, "val_acc": -abs(x - 2)}


def noisy(x, seed):
    return float(np.random.default_rng(seed).normal()) + x


def sometimes_fails(x):
    if x == 3:
        raise ValueError("x=3 is cursed")
    if x == 4:
        return float("nan")
    return {"val_loss": float(x)}


def log_bowl(lr, width):
    return {"val_loss": (math.log10(lr) + 2.0) ** 2 + (width - 5) ** 2 / 25}


GRID = {"x": [0, 1, 2, 3, 4], "y": [-2, -1, 0, 1]}


def test_grid_search_finds_the_known_best_and_ranks_all():
    results = GridSearch(bowl, GRID, metric="val_loss").run()
    assert len(results) == 20 and not results.failed
    assert results.best_params == {"x": 2, "y": -1}
    losses = [row["val_loss"] for row in results.table]
    assert losses == sorted(losses)
    expected = sorted((x - 2) ** 2 + (y + 1) ** 2 for x in GRID["x"] for y in GRID["y"])
    assert losses == expected


def test_mode_max_for_accuracy_and_budget():
    results = GridSearch(bowl, GRID, metric="val_acc").run()
    assert results.mode == "max" and results.best["params"]["x"] == 2
    assert len(GridSearch(bowl, GRID, n_trials=3).run()) == 3


def test_trials_share_a_seed_by_default_so_comparisons_are_fair():
    results = GridSearch(noisy, {"x": [0.0, 1.0, 2.0]}, metric="val_loss", seed=7).run()
    assert len({r["seed"] for r in results.table}) == 1


def test_trials_are_seeded_and_reproducible():
    a = RandomSearch(noisy, {"x": [0.0]}, metric="val_loss", n_trials=4, seed=7,
                     same_seed=False).run()
    b = RandomSearch(noisy, {"x": [0.0]}, metric="val_loss", n_trials=4, seed=7,
                     same_seed=False).run()
    assert [r["val_loss"] for r in a.table] == [r["val_loss"] for r in b.table]
    assert len({r["seed"] for r in a.table}) == 4  # same_seed=False: each trial its own seed
    for row in a.table:  # and re-running one trial with its seed reproduces it
        assert noisy(0.0, row["seed"]) == pytest.approx(row["val_loss"])


def test_failed_trials_are_recorded_not_fatal():
    results = GridSearch(sometimes_fails, {"x": [1, 2, 3, 4]}).run()
    assert [t["params"]["x"] for t in results.ok] == [1, 2]
    errors = {t["params"]["x"]: t["error"] for t in results.failed}
    assert "x=3 is cursed" in errors[3] and "nan" in errors[4]
    assert [row["status"] for row in results.table] == ["ok", "ok", "failed", "failed"]
    with pytest.raises(RuntimeError, match="all 1 trials failed.*cursed"):
        _ = GridSearch(sometimes_fails, {"x": [3]}).run().best


def test_random_search_distributions():
    rng = np.random.default_rng(0)
    draws = np.array([LogUniform(1e-4, 1).sample(rng) for _ in range(4000)])
    assert draws.min() >= 1e-4 and draws.max() <= 1
    # each decade is about equally likely: a quarter of the draws below 1e-3
    assert abs(np.mean(draws < 1e-3) - 0.25) < 0.03
    u = [Uniform(0, 0.5).sample(rng) for _ in range(200)]
    assert min(u) >= 0 and max(u) <= 0.5
    assert {IntUniform(1, 3).sample(rng) for _ in range(100)} == {1, 2, 3}
    space = {"x": LogUniform(0.1, 10), "y": Choice([-1, 0]), "z": [5]}
    results = RandomSearch(lambda x, y, z: x + y + z, space, n_trials=6, seed=1).run()
    assert len(results) == 6
    for t in results.trials:
        assert 0.1 <= t["params"]["x"] <= 10 and t["params"]["y"] in (-1, 0)


def test_bayesian_search_with_optuna_tpe():
    space = {"lr": LogUniform(1e-5, 1.0), "width": IntUniform(1, 9)}
    results = BayesianSearch(log_bowl, space, n_trials=25, seed=0).run()
    assert len(results) == 25
    best = results.best_params
    # the optimum is lr=1e-2, width=5 (loss 0); TPE should get close on this smooth bowl
    assert results.best["metrics"]["val_loss"] < 0.3
    assert 1e-3 < best["lr"] < 1e-1
    # and beat the median of its own trials by a wide margin
    assert results.best["metrics"]["val_loss"] < np.median([r["val_loss"] for r in results.table])


def test_bayesian_search_records_failures():
    results = BayesianSearch(sometimes_fails, {"x": [1, 3]}, n_trials=4, seed=0).run()
    assert len(results) == 4 and results.best_params == {"x": 1}


def test_process_pool_matches_sequential():
    sequential = GridSearch(bowl, GRID).run().table
    parallel = GridSearch(bowl, GRID, n_jobs=2).run().table
    strip = lambda rows: [{k: v for k, v in r.items() if k != "time"} for r in rows]
    assert strip(parallel) == strip(sequential)


def test_dask_executor_path():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        results = GridSearch(bowl, GRID, executor=client.get_executor()).run()
        failing = GridSearch(sometimes_fails, {"x": [1, 3]},
                             executor=client.get_executor()).run()
    assert results.best_params == {"x": 2, "y": -1} and len(results) == 20
    assert len(failing.failed) == 1


def test_csv_export_sorted(tmp_path):
    results = GridSearch(lambda x, y: float(x + len(y)), {"x": [3, 2], "y": [(1, 2)]}).run()
    path = tmp_path / "trials.csv"
    results.to_csv(path)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [r["x"] for r in rows] == ["2", "3"] and rows[0]["y"] == "1-2"
    assert {"trial", "status", "val_loss", "seed", "time", "error"} <= set(rows[0])
    assert "val_loss" in results.format()


def test_parse_space():
    space = parse_space("lr=0.01,0.1;layers=8|16,16;act=relu,tanh;l2=log:1e-5:1e-2;"
                        "p=uniform:0:0.5;units=int:2:8")
    assert space["lr"] == [0.01, 0.1] and space["layers"] == [8, (16, 16)]
    assert space["act"] == ["relu", "tanh"]
    assert isinstance(space["l2"], LogUniform) and space["l2"].high == 1e-2
    assert isinstance(space["p"], Uniform) and isinstance(space["units"], IntUniform)
    for bad in ["lr", "=1", "lr=", "lr=log:1", ""]:
        with pytest.raises(ValueError):
            parse_space(bad)


def test_bad_arguments():
    with pytest.raises(ValueError, match="empty"):
        GridSearch(bowl, {})
    with pytest.raises(TypeError, match="list of values"):
        GridSearch(bowl, {"x": LogUniform(1, 2)}).run()
    with pytest.raises(ValueError, match="mode"):
        GridSearch(bowl, GRID, mode="up")
    assert tune.LogUniform(1e-3, 1).low == 1e-3


def test_unpicklable_train_fn_in_processes_says_to_define_it_at_module_level():
    results = tune.GridSearch(lambda x, seed: x, {"x": [1]}, n_jobs=2).run()
    assert results.failed and "module level" in results.failed[0]["error"]


def test_format_says_why_shown_trials_failed():
    text = GridSearch(sometimes_fails, {"x": [1, 3, 3]}).run().format()
    assert text.count("x=3 is cursed") == 1  # one line for the repeated error
    assert "trial 1, 2 failed:" in text
    assert "cursed" not in GridSearch(sometimes_fails, {"x": [1, 3]}).run().format(limit=1)


@pytest.mark.parametrize("search, planned", [
    (GridSearch(bowl, GRID), 20),
    (GridSearch(bowl, GRID, n_trials=7), 7),
    (GridSearch(bowl, GRID, n_trials=99), 20),
    (RandomSearch(bowl, GRID), 10),
    (RandomSearch(bowl, GRID, n_trials=4), 4),
    (BayesianSearch(bowl, GRID), 20),
])
def test_planned_trials_is_what_run_runs(search, planned):
    assert search.planned_trials() == planned
    if not isinstance(search, BayesianSearch):  # (BayesianSearch.run asks for exactly that)
        assert len(search.run()) == planned
