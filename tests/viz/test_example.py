"""examples/draw_graphs.py runs, docs/graphs.md shows only pictures it makes, and the committed
pictures in docs/images are what it makes today."""

from __future__ import annotations

import html
import importlib.util
import math
import re
import shutil
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "images"


def load_example():
    spec = importlib.util.spec_from_file_location("draw_graphs", ROOT / "examples/draw_graphs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("images")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # without dot: .dot files and an install hint
        return out, load_example().main(out)


def test_example_writes_every_picture_the_docs_show(written):
    out, paths = written
    made = {p.relative_to(out).with_suffix("").as_posix() for p in paths}
    page = (ROOT / "docs/graphs.md").read_text()
    shown = re.findall(r"\]\(images/([^)]+)\)", page)
    assert shown
    for ref in shown:
        assert str(Path(ref).with_suffix("").as_posix()) in made, ref
        assert (IMAGES / ref).exists(), f"docs/images/{ref}: run the example"


_TEXT = re.compile(r"<text\b[^>]*>([^<]*)</text>")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _words(svg: str) -> list[str]:
    """The text of an SVG picture, one string per <text> element, in drawing order."""
    return [html.unescape(t) for t in _TEXT.findall(svg)]


def _close(committed: str, fresh: str) -> bool:
    """Same words, numbers equal to 3 significant digits (float32 sums may differ in the last
    printed digit from one machine's numpy to another's)."""
    if _NUMBER.sub("#", committed) != _NUMBER.sub("#", fresh):
        return False
    return all(math.isclose(float(a), float(b), rel_tol=2e-3, abs_tol=1e-12)
               for a, b in zip(_NUMBER.findall(committed), _NUMBER.findall(fresh)))


def test_close_tolerates_last_digits_only():
    assert _close("min 3.409e-05, max 0.9989", "min 3.412e-05, max 0.9989")
    assert not _close("min 3.409e-05", "min 4.409e-05")
    assert not _close("Z[1] = W[1] A[0] + b[1]", "Z[1] = A[0] W[1]ᵀ + b[1]")


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's dot program is not installed (CI installs it)")
def test_committed_pictures_are_what_the_example_draws_today(written):
    out, paths = written
    stale = []
    for path in paths:
        name = path.relative_to(out).as_posix()
        committed = IMAGES / name
        assert committed.exists(), f"docs/images/{name} is missing: run the example"
        new, old = path.read_text(encoding="utf-8"), committed.read_text(encoding="utf-8")
        if path.suffix == ".svg":
            a, b = _words(old), _words(new)
            same = len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
        else:
            same = old == new
        if not same:
            stale.append(name)
    assert not stale, f"docs/images is stale ({', '.join(stale)}): python examples/draw_graphs.py"
