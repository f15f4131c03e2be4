"""A search draws the same random numbers (init, dropout) on every executor: each trial runs
with its own generator seeded from the trial seed, per thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import autonet as an
from autonet import nn, optim
from autonet.tune import BayesianSearch, GridSearch, RandomSearch


def dropout_net(lr: float, width: int) -> float:
    """Train a small net with dropout for a few steps without seeding anything itself."""
    model = nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Dropout(0.5), nn.Linear(width, 1))
    opt = optim.SGD(model.parameters(), lr=lr)
    x, y = an.randn(32, 4), an.randn(32, 1)
    for _ in range(30):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    return float(loss.item())


SPACE = {"lr": [0.01, 0.02, 0.03, 0.05], "width": [8, 16]}


def _losses(results) -> dict[int, float]:
    return {t["trial"]: t["metrics"]["val_loss"] for t in results.trials}


def test_each_trial_draws_from_its_trial_seed() -> None:
    search = GridSearch(dropout_net, SPACE, same_seed=False, seed=3)
    results = search.run()
    for t in results.trials:
        an.manual_seed(search.trial_seed(t["trial"]))
        assert t["metrics"]["val_loss"] == dropout_net(**t["params"])


def test_a_search_with_dropout_is_the_same_on_threads_and_processes() -> None:
    sequential = _losses(GridSearch(dropout_net, SPACE, same_seed=False).run())
    with ThreadPoolExecutor(4) as pool:
        threaded = _losses(GridSearch(dropout_net, SPACE, same_seed=False, executor=pool).run())
    processes = _losses(GridSearch(dropout_net, SPACE, same_seed=False, n_jobs=2).run())
    assert threaded == sequential and processes == sequential
    random = RandomSearch(dropout_net, {"lr": [0.01, 0.05], "width": [8, 16]}, n_trials=4)
    with ThreadPoolExecutor(4) as pool:
        random.executor = pool
        assert _losses(random.run()) == _losses(RandomSearch(
            dropout_net, {"lr": [0.01, 0.05], "width": [8, 16]}, n_trials=4).run())


def test_a_search_with_dropout_is_the_same_on_dask_threads() -> None:
    distributed = pytest.importorskip("distributed")
    sequential = _losses(GridSearch(dropout_net, SPACE, same_seed=False).run())
    with distributed.LocalCluster(n_workers=1, threads_per_worker=4, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = _losses(GridSearch(dropout_net, SPACE, same_seed=False,
                                     executor=client.get_executor()).run())
    assert on_dask == sequential


def test_a_bayesian_search_with_dropout_is_the_same_on_threads() -> None:
    pytest.importorskip("optuna")
    space = {"lr": [0.01, 0.05], "width": [8, 16]}
    sequential = _losses(BayesianSearch(dropout_net, space, n_trials=4, batch_size=2,
                                        same_seed=False).run())
    with ThreadPoolExecutor(4) as pool:
        threaded = _losses(BayesianSearch(dropout_net, space, n_trials=4, batch_size=2,
                                          same_seed=False, executor=pool).run())
    assert threaded == sequential


def test_manual_seed_is_unchanged_for_one_thread_and_per_thread() -> None:
    an.manual_seed(7)
    expected = np.random.default_rng(7).standard_normal((3, 2)).astype(np.float32)
    np.testing.assert_array_equal(an.randn(3, 2).data, expected)
    an.manual_seed(7)
    first = an.randn(4).data
    an.manual_seed(7)
    an.randn(2)  # advance this thread's stream, then let another thread seed and draw

    def other() -> None:
        an.manual_seed(123)
        an.randn(100)

    worker = threading.Thread(target=other)
    worker.start()
    worker.join()
    np.testing.assert_array_equal(an.randn(2).data, first[2:])  # undisturbed
    an.manual_seed(7)
