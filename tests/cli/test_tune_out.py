"""`autonet tune` checks its arguments before it creates --out (issue 12): a refused run leaves no
empty directory behind; a valid one creates it."""

from __future__ import annotations

import pytest

from autonet.cli import main


@pytest.mark.parametrize("argv", [
    ["--grid", "lr=abc", "--epochs", "1"],
    ["--grid", "color=red", "--epochs", "1"],
    ["--grid", "dropout=uniform:0:2", "--method", "random"],
    ["--grid", "lr=0.1", "--epochs", "0"],
    ["--grid", "lr=0.1", "--jobs", "0"],
    ["--grid", "lr"],
])
def test_refused_tune_arguments_create_no_out_directory(argv, tmp_path, capsys):
    out = tmp_path / "fresh" / "tune"
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(["tune", *argv, "--out", str(out)]))
    assert info.value.code == 2 and "error" in capsys.readouterr().err
    assert not out.exists() and not out.parent.exists()


def test_a_valid_tune_creates_its_out_directory(tmp_path, capsys):
    out = tmp_path / "fresh" / "tune"
    assert main(["tune", "--grid", "lr=0.1", "--epochs", "1", "--samples", "40", "--out",
                 str(out)]) == 0
    assert out.is_dir() and any(out.iterdir())
