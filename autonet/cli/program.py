"""The ``autonet`` program: its parser (one subparser per command) and ``main``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from autonet.cli.arguments import (
    HelpFormatter,
    Parser,
    add_hparams,
    add_verbose,
    non_negative_int,
    positive_int,
)
from autonet.cli.commands import DEMOS, cmd_demo, cmd_graph, cmd_train, cmd_tune
from autonet.cli.notebooks import cmd_notebooks
from autonet.cli.resume import resumed_args


def make_parser() -> argparse.ArgumentParser:
    from autonet import __version__

    fmt = HelpFormatter
    parser = Parser(prog="autonet", description="autonet: train, tune and draw small networks.")
    parser.add_argument("--version", action="version", version=f"autonet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{demo,train,tune,graph,notebooks}")
    sub.required = True

    p = sub.add_parser("demo", help="train on bundled handwritten digits and write pictures "
                       "(no network needed)", formatter_class=fmt)
    p.add_argument("--dataset", choices=sorted(DEMOS), default="digits",
                   help="digits (bundled, real) or flower (2-D, draws the decision boundary)")
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp",
                   help="mlp, or cnn: a small convolutional network on the digits as 1x8x8 images")
    p.add_argument("--out", default="autonet-demo", help="output directory")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="training epochs (default: 30 for digits, 300 for flower)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed")
    add_verbose(p)
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("train", help="train an MLP classifier; every hyperparameter is a flag",
                       formatter_class=fmt)
    add_hparams(p)
    g = p.add_argument_group("output")
    g.add_argument("--out", default="autonet-train", help="output directory")
    g.add_argument("--checkpoint-every", dest="checkpoint_every", type=non_negative_int,
                   default=0, help="save a resumable checkpoint every N epochs (0 = at the end)")
    g.add_argument("--resume", default=None, metavar="PATH",
                   help="continue the run that wrote checkpoint PATH, with its settings "
                   "(hparams.json beside it) and into its directory unless --out is given; "
                   "it ends exactly as the uninterrupted run would. Only --epochs may change "
                   "(to train longer; a schedule keeps the length it was built with)")
    add_verbose(g)
    g = p.add_argument_group("speed")
    g.add_argument("--compile", action="store_true",
                   help="trace each training and validation step once and replay it as "
                   "straight-line numpy (an.compile); the run is the same bit for bit")
    p.set_defaults(run=cmd_train)
    parser.train = p  # main re-reads its defaults from a run's settings for --resume

    p = sub.add_parser("tune", help="search hyperparameters (grid, random, Bayesian)",
                       formatter_class=fmt)
    g = p.add_argument_group("search")
    g.add_argument("--grid", "--space", dest="grid", required=True,
                   help="search space, e.g. 'lr=0.01,0.1;layers=8|16,16;l2=log:1e-5:1e-2'")
    g.add_argument("--method", choices=("grid", "random", "bayes"), default="grid",
                   help="grid: every combination; random: --trials draws; bayes: Optuna TPE")
    g.add_argument("--trials", type=positive_int, default=None,
                   help="budget (grid: cap; random/bayes: number of trials, default 10/20)")
    g.add_argument("--jobs", type=positive_int, default=1,
                   help="parallel worker processes (with --dask local: the cluster's workers)")
    g.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run trials on a Dask cluster at ADDRESS ('local' starts one)")
    g.add_argument("--metric", choices=("val_loss", "val_accuracy"), default="val_loss",
                   help="what ranks the trials")
    g.add_argument("--show", type=positive_int, default=10, help="table rows to print")
    g.add_argument("--out", default="autonet-tune", help="output directory")
    add_hparams(p, tuning=True)
    p.set_defaults(run=cmd_tune, verbose=0)

    p = sub.add_parser("graph", help="draw the computation graph of a small network's loss",
                       formatter_class=fmt)
    p.add_argument("--out", default="autonet-graph.svg",
                   help="file to write (.svg, .png, .pdf or .dot)")
    p.add_argument("--no-grad", dest="no_grad", action="store_true",
                   help="draw the forward graph only, without gradients")
    p.set_defaults(run=cmd_graph)

    p = sub.add_parser("notebooks", help="copy the course's Jupyter notebooks into a directory",
                       formatter_class=fmt)
    p.add_argument("dir", help="directory to copy them into (created if needed)")
    p.add_argument("--force", action="store_true", help="overwrite notebooks already there")
    p.set_defaults(run=cmd_notebooks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``autonet`` console script and ``python -m autonet``."""
    parser = make_parser()
    args = parser.parse_args(argv)
    from autonet.train import TrainingDiverged

    try:
        if getattr(args, "resume", None) is not None:
            args = resumed_args(parser, parser.train, argv, args)
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
        checkpoint = Path(getattr(args, "out", "")) / "checkpoint.npz"
        hint = (f"; continue with: autonet train --resume {checkpoint}"
                if args.command == "train" and checkpoint.is_file() else "")
        print(f"autonet {args.command}: interrupted{hint}", file=sys.stderr)
        return 130
