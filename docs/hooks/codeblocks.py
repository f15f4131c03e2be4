"""The ```python blocks of a markdown page, and the markers that change what is expected of one.

Shared by tests/test_docs.py (every block of every page runs) and the site hook (the blocks run at
build time and their pictures are embedded). Two markers, each an HTML comment on the line
directly before the fence:

    <!-- no-run -->                 not run at all (pseudo-code, a cluster address, a fragment)
    <!-- raises: GradcheckError -->  must raise that exception (by class name, or a base class's)
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

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


def raised(error: BaseException, name: str) -> bool:
    """Whether ``error`` is an instance of the class called ``name`` (or of a subclass)."""
    return any(cls.__name__ == name.rsplit(".", 1)[-1] for cls in type(error).__mro__)


class PageCodeError(Exception):
    """A block of a page raised (or did not raise what its marker says it raises)."""


def run_blocks(text: str, name: str, workdir: Path) -> dict:
    """Run the page's blocks in order in one namespace, with ``workdir`` as the current
    directory, matplotlib drawing off screen; autonet's global switches (course warnings,
    anomaly mode) are off again afterwards. Returns the namespace; raises PageCodeError naming
    the page, the block and its line."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__doc_example__"}
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        for block in python_blocks(text):
            if block.run:
                _run_block(block, name, namespace)
    finally:
        os.chdir(previous)
        _reset_global_state()
    return namespace


def _run_block(block: Block, name: str, namespace: dict) -> None:
    where = f"{name}, python block {block.number} (line {block.line})"
    code = compile(block.source, f"<{name} block {block.number}>", "exec")
    try:
        exec(code, namespace)
    except Exception as error:
        if block.raises and raised(error, block.raises):
            return
        marked = f" (it is marked to raise {block.raises})" if block.raises else ""
        raise PageCodeError(f"{where} raised {type(error).__name__}{marked}:\n"
                            + "".join(traceback.format_exception(error))) from None
    if block.raises:
        raise PageCodeError(f"{where} is marked `<!-- raises: {block.raises} -->` but ran "
                            "without error")


def _reset_global_state() -> None:
    import autonet as an

    an.set_warn_broadcast(False)
    an.set_warn_double_backward(False)
    an.set_detect_anomaly(False)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


_FENCED = re.compile(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)[^`].*?\1", re.S)
_IMAGE = re.compile(r"!\[[^\]]*\]\((?P<src>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<src>[^)\s#]+\.\w+)(?:#[^)]*)?\)")
_RAW_SRC = re.compile(r"<(?:img|iframe)\b[^>]*\bsrc=\"(?P<src>[^\"]+)\"")


def local_pictures(text: str) -> list[str]:
    """The relative targets of the page's pictures (``![..](x.svg)``, ``<img src>``,
    ``<iframe src>``) and of its links to files that are not pages (``[..](steps/index.html)``),
    outside code blocks and code spans."""
    text = _CODE_SPAN.sub("", _FENCED.sub("", text))
    found = [m["src"] for m in _IMAGE.finditer(text)] + [m["src"] for m in _RAW_SRC.finditer(text)]
    found += [m["src"] for m in _LINK.finditer(text) if not m["src"].endswith(".md")]
    return [s for s in found if "://" not in s and not s.startswith(("/", "#", "mailto:"))]
