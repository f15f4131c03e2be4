"""The course chapters as Jupyter notebooks, generated from the chapter pages.

    python docs/hooks/notebooks.py      # rewrites autonet/notebooks/*.ipynb from docs/course/

docs/course/NN-*.md is the text source (it is also a jupytext markdown notebook): each ```python
block becomes a code cell, the prose between blocks a markdown cell. A block marked
``<!-- raises: ... -->`` becomes a cell tagged ``raises-exception`` (Jupyter shows the error and
runs on), a ``<!-- no-run -->`` block a markdown cell showing the code. Links to other chapters
point at their notebooks. The notebooks ship in the package (``autonet notebooks DIR`` copies
them out); tests/docs/test_notebooks.py fails when they differ from what this writes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import codeblocks  # noqa: E402

DOCS = Path(__file__).resolve().parents[1]
COURSE = DOCS / "course"
OUT = DOCS.parent / "autonet" / "notebooks"
_CHAPTER_LINK = re.compile(r"\]\((?P<stem>\d\d-[\w-]+)\.md(?P<anchor>#[^)]*)?\)")
METADATA = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}}


def chapters() -> list[Path]:
    """The course pages that have code: one notebook each."""
    return [p for p in sorted(COURSE.glob("[0-9][0-9]-*.md"))
            if any(b.run for b in codeblocks.python_blocks(p.read_text(encoding="utf-8")))]


def notebook(text: str, source: str) -> dict:
    """The nbformat 4 notebook of a chapter page's markdown ``text`` (``source`` names the page in
    the first cell)."""
    stems = {p.stem for p in chapters()}
    lines = text.splitlines()
    cells: list[dict] = []
    prose: list[str] = [f"*Generated from `{source}`: the same chapter as on the site.*", ""]
    position = 0
    for block in codeblocks.python_blocks(text):
        opening = block.line - 1
        end = opening + block.source.count("\n") + 1        # the closing fence
        marker = 1 if block.raises or not block.run else 0
        prose += lines[position:opening - marker]
        if block.run:
            _markdown(cells, prose, stems)
            prose = []
            tags = ["raises-exception"] if block.raises else []
            cells.append(_cell("code", block.source.rstrip("\n"), tags))
        else:
            prose += lines[opening:end + 1]
        position = end + 1
    _markdown(cells, prose + lines[position:], stems)
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number:02d}"
    return {"cells": cells, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}


def _markdown(cells: list[dict], lines: list[str], stems: set[str]) -> None:
    text = "\n".join(lines).strip("\n")
    text = _CHAPTER_LINK.sub(lambda m: f"]({m['stem']}.ipynb{m['anchor'] or ''})"
                             if m["stem"] in stems else m[0], text)
    if text.strip():
        cells.append(_cell("markdown", text))


def _cell(kind: str, source: str, tags: list[str] = ()) -> dict:
    cell: dict = {"cell_type": kind, "id": "", "metadata": {"tags": list(tags)} if tags else {},
                  "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook_text(page: Path) -> str:
    """The .ipynb file's text for a chapter page (stable: the committed files compare equal)."""
    nb = notebook(page.read_text(encoding="utf-8"), f"docs/course/{page.name}")
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    wanted = {f"{p.stem}.ipynb": notebook_text(p) for p in chapters()}
    for stale in set(p.name for p in out.glob("*.ipynb")) - set(wanted):
        (out / stale).unlink()
    for name, text in wanted.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in wanted]


if __name__ == "__main__":
    for path in main():
        print(path)
