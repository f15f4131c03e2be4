"""Command-line arguments: value types that reject a bad value in one clear line, the help
format, a parser that reports errors in one line, and the hyperparameter flags."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any, NoReturn

from autonet.cli.hparams import ACTIVATIONS, DATASETS, DEFAULTS, INITS, OPTIMIZERS, SCHEDULES

MAX_SAMPLES = 10_000_000  # points a generated dataset may have (about 80 MB of 2-D float32)
MAX_UNITS = 100_000  # units a hidden layer may have (a 100,000-square weight matrix is 40 GB)


def positive_int(text: str) -> int:
    """An integer >= 1 (epochs, batch sizes, trials, jobs)."""
    return _int_at_least(text, 1, "a positive integer")


def non_negative_int(text: str) -> int:
    """An integer >= 0 (seeds, patience, checkpoint intervals where 0 means 'off')."""
    return _int_at_least(text, 0, "an integer >= 0")


def _int_at_least(text: str, minimum: int, expected: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def sample_count(text: str) -> int:
    """A positive integer up to MAX_SAMPLES (more would not fit in memory)."""
    value = positive_int(text)
    if value > MAX_SAMPLES:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_SAMPLES} samples, got {text!r}")
    return value


def float_in(low: float, high: float, low_open: bool = False) -> Any:
    """An argument type accepting numbers in [low, high] (or (low, high] with ``low_open``)."""

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
    if any(s > MAX_UNITS for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be <= {MAX_UNITS}, got {text!r}")
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    if weights > MAX_UNITS * 1000:
        raise argparse.ArgumentTypeError(f"layers {text!r} need {weights} weights between "
                                         f"hidden layers, more than {MAX_UNITS * 1000}; use "
                                         "smaller layers")
    return sizes


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
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


class Parser(argparse.ArgumentParser):
    """Reports a bad command line in one line (no usage dump) and exits with status 2."""

    train: argparse.ArgumentParser | None = None  # the train subcommand's (set by make_parser)

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def add_verbose(p: Any) -> None:
    """The --verbose flag of the commands that train (p: a parser or an argument group)."""
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="0 quiet, 1 progress bar on a terminal, 2 a line per epoch")


def add_hparams(p: argparse.ArgumentParser, tuning: bool = False) -> None:
    """One flag per hyperparameter of DEFAULTS, in groups data, model, optimization."""
    d = DEFAULTS
    g = p.add_argument_group("data")
    g.add_argument("--dataset", choices=DATASETS, default=d["dataset"], help="dataset")
    g.add_argument("--samples", type=sample_count, default=d["samples"],
                   help="points to generate (generated datasets only)")
    g.add_argument("--val-fraction", dest="val_fraction", type=float_in(0, 0.9, True),
                   default=d["val_fraction"], help="share held out for validation")
    g.add_argument("--data-seed", dest="data_seed", type=non_negative_int, default=d["data_seed"],
                   help="seed of the data and its split")
    g = p.add_argument_group("model" + (" (defaults for what --grid leaves out)" if tuning else ""))
    g.add_argument("--layers", type=parse_layers, default=d["layers"],
                   help="hidden layer sizes, e.g. 16,16 ('none' = no hidden layer)")
    g.add_argument("--activation", choices=ACTIVATIONS, default=d["activation"],
                   help="hidden-unit activation")
    g.add_argument("--init", choices=INITS, default=d["init"],
                   help="weight initialization (auto: he for relu-like, xavier otherwise)")
    g.add_argument("--dropout", type=float_in(0, 0.95), default=d["dropout"],
                   help="dropout rate after each hidden layer")
    g = p.add_argument_group("optimization")
    g.add_argument("--optimizer", choices=OPTIMIZERS, default=d["optimizer"], help="optimizer")
    g.add_argument("--lr", type=float_in(0, 100, True), default=d["lr"], help="learning rate")
    g.add_argument("--momentum", type=float_in(0, 0.999), default=d["momentum"],
                   help="momentum (sgd and rmsprop)")
    g.add_argument("--epochs", type=positive_int, default=d["epochs"],
                   help="passes over the training data")
    g.add_argument("--batch-size", dest="batch_size", type=positive_int,
                   default=d["batch_size"],
                   help="1 = stochastic GD, m (the number of training examples) = batch GD, "
                   "in between = mini-batch GD")
    g.add_argument("--schedule", choices=SCHEDULES, default=d["schedule"],
                   help="learning-rate schedule")
    g.add_argument("--l1", type=float_in(0, 10), default=d["l1"], help="L1 penalty on weights")
    g.add_argument("--l2", type=float_in(0, 10), default=d["l2"],
                   help="L2 penalty on weights (weight decay)")
    g.add_argument("--patience", type=non_negative_int, default=d["patience"],
                   help="early-stopping patience in epochs (0 = off)")
    g.add_argument("--seed", type=non_negative_int, default=d["seed"],
                   help=("seed of the search; every trial trains with one seed drawn from it "
                         "(the table's seed column), so trials differ only in hyperparameters")
                   if tuning else
                   "seed of initialization, dropout and shuffling")
