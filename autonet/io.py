"""Checkpoints without pickle: ``an.save(obj, path)`` and ``an.load(path)``.

A checkpoint is one ``.npz`` file (a zip of ``.npy`` arrays). Every array of ``obj`` is stored as
``a0``, ``a1``, ...; the nested structure around them (dicts, lists, tuples, numbers, strings, None,
Tensors, Parameters) is a JSON manifest stored as the UTF-8 bytes of the array ``__manifest__``.
Loading uses ``allow_pickle=False``, so a file can never run code; anything that is not a
well-formed autonet checkpoint raises ValueError naming the path.

Saving is atomic: the file is written to a temporary name in the same directory
(``.NAME.tmp-PID-XXXX.npz``), flushed to disk, renamed over ``path`` and the directory flushed, so
a crash or power cut mid-save leaves the previous checkpoint (or the new one) intact. A later save
of the same ``path`` removes the temporaries that killed saves left behind. Replacing a file keeps
its permission bits.

Loading treats the file as hostile: it reads only the members the manifest names, refuses
duplicate member names and non-regular files (a named pipe would block), checks each member's
declared size and its .npy header (dtype, shape) before allocating, and refuses an archive that
declares more than ``MAX_INFLATE_RATIO`` times its own size (a zip bomb; an.save stores arrays
uncompressed) or more than ``max_bytes`` in all (default ``MAX_BYTES``, 4 GiB; pass
``max_bytes=`` or set ``autonet.io.MAX_BYTES`` for larger checkpoints).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import tempfile
import zipfile
import zlib
from typing import Any

import numpy as np

from autonet.arguments import integer
from autonet.tensor import Tensor

FORMAT = "autonet-checkpoint"
VERSION = 1
_MANIFEST = "__manifest__"
MAX_BYTES = 4 << 30  # arrays of at most 4 GiB in all, unless load(max_bytes=...) says otherwise
MAX_INFLATE_RATIO = 100  # declared sizes above 100x the file's are a zip bomb, not a checkpoint
_SLACK = 1 << 20  # ... plus a MiB, so a tiny file's well-compressed manifest never trips it


# ---- encoding ------------------------------------------------------------------------------------
def _encode(obj: Any, arrays: dict[str, np.ndarray], depth: int = 0) -> Any:
    if depth > 100:
        raise ValueError("save: the object is nested more than 100 levels deep (or contains "
                         "itself); save a flatter structure")
    if obj is None:
        return {"t": "none"}
    if isinstance(obj, bool | np.bool_):
        return {"t": "bool", "v": bool(obj)}
    if isinstance(obj, int | np.integer):
        return {"t": "int", "v": int(obj)}
    if isinstance(obj, float) and not isinstance(obj, np.generic):
        return {"t": "float", "v": repr(float(obj))}
    if isinstance(obj, str):
        return {"t": "str", "v": obj}
    if isinstance(obj, Tensor | np.ndarray | np.generic):
        array = obj.data if isinstance(obj, Tensor) else np.asarray(obj)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"save: cannot store an array of dtype {array.dtype} without pickle; "
                            "only bool, integer, float and complex arrays are supported")
        key = f"a{len(arrays)}"
        # (np.ascontiguousarray would turn a 0-d array into shape (1,))
        arrays[key] = array if array.flags.c_contiguous else np.ascontiguousarray(array)
        node: dict[str, Any] = {"t": "array", "key": key}
        if isinstance(obj, np.generic):
            node["t"] = "scalar"
        elif isinstance(obj, Tensor):
            from autonet.nn.module import Parameter

            node["t"] = "parameter" if isinstance(obj, Parameter) else "tensor"
            node["requires_grad"] = obj.requires_grad
            if obj.name is not None:
                node["name"] = obj.name
        return node
    if isinstance(obj, dict):
        return {"t": "dict", "items": [[_encode(k, arrays, depth + 1),
                                        _encode(v, arrays, depth + 1)] for k, v in obj.items()]}
    if isinstance(obj, list | tuple):
        return {"t": "list" if isinstance(obj, list) else "tuple",
                "items": [_encode(v, arrays, depth + 1) for v in obj]}
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__}; save tensors, "
                    "arrays, numbers, strings, None, and dicts/lists/tuples of them (for a model "
                    "or optimizer, save its .state_dict())")


def _decode(node: Any, arrays: dict[str, np.ndarray], depth: int = 0) -> Any:
    if depth > 100 or not isinstance(node, dict) or "t" not in node:
        raise ValueError("malformed manifest entry")
    kind = node["t"]
    if kind == "none":
        return None
    if kind in ("bool", "int", "str"):
        value = node["v"]
        expected = {"bool": bool, "int": int, "str": str}[kind]
        if type(value) is not expected:
            raise ValueError(f"manifest value {value!r} is not a {kind}")
        return value
    if kind == "float":
        return float(node["v"])
    if kind in ("array", "scalar", "tensor", "parameter"):
        key = node.get("key")
        if key not in arrays:
            raise ValueError(f"manifest refers to array {key!r}, which the file does not hold")
        array = arrays[key]
        if kind == "scalar":
            return array[()]
        if kind == "array":
            return array
        if kind == "parameter":
            from autonet.nn.module import Parameter

            out: Tensor = Parameter(array, requires_grad=bool(node.get("requires_grad", True)))
        else:
            out = Tensor._wrap(array)
            if node.get("requires_grad"):
                out.requires_grad = True
        out.name = node.get("name", out.name)
        return out
    if kind == "dict":
        return {_decode(k, arrays, depth + 1): _decode(v, arrays, depth + 1)
                for k, v in node["items"]}
    if kind == "list":
        return [_decode(v, arrays, depth + 1) for v in node["items"]]
    if kind == "tuple":
        return tuple(_decode(v, arrays, depth + 1) for v in node["items"])
    raise ValueError(f"unknown manifest entry type {kind!r}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be saving the same target right now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (someone else's) or we cannot tell: leave its file alone
    return True


def _remove_orphans(directory: str, base: str) -> None:
    """Delete ``.BASE.tmp-PID-*.npz`` files left by saves of the same target whose process
    died (killed mid-write)."""
    prefix = f".{base}.tmp-"
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".npz")):
            continue
        pid_text = name[len(prefix):].partition("-")[0]
        if not pid_text.isdigit() or _process_alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, name))


def _fsync_directory(directory: str) -> None:
    """Flush the directory entry (the rename) to disk; a no-op where directories cannot be
    opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- public API ----------------------------------------------------------------------------------
def _fspath(path: Any, call: str) -> str:
    if not isinstance(path, str | bytes | os.PathLike):
        raise TypeError(f"{call}: path must be a file name (a str or pathlib.Path), got "
                        f"{path!r:.60} ({type(path).__name__})")
    return os.fsdecode(path)


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (tensors, arrays, numbers, strings, None, and dicts/lists/tuples of them, such
    as ``model.state_dict()`` or ``{'model': ..., 'optimizer': ..., 'epoch': 3}``) to ``path``
    atomically. The file is a .npz that numpy can open too."""
    path = _fspath(path, "save")
    arrays: dict[str, np.ndarray] = {}
    manifest = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays)}
    text = json.dumps(manifest, allow_nan=False).encode("utf-8")
    arrays[_MANIFEST] = np.frombuffer(text, dtype=np.uint8)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the directory {directory!r} of {path!r} does not exist; "
                                "create it first (os.makedirs(directory, exist_ok=True))")
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a directory; give a file name such as "
                                f"{os.path.join(path, 'checkpoint.npz')!r}")
    base = os.path.basename(path)
    _remove_orphans(directory, base)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)  # replacing a file keeps its permissions
    except OSError:
        mode = 0o666 & ~_umask()  # mkstemp makes 0600; give a new file the usual permissions
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.tmp-{os.getpid()}-", suffix=".npz",
                               dir=directory)
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def load(path: str | os.PathLike, *, max_bytes: int | None = None) -> Any:
    """Read what ``save`` wrote. Never unpickles; raises FileNotFoundError for a missing file and
    ValueError (naming the path) for a corrupt, truncated, foreign or hostile one.

    ``max_bytes``: the most the arrays may take in memory (default ``autonet.io.MAX_BYTES``,
    4 GiB); a larger checkpoint is refused before anything is allocated."""
    path = _fspath(path, "load")
    limit = MAX_BYTES if max_bytes is None else integer(max_bytes, "load", "max_bytes",
                                                        minimum=0)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path!r}")
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else (
                "a named pipe" if stat.S_ISFIFO(info.st_mode) else "not a regular file")
            raise ValueError(f"it is {kind}; give the path of a .npz file an.save wrote")
        with open(path, "rb") as f:
            magic = f.read(6)
            # np.load takes anything that is neither zip nor .npy for a pickle and says so, which
            # would invite the user to unpickle a corrupt file; name what the file is not instead.
            if magic.startswith(b"\x93NUMPY"):
                raise ValueError("it is a single .npy array (np.load reads it), not an autonet "
                                 "checkpoint (a .npz written by an.save)")
            if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
                raise ValueError(f"it is not a .npz archive (it starts with {magic!r}, not "
                                 "b'PK'); the file is corrupt, empty or of another format")
            f.seek(0)
            with zipfile.ZipFile(f) as archive:
                members = _Members(archive, info.st_size, limit)
                manifest = json.loads(members.manifest().tobytes().decode("utf-8"))
                if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                    raise ValueError("its manifest is not an autonet checkpoint manifest")
                if manifest.get("version") != VERSION:
                    raise ValueError(f"it is format version {manifest.get('version')!r}; this "
                                     f"autonet reads version {VERSION}")
                if "root" not in manifest:
                    raise ValueError("its manifest has no root entry")
                return _decode(manifest["root"], members)
    except (ValueError, KeyError, TypeError, EOFError, OSError, zipfile.BadZipFile,
            zlib.error, RecursionError, MemoryError, NotImplementedError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"load: {path!r} is not a readable autonet checkpoint: {error}") from None


class _Members:
    """The arrays of an open checkpoint archive, read on demand (only those the manifest names),
    each checked against its declared size before anything is allocated."""

    def __init__(self, archive: zipfile.ZipFile, file_size: int, limit: int) -> None:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            seen: set[str] = set()
            dupes = sorted({n for n in names if n in seen or seen.add(n)})
            raise ValueError(f"it lists the members {dupes[:3]} more than once (a crafted "
                             "archive; an.save writes each array once)")
        declared = sum(i.file_size for i in infos)
        if declared > limit:
            raise ValueError(f"its members declare {declared} bytes in all, above the limit of "
                             f"{limit} bytes; if you trust the file, pass load(path, "
                             f"max_bytes={declared}) or raise autonet.io.MAX_BYTES")
        if declared > MAX_INFLATE_RATIO * file_size + _SLACK:
            raise ValueError(f"its members declare {declared} bytes, more than "
                             f"{MAX_INFLATE_RATIO} times the file's {file_size} bytes (a zip "
                             "bomb; an.save stores arrays uncompressed)")
        self.archive = archive
        self.infos = {i.filename: i for i in infos}
        self.cache: dict[str, np.ndarray] = {}

    def manifest(self) -> np.ndarray:
        if _MANIFEST + ".npy" not in self.infos:
            raise ValueError("it has no autonet manifest (a .npz written by something else?)")
        array = self[_MANIFEST]
        if array.dtype != np.uint8 or array.ndim != 1:
            raise ValueError(f"its manifest is an array of {array.dtype} {array.shape}, not the "
                             "UTF-8 bytes of a JSON text")
        return array

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key + ".npy" in self.infos

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self.cache:
            self.cache[key] = self._read(key)
        return self.cache[key]

    def _read(self, key: str) -> np.ndarray:
        info = self.infos[key + ".npy"]
        with self.archive.open(info) as member:
            try:
                version = np.lib.format.read_magic(member)
            except ValueError:
                raise ValueError(f"its member {info.filename!r} is not a .npy array") from None
            if version not in ((1, 0), (2, 0), (3, 0)):
                raise ValueError(f"its member {info.filename!r} is .npy version {version}")
            reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                      else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = reader(member)
            if dtype.hasobject or dtype.kind not in "biufc":
                raise ValueError(f"its member {info.filename!r} holds dtype {dtype}; "
                                 "checkpoints hold bool, integer, float and complex arrays only")
            nbytes = math.prod(shape) * dtype.itemsize
            header = member.tell()
            if header + nbytes != info.file_size:
                raise ValueError(f"its member {info.filename!r} declares shape {shape} "
                                 f"{dtype} ({nbytes} bytes) but holds {info.file_size - header}")
            buffer = np.empty(nbytes, np.uint8)
            done = 0
            while done < nbytes:  # in pieces: never a second whole copy in memory
                piece = member.read(min(nbytes - done, 1 << 24))
                if not piece:
                    raise ValueError(f"its member {info.filename!r} is truncated")
                buffer[done:done + len(piece)] = np.frombuffer(piece, np.uint8)
                done += len(piece)
        return buffer.view(dtype).reshape(shape, order="F" if fortran else "C")
