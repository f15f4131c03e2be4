"""Every ```python block of README.md and docs/*.md runs.

The blocks of one file run in order in one namespace (a page builds on its earlier blocks), in a
fresh temporary directory, with matplotlib drawing off screen. Two markers, each an HTML comment on
the line directly before the fence, change what is expected of a block:

    <!-- no-run -->                 not run at all (pseudo-code, a cluster address, a fragment)
    <!-- raises: GradcheckError -->  must raise that exception (by class name, or a base class's)

A block that is shown raising an error should use ``raises:`` rather than ``no-run``: the doc then
stays honest about the error, and what the block defined before raising stays in the namespace.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<kind>no-run|raises:\s*(?P<exc>[A-Za-z_][\w.]*))\s*-->\s*$")


@dataclass
class Block:
    number: int          # 1-based among the file's python blocks
    line: int            # 1-based line of the opening fence
    source: str
    run: bool = True
    raises: str | None = None


def python_blocks(text: str) -> list[Block]:
    """The ```python blocks of a markdown text, with the marker (if any) on the line before."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, ticks = opening["indent"], opening["ticks"]
        info = opening["info"].strip().split()
        end = i + 1
        while end < len(lines):
            closing = _FENCE.match(lines[end])
            if closing and closing["ticks"].startswith(ticks) and not closing["info"].strip():
                break
            end += 1
        if info and info[0] in ("python", "py"):
            body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                    for line in lines[i + 1:end]]
            block = Block(len(blocks) + 1, i + 1, "\n".join(body) + "\n")
            marker = _MARKER.match(lines[i - 1]) if i > 0 else None
            if marker is not None:
                block.run = marker["kind"] != "no-run"
                block.raises = marker["exc"]
            blocks.append(block)
        i = end + 1
    return blocks


def test_fences_and_markers_are_read_as_written():
    text = "\n".join([
        "```python", "a = 1", "```",
        "```text", "not code", "```",
        "<!-- no-run -->", "```python", "b = undefined", "```",
        "", "<!-- raises: KeyError -->", "```python", "{}['x']", "```",
        "- item", "  ```python", "  c = 2", "  ```",
    ])
    blocks = python_blocks(text)
    assert [(b.source, b.run, b.raises) for b in blocks] == [
        ("a = 1\n", True, None), ("b = undefined\n", False, None),
        ("{}['x']\n", True, "KeyError"), ("c = 2\n", True, None)]
    assert [b.line for b in blocks] == [1, 8, 13, 17]


def _reset_global_switches() -> None:
    import autonet as an

    an.set_warn_broadcast(False)
    an.set_warn_double_backward(False)
    an.set_detect_anomaly(False)


def _raised(error: BaseException, name: str) -> bool:
    return any(cls.__name__ == name.rsplit(".", 1)[-1] for cls in type(error).__mro__)


@pytest.fixture
def doc_sandbox(tmp_path, monkeypatch):
    """A temporary working directory, an off-screen matplotlib, and autonet's global switches
    (course warnings, anomaly mode) off again afterwards."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    _reset_global_switches()
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_code_blocks_run(path: Path, doc_sandbox):
    name = str(path.relative_to(ROOT))
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__doc_example__"}
    for block in blocks:
        if not block.run:
            continue
        where = f"{name}, python block {block.number} (line {block.line})"
        code = compile(block.source, f"<{name} block {block.number}>", "exec")
        try:
            exec(code, namespace)
        except Exception as error:
            if block.raises and _raised(error, block.raises):
                continue
            pytest.fail(f"{where} raised {type(error).__name__}"
                        + (f" (it is marked to raise {block.raises})" if block.raises else "")
                        + ":\n" + "".join(traceback.format_exception(error)), pytrace=False)
        else:
            if block.raises:
                pytest.fail(f"{where} is marked `<!-- raises: {block.raises} -->` but ran "
                            "without error", pytrace=False)

