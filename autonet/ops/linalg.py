"""Matrix products, with numpy.matmul's rules for 1-D operands and batch broadcasting."""

from __future__ import annotations

import numpy as np

from autonet.ops.primitive import Primitive


def _matmul(a, b):
    try:
        return np.matmul(a, b)
    except ValueError:
        a_shape, b_shape = np.shape(a), np.shape(b)
        if 0 in (len(a_shape), len(b_shape)):
            raise ValueError(f"shapes {a_shape} and {b_shape}: matmul needs at least 1-D operands; "
                             "use * for scalars") from None
        k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
        raise ValueError(
            f"shapes {a_shape} and {b_shape} are not aligned: {a_shape[-1]} "
            f"(dim {len(a_shape) - 1}) != {k_b} (dim {max(len(b_shape) - 2, 0)})") from None


def _swap(xp, x):
    return xp.swapaxes(x, -1, -2)


# y = a @ b  =>  da = g @ b^T,  db = a^T @ g. A 1-D a is a row (1, k) and a 1-D b a column (k, 1),
# whose added axis matmul drops from y; the rules put it back on g first.
def _matmul_grad_a(xp, g, y, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return g * b
    if b.ndim == 1:
        return xp.expand_dims(g, -1) * b
    if a.ndim == 1:
        return xp.reshape(xp.matmul(xp.expand_dims(g, -2), _swap(xp, b)), g.shape[:-1] + a.shape)
    return xp.matmul(g, _swap(xp, b))


def _matmul_grad_b(xp, g, y, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    if a.ndim == 1:
        return xp.expand_dims(a, -1) * xp.expand_dims(g, -2)
    if b.ndim == 1:
        return xp.reshape(xp.matmul(_swap(xp, a), xp.expand_dims(g, -1)), g.shape[:-1] + b.shape)
    return xp.matmul(_swap(xp, a), g)


matmul = Primitive("matmul", _matmul, (_matmul_grad_a, _matmul_grad_b), kind="linalg", symbol="@",
                   method=True, doc="a @ b with numpy.matmul's rules (1-D operands, batch axes).",
                   hint="for Z = A @ B the rules are dA = dZ @ B^T and dB = A^T @ dZ: check the "
                        "order of the product and which factor is transposed")
