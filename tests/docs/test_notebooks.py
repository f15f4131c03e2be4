"""The course notebooks: generated from the chapter pages, shipped in the package, copied out by
``autonet notebooks DIR``, and executed top to bottom with graphs and tables shown inline."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from autonet.cli import main
from autonet.cli.notebooks import course_notebooks
from tests.docs.needs import need_modules

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("docs_notebooks", ROOT / "docs/hooks/notebooks.py")
generator = sys.modules.setdefault("docs_notebooks", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(generator)

CHAPTERS = generator.chapters()


def test_every_chapter_with_code_has_its_notebook_in_the_package():
    assert [p.stem for p in CHAPTERS] == [p.stem for p in course_notebooks()]
    assert len(CHAPTERS) >= 7


def test_the_notebooks_are_package_data_so_an_installed_autonet_has_them():
    config = (ROOT / "pyproject.toml").read_text()
    package_data = config.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    assert '"notebooks/*.ipynb"' in package_data
    assert not (ROOT / "autonet" / "notebooks" / "__init__.py").exists()  # data, not a package


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.stem)
def test_the_shipped_notebook_is_what_its_page_generates(page):
    shipped = ROOT / "autonet" / "notebooks" / f"{page.stem}.ipynb"
    assert shipped.read_text(encoding="utf-8") == generator.notebook_text(page), (
        f"{shipped.relative_to(ROOT)} is stale: python docs/hooks/notebooks.py")


def test_cells_follow_the_markers_and_chapter_links_point_at_notebooks():
    text = ("# T\n\nSee [next](02-logistic-regression.md) and [guide](../nn.md).\n\n"
            "```python\nx = 1\n```\n\n<!-- raises: KeyError -->\n```python\n{}['k']\n```\n\n"
            "<!-- no-run -->\n```python\nnot run\n```\n\nend\n")
    cells = generator.notebook(text, "t.md")["cells"]
    kinds = [(c["cell_type"], c["metadata"].get("tags", [])) for c in cells]
    assert kinds == [("markdown", []), ("code", []), ("code", ["raises-exception"]),
                     ("markdown", [])]
    assert "(02-logistic-regression.ipynb)" in "".join(cells[0]["source"])
    assert "(../nn.md)" in "".join(cells[0]["source"])
    assert "".join(cells[1]["source"]) == "x = 1"
    assert "```python\nnot run\n```" in "".join(cells[3]["source"])
    assert "<!--" not in "".join("".join(c["source"]) for c in cells)


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.stem)
def test_the_page_is_a_jupytext_markdown_notebook_with_the_same_code(page):
    need_modules("jupytext")
    import jupytext

    theirs = [c.source for c in jupytext.read(page, fmt="md").cells if c.cell_type == "code"]
    ours = [c for c in generator.notebook(page.read_text(encoding="utf-8"), "")["cells"]
            if c["cell_type"] == "code"]
    assert ["".join(c["source"]) for c in ours] == [s for s in theirs if s.strip()][:len(ours)]


def test_the_command_copies_the_notebooks_and_keeps_a_learners_edits(tmp_path, capsys):
    out = tmp_path / "course"
    assert main(["notebooks", str(out)]) == 0
    copied = sorted(p.name for p in out.glob("*.ipynb"))
    assert copied == [p.name for p in course_notebooks()]
    first = out / copied[0]
    first.write_text("my work")
    (out / copied[-1]).unlink()
    capsys.readouterr()
    assert main(["notebooks", str(out)]) == 0
    assert first.read_text() == "my work" and (out / copied[-1]).exists()
    printed = capsys.readouterr().out
    assert f"kept {len(copied) - 1} existing notebook(s)" in printed and copied[-1] in printed
    assert main(["notebooks", str(out), "--force"]) == 0
    assert json.loads(first.read_text())["nbformat"] == 4


def test_the_command_refuses_a_file_for_a_directory(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["notebooks", str(target)]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, dict]:
    """Every notebook copied out by the command and run top to bottom in a fresh kernel."""
    need_modules("nbclient", "nbformat", "ipykernel")
    import nbclient
    import nbformat

    out = tmp_path_factory.mktemp("notebooks")
    assert main(["notebooks", str(out)]) == 0
    results = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MPLBACKEND", "Agg")
        env.setenv("OPENBLAS_NUM_THREADS", "1")  # small arrays: threads only contend
        for path in sorted(out.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                             resources={"metadata": {"path": str(out)}})
            try:
                client.execute()
            except nbclient.exceptions.CellExecutionError as error:
                pytest.fail(f"{path.name} failed:\n{error}", pytrace=False)
            results[path.stem] = nb
    return results


def _outputs(nb: dict, mime: str) -> list:
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]
            if mime in o.get("data", {})]


@pytest.mark.parametrize("page", CHAPTERS, ids=lambda p: p.stem)
def test_the_notebook_runs_top_to_bottom(page, executed):
    nb = executed[page.stem]
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        expected = "raises-exception" in cell["metadata"].get("tags", [])
        assert bool(errors) == expected, "".join(cell["source"])[:200]


def test_graphs_display_inline_and_history_results_summary_as_tables(executed):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (CI installs it)")
    assert _outputs(executed["01-derivatives"], "image/svg+xml"), "draw_graph is not inline"
    assert _outputs(executed["07-check-your-backward"], "image/svg+xml")
    summary = _outputs(executed["05-deep-networks"], "text/html")
    assert summary and "W[1] (5, 2)" in summary[0]["data"]["text/html"]
    tables = [o["data"]["text/html"] for o in _outputs(executed["06-hyperparameters"],
                                                        "text/html")]
    assert any("History: 40 epochs" in t for t in tables)
    assert any("trials by val_loss" in t for t in tables)
