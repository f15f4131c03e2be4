"""tqdm progress bars for fit, shown only where someone can see them (a terminal or Jupyter)."""

from __future__ import annotations

import sys
from typing import Any


def _in_notebook() -> bool:
    """True inside a Jupyter kernel, whose stderr is no terminal but shows tqdm's widget."""
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    shell = getattr(sys.modules["IPython"], "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(total: int, verbose: int, desc: str, leave: bool, position: int) -> Any:
    """A tqdm bar over ``total`` epochs (position 0) or batches (position 1), or None when
    ``verbose`` is 0, nobody watches stderr, or tqdm is missing."""
    if verbose < 1 or not (sys.stderr.isatty() or _in_notebook()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, leave=leave, position=position, dynamic_ncols=True,
                unit="batch" if position else "epoch")
