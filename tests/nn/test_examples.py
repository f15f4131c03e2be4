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


def test_cnn_example_learns_the_digits_in_a_reduced_setting(tmp_path) -> None:
    result = subprocess.run([sys.executable, str(EXAMPLES / "cnn_digits.py"), "--epochs", "3"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "n_out = floor((n + 2p - f) / s) + 1: H, W: floor((8 + 2*1 - 3) / 1) + 1 = 8" \
        in result.stdout
    accuracy = float(result.stdout.split("test accuracy")[-1].split()[0])
    assert accuracy > 0.85  # 3 epochs; the full 30 reach about 0.97
    assert list(tmp_path.iterdir()) == []


def test_char_lstm_learns_the_rhymes_in_a_short_run(tmp_path) -> None:
    result = subprocess.run([sys.executable, str(EXAMPLES / "char_lstm.py"), "--steps", "40",
                             "--hidden", "48", "--seq-len", "24"], capture_output=True,
                            text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    first, last = (float(v) for v in
                   result.stdout.split("first loss ")[1].split("\n")[0].split(", last loss "))
    assert first > 3.8 and last < first - 0.8  # from ln(57) = 4.04, a uniform guess
    assert "sample: Twinkle, " in result.stdout
    assert list(tmp_path.iterdir()) == []
