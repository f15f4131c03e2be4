"""Checkpoints without pickle: ``an.save(obj, path)`` and ``an.load(path)``.

A checkpoint is one ``.npz`` file (a zip of ``.npy`` arrays). Every array of ``obj`` is stored as
``a0``, ``a1``, ...; the nested structure around them (dicts, lists, tuples, numbers, strings, None,
Tensors, Parameters) is a JSON manifest stored as the UTF-8 bytes of the array ``__manifest__``.
Loading uses ``allow_pickle=False``, so a file can never run code; anything that is not a
well-formed autonet checkpoint raises ValueError naming the path.

Saving is atomic: the file is written to a temporary name in the same directory, flushed to disk,
then renamed over ``path``, so a crash mid-save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from typing import Any

import numpy as np

from autonet.tensor import Tensor

FORMAT = "autonet-checkpoint"
VERSION = 1
_MANIFEST = "__manifest__"


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


# ---- public API ----------------------------------------------------------------------------------
def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (tensors, arrays, numbers, strings, None, and dicts/lists/tuples of them, such
    as ``model.state_dict()`` or ``{'model': ..., 'optimizer': ..., 'epoch': 3}``) to ``path``
    atomically. The file is a .npz that numpy can open too."""
    path = os.fspath(path)
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
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path: str | os.PathLike) -> Any:
    """Read what ``save`` wrote. Never unpickles; raises FileNotFoundError for a missing file and
    ValueError (naming the path) for a corrupt, truncated or foreign one."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path!r}")
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
        # np.load takes anything that is neither zip nor .npy for a pickle and says so, which would
        # invite the user to unpickle a corrupt file; name what the file is not instead.
        if not magic.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
            raise ValueError(f"it is not a .npz archive (it starts with {magic!r}, not b'PK'); "
                             "the file is corrupt, empty or of another format")
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("it is a single .npy array, not an autonet checkpoint")
            if _MANIFEST not in archive.files:
                raise ValueError("it has no autonet manifest (a .npz written by something else?)")
            arrays = {name: archive[name] for name in archive.files}
        manifest = json.loads(arrays.pop(_MANIFEST).tobytes().decode("utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError("its manifest is not an autonet checkpoint manifest")
        if manifest.get("version") != VERSION:
            raise ValueError(f"it is format version {manifest.get('version')!r}; this autonet "
                             f"reads version {VERSION}")
        return _decode(manifest["root"], arrays)
    except (ValueError, KeyError, TypeError, EOFError, OSError, zipfile.BadZipFile,
            zlib.error, RecursionError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"load: {path!r} is not a readable autonet checkpoint: {error}") from None
