"""MkDocs hook: the site's pictures are drawn by the pages' own code, and its API reference is
generated from the package.

- Every page with ```python blocks has them run at build time, in order, in a fresh directory
  (the same runner as tests/test_docs.py); each file they write (graphs, curves, flipbooks) joins
  the site beside the page, so ``![..](neuron.svg)`` after a block that saves neuron.svg shows
  today's drawing. Nothing is committed, nothing drifts; a failing block fails the build.
- reference/<module>.md is generated for every module of ``api.REFERENCE`` (one mkdocstrings
  entry per public name) and listed under "API reference" in the navigation.
- With AUTONET_SITE_SKIP_CODE=1 no page code runs (the pictures are then missing: a quick,
  non-strict build for tests of the reference).
- Course chapter 8 links the CNN and RNN pages only once they exist (``<!-- pages-if-present:
  cnn.md rnn.md -->`` becomes a list of links to those present).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path, PurePosixPath

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api  # noqa: E402
import codeblocks  # noqa: E402

REFERENCE_SECTION = "API reference"
SKIP_CODE = "AUTONET_SITE_SKIP_CODE"  # set: pages' code is not run (a quick build of the reference)
_workdirs: list[Path] = []
_IF_PRESENT = re.compile(r"<!--\s*pages-if-present:(?P<pages>[^>]*)-->")


def on_config(config):
    docs = Path(config["docs_dir"])
    for item in config["nav"] or []:
        if not isinstance(item, dict):
            continue
        (title, entries), = item.items()
        if title == REFERENCE_SECTION:
            item[title] = [{t: f"reference/{m}.md"} for m, t in api.REFERENCE]
        elif isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict):
                    (sub, pages), = entry.items()
                    if isinstance(pages, list):
                        _add_present(pages, docs)
    return config


def _add_present(pages: list, docs: Path) -> None:
    """A section whose first page names pages-if-present gets those that exist appended."""
    first = pages[0] if pages and isinstance(pages[0], str) else None
    if first is None or not (docs / first).exists():
        return
    marker = _IF_PRESENT.search((docs / first).read_text(encoding="utf-8"))
    if marker:
        pages += [p for p in marker["pages"].split() if (docs / p).exists() and p not in pages]


def on_files(files: Files, config) -> Files:
    for module, title in api.REFERENCE:
        files.append(File.generated(config, f"reference/{module}.md",
                                    content=api.reference_markdown(module, title)))
    for page in [f for f in files if f.is_documentation_page() and f.abs_src_path]:
        for uri, path in _run_page(page):
            if files.get_file_from_path(uri) is not None:
                raise PluginError(f"{page.src_uri}: its code writes {uri}, which another page "
                                  "or a file of docs/ already provides: give it another name")
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def _run_page(page: File) -> list[tuple[str, Path]]:
    text = Path(page.abs_src_path).read_text(encoding="utf-8")
    if os.environ.get(SKIP_CODE) or not any(b.run for b in codeblocks.python_blocks(text)):
        return []
    work = Path(tempfile.mkdtemp(prefix="autonet-site-"))
    _workdirs.append(work)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            codeblocks.run_blocks(text, f"docs/{page.src_uri}", work)
    except codeblocks.PageCodeError as error:
        raise PluginError(str(error)) from None
    base = PurePosixPath(page.src_uri).parent
    return [((base / p.relative_to(work).as_posix()).as_posix(), p)
            for p in sorted(work.rglob("*")) if p.is_file()]


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    def links(match: re.Match) -> str:
        here = PurePosixPath(page.file.src_uri).parent
        present = [p for p in match["pages"].split() if files.get_file_from_path(p)]
        return "\n".join(f"- [{files.get_file_from_path(p).page.title or p}]"
                         f"({_relative(p, here)})" if files.get_file_from_path(p).page else
                         f"- [{p}]({_relative(p, here)})" for p in present)

    return _IF_PRESENT.sub(links, markdown)


def _relative(target: str, here: PurePosixPath) -> str:
    up = "../" * len([part for part in here.parts if part not in ("", ".")])
    return up + target


def on_post_build(config) -> None:
    while _workdirs:
        shutil.rmtree(_workdirs.pop(), ignore_errors=True)
