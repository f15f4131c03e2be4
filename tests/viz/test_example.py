"""examples/draw_graphs.py runs, and docs/graphs.md shows only pictures it makes."""

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


def test_example_writes_every_picture_the_docs_show(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # without dot: .dot files and an install hint
        written = load_example().main(tmp_path)
    made = {p.relative_to(tmp_path).with_suffix("").as_posix() for p in written}
    page = (ROOT / "docs/graphs.md").read_text()
    shown = re.findall(r"\]\(images/([^)]+)\)", page)
    assert shown
    for ref in shown:
        assert str(Path(ref).with_suffix("").as_posix()) in made, ref
        assert (ROOT / "docs/images" / ref).exists(), f"docs/images/{ref}: run the example"
