"""The ``autonet`` command: ``demo``, ``train``, ``tune``, ``graph`` and ``notebooks``.

Every hyperparameter of the course is a flag of ``train`` (and a default for ``tune``); see
``autonet train --help``. Bad flags or values print one line and exit with status 2.

    program.py      the parser with its subcommands, and main (the console script)
    commands.py     demo, train, tune, graph
    arguments.py    flag value types, help format, one-line errors, the hyperparameter flags
    hparams.py      hyperparameter choices and defaults
    build.py        model, optimizer and schedule from hyperparameters
    run.py          one training run (run_training) and one tuning trial
    resume.py       train --resume: the run's settings beside its checkpoint, unchanged flags
    outputs.py      output directory, plots, the graph picture, the closing lines
    space.py        the --grid/--space text syntax of a search space, typed by the flags
    notebooks.py    notebooks: copy the course notebooks shipped in the package
"""

from autonet.cli.arguments import parse_layers
from autonet.cli.build import build_model, make_optimizer, make_scheduler
from autonet.cli.commands import DEMOS, cmd_demo, cmd_graph, cmd_train, cmd_tune
from autonet.cli.hparams import ACTIVATIONS, DATASETS, DEFAULTS, INITS, OPTIMIZERS, SCHEDULES
from autonet.cli.program import main, make_parser
from autonet.cli.run import prepare_data, run_training, tune_trial
from autonet.cli.space import parse_space, typed_space

__all__ = ["ACTIVATIONS", "DATASETS", "DEFAULTS", "DEMOS", "INITS", "OPTIMIZERS", "SCHEDULES",
           "build_model", "cmd_demo", "cmd_graph", "cmd_train", "cmd_tune", "main",
           "make_optimizer", "make_parser", "make_scheduler", "parse_layers", "parse_space",
           "prepare_data", "typed_space",
           "run_training", "tune_trial"]
