"""`autonet tune` checks its arguments before it creates --out (issue 12): a refused run leaves no
empty directory behind; a valid one creates it."""

from __future__ import annotations

import pytest

from autonet.cli import main


@pytest.mark.parametrize("argv, fragment", [
    (["--grid", "lr=abc", "--epochs", "1"], "bad value 'abc' for lr"),
    (["--grid", "color=red", "--epochs", "1"], "unknown hyperparameters ['color']"),
    (["--grid", "dropout=uniform:0:2", "--method", "random"], "bad value '2.0' for dropout"),
    (["--grid", "lr=0.1", "--epochs", "0"], "--epochs: expected a positive integer, got '0'"),
    (["--grid", "lr=0.1", "--jobs", "0"], "--jobs: expected a positive integer, got '0'"),
    (["--grid", "lr"], "bad search-space entry 'lr'"),
])
def test_refused_tune_arguments_create_no_out_directory(argv, fragment, tmp_path, capsys):
    out = tmp_path / "fresh" / "tune"
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(["tune", *argv, "--out", str(out)]))
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and err.startswith("autonet tune: error: ") and fragment in err
    assert len(err.splitlines()) == 1
    assert not out.exists() and not out.parent.exists()


def test_a_valid_tune_creates_its_out_directory(tmp_path, capsys):
    out = tmp_path / "fresh" / "tune"
    assert main(["tune", "--grid", "lr=0.1", "--epochs", "1", "--samples", "40", "--out",
                 str(out)]) == 0
    assert out.is_dir() and any(out.iterdir())
