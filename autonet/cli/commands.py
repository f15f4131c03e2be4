"""The subcommands: ``demo``, ``train``, ``tune`` and ``graph``; each takes the parsed arguments
and returns the exit status."""

from __future__ import annotations

import argparse
import functools
import time
from typing import Any

from autonet.cli.arguments import Parser, add_hparams
from autonet.cli.hparams import DEFAULTS
from autonet.cli.outputs import output_dir, print_summary, save_step_graph, write_plots
from autonet.cli.resume import save_settings
from autonet.cli.run import run_training, tune_trial
from autonet.cli.space import parse_space, typed_space

DEMOS = {
    # the bundled handwritten digits (8x8 images, 10 classes): a real dataset, read from the package
    "digits": {"dataset": "digits", "layers": (32,), "activation": "relu", "lr": 0.003,
               "epochs": 30, "batch_size": 64, "optimizer": "adam", "schedule": "cosine"},
    # the course's planar flower: 2-D, so the decision boundary can be drawn
    "flower": {"dataset": "flower", "layers": (16, 16), "activation": "tanh", "lr": 0.02,
               "epochs": 300, "batch_size": 32, "optimizer": "adam", "schedule": "cosine"},
}


# --model cnn: conv-relu-pool twice and a linear layer, on the digits as 1x8x8 images
CNN_DEMO = {"dataset": "digits", "lr": 0.01, "epochs": 30, "batch_size": 32,
            "optimizer": "adam", "schedule": "cosine"}


def cmd_demo(args: argparse.Namespace) -> int:
    import autonet as an

    cnn = getattr(args, "model", "mlp") == "cnn"
    if cnn and args.dataset != "digits":
        raise SystemExit("autonet demo: --model cnn learns the digits images; drop --dataset "
                         f"{args.dataset}")
    out = output_dir(args.out)
    start = time.perf_counter()
    settings = {**(CNN_DEMO if cnn else DEMOS[args.dataset]),
                **({"epochs": args.epochs} if args.epochs else {})}
    if cnn:
        what = "a CNN (conv 3x3 8 filters, relu, max pool 2x2, conv 3x3 16, relu, pool, linear)"
    else:
        sizes = "-".join(str(n) for n in (*settings["layers"],))
        what = f"an MLP (hidden {sizes}, {settings['activation']})"
    print(f"autonet demo: {what} learns {args.dataset} for {settings['epochs']} epochs; files go "
          f"to {out}/")
    model, history, metrics, data = run_training(verbose=args.verbose, seed=args.seed,
                                                 architecture="cnn" if cnn else "mlp",
                                                 **settings)
    notes = [save_step_graph(model, data, out / "graph.svg")]
    write_plots(out, model, history, data, notes)
    an.save(model.state_dict(), out / "model.npz")
    history.to_csv(out / "history.csv")
    notes += [str(out / "model.npz"), str(out / "history.csv")]
    print_summary(metrics, notes)
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def _hparams(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in DEFAULTS}


def cmd_train(args: argparse.Namespace) -> int:
    import autonet as an
    from autonet.train import Checkpoint

    out = output_dir(args.out)
    hp = _hparams(args)
    save_settings(out, hp)  # what --resume rebuilds the run from
    every = args.checkpoint_every or hp["epochs"]
    model, history, metrics, data = run_training(
        verbose=args.verbose, callbacks=[Checkpoint(out / "checkpoint.npz", every=every)],
        resume=args.resume, compile=args.compile, **hp)
    history.to_csv(out / "history.csv")
    history.to_json(out / "history.json")
    an.save(model.state_dict(), out / "model.npz")
    notes = [str(out / n) for n in ("hparams.json", "history.csv", "history.json",
                                    "checkpoint.npz", "model.npz")]
    write_plots(out, model, history, data, notes)
    print_summary(metrics, notes)
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from autonet import tune

    space = parse_space(args.grid)
    unknown = set(space) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"--grid names unknown hyperparameters {sorted(unknown)}; "
                         f"tunable: {', '.join(sorted(DEFAULTS))}")
    probe = Parser(prog="autonet tune")
    add_hparams(probe)
    space = typed_space(space, {a.dest: a for a in probe._actions})
    base = {k: v for k, v in _hparams(args).items() if k not in space}
    cls = {"grid": tune.GridSearch, "random": tune.RandomSearch,
           "bayes": tune.BayesianSearch}[args.method]
    out = output_dir(args.out)
    client = None
    executor = None
    where = ("one after another in this process" if args.jobs == 1 else
             f"in {args.jobs} worker processes, {args.jobs} at a time")
    if args.dask:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ImportError("--dask needs Dask: pip install 'autonet[distributed]'") from None

        if args.dask == "local":
            client = Client(LocalCluster(n_workers=args.jobs, threads_per_worker=1,
                                         dashboard_address=None))
            local = f" (a local cluster of {args.jobs} worker{'s' * (args.jobs > 1)})"
        else:
            client = Client(args.dask)
            local = ""
        executor = client.get_executor()
        where = f"on the Dask scheduler at {client.scheduler.address}{local}"
    try:
        search = cls(functools.partial(tune_trial, **base), space, metric=args.metric,
                     n_trials=args.trials, seed=args.seed, executor=executor, n_jobs=args.jobs)
        print(f"autonet tune: {args.method} search over {', '.join(space)}: "
              f"{search.planned_trials()} trials, run {where}", flush=True)
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
