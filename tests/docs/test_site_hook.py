"""The site hook (docs/hooks/site.py) on a small throwaway site: a page's code draws the picture
the page shows, two pages may not write the same file, and the CNN/RNN chapter links the layer
pages only once they exist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.needs import need_modules

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "docs" / "hooks" / "site.py"


def build(tmp_path: Path, pages: dict[str, str], nav: str) -> subprocess.CompletedProcess:
    need_modules("mkdocs")
    docs = tmp_path / "docs"
    for name, text in pages.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text)
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: t\nuse_directory_urls: false\nhooks:\n  - {HOOK}\nnav:\n{nav}")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", MPLBACKEND="Agg")
    # no -q: mkdocs 1.6 with -q does not count the warnings --strict turns into failures
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


DRAWS = ("# Draws\n\n```python\nfrom pathlib import Path\n\nPath('pic.svg').write_text("
         "'<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"></svg>')\n```\n\n"
         "![a picture](pic.svg)\n")
CHAPTER = "# 8\n\nPlaceholder.\n\n<!-- pages-if-present: cnn.md rnn.md -->\n"
NAV = "  - Draws: draws.md\n  - 8:\n      - course/08.md\n"


def test_a_pages_code_draws_its_picture_and_the_chapter_links_only_present_pages(tmp_path):
    run = build(tmp_path, {"draws.md": DRAWS, "course/08.md": CHAPTER}, NAV)
    assert run.returncode == 0, run.stdout + run.stderr
    site = tmp_path / "site"
    assert (site / "pic.svg").read_text().startswith("<svg")
    assert 'src="pic.svg"' in (site / "draws.html").read_text()
    chapter = (site / "course" / "08.html").read_text()
    assert "cnn.html" not in chapter and "rnn.html" not in chapter

    (tmp_path / "site").rename(tmp_path / "before")
    run = build(tmp_path, {"cnn.md": "# Convolutional layers\n"}, NAV)
    assert run.returncode == 0, run.stdout + run.stderr
    chapter = (tmp_path / "site" / "course" / "08.html").read_text()
    assert 'href="../cnn.html"' in chapter and "Convolutional layers" in chapter
    assert "rnn.html" not in chapter


def test_a_picture_no_code_draws_fails_the_strict_build(tmp_path):
    run = build(tmp_path, {"draws.md": "# No code\n\n![missing](pic.svg)\n"},
                "  - Draws: draws.md\n")
    assert run.returncode != 0 and "pic.svg" in run.stdout + run.stderr


def test_two_pages_writing_one_file_fail_with_the_page_named(tmp_path):
    run = build(tmp_path, {"draws.md": DRAWS, "again.md": DRAWS.replace("Draws", "Again")},
                "  - Draws: draws.md\n  - Again: again.md\n")
    assert run.returncode != 0
    assert "writes pic.svg, which another page" in run.stdout + run.stderr


def test_a_failing_block_fails_the_build_naming_page_and_line(tmp_path):
    run = build(tmp_path, {"bad.md": "# Bad\n\n```python\n1 / 0\n```\n"}, "  - Bad: bad.md\n")
    assert run.returncode != 0
    assert "docs/bad.md, python block 1 (line 3) raised ZeroDivisionError" in run.stdout + \
        run.stderr


@pytest.fixture(autouse=True)
def _run_page_code(monkeypatch):
    """The pages' code runs here even where the environment asks the hook to skip it."""
    monkeypatch.delenv("AUTONET_SITE_SKIP_CODE", raising=False)
