"""MNIST and Fashion-MNIST from their IDX files: parsing, download with SHA-256 verification.

IDX layout (big-endian): two zero bytes, a dtype code (0x08 = uint8, ...), the number of
dimensions, then one uint32 size per dimension, then the data in C order.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}

FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}

# Published SHA-256 digests of the original gzip files.
SOURCES = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", {
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", {
        "train-images-idx3-ubyte.gz":
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz":
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz":
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz":
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    }),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse one IDX file (optionally gzip-compressed, by its ``.gz`` suffix) into an array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:  # not gzip, cut off, or corrupt
        with open(path, "rb") as f:
            head = f.read(2)
        fix = (f"it looks like an uncompressed IDX file: rename it to {path.stem}"
               if head == b"\x00\x00" else "delete it and download it again (e.g. "
               "load_mnist(..., download=True))")
        raise ValueError(f"read_idx: {path} ends in .gz but is not a readable gzip file "
                         f"({type(err).__name__}: {err}); {fix}") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {path} is not an IDX file (magic bytes {raw[:4].hex()})")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {path} has unknown IDX dtype code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} declares {ndim} dimensions but its header is cut "
                         f"off after {len(raw)} bytes; the file is truncated or corrupt")
    shape = tuple(int(s) for s in np.frombuffer(raw[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"read_idx: {path} declares shape {shape} ({expected} bytes of data) "
                         f"but holds {len(raw) - header}; the file is truncated or corrupt")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, target: Path, expected_sha256: str | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, out)
        if expected_sha256 is not None and sha256(tmp) != expected_sha256:
            raise RuntimeError(f"download: {url} has SHA-256 {sha256(tmp)}, expected "
                               f"{expected_sha256}; the file is corrupt or changed, not kept")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_mnist(root: str | os.PathLike, train: bool = True, download: bool = False,
               kind: str = "mnist", base_url: str | None = None,
               checksums: dict[str, str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of MNIST (``kind="mnist"``) or Fashion-MNIST (``kind="fashion-mnist"``).

    Files are read from ``root`` (gzip ``*-ubyte.gz``, or the same names without ``.gz``). With
    ``download=True`` missing files are fetched from ``base_url`` and verified against the
    published SHA-256 (``checksums`` overrides them; a mismatch raises and keeps nothing). Files
    already present are verified too when they are the gzip originals.

    Returns X uint8 of shape (N, 28, 28) and y int64 of shape (N,); scale X with ``X / 255.0``.
    """
    if kind not in SOURCES:
        raise ValueError(f"load_mnist: kind must be one of {sorted(SOURCES)}, got {kind!r}")
    default_url, default_sums = SOURCES[kind]
    base_url = base_url or default_url
    sums = default_sums if checksums is None else checksums
    root = Path(root)
    arrays = []
    for name in FILES["train" if train else "test"]:
        gz, raw = root / name, root / name.removesuffix(".gz")
        if not gz.exists() and not raw.exists():
            if not download:
                raise FileNotFoundError(f"load_mnist: {gz} not found; pass download=True or put "
                                        f"the {kind} IDX files in {root}")
            _download(base_url + name, gz, sums.get(name))
        if gz.exists():
            if sums.get(name) is not None and sha256(gz) != sums[name]:
                raise RuntimeError(f"load_mnist: {gz} has SHA-256 {sha256(gz)}, expected "
                                   f"{sums[name]}; delete it and download again")
            arrays.append(read_idx(gz))
        else:
            arrays.append(read_idx(raw))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"load_mnist: images {images.shape} and labels {labels.shape} do not "
                         "pair up; expected (N, rows, cols) and (N,)")
    return images, labels.astype(np.int64)
