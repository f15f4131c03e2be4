"""The ``autonet`` command: ``demo``, ``train``, ``tune`` and ``graph``.

Every hyperparameter of the course is a flag of ``train`` (and a default for ``tune``); see
``autonet train --help``. Bad flags or values print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
INITS = ("auto", "he", "xavier", "normal", "default")
SCHEDULES = ("none", "step", "exponential", "cosine", "plateau")
DATASETS = ("flower", "moons", "circles", "spirals", "blobs", "xor", "iris", "digits")


# ---- argument types: each rejects a bad value with one clear line ------------------------------
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _float_in(low: float, high: float, low_open: bool = False) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < low or value > high or (low_open and value == low):
            bounds = f"{'(' if low_open else '['}{low:g}, {high:g}]"
            raise argparse.ArgumentTypeError(f"expected a number in {bounds}, got {text!r}")
        return value
    return parse


def parse_layers(text: str) -> tuple[int, ...]:
    """Hidden layer sizes "16,8" -> (16, 8); "" or "none" -> () (logistic/softmax regression)."""
    text = text.strip()
    if text.lower() in ("", "none", "0"):
        return ()
    try:
        sizes = tuple(int(t) for t in text.replace("-", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"layers must be comma-separated positive integers "
                                         f"such as 16,16, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be >= 1, got {text!r}")
    return sizes


# ---- model, optimizer, schedule from hyperparameters ---------------------------------------------
def build_model(in_features: int, layers: Sequence[int], out_features: int,
                activation: str = "tanh", dropout: float = 0.0, init: str = "auto") -> Any:
    """An MLP: [Linear -> activation (-> Dropout)] per hidden size, then a Linear output layer.

    ``init``: "he" (Kaiming normal, for ReLU-like units), "xavier" (Glorot normal, for tanh and
    sigmoid), "normal" (N(0, 0.01²), the course's first try), "default" (the layer's own), or
    "auto" (he for relu/leaky_relu/elu, xavier otherwise). Biases start at zero except "default".
    """
    from autonet import nn

    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
            "elu": nn.ELU}
    if activation not in acts:
        raise ValueError(f"build_model: activation must be one of {sorted(acts)}, "
                         f"got {activation!r}")
    modules: list[Any] = []
    sizes = [in_features, *layers]
    for a, b in zip(sizes[:-1], sizes[1:]):
        modules += [nn.Linear(a, b), acts[activation]()]
        if dropout:
            modules.append(nn.Dropout(dropout))
    modules.append(nn.Linear(sizes[-1], out_features))
    if init == "auto":
        init = "he" if activation in ("relu", "leaky_relu", "elu") else "xavier"
    if init not in INITS:
        raise ValueError(f"build_model: init must be one of {INITS}, got {init!r}")
    if init != "default":
        gain = "relu" if activation in ("relu", "leaky_relu", "elu") else "tanh"
        for m in modules:
            if isinstance(m, nn.Linear):
                if init == "he":
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                elif init == "xavier":
                    nn.init.xavier_normal_(m.weight, gain=nn.init.calculate_gain(
                        gain if activation != "sigmoid" else "sigmoid"))
                else:
                    nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)
    return nn.Sequential(*modules)


def make_optimizer(name: str, params: Any, lr: float, momentum: float = 0.0) -> Any:
    from autonet import optim

    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=momentum)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=momentum)
    table = {"adam": optim.Adam, "adamw": optim.AdamW, "adagrad": optim.Adagrad}
    if name not in table:
        raise ValueError(f"make_optimizer: optimizer must be one of {OPTIMIZERS}, got {name!r}")
    return table[name](params, lr=lr)


def make_scheduler(name: str, optimizer: Any, epochs: int) -> Any:
    """none, step (halve every epochs/4), exponential (x0.99 per epoch), cosine (to 0 over the
    run), plateau (x0.5 after 10 epochs without validation improvement)."""
    from autonet.optim import lr_scheduler

    if name == "none":
        return None
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 4), gamma=0.5)
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=0.99)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    if name == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=10)
    raise ValueError(f"make_scheduler: schedule must be one of {SCHEDULES}, got {name!r}")


DEFAULTS: dict[str, Any] = {
    "dataset": "flower", "samples": 400, "layers": (16, 16), "activation": "tanh", "lr": 0.01,
    "epochs": 200, "batch_size": 32, "optimizer": "adam", "momentum": 0.9, "init": "auto",
    "l1": 0.0, "l2": 0.0, "dropout": 0.0, "schedule": "none", "val_fraction": 0.25,
    "patience": 0, "seed": 0, "data_seed": 0,
}


def prepare_data(dataset: str, samples: int, val_fraction: float, data_seed: int) -> dict:
    """Load, split (stratified) and standardize (statistics of the training split only)."""
    from autonet.data import StandardScaler, load_dataset, train_test_split

    x, y = load_dataset(dataset, n_samples=samples, seed=data_seed)
    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=val_fraction, seed=data_seed,
                                                stratify=y)
    scaler = StandardScaler().fit(x_tr)
    return {"x_train": scaler.transform(x_tr), "y_train": y_tr, "x_val": scaler.transform(x_val),
            "y_val": y_val, "scaler": scaler, "raw_x": x, "raw_y": y,
            "classes": int(y.max()) + 1}


def run_training(verbose: int = 0, callbacks: Sequence[Any] = (), data: dict | None = None,
                 **hparams: Any) -> tuple[Any, Any, dict, dict]:
    """Train one MLP classifier from hyperparameters (names as in DEFAULTS).

    Returns (model, history, final validation metrics, data dict)."""
    import autonet as an
    from autonet import nn
    from autonet.train import EarlyStopping, evaluate, fit

    unknown = set(hparams) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"run_training: unknown hyperparameters {sorted(unknown)}; "
                         f"known: {sorted(DEFAULTS)}")
    hp = {**DEFAULTS, **hparams}
    layers = hp["layers"]
    layers = (layers,) if isinstance(layers, int) else tuple(layers)
    if data is None:
        data = prepare_data(hp["dataset"], hp["samples"], hp["val_fraction"], hp["data_seed"])
    an.manual_seed(hp["seed"])
    model = build_model(data["x_train"].shape[1], layers, data["classes"], hp["activation"],
                        hp["dropout"], hp["init"])
    optimizer = make_optimizer(hp["optimizer"], model.parameters(), hp["lr"], hp["momentum"])
    scheduler = make_scheduler(hp["schedule"], optimizer, hp["epochs"])
    callbacks = list(callbacks)
    if hp["patience"]:
        callbacks.append(EarlyStopping("val_loss", patience=hp["patience"]))
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, loss_fn, optimizer, (data["x_train"], data["y_train"]),
                  epochs=hp["epochs"], val_data=(data["x_val"], data["y_val"]),
                  scheduler=scheduler, callbacks=callbacks, batch_size=hp["batch_size"],
                  seed=hp["seed"], l1=hp["l1"], l2=hp["l2"], verbose=verbose)
    final = evaluate(model, loss_fn, (data["x_val"], data["y_val"]))
    metrics = {"val_loss": final["loss"], "val_accuracy": final.get("accuracy", math.nan),
               "train_loss": history["loss"][-1], "epochs_run": len(history)}
    return model, history, metrics, data


def tune_trial(**hparams: Any) -> dict[str, float]:
    """One tuning trial (module-level so process pools and Dask can run it)."""
    return run_training(**hparams)[2]


# ---- outputs ---------------------------------------------------------------------------
def _write_plots(out: Path, model: Any, history: Any, data: dict, notes: list[str]) -> None:
    try:
        from autonet.plot import plot_decision_boundary, plot_history, plot_lr_schedule
        from autonet.train import predict

        plot_history(history, out / "loss.png")
        plot_lr_schedule(history, out / "lr_schedule.png")
        notes += [str(out / "loss.png"), str(out / "lr_schedule.png")]
        if data["raw_x"].shape[1] == 2:
            scaler = data["scaler"]
            plot_decision_boundary(lambda pts: predict(model, scaler.transform(pts)),
                                   data["raw_x"], data["raw_y"], out / "decision_boundary.png")
            notes.append(str(out / "decision_boundary.png"))
        else:
            from autonet.plot import plot_confusion_matrix

            predicted = predict(model, data["x_val"]).argmax(axis=1)
            plot_confusion_matrix(data["y_val"], predicted, out / "confusion_matrix.png")
            notes.append(str(out / "confusion_matrix.png"))
    except ImportError as err:
        notes.append(f"(plots skipped: {err})")


def _save_graph(model: Any, data: dict, path: Path) -> str:
    """Picture of one training step's graph with its gradients, drawn before backward frees it."""
    import autonet as an
    from autonet import nn

    x = an.tensor(data["x_train"][:4])
    y = an.tensor(data["y_train"][:4])
    loss = nn.CrossEntropyLoss()(model(x), y)
    return str(an.viz.save_graph(loss, path, model=model, flow=True))


def _print_metrics(metrics: dict[str, float]) -> None:
    print("final: " + "  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                for k, v in metrics.items()))


# ---- commands ---------------------------------------------------------------------------
DEMOS = {
    # the bundled handwritten digits (8x8 images, 10 classes): a real dataset, read from the package
    "digits": {"dataset": "digits", "layers": (32,), "activation": "relu", "lr": 0.003,
               "epochs": 30, "batch_size": 64, "optimizer": "adam", "schedule": "cosine"},
    # the course's planar flower: 2-D, so the decision boundary can be drawn
    "flower": {"dataset": "flower", "layers": (16, 16), "activation": "tanh", "lr": 0.02,
               "epochs": 300, "batch_size": 32, "optimizer": "adam", "schedule": "cosine"},
}


def cmd_demo(args: argparse.Namespace) -> int:
    import autonet as an

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    settings = {**DEMOS[args.dataset], **({"epochs": args.epochs} if args.epochs else {})}
    sizes = "-".join(str(n) for n in (*settings["layers"],))
    print(f"autonet demo: an MLP (hidden {sizes}, {settings['activation']}) learns "
          f"{args.dataset} for {settings['epochs']} epochs; files go to {out}/")
    model, history, metrics, data = run_training(verbose=args.verbose, seed=args.seed,
                                                 **settings)
    notes = [_save_graph(model, data, out / "graph.svg")]
    _write_plots(out, model, history, data, notes)
    an.save(model.state_dict(), out / "model.npz")
    history.to_csv(out / "history.csv")
    notes += [str(out / "model.npz"), str(out / "history.csv")]
    _print_metrics(metrics)
    print("wrote: " + ", ".join(notes))
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def _hparams(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in DEFAULTS}


def cmd_train(args: argparse.Namespace) -> int:
    import autonet as an
    from autonet.train import Checkpoint

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    hp = _hparams(args)
    every = args.checkpoint_every or hp["epochs"]
    model, history, metrics, data = run_training(
        verbose=args.verbose, callbacks=[Checkpoint(out / "checkpoint.npz", every=every)], **hp)
    history.to_csv(out / "history.csv")
    history.to_json(out / "history.json")
    an.save(model.state_dict(), out / "model.npz")
    notes = [str(out / n) for n in ("history.csv", "history.json", "checkpoint.npz", "model.npz")]
    _write_plots(out, model, history, data, notes)
    _print_metrics(metrics)
    print("wrote: " + ", ".join(notes))
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from autonet import tune

    space = tune.parse_space(args.grid)
    unknown = set(space) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"--grid names unknown hyperparameters {sorted(unknown)}; "
                         f"tunable: {', '.join(sorted(DEFAULTS))}")
    _check_space(space)
    if "layers" in space and isinstance(space["layers"], list):
        space["layers"] = [(v,) if isinstance(v, int) else v for v in space["layers"]]
    base = {k: v for k, v in _hparams(args).items() if k not in space}
    cls = {"grid": tune.GridSearch, "random": tune.RandomSearch,
           "bayes": tune.BayesianSearch}[args.method]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    client = None
    executor = None
    if args.dask:
        from distributed import Client, LocalCluster

        if args.dask == "local":
            client = Client(LocalCluster(n_workers=args.jobs, threads_per_worker=1,
                                         dashboard_address=None))
        else:
            client = Client(args.dask)
        executor = client.get_executor()
    try:
        search = cls(functools.partial(tune_trial, **base), space, metric=args.metric,
                     n_trials=args.trials, seed=args.seed, executor=executor, n_jobs=args.jobs)
        print(f"autonet tune: {args.method} search over {', '.join(space)} "
              f"({args.trials or 'all'} trials, {args.jobs} job(s))", flush=True)
        results = search.run()
    finally:
        if client is not None:
            client.close()
    results.to_csv(out / "trials.csv")
    print(results.format(limit=args.show))
    hidden = [t for t in results.trials[args.show:] if t["status"] != "ok"]
    for t in hidden[:3]:  # failures below the printed rows
        print(f"trial {t['trial']} failed: {t['error']}")
    wrote = [str(out / "trials.csv")]
    if results.ok:
        try:
            results.plot(out / "search.png")
            wrote.append(str(out / "search.png"))
        except ImportError as err:
            wrote.append(f"(plot skipped: {err})")
        best = results.best
        print(f"best: {best['params']}  {args.metric}={best['metrics'][args.metric]:.4f}")
    print("wrote: " + ", ".join(wrote))
    return 0 if results.ok else 1


def _check_space(space: dict[str, Any]) -> None:
    """Each value (or range bound) of a --grid entry must be one its flag would accept, so a
    typo fails here in one line instead of failing every trial."""
    probe = _Parser(prog="autonet tune")
    _add_hparams(probe)
    actions = {a.dest: a for a in probe._actions}
    for name, spec in space.items():
        action = actions[name]
        values = spec if isinstance(spec, list) else [spec.low, spec.high]
        for value in values:
            text = "-".join(map(str, value)) if isinstance(value, tuple) else str(value)
            try:
                parsed = action.type(text) if action.type is not None else text
            except (argparse.ArgumentTypeError, ValueError) as err:
                raise ValueError(f"--grid: bad value {text!r} for {name}: {err}") from None
            if action.choices is not None and parsed not in action.choices:
                raise ValueError(f"--grid: bad value {text!r} for {name}: choose from "
                                 f"{', '.join(map(str, action.choices))}")


def cmd_graph(args: argparse.Namespace) -> int:
    import autonet as an
    from autonet import nn

    try:
        from autonet.viz import save_graph
    except ImportError as err:
        raise RuntimeError(f"graph drawing is unavailable: {err}") from None
    an.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x = an.tensor([[0.5, -1.0], [1.5, 0.2]], name="x")
    y = an.tensor([[1.0], [0.0]], name="y")
    loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
    written = save_graph(loss, args.out, model=model, flow=not args.no_grad,
                         grads=not args.no_grad)
    print(f"wrote {written}: the graph of a 2-3-1 network's loss"
          + ("" if args.no_grad else " with the gradients flowing back"))
    return 0


# ---- parser ---------------------------------------------------------------------------
class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: X)" only where there is one to show: not for None/False flags or help
    that states its default, and layer sizes as 16,16 (the form the flag takes)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if default is None or default is False or default is argparse.SUPPRESS \
                or "default" in text or not action.option_strings:
            return text
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else str(default)
        if isinstance(default, tuple) and not default:
            shown = "none"
        return f"{text} (default: {shown.replace('%', '%%')})"


class _Parser(argparse.ArgumentParser):
    """Reports a bad command line in one line (no usage dump) and exits with status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def _add_hparams(p: argparse.ArgumentParser, tuning: bool = False) -> None:
    d = DEFAULTS
    g = p.add_argument_group("data")
    g.add_argument("--dataset", choices=DATASETS, default=d["dataset"], help="dataset")
    g.add_argument("--samples", type=_positive_int, default=d["samples"],
                   help="points to generate (generated datasets only)")
    g.add_argument("--val-fraction", dest="val_fraction", type=_float_in(0, 0.9, True),
                   default=d["val_fraction"], help="share held out for validation")
    g.add_argument("--data-seed", dest="data_seed", type=int, default=d["data_seed"],
                   help="seed of the data and its split")
    g = p.add_argument_group("model" + (" (defaults for what --grid leaves out)" if tuning else ""))
    g.add_argument("--layers", type=parse_layers, default=d["layers"],
                   help="hidden layer sizes, e.g. 16,16 ('none' = no hidden layer)")
    g.add_argument("--activation", choices=ACTIVATIONS, default=d["activation"],
                   help="hidden-unit activation")
    g.add_argument("--init", choices=INITS, default=d["init"],
                   help="weight initialization (auto: he for relu-like, xavier otherwise)")
    g.add_argument("--dropout", type=_float_in(0, 0.95), default=d["dropout"],
                   help="dropout rate after each hidden layer")
    g = p.add_argument_group("optimization")
    g.add_argument("--optimizer", choices=OPTIMIZERS, default=d["optimizer"], help="optimizer")
    g.add_argument("--lr", type=_float_in(0, 100, True), default=d["lr"], help="learning rate")
    g.add_argument("--momentum", type=_float_in(0, 0.999), default=d["momentum"],
                   help="momentum (sgd and rmsprop)")
    g.add_argument("--epochs", type=_positive_int, default=d["epochs"],
                   help="passes over the training data")
    g.add_argument("--batch-size", dest="batch_size", type=_positive_int,
                   default=d["batch_size"],
                   help="1 = stochastic GD, N = batch GD, in between = mini-batch GD")
    g.add_argument("--schedule", choices=SCHEDULES, default=d["schedule"],
                   help="learning-rate schedule")
    g.add_argument("--l1", type=_float_in(0, 10), default=d["l1"], help="L1 penalty on weights")
    g.add_argument("--l2", type=_float_in(0, 10), default=d["l2"],
                   help="L2 penalty on weights (weight decay)")
    g.add_argument("--patience", type=int, default=d["patience"],
                   help="early-stopping patience in epochs (0 = off)")
    g.add_argument("--seed", type=int, default=d["seed"],
                   help=("seed of the search; every trial trains with one seed drawn from it "
                         "(the table's seed column), so trials differ only in hyperparameters")
                   if tuning else
                   "seed of initialization, dropout and shuffling")


def make_parser() -> argparse.ArgumentParser:
    from autonet import __version__

    fmt = _HelpFormatter
    parser = _Parser(prog="autonet", description="autonet: train, tune and draw small networks.")
    parser.add_argument("--version", action="version", version=f"autonet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{demo,train,tune,graph}")
    sub.required = True

    p = sub.add_parser("demo", help="train on bundled handwritten digits and write pictures "
                       "(no network needed)", formatter_class=fmt)
    p.add_argument("--dataset", choices=sorted(DEMOS), default="digits",
                   help="digits (bundled, real) or flower (2-D, draws the decision boundary)")
    p.add_argument("--out", default="autonet-demo", help="output directory")
    p.add_argument("--epochs", type=_positive_int, default=None,
                   help="training epochs (default: 30 for digits, 300 for flower)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="0 quiet, 1 progress bar on a terminal, 2 a line per epoch")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("train", help="train an MLP classifier; every hyperparameter is a flag",
                       formatter_class=fmt)
    _add_hparams(p)
    g = p.add_argument_group("output")
    g.add_argument("--out", default="autonet-train", help="output directory")
    g.add_argument("--checkpoint-every", dest="checkpoint_every", type=int, default=0,
                   help="save a resumable checkpoint every N epochs (0 = at the end)")
    g.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="0 quiet, 1 progress bar on a terminal, 2 a line per epoch")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("tune", help="search hyperparameters (grid, random, Bayesian)",
                       formatter_class=fmt)
    g = p.add_argument_group("search")
    g.add_argument("--grid", "--space", dest="grid", required=True,
                   help="search space, e.g. 'lr=0.01,0.1;layers=8|16,16;l2=log:1e-5:1e-2'")
    g.add_argument("--method", choices=("grid", "random", "bayes"), default="grid",
                   help="grid: every combination; random: --trials draws; bayes: Optuna TPE")
    g.add_argument("--trials", type=_positive_int, default=None,
                   help="budget (grid: cap; random/bayes: number of trials, default 10/20)")
    g.add_argument("--jobs", type=_positive_int, default=1, help="parallel worker processes")
    g.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run trials on a Dask cluster at ADDRESS ('local' starts one)")
    g.add_argument("--metric", choices=("val_loss", "val_accuracy"), default="val_loss",
                   help="what ranks the trials")
    g.add_argument("--show", type=_positive_int, default=10, help="table rows to print")
    g.add_argument("--out", default="autonet-tune", help="output directory")
    _add_hparams(p, tuning=True)
    p.set_defaults(run=cmd_tune, verbose=0)

    p = sub.add_parser("graph", help="draw the computation graph of a small network's loss",
                       formatter_class=fmt)
    p.add_argument("--out", default="autonet-graph.svg",
                   help="file to write (.svg, .png, .pdf or .dot)")
    p.add_argument("--no-grad", dest="no_grad", action="store_true",
                   help="draw the forward graph only, without gradients")
    p.set_defaults(run=cmd_graph)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``autonet`` console script and ``python -m autonet``."""
    parser = make_parser()
    args = parser.parse_args(argv)
    from autonet.train import TrainingDiverged

    try:
        return int(args.run(args) or 0)
    except TrainingDiverged as err:
        print(f"autonet {args.command}: {err}", file=sys.stderr)
        return 1
    except (ValueError, TypeError) as err:
        print(f"autonet {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError, ImportError) as err:
        print(f"autonet {args.command}: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"autonet {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
