"""The package's shape: optional dependencies load when used, plot.py is a leaf, tune is a
package whose public names still work."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import autonet

ROOT = pathlib.Path(autonet.__file__).parent
OPTIONAL = ("optuna", "dask", "distributed", "matplotlib", "graphviz", "tqdm")


def test_import_autonet_loads_no_optional_dependency() -> None:
    code = ("import sys, autonet as an; an.tensor([1.0]); "
            f"print([m for m in {OPTIONAL!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_plot_is_a_leaf() -> None:
    imported = _imports(ROOT / "plot.py")
    assert not {m for m in imported if m.startswith(("autonet.train", "autonet.tune",
                                                     "autonet.cli"))}


def test_fit_asks_the_scheduler_what_it_needs_not_its_class_name() -> None:
    assert "__name__ ==" not in (ROOT / "train" / "loop.py").read_text()


def test_tune_is_a_package_with_its_public_names() -> None:
    from autonet import tune

    assert (ROOT / "tune" / "__init__.py").exists() and not (ROOT / "tune.py").exists()
    for name in tune.__all__:
        assert getattr(tune, name) is not None
    assert autonet.tune is tune and "tune" in dir(autonet)


def test_a_missing_optional_dependency_says_which_extra_to_install() -> None:
    code = """
import builtins, sys
real = builtins.__import__
def fake(name, *args, **kwargs):
    if name.split(".")[0] in ("optuna", "matplotlib", "graphviz", "distributed"):
        raise ImportError("No module named " + name)
    return real(name, *args, **kwargs)
builtins.__import__ = fake
import autonet as an
for attempt in (lambda: an.tune.BayesianSearch(lambda x: x, {"x": [1]}).run(),
                lambda: an.plot.plot_lr_schedule([0.1], "x.png"),
                lambda: an.viz,
                lambda: an.cli.main(["tune", "--grid", "lr=0.1", "--dask", "local"])):
    try:
        attempt()
    except ImportError as error:
        print(str(error).replace(chr(10), " "))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    lines = result.stdout.strip().splitlines()
    assert ["autonet[tune]" in lines[0], "autonet[plot]" in lines[1],
            "pip install graphviz" in lines[2]] == [True, True, True], lines
    assert "pip install 'autonet[distributed]'" in result.stderr
    assert "Traceback" not in result.stderr
