"""an.load on crafted files (zip bombs, duplicate members, lying headers, pipes) and an.save's
housekeeping (orphaned temporaries, permissions, the directory flush)."""

from __future__ import annotations

import io as stdio
import json
import os
import stat
import subprocess
import sys
import threading
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import autonet as an
import autonet.io as io


def _npy(array: np.ndarray) -> bytes:
    buffer = stdio.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _manifest(root: dict) -> bytes:
    text = json.dumps({"format": io.FORMAT, "version": io.VERSION, "root": root})
    return _npy(np.frombuffer(text.encode(), dtype=np.uint8))


def _archive(path, members: list[tuple[str, bytes]], compress: bool = False) -> None:
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we craft
        with zipfile.ZipFile(path, "w", method) as z:
            for name, data in members:
                z.writestr(name, data)


ARRAY = {"t": "array", "key": "a0"}


def _refused(path, *words: str) -> str:
    with pytest.raises(ValueError) as info:
        an.load(path)
    message = str(info.value)
    assert str(path) in message and "not a readable autonet checkpoint" in message
    for word in words:
        assert word in message, (word, message)
    return message


def test_zip_bomb_is_refused_before_inflating(tmp_path) -> None:
    path = tmp_path / "bomb.npz"
    big = _npy(np.zeros(8 << 20))  # 64 MiB of zeros deflate to about 64 KiB
    _archive(path, [("__manifest__.npy", _manifest(ARRAY)), ("a0.npy", big)], compress=True)
    assert os.path.getsize(path) < 1 << 20
    tracemalloc.start()
    try:
        _refused(path, "zip bomb", str(len(big) + len(_manifest(ARRAY))))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # nothing near the 64 MiB was allocated


def test_size_limit_is_documented_and_overridable(tmp_path, monkeypatch) -> None:
    path = tmp_path / "ckpt.npz"
    an.save({"w": np.ones(300_000)}, path)  # 2.4 MB of float64, stored as it is
    message = _refused_with(path, max_bytes=1_000_000)
    assert "max_bytes=" in message and "1000000" in message
    assert an.load(path, max_bytes=3_000_000)["w"].shape == (300_000,)
    monkeypatch.setattr(io, "MAX_BYTES", 1_000_000)
    _refused(path, "autonet.io.MAX_BYTES")
    assert "MAX_BYTES" in io.__doc__ and "max_bytes" in an.load.__doc__
    # the wrong kind of value is a TypeError, a negative limit a ValueError (autonet.arguments)
    for bad, error in ((-1, ValueError), (2.5, TypeError), ("big", TypeError), (True, TypeError)):
        with pytest.raises(error, match=f"load: max_bytes must be .*{bad!r}"):
            an.load(path, max_bytes=bad)


def _refused_with(path, **kwargs) -> str:
    with pytest.raises(ValueError) as info:
        an.load(path, **kwargs)
    assert str(path) in str(info.value)
    return str(info.value)


def test_duplicate_member_names_are_refused(tmp_path) -> None:
    path = tmp_path / "dupes.npz"
    member = _npy(np.ones(1000))
    _archive(path, [("__manifest__.npy", _manifest(ARRAY))] + [("a0.npy", member)] * 50)
    _refused(path, "a0.npy", "more than once")


_pickled = b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }" + \
    b" " * 49 + b"\n" + b"\x80\x04N."  # an object array: a pickle, which is never run


def test_only_the_members_the_manifest_names_are_read(tmp_path) -> None:
    path = tmp_path / "extra.npz"
    _archive(path, [("__manifest__.npy", _manifest(ARRAY)), ("a0.npy", _npy(np.arange(3.0))),
                    ("junk.npy", _pickled)])
    np.testing.assert_array_equal(an.load(path), np.arange(3.0))


@pytest.mark.parametrize("member, words", [
    (b"hello, not a .npy", ["'a0.npy'", "not a .npy"]),
    (_npy(np.array(["a", "b"])), ["'a0.npy'", "dtype <U1"]),
    # a header that claims 8 TB in a file of a few bytes: no allocation, no MemoryError
    (_npy(np.ones(2))[:10] + _npy(np.ones(2))[10:].replace(b"(2,)", b"(1000000000000,)"),
     ["'a0.npy'", "(1000000000000,)", "8000000000000 bytes"]),
    (_npy(np.ones(4))[:-8], ["'a0.npy'", "shape (4,)", "holds 24"]),
])
def test_members_that_lie_are_value_errors_naming_the_path(tmp_path, member, words) -> None:
    path = tmp_path / "liar.npz"
    _archive(path, [("__manifest__.npy", _manifest(ARRAY)), ("a0.npy", member)])
    _refused(path, *words)


def test_manifest_that_is_not_bytes_is_refused(tmp_path) -> None:
    path = tmp_path / "manifest.npz"
    _archive(path, [("__manifest__.npy", _npy(np.ones(3)))])
    _refused(path, "manifest", "float64")
    _archive(path, [("__manifest__.npy", b"PK junk")])
    _refused(path, "'__manifest__.npy'", "not a .npy")


def test_a_single_npy_file_is_named_as_such(tmp_path) -> None:
    np.save(tmp_path / "a.npy", np.ones(3))
    message = _refused(tmp_path / "a.npy", "single .npy array")
    assert "context manager" not in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_without_blocking(tmp_path) -> None:
    pipe = tmp_path / "pipe.npz"
    os.mkfifo(pipe)
    outcome: list[BaseException] = []
    worker = threading.Thread(target=lambda: outcome.append(_catch(pipe)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the reader so the test run can go on, then fail
        with open(pipe, "wb"):
            pass
        pytest.fail("an.load blocked on a named pipe")
    assert isinstance(outcome[0], ValueError) and "named pipe" in str(outcome[0])
    assert str(pipe) in str(outcome[0])
    _refused(tmp_path, "a directory")


def _catch(path) -> BaseException | None:
    try:
        an.load(path)
    except BaseException as error:  # noqa: BLE001 - handed to the test thread
        return error
    return None


def test_save_removes_orphans_of_a_killed_save_of_the_same_target(tmp_path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / f".ckpt.npz.tmp-{dead.pid}-abc123.npz"
    orphan.write_bytes(b"PK half a checkpoint")
    mine = tmp_path / f".ckpt.npz.tmp-{os.getpid()}-busy.npz"  # a save in progress in this process
    mine.write_bytes(b"PK")
    other = tmp_path / f".other.npz.tmp-{dead.pid}-abc123.npz"  # another target's
    other.write_bytes(b"PK")
    an.save({"w": np.ones(2)}, tmp_path / "ckpt.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["ckpt.npz", mine.name, other.name])


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_replacing_a_file_keeps_its_mode(tmp_path) -> None:
    path = tmp_path / "secret.npz"
    an.save({"w": np.ones(2)}, path)
    os.chmod(path, 0o600)
    an.save({"w": np.zeros(2)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    np.testing.assert_array_equal(an.load(path)["w"], np.zeros(2))


@pytest.mark.skipif(os.name != "posix", reason="directories are opened for fsync on POSIX")
def test_save_flushes_the_directory_after_the_rename(tmp_path, monkeypatch) -> None:
    synced: list[tuple[bool, bool]] = []  # (is a directory, the target exists by then)
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append((stat.S_ISDIR(os.fstat(fd).st_mode), (tmp_path / "c.npz").exists()))
        real_fsync(fd)

    monkeypatch.setattr(io.os, "fsync", spy)
    an.save({"w": np.ones(2)}, tmp_path / "c.npz")
    assert synced[0] == (False, False) and synced[-1] == (True, True)
