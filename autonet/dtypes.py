"""PyTorch-style dtype names: ``an.float32`` is ``np.float32`` (and so on), for ``dtype=`` and
``.to(...)``. numpy's spellings (``"float32"``, ``np.float32``) work everywhere as well."""

from __future__ import annotations

import numpy as np

float16 = half = np.float16
float32 = float = np.float32  # noqa: A001  (PyTorch's an.float is float32)
float64 = double = np.float64
int8, int16, int32 = np.int8, np.int16, np.int32
int64 = long = np.int64
uint8 = np.uint8
bool = np.bool_  # noqa: A001
complex64, complex128 = np.complex64, np.complex128

__all__ = ["float16", "half", "float32", "float", "float64", "double", "int8", "int16", "int32",
           "int64", "long", "uint8", "bool", "complex64", "complex128"]
