"""examples/draw_graphs.py runs and draws every picture docs/graphs.md shows (the site draws the
page's pictures from the page's own code at build time; tests/test_docs.py checks that)."""

from __future__ import annotations

import importlib.util
import re
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_example():
    spec = importlib.util.spec_from_file_location("draw_graphs", ROOT / "examples/draw_graphs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_draws_every_picture_the_graphs_page_shows(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # without dot: .dot files and an install hint
        paths = load_example().main(tmp_path)
    made = {p.relative_to(tmp_path).with_suffix("").as_posix() for p in paths}
    assert all(p.stat().st_size > 0 for p in paths)
    page = (ROOT / "docs/graphs.md").read_text()
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page)
    assert shown
    for ref in shown:
        assert Path(ref).with_suffix("").as_posix() in made, ref
