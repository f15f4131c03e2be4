"""Grid, random and Bayesian search for the flower network's hyperparameters.

    python examples/tune_flower.py

The three searches get the same budget. Grid search tries every combination of a few values;
random search draws each trial's values afresh (so it tries more distinct learning rates);
Bayesian search (Optuna's TPE) proposes each new trial from a model of the results so far.
"""

from autonet import tune
from autonet.cli import run_training

DATA = {"dataset": "flower", "samples": 300, "epochs": 30, "batch_size": 32}


def train_fn(lr: float, layers: tuple, activation: str, seed: int) -> dict[str, float]:
    """One trial: train with these hyperparameters, return validation metrics."""
    return run_training(lr=lr, layers=layers, activation=activation, seed=seed, **DATA)[2]


def main() -> None:
    budget = 8
    grid = {"lr": [0.003, 0.03], "layers": [(8,), (16, 16)], "activation": ["relu", "tanh"]}
    space = {"lr": tune.LogUniform(1e-3, 1e-1), "layers": [(8,), (16, 16)],
             "activation": ["relu", "tanh"]}
    searches = {
        "grid": tune.GridSearch(train_fn, grid, metric="val_loss"),
        "random": tune.RandomSearch(train_fn, space, metric="val_loss", n_trials=budget),
        "bayes": tune.BayesianSearch(train_fn, space, metric="val_loss", n_trials=budget),
    }
    for name, search in searches.items():
        results = search.run()
        best = results.best
        lrs = sorted({round(t["params"]["lr"], 4) for t in results.trials})
        print(f"{name:6s} best val_loss {best['metrics']['val_loss']:.3f} "
              f"(val_accuracy {best['metrics']['val_accuracy']:.3f}) with {best['params']}; "
              f"{len(lrs)} distinct learning rates tried")
    print("\nthe grid's table, best first:")
    print(searches["grid"].run().format(limit=4))


if __name__ == "__main__":
    main()
