"""Every ```python block of README.md and docs/**/*.md runs, and every picture a page shows is one
its own code draws.

The blocks of one file run in order in one namespace (a page builds on its earlier blocks), in a
fresh temporary directory, with matplotlib drawing off screen. Markers on the line before a fence
(``<!-- no-run -->``, ``<!-- raises: GradcheckError -->``) are described in
docs/hooks/codeblocks.py, which the site's build hook shares: the site runs the same blocks and
embeds the files they write, so no picture is committed and none can drift.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("docs_codeblocks", ROOT / "docs/hooks/codeblocks.py")
codeblocks = sys.modules.setdefault("docs_codeblocks", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(codeblocks)

DOCS = sorted([ROOT / "README.md",
               *(p for p in (ROOT / "docs").rglob("*.md") if "hooks" not in p.parts)])


def test_fences_and_markers_are_read_as_written():
    text = "\n".join([
        "```python", "a = 1", "```",
        "```text", "not code", "```",
        "<!-- no-run -->", "```python", "b = undefined", "```",
        "", "<!-- raises: KeyError -->", "```python", "{}['x']", "```",
        "- item", "  ```python", "  c = 2", "  ```",
    ])
    blocks = codeblocks.python_blocks(text)
    assert [(b.source, b.run, b.raises) for b in blocks] == [
        ("a = 1\n", True, None), ("b = undefined\n", False, None),
        ("{}['x']\n", True, "KeyError"), ("c = 2\n", True, None)]
    assert [b.line for b in blocks] == [1, 8, 13, 17]


def test_pictures_and_file_links_are_found_but_pages_and_urls_are_not():
    text = ('![a](neuron.svg) ![b](steps/frame_000.svg "title") [c](steps/index.html) '
            '[d](nn.md) [e](nn.md#init) [f](https://example.org/x.png) '
            '<iframe src="steps/index.html"></iframe> <img src="loss.png">')
    assert sorted(codeblocks.local_pictures(text)) == sorted([
        "neuron.svg", "steps/frame_000.svg", "steps/index.html", "steps/index.html", "loss.png"])


@pytest.fixture
def doc_sandbox(tmp_path, monkeypatch):
    """A temporary working directory with an off-screen matplotlib."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    return tmp_path


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_code_blocks_run_and_draw_what_the_page_shows(path: Path, doc_sandbox):
    name = str(path.relative_to(ROOT))
    text = path.read_text(encoding="utf-8")
    try:
        codeblocks.run_blocks(text, name, doc_sandbox)
    except codeblocks.PageCodeError as error:
        pytest.fail(str(error), pytrace=False)
    pictures = codeblocks.local_pictures(text)
    if path.name == "README.md":
        return  # the README links into docs/ and examples/, it draws nothing
    missing = [p for p in pictures if not (doc_sandbox / p).exists()]
    if missing and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (CI installs it): the page's "
                    "graphs are written as .dot")
    assert not missing, (f"{name} shows {missing}, which its code does not write: every picture "
                         "of the site is drawn by the page's own blocks at build time")


def test_a_block_that_fails_names_the_page_block_and_line(tmp_path):
    text = "text\n\n```python\nx = 1\n```\n\n```python\n1 / 0\n```\n"
    with pytest.raises(codeblocks.PageCodeError, match=r"p\.md, python block 2 \(line 7\) raised "
                                                         r"ZeroDivisionError"):
        codeblocks.run_blocks(text, "p.md", tmp_path)
    marked = "<!-- raises: KeyError -->\n```python\nx = 1\n```\n"
    with pytest.raises(codeblocks.PageCodeError, match="marked .* but ran without error"):
        codeblocks.run_blocks(marked, "q.md", tmp_path)
