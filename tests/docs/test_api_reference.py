"""Every public name has a docstring and an entry in the site's API reference.

The reference pages are generated from docs/hooks/api.py (one page per module, one mkdocstrings
entry per public name), so a new name is picked up without editing a page; these tests make sure
nothing public slips through: no docstring, no rendered entry, or a new subpackage nobody listed.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tests.docs.needs import need_modules

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("docs_api", ROOT / "docs/hooks/api.py")
api = sys.modules.setdefault("docs_api", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(api)

MODULES = [module for module, _ in api.REFERENCE]


@pytest.mark.parametrize("module", MODULES)
def test_every_public_function_and_class_has_a_docstring(module):
    assert api.public_names(module), f"{module} exports nothing"
    missing = api.undocumented(module)
    assert not missing, f"{module}: no docstring for {missing} (say what it does and the shapes)"


def test_every_subpackage_is_referenced_or_says_why_not():
    import autonet

    found = {f"autonet.{m.name}" for m in pkgutil.iter_modules(autonet.__path__)
             if not m.name.startswith("_")}
    listed = set(MODULES) | set(api.NOT_REFERENCED)
    assert not found - listed, (f"{sorted(found - listed)}: add to REFERENCE (a reference page) or "
                                "NOT_REFERENCED (with the reason) in docs/hooks/api.py")


def test_the_checks_catch_an_undocumented_name(monkeypatch):
    fake = types.ModuleType("autonet_fake_module")

    def documented():
        """Has one."""

    def bare():
        pass

    fake.documented, fake.bare, fake.CONSTANT = documented, bare, 3
    fake.__all__ = ["documented", "bare", "CONSTANT"]
    monkeypatch.setitem(sys.modules, "autonet_fake_module", fake)
    assert api.undocumented("autonet_fake_module") == ["bare"]
    page = api.reference_markdown("autonet_fake_module", "fake")
    assert '<span id="autonet_fake_module.bare"></span>' in page
    assert f"::: {__name__}.test_the_checks_catch_an_undocumented_name.<locals>.bare" in page
    assert "::: autonet_fake_module.CONSTANT" in page


def test_every_op_row_shows_a_rule_per_input():
    import autonet as an

    page = api.reference_markdown("autonet.ops", "ops")
    assert '<span id="autonet.ops.exp"></span>`exp(x)` | e ** x elementwise. | input 0: `g * y`' \
        in page
    assert "input 0: `g * b`<br>input 1: `g * a`" in page       # mul: two lambdas on one line
    for name in an.ops.__all__:
        assert f'id="autonet.ops.{name}"' in page, name


@pytest.fixture(scope="module")
def built_reference(tmp_path_factory) -> Path:
    """The site built without running the pages' code (the reference only needs the package)."""
    need_modules("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, AUTONET_SITE_SKIP_CODE="1", NO_MKDOCS_2_WARNING="1")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return out


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_has_a_rendered_entry(module, built_reference):
    page = (built_reference / "reference" / f"{module}.html").read_text(encoding="utf-8")
    absent = [a for a in api.anchors(module) if f'id="{a}"' not in page]
    assert not absent, f"reference/{module}.html has no entry for {absent}"
