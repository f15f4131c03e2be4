"""``autonet notebooks DIR``: copy the course notebooks that ship with the package into DIR."""

from __future__ import annotations

import argparse
import shutil
from importlib import resources
from pathlib import Path


def course_notebooks() -> list[Path]:
    """The packaged course notebooks (autonet/notebooks/NN-*.ipynb), in chapter order."""
    folder = Path(str(resources.files("autonet") / "notebooks"))
    found = sorted(folder.glob("*.ipynb"))
    if not found:
        raise OSError(f"no course notebooks in {folder}: the installed package lacks its data "
                      "files; reinstall autonet (pip install --force-reinstall autonet)")
    return found


def cmd_notebooks(args: argparse.Namespace) -> int:
    """Copy every notebook into ``args.dir`` (created if needed); an existing file is kept
    unless ``--force``, so a learner's work is never overwritten by accident."""
    out = Path(args.dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file, not a directory: give a directory to copy the "
                         "notebooks into")
    out.mkdir(parents=True, exist_ok=True)
    kept = []
    for notebook in course_notebooks():
        target = out / notebook.name
        if target.exists() and not args.force:
            kept.append(target.name)
            continue
        shutil.copyfile(notebook, target)
        print(target)
    if kept:
        print(f"kept {len(kept)} existing notebook(s) ({', '.join(kept)}); "
              "--force overwrites them")
    print(f"open them with: jupyter lab {out}   (pip install jupyterlab, and autonet[plot] "
          "for the figures)")
    return 0
