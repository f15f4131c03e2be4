"""``autonet train --resume PATH``: the run's settings saved beside its checkpoint, read back as
the defaults of the resumed command, and the check that no flag changes the run.

``autonet train`` writes ``hparams.json`` (every hyperparameter of the run) next to
``checkpoint.npz``. Resuming rebuilds the same data, model, optimizer, schedule and callbacks
from it and hands the checkpoint to ``fit(resume=...)``, which restores the weights, optimizer
state, schedule, history and random generators: the run then ends exactly as an uninterrupted
one would. Only ``--epochs`` may differ (to train for longer); the output flags are free.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autonet.cli.hparams import DEFAULTS

SETTINGS = "hparams.json"
CHANGEABLE = ("epochs",)  # a resumed run may train for longer; anything else is another run


def save_settings(out: Path, hparams: dict[str, Any]) -> Path:
    """Write the run's hyperparameters to ``out/hparams.json`` (layer sizes as a list)."""
    path = out / SETTINGS
    path.write_text(json.dumps({k: list(v) if isinstance(v, tuple) else v
                                for k, v in hparams.items()}, indent=1) + "\n")
    return path


def load_settings(checkpoint: str | Path) -> dict[str, Any]:
    """The hyperparameters saved beside ``checkpoint`` by the run that wrote it."""
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        what = ("is not a regular file (a directory, pipe or device)" if checkpoint.exists()
                else "does not exist")
        raise ValueError(f"--resume: {checkpoint} {what}; pass the checkpoint.npz an "
                         "earlier 'autonet train' wrote into its --out directory")
    path = checkpoint.parent / SETTINGS
    if not path.is_file():
        raise ValueError(f"--resume: no {SETTINGS} beside {checkpoint}, so the run's settings "
                         "are unknown; resume it from Python with fit(..., resume=PATH) on a "
                         "model and optimizer built as before")
    try:
        saved = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"--resume: {path} is not valid JSON ({err})") from None
    missing = sorted(set(DEFAULTS) - set(saved)) if isinstance(saved, dict) else sorted(DEFAULTS)
    if missing:
        raise ValueError(f"--resume: {path} lacks the hyperparameters {missing}")
    settings = {k: saved[k] for k in DEFAULTS}
    if not isinstance(settings["layers"], list) or not all(
            type(n) is int for n in settings["layers"]):
        raise ValueError(f"--resume: {path} has layers={settings['layers']!r}, not a list of "
                         "layer sizes")
    settings["layers"] = tuple(settings["layers"])
    return settings


def check_settings(settings: dict[str, Any], train: argparse.ArgumentParser,
                   path: Path) -> None:
    """Each saved setting must be one its flag accepts (of the flag's type, within its range, one
    of its choices): a hand-edited or foreign hparams.json fails here in one line."""
    actions = {a.dest: a for a in train._actions}
    for name, value in settings.items():
        action = actions[name]
        expected = type(DEFAULTS[name])
        if (not isinstance(value, expected) or isinstance(value, bool) != isinstance(
                DEFAULTS[name], bool)) and not (expected is float and type(value) is int):
            raise ValueError(f"--resume: {path} has {name}={value!r}, not a "
                             f"{expected.__name__}")
        text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
        if isinstance(value, tuple) and not value:
            text = "none"
        try:
            parsed = action.type(text) if action.type is not None else text
        except (argparse.ArgumentTypeError, ValueError) as err:
            raise ValueError(f"--resume: {path} has {name}={value!r}: {err}") from None
        if action.choices is not None and parsed not in action.choices:
            raise ValueError(f"--resume: {path} has {name}={value!r}; choose from "
                             f"{', '.join(map(str, action.choices))}")


def resumed_args(parser: argparse.ArgumentParser, train: argparse.ArgumentParser,
                 argv: Sequence[str] | None, args: argparse.Namespace) -> argparse.Namespace:
    """Parse ``argv`` again with the saved settings as the defaults of ``train`` (and the
    checkpoint's directory as ``--out``), so the flags given override them; refuse flags that
    would change the run."""
    saved = load_settings(args.resume)
    check_settings(saved, train, Path(args.resume).parent / SETTINGS)
    train.set_defaults(**saved, out=str(Path(args.resume).parent))
    again = parser.parse_args(argv)
    changed = [f"--{k.replace('_', '-')} {_show(getattr(again, k))} (the run used "
               f"{_show(v)})" for k, v in saved.items()
               if k not in CHANGEABLE and getattr(again, k) != v]
    if changed:
        raise ValueError(f"--resume continues the run in {Path(args.resume).parent} with its own "
                         f"settings, but {'; '.join(changed)}; drop those flags (only --epochs "
                         "may change) or start a new run without --resume")
    return again


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
