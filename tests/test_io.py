"""an.save / an.load: round trips, no pickle, atomic writes, clear errors on bad files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import autonet as an
import autonet.io as io
from autonet import nn, optim


def test_round_trip_of_nested_structures(tmp_path) -> None:
    obj = {
        "weights": np.arange(6, dtype=np.float32).reshape(2, 3),
        "tensor": an.tensor([1.0, 2.0], requires_grad=True, name="w"),
        "param": nn.Parameter(np.ones(2)),
        "ints": np.array([1, 2, 3], dtype=np.int64),
        "scalar": np.float64(2.5),
        "zero_d": an.tensor(3.0),
        3: "int key",
        "list": [1, 2.5, "a", None, True, (4, 5)],
        "nested": {"inf": float("inf"), "nan": float("nan"), "empty": {}},
    }
    path = tmp_path / "ckpt.npz"
    an.save(obj, path)
    back = an.load(path)
    assert set(back) == set(obj)
    np.testing.assert_array_equal(back["weights"], obj["weights"])
    assert back["weights"].dtype == np.float32
    assert isinstance(back["tensor"], an.Tensor) and back["tensor"].requires_grad
    assert back["tensor"].name == "w"
    assert isinstance(back["param"], nn.Parameter) and back["param"].dtype == np.float64
    assert back["ints"].dtype == np.int64
    assert back["scalar"] == 2.5 and isinstance(back["scalar"], np.float64)
    assert back["zero_d"].shape == () and back["zero_d"].item() == 3.0
    assert back[3] == "int key"
    assert back["list"] == [1, 2.5, "a", None, True, (4, 5)]
    assert isinstance(back["list"][0], int) and isinstance(back["list"][4], bool)
    assert back["nested"]["inf"] == float("inf") and np.isnan(back["nested"]["nan"])
    assert back["nested"]["empty"] == {}


def test_checkpoint_of_model_optimizer_scheduler_resumes_training(tmp_path) -> None:
    def setup():
        an.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
        opt = optim.Adam(model.parameters(), lr=0.01)
        sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        return model, opt, sched

    x, y = an.randn(16, 2), np.arange(16) % 2

    def train(model, opt, sched, epochs):
        for _ in range(epochs):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            sched.step()

    model, opt, sched = setup()
    train(model, opt, sched, 3)
    an.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict(), "epoch": 3}, tmp_path / "run.npz")
    train(model, opt, sched, 3)

    model2, opt2, sched2 = setup()
    ckpt = an.load(tmp_path / "run.npz")
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optimizer"])
    sched2.load_state_dict(ckpt["scheduler"])
    assert ckpt["epoch"] == 3
    train(model2, opt2, sched2, 3)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_the_file_is_a_plain_npz_without_pickles(tmp_path) -> None:
    path = tmp_path / "m.npz"
    an.save(nn.Linear(2, 3).state_dict(), path)
    with np.load(path, allow_pickle=False) as archive:
        manifest = json.loads(archive["__manifest__"].tobytes())
        assert manifest["format"] == "autonet-checkpoint"
        assert archive["a0"].shape == (3, 2)
    with zipfile.ZipFile(path) as z:
        assert all(name.endswith(".npy") for name in z.namelist())


def test_unsupported_objects_are_refused(tmp_path) -> None:
    with pytest.raises(TypeError, match="cannot store an object of type Linear.*state_dict"):
        an.save(nn.Linear(1, 1), tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        an.save(np.array([{}, None], dtype=object), tmp_path / "x.npz")
    assert not list(tmp_path.iterdir())  # no temporary file left behind


def test_crash_mid_save_keeps_the_previous_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "ckpt.npz"
    an.save({"w": np.ones(3)}, path)

    def exploding_savez(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(io.np, "savez", exploding_savez)
    with pytest.raises(OSError, match="disk full"):
        an.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(an.load(path)["w"], np.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # temp file removed


def test_bad_files_raise_value_error_naming_the_path(tmp_path) -> None:
    good = tmp_path / "good.npz"
    an.save({"w": np.arange(1000.0)}, good)
    data = good.read_bytes()

    cases = {
        "truncated.npz": data[: len(data) // 2],
        "garbage.npz": b"this is not a checkpoint at all",
        "empty.npz": b"",
        "flipped.npz": data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:],
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    np.save(tmp_path / "single.npy", np.ones(3))
    np.savez(tmp_path / "foreign.npz", x=np.ones(3))
    pickled = tmp_path / "pickled.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(tmp_path / "badmanifest.npz", "w") as z, \
            z.open("__manifest__.npy", "w") as f:
        np.lib.format.write_array(f, np.frombuffer(b"{not json", dtype=np.uint8))

    for name in [*cases, "single.npy", "foreign.npz", "pickled.npy", "badmanifest.npz"]:
        path = tmp_path / name
        with pytest.raises(ValueError, match="not a readable autonet checkpoint") as info:
            an.load(path)
        assert str(path) in str(info.value), name
    with pytest.raises(FileNotFoundError, match="no such file"):
        an.load(tmp_path / "missing.npz")


def test_manifest_referring_to_missing_arrays_is_an_error(tmp_path) -> None:
    manifest = {"format": "autonet-checkpoint", "version": 1, "root": {"t": "array", "key": "a7"}}
    path = tmp_path / "dangling.npz"
    np.savez(path, __manifest__=np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match="a7"):
        an.load(path)


def test_saved_file_gets_the_usual_permissions(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        an.save({"w": an.ones(2)}, tmp_path / "ckpt.npz")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "ckpt.npz").st_mode & 0o777 == 0o644  # not mkstemp's 0600


def test_corrupt_file_error_never_suggests_unpickling(tmp_path) -> None:
    # numpy calls any non-zip, non-.npy file "pickled data" and suggests allow_pickle=True
    for name, content in {"garbage.npz": b"this is not a checkpoint", "empty.npz": b""}.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match="not a .npz archive") as info:
            an.load(tmp_path / name)
        assert "pickle" not in str(info.value)


def test_save_into_a_missing_directory_names_it(tmp_path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "ckpt.npz"
    with pytest.raises(FileNotFoundError, match="does not exist; create it") as info:
        an.save({"w": np.ones(2)}, target)
    assert str(target.parent) in str(info.value) and ".tmp-" not in str(info.value)
    with pytest.raises(IsADirectoryError, match="is a directory"):
        an.save({"w": np.ones(2)}, tmp_path)
    assert list(tmp_path.iterdir()) == []  # no temporary left behind
