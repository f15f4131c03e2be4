"""The nn examples run with no arguments, quickly, and reach what they claim."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("script,claim", [
    ("logistic_regression.py", "train accuracy"),
    ("deep_mlp_spiral.py", "checkpoint restored identically: True"),
])
def test_example_runs_without_arguments(script, claim, tmp_path) -> None:
    result = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert claim in result.stdout
    accuracy = float(result.stdout.split("train accuracy")[1].split()[0])
    assert accuracy > 0.9
    assert list(tmp_path.iterdir()) == []
