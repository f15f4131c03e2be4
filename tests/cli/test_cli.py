"""The autonet command end to end in temporary directories, and bad input."""

import csv
import functools
import json
import re
import subprocess
import sys

import numpy as np
import pytest

import autonet as an
from autonet.cli import build_model, main, parse_layers


def test_demo_with_no_arguments_learns_the_bundled_digits(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = tmp_path / "autonet-demo"
    names = {p.name for p in out.iterdir()}
    assert {"loss.png", "confusion_matrix.png", "model.npz", "history.csv"} <= names
    assert "graph.svg" in names or "graph.dot" in names
    printed = capsys.readouterr().out
    accuracy = float(printed.split("val_accuracy=")[1].split()[0])
    assert accuracy > 0.9  # the digits are learned, not merely run
    state = an.load(out / "model.npz")
    assert state["0.weight"].shape == (32, 64)
    for png in ("loss.png", "confusion_matrix.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_on_the_flower_draws_the_decision_boundary(tmp_path, capsys):
    out = tmp_path / "flower"
    assert main(["demo", "--dataset", "flower", "--out", str(out), "--verbose", "0"]) == 0
    accuracy = float(capsys.readouterr().out.split("val_accuracy=")[1].split()[0])
    assert accuracy > 0.8
    assert an.load(out / "model.npz")["0.weight"].shape == (16, 2)
    assert (out / "decision_boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_model_cnn_trains_the_convolutional_network(tmp_path, capsys):
    out = tmp_path / "cnn"
    assert main(["demo", "--model", "cnn", "--epochs", "3", "--out", str(out),
                 "--verbose", "0"]) == 0
    printed = capsys.readouterr().out
    assert "a CNN (conv 3x3" in printed
    assert float(printed.split("val_accuracy=")[1].split()[0]) > 0.8  # 3 epochs already learn
    state = an.load(out / "model.npz")
    assert state["1.weight"].shape == (8, 1, 3, 3) and state["4.weight"].shape == (16, 8, 3, 3)
    with pytest.raises(SystemExit, match="--model cnn learns the digits"):
        main(["demo", "--model", "cnn", "--dataset", "flower", "--out", str(out)])


def test_train_writes_history_plots_and_a_resumable_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--dataset", "moons", "--layers", "8,8", "--activation", "relu",
                 "--lr", "0.05", "--epochs", "12", "--batch-size", "16", "--optimizer", "sgd",
                 "--init", "he", "--l2", "1e-4", "--l1", "1e-5", "--dropout", "0.1",
                 "--schedule", "cosine", "--seed", "3", "--checkpoint-every", "5",
                 "--verbose", "0", "--out", str(out)])
    assert code == 0
    for name in ("history.csv", "history.json", "checkpoint.npz", "model.npz", "loss.png",
                 "lr_schedule.png", "decision_boundary.png"):
        assert (out / name).exists(), name
    with open(out / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 12 and {"loss", "val_loss", "accuracy", "lr"} <= set(rows[0])
    lrs = [float(r["lr"]) for r in rows]
    assert lrs[0] == pytest.approx(0.05) and lrs[-1] < lrs[0]  # cosine schedule
    assert json.loads((out / "history.json").read_text())["epoch"][-1] == 12
    ckpt = an.load(out / "checkpoint.npz")
    assert ckpt["epoch"] == 12 and "optimizer" in ckpt
    assert "final: val_loss=" in capsys.readouterr().out


RESUMABLE = ["train", "--dataset", "moons", "--samples", "80", "--layers", "6",
             "--activation", "relu", "--dropout", "0.2", "--schedule", "cosine", "--patience",
             "50", "--epochs", "6", "--batch-size", "16", "--seed", "5", "--checkpoint-every",
             "2", "--verbose", "0"]


def test_an_interrupted_run_resumed_writes_the_model_of_an_uninterrupted_one(
        tmp_path, monkeypatch, capsys):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert main([*RESUMABLE, "--out", str(whole)]) == 0

    class Checkpoint(an.train.Checkpoint):  # same class name: the checkpoint restores into it
        def on_epoch_end(self, state):
            super().on_epoch_end(state)
            if state.epoch == 4:
                raise KeyboardInterrupt  # Ctrl-C after the epoch-4 checkpoint

    with monkeypatch.context() as patch:
        patch.setattr(an.train, "Checkpoint", Checkpoint)
        assert main([*RESUMABLE, "--out", str(cut)]) == 130
    checkpoint = cut / "checkpoint.npz"
    assert f"autonet train --resume {checkpoint}" in capsys.readouterr().err
    assert an.load(checkpoint)["epoch"] == 4 and not (cut / "model.npz").exists()

    assert main(["train", "--resume", str(checkpoint), "--verbose", "0"]) == 0  # into cut/
    expected, resumed = an.load(whole / "model.npz"), an.load(cut / "model.npz")
    assert sorted(resumed) == sorted(expected)
    for name in expected:
        np.testing.assert_array_equal(resumed[name], expected[name])
    rows = [list(csv.DictReader((d / "history.csv").read_text().splitlines()))
            for d in (whole, cut)]
    drop_time = [[{k: v for k, v in r.items() if k != "time"} for r in rs] for rs in rows]
    assert len(drop_time[1]) == 6 and drop_time[0] == drop_time[1]


def test_resume_keeps_the_runs_settings_and_refuses_other_ones(tmp_path, capsys):
    run = tmp_path / "run"
    argv = [*RESUMABLE[:RESUMABLE.index("--epochs")], "--epochs", "2", "--out", str(run)]
    assert main(argv) == 0
    checkpoint = str(run / "checkpoint.npz")
    assert json.loads((run / "hparams.json").read_text())["layers"] == [6]
    capsys.readouterr()
    assert main(["train", "--resume", checkpoint, "--lr", "0.5", "--layers", "3"]) == 2
    err = capsys.readouterr().err
    assert "--lr 0.5 (the run used 0.01)" in err and "--layers 3 (the run used 6)" in err
    assert main(["train", "--resume", checkpoint, "--epochs", "3", "--verbose", "0"]) == 0
    history = (run / "history.csv").read_text().splitlines()
    assert len(list(csv.DictReader(history))) == 3  # trained for longer
    assert main(["train", "--resume", str(tmp_path / "none.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (run / "hparams.json").unlink()
    assert main(["train", "--resume", checkpoint]) == 2
    assert "no hparams.json beside" in capsys.readouterr().err


def test_train_on_bundled_iris(tmp_path, capsys):
    assert main(["train", "--dataset", "iris", "--epochs", "40", "--lr", "0.05", "--verbose",
                 "0", "--out", str(tmp_path)]) == 0
    accuracy = float(capsys.readouterr().out.split("val_accuracy=")[1].split()[0])
    assert accuracy > 0.85
    assert not (tmp_path / "decision_boundary.png").exists()  # 4-D inputs: no boundary plot
    assert (tmp_path / "confusion_matrix.png").exists()  # a confusion matrix instead


def test_tune_grid_ranks_trials_and_writes_csv(tmp_path, capsys):
    out = tmp_path / "tune"
    code = main(["tune", "--dataset", "flower", "--grid", "lr=0.0001,0.05;layers=8|16,16",
                 "--epochs", "15", "--out", str(out)])
    assert code == 0
    with open(out / "trials.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows)
    losses = [float(r["val_loss"]) for r in rows]
    assert losses == sorted(losses)
    assert float(rows[0]["lr"]) == 0.05  # a tiny learning rate barely moves in 15 epochs
    assert {r["layers"] for r in rows} == {"8", "16-16"}
    assert (out / "search.png").exists()
    assert "best:" in capsys.readouterr().out


def test_tune_random_and_bayes_with_jobs(tmp_path):
    assert main(["tune", "--grid", "lr=log:1e-3:1e-1;dropout=uniform:0:0.3", "--method",
                 "random", "--trials", "3", "--jobs", "2", "--epochs", "3",
                 "--out", str(tmp_path / "r")]) == 0
    assert main(["tune", "--grid", "lr=log:1e-3:1e-1;activation=relu,tanh", "--method", "bayes",
                 "--trials", "3", "--epochs", "3", "--out", str(tmp_path / "b")]) == 0
    for sub in ("r", "b"):
        with open(tmp_path / sub / "trials.csv") as f:
            assert len(list(csv.DictReader(f))) == 3


def test_tune_says_where_its_trials_run(tmp_path, monkeypatch, capsys):
    argv = ["tune", "--grid", "lr=0.01,0.1", "--epochs", "1", "--samples", "40", "--show", "1"]
    assert main([*argv, "--out", str(tmp_path / "s")]) == 0
    assert ("grid search over lr: 2 trials, run one after another in this process"
            in capsys.readouterr().out)
    assert main([*argv, "--method", "random", "--trials", "3", "--jobs", "2",
                 "--out", str(tmp_path / "p")]) == 0
    assert "3 trials, run in 2 worker processes, 2 at a time" in capsys.readouterr().out
    distributed = pytest.importorskip("distributed")
    # in-process workers: the same code path as a real local cluster, without spawning
    monkeypatch.setattr(distributed, "LocalCluster",
                        functools.partial(distributed.LocalCluster, processes=False))
    assert main([*argv, "--dask", "local", "--out", str(tmp_path / "d")]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert re.search(r"2 trials, run on the Dask scheduler at \w+://\S+ \(a local cluster of "
                     r"1 worker\)$", line), line
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as c:
        assert main([*argv, "--dask", c.scheduler_address, "--out", str(tmp_path / "r")]) == 0
    assert (f"2 trials, run on the Dask scheduler at {c.scheduler_address}\n"
            in capsys.readouterr().out)


def test_graph_command(tmp_path, capsys):
    path = tmp_path / "g.svg"
    assert main(["graph", "--out", str(path)]) == 0
    written = path if path.exists() else path.with_suffix(".dot")
    assert written.exists() and written.stat().st_size > 200
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--lr", "abc"], "--lr"),
    (["train", "--lr", "-1"], "--lr"),
    (["train", "--epochs", "0"], "positive integer"),
    (["train", "--layers", "8,x"], "layers"),
    (["train", "--activation", "swish"], "invalid choice"),
    (["train", "--dataset", "mnist-huge"], "invalid choice"),
    (["train", "--bogus"], "unrecognized arguments"),
    (["tune"], "--grid"),
    (["tune", "--grid", "lr"], "name=v1,v2"),
    (["tune", "--grid", "color=red", "--epochs", "1"], "unknown hyperparameters"),
    (["tune", "--grid", "lr=abc", "--epochs", "1"], "bad value 'abc' for lr"),
    (["tune", "--grid", "lr=0.1,-1", "--epochs", "1"], "bad value '-1' for lr"),
    (["tune", "--grid", "activation=relu|swish", "--epochs", "1"], "choose from"),
    (["tune", "--grid", "layers=8|16,x", "--epochs", "1"], "for layers"),
    (["tune", "--grid", "dropout=uniform:0:2", "--method", "random"], "for dropout"),
    (["tune", "--grid", "lr=0.1;lr=0.2", "--epochs", "1"], "gives lr twice"),
    (["tune", "--grid", "lr=log:0:1", "--method", "random"], "need 0 < low < high"),
    (["tune", "--grid", "lr=uniform:0.1:inf", "--method", "random"], "must be finite"),
    (["tune", "--grid", "batch_size=int:1.5:4", "--method", "random"], "whole numbers"),
    (["tune", "--grid", "activation=int:1:3", "--method", "random"], "for activation"),
    (["tune", "--grid", "layers=int:1:3", "--method", "random"], "not a range"),
    (["tune", "--grid", "layers=-3|8", "--epochs", "1"], "for layers"),
    (["tune", "--grid", "seed=-1", "--epochs", "1"], "bad value '-1' for seed"),
    # an empty value between separators is refused, not dropped
    (["tune", "--grid", "lr=0.1,,0.2", "--epochs", "1"], "--grid: lr=0.1,,0.2 has an empty value"),
    (["tune", "--grid", "lr=0.1,", "--epochs", "1"], "--grid: lr=0.1, has an empty value ''"),
    (["tune", "--grid", "layers=8||16", "--epochs", "1"], "--grid: layers=8||16 has an empty"),
    (["tune", "--grid", "layers=8|16,,4", "--epochs", "1"], "layers=8|16,,4 has an empty"),
    (["train", "--seed", "-1"], "--seed: expected an integer >= 0"),
    (["train", "--data-seed", "-1"], "--data-seed: expected an integer >= 0"),
    (["train", "--patience", "-1"], "--patience: expected an integer >= 0"),
    (["train", "--checkpoint-every", "-2"], "--checkpoint-every: expected an integer >= 0"),
    (["demo", "--seed", "x"], "--seed: expected an integer >= 0"),
    # a 10**12 grid is refused at once, not materialized
    (["tune", "--grid", ";".join(f"{name}={sep.join(values)}" for name, sep, values in [
        ("lr", ",", [f"{0.0001 * (i + 1):.4f}" for i in range(1000)]),
        ("batch_size", ",", [str(i + 1) for i in range(1000)]),
        ("dropout", ",", [f"{0.0009 * i:.4f}" for i in range(1000)]),
        ("layers", "|", [str(i + 1) for i in range(1000)])]), "--epochs", "1"],
     "the grid has 1000000000000 combinations"),
    (["nonsense"], "invalid choice"),
    ([], "required"),
])
def test_bad_input_is_one_line_exit_2(argv, fragment, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        code = main([*argv, *(["--out", str(tmp_path)] if argv[:1] == ["tune"] and
                               len(argv) > 2 else [])])
        raise SystemExit(code)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--dataset", "--layers", "--activation", "--lr", "--epochs", "--batch-size",
                 "--optimizer", "--init", "--l2", "--l1", "--dropout", "--schedule", "--seed",
                 "--out"):
        assert flag in text
    assert "(default: 0.01)" in text and "(default: adam)" in text
    assert "(default: 16,16)" in text


@pytest.mark.parametrize("command", ["train", "tune"])
def test_batch_size_help_uses_the_courses_m(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "1 = stochastic GD, m (the number of training examples) = batch GD" in text
    assert "N = batch GD" not in text


@pytest.mark.parametrize("command", ["demo", "train", "tune", "graph"])
def test_help_shows_no_empty_defaults(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # undo line wrapping
    assert "(default: None)" not in text and "(default: False)" not in text


def test_console_script_module_entry(tmp_path):
    result = subprocess.run([sys.executable, "-m", "autonet", "train", "--epochs", "x"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_build_model_and_layers():
    assert parse_layers("16, 8") == (16, 8) and parse_layers("none") == ()
    an.manual_seed(0)
    model = build_model(2, (64,), 3, activation="relu", init="he")
    w = model[0].weight.data
    assert w.shape == (64, 2) and abs(w.std() - 1.0) < 0.25  # he: std sqrt(2 / fan_in) = 1
    assert np.all(model[0].bias.data == 0)
    small = build_model(2, (), 2, init="normal")
    assert len(list(small.parameters())) == 2 and small[0].weight.data.std() < 0.05


@pytest.mark.parametrize("script", ["train_flower.py", "tune_flower.py"])
def test_examples_run_without_arguments(script, tmp_path):
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / script
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "val_accuracy" in result.stdout
    assert list(tmp_path.iterdir()) == []  # examples do not litter the working directory


def test_graph_no_grad_draws_the_forward_graph_only(tmp_path, capsys):
    with_grads, forward = tmp_path / "g.dot", tmp_path / "f.dot"
    assert main(["graph", "--out", str(with_grads)]) == 0
    assert main(["graph", "--out", str(forward), "--no-grad"]) == 0
    assert "\\ngrad " in with_grads.read_text()  # a value box line: grad ...
    text = forward.read_text()
    assert "\\nvalue " in text and "\\ngrad" not in text and "vanishing" not in text


def test_tune_grid_layer_sizes_take_every_spelling_the_flag_takes(tmp_path, capsys):
    code = main(["tune", "--grid", "layers=none|8-8|4|0", "--epochs", "1", "--samples", "40",
                 "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "failed" not in out
    rows = (tmp_path / "trials.csv").read_text().splitlines()
    assert len(rows) == 1 + 3  # none and 0 are the same setting (no hidden layer): run once
    assert {r.split(",")[2] for r in rows[1:]} == {"", "8-8", "4"}


def test_tune_grid_over_seed_keeps_the_tuned_seed_in_one_column(tmp_path, capsys):
    assert main(["tune", "--grid", "seed=1,2;lr=0.1", "--epochs", "1", "--samples", "40",
                 "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[1].split().count("seed") == 1
    text = (tmp_path / "trials.csv").read_text().splitlines()
    assert next(csv.reader(text)).count("seed") == 1
    assert sorted(row["seed"] for row in csv.DictReader(text)) == ["1", "2"]


def _tampered(run, capsys, edit_checkpoint=None, edit_settings=None) -> str:
    """Resume ``run`` after changing its checkpoint or settings; the one-line error."""
    import autonet as an

    checkpoint = run / "checkpoint.npz"
    if edit_checkpoint is not None:
        tree = an.load(checkpoint)
        edit_checkpoint(tree)
        an.save(tree, checkpoint)
    if edit_settings is not None:
        settings = json.loads((run / "hparams.json").read_text())
        edit_settings(settings)
        (run / "hparams.json").write_text(json.dumps(settings))
    capsys.readouterr()
    assert main(["train", "--resume", str(checkpoint), "--verbose", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("checkpoint_edit, settings_edit, words", [
    (lambda t: t.update(epoch=-5), None, ["epoch=-5", "integer >= 0"]),
    (lambda t: t.update(epoch=1.5), None, ["epoch=1.5"]),
    (lambda t: t.pop("optimizer"), None, ["lacks the entries ['optimizer']"]),
    (lambda t: t.update(optimizer="adam"), None, ["optimizer entry of type str"]),
    (lambda t: t.update(optimizer_kind="SGD"), None, ["saved by a SGD optimizer"]),
    (None, lambda s: s.update(samples=10**12), ["samples=1000000000000", "at most"]),
    (None, lambda s: s.update(samples="400"), ["samples='400'", "not a int"]),
    (None, lambda s: s.update(layers=[10**6, 10**6]), ["layers=", "<= 100000"]),
    (None, lambda s: s.update(optimizer="lbfgs"), ["optimizer='lbfgs'", "choose from"]),
    (None, lambda s: s.update(layers="16"), ["layers='16'", "list of layer sizes"]),
])
def test_resume_validates_every_field(tmp_path, capsys, checkpoint_edit, settings_edit, words):
    run = tmp_path / "run"
    assert main([*RESUMABLE[:RESUMABLE.index("--epochs")], "--epochs", "2", "--out",
                 str(run)]) == 0
    err = _tampered(run, capsys, checkpoint_edit, settings_edit)
    for word in words:
        assert word in err, (word, err)


def _rewrite_members(path, edit) -> None:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    edit(members)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("edit, words", [
    (lambda m: m.update({"__manifest__.npy": b"PK junk"}), ["'__manifest__.npy'", "not a .npy"]),
    (lambda m: m.update({n: b"junk" for n in m if n != "__manifest__.npy"}), ["not a .npy"]),
    (lambda m: m.update({"extra.npy": m["__manifest__.npy"]}), None),  # unnamed: not read
])
def test_resume_from_a_malformed_checkpoint_file_is_one_line(tmp_path, capsys, edit, words):
    run = tmp_path / "run"
    assert main([*RESUMABLE[:RESUMABLE.index("--epochs")], "--epochs", "2", "--out",
                 str(run)]) == 0
    _rewrite_members(run / "checkpoint.npz", edit)
    capsys.readouterr()
    code = main(["train", "--resume", str(run / "checkpoint.npz"), "--verbose", "0"])
    err = capsys.readouterr().err.strip()
    if words is None:
        assert code == 0 and err == ""
        return
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    for word in ["checkpoint.npz", "not a readable autonet checkpoint", *words]:
        assert word in err, (word, err)


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs named pipes")
def test_resume_from_a_named_pipe_says_what_it_is(tmp_path, capsys):
    import os

    os.mkfifo(tmp_path / "checkpoint.npz")
    assert main(["train", "--resume", str(tmp_path / "checkpoint.npz"), "--verbose", "0"]) == 2
    err = capsys.readouterr().err
    assert "not a regular file" in err and "does not exist" not in err


def test_an_adam_checkpoint_does_not_resume_into_sgd(tmp_path, capsys):
    import autonet as an
    from autonet import nn, optim
    from autonet.train import Checkpoint

    x, y = np.ones((8, 2), np.float32), np.zeros(8, np.int64)
    model = nn.Linear(2, 2)
    an.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), (x, y), epochs=1,
           verbose=0, callbacks=[Checkpoint(tmp_path / "c.npz")])
    tree = an.load(tmp_path / "c.npz")
    del tree["optimizer_kind"]  # as an older checkpoint: the settings still tell
    an.save(tree, tmp_path / "c.npz")
    with pytest.raises(ValueError, match="another kind of optimizer"):
        an.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
               epochs=2, verbose=0, callbacks=[Checkpoint(tmp_path / "c.npz")],
               resume=tmp_path / "c.npz")


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--samples", "1000000000000"], "at most 10000000 samples"),
    (["train", "--layers", "1000000,1000000"], "<= 100000"),
    (["train", "--layers", "20000,20000"], "weights"),
])
def test_impossible_sizes_are_one_line(argv, fragment, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1


def test_train_compile_replays_the_steps_and_writes_the_same_history(tmp_path, monkeypatch):
    from autonet.train import loop

    made = []

    def recording(fn, **options):
        step = an.compile(fn, **options)
        made.append(step)
        return step

    monkeypatch.setattr(loop, "compile_step", recording)
    runs, weights = {}, {}
    for flag in ((), ("--compile",)):
        out = tmp_path / ("compiled" if flag else "eager")
        assert main([*RESUMABLE[:-4], "--verbose", "0", "--out", str(out), *flag]) == 0
        with open(out / "history.csv") as f:
            runs[bool(flag)] = [{k: v for k, v in row.items() if k != "time"}
                                for row in csv.DictReader(f)]
        weights[bool(flag)] = an.load(out / "model.npz")
    assert runs[True] == runs[False]  # dropout, partial last batch: the same numbers
    assert weights[True].keys() == weights[False].keys()
    for name, value in weights[False].items():
        assert np.array_equal(weights[True][name], value), name
    assert len(made) == 2 and all(step.replays > 0 for step in made)  # train and val steps
