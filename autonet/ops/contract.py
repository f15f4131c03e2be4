"""einsum, and tensordot and dot built on it.

The gradient of an einsum with respect to one operand is another einsum: the output gradient
contracted with the other operands onto that operand's subscripts. Two details make it exact for
every equation numpy accepts:

* a letter repeated within the operand (``'ii->i'``, a diagonal) is renamed in the gradient's
  output and tied to the original by an identity matrix, so the gradient lands on the diagonal;
* a letter only that operand has (``'ij->i'``, summed away) is broadcast back with a vector of ones.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from autonet.arguments import numeric
from autonet.ops.elementwise import mul
from autonet.ops.primitive import PerInput, Primitive, as_array
from autonet.ops.registry import composite
from autonet.tensor import Tensor

_LETTERS = string.ascii_letters


def _normalize(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> str:
    """``subscripts`` in explicit form, ``'...'`` spelled out with spare letters."""
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operand(s), got "
                         f"{len(shapes)}")
    spare = [c for c in _LETTERS if c not in text]
    widths = [len(shape) - (len(t) - 3) for t, shape in zip(terms, shapes) if "..." in t]
    width = max(widths, default=0)
    if min(widths, default=0) < 0:
        raise ValueError(f"einsum: {subscripts!r} has more subscripts than an operand has axes "
                         f"(shapes {[tuple(s) for s in shapes]})")
    ellipsis = "".join(spare[:width])
    explicit = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            k = len(shape) - (len(term) - 3)
            term = term.replace("...", ellipsis[width - k:])
        if len(term) != len(shape) or not all(c.isalpha() for c in term):
            raise ValueError(f"einsum: subscripts {term!r} do not fit an operand of shape "
                             f"{tuple(shape)}: one letter per axis")
        explicit.append(term)
    if arrow:
        output = output.replace("...", ellipsis)
    else:  # numpy's implicit output: the broadcast axes, then the letters used once, sorted
        counts = Counter("".join(explicit))
        output = ellipsis + "".join(sorted(c for c in counts if counts[c] == 1
                                           and c not in ellipsis))
    return ",".join(explicit) + "->" + output


def _einsum(*xs, equation):
    return np.einsum(equation, *xs, optimize=len(xs) > 2)


def _einsum_grad(i, xp, g, y, *xs, equation):
    inputs, output = equation.split("->")
    terms = inputs.split(",")
    sizes: dict[str, int] = {}
    for term, x in zip(terms, xs):
        for c, n in zip(term, x.shape):
            sizes[c] = max(sizes.get(c, 1), n)
    operands, subs = [g], [output]
    for k, (term, x) in enumerate(zip(terms, xs)):
        if k != i:
            operands.append(x)
            subs.append(term)
    spare = iter(c for c in _LETTERS if c not in equation)
    seen: set[str] = set()
    target = []
    for c in terms[i]:
        if c in seen:  # a diagonal: a fresh letter, tied to c by the identity
            fresh = next(spare)
            operands.append(np.eye(sizes[c], dtype=g.dtype))
            subs.append(c + fresh)
            target.append(fresh)
        else:
            seen.add(c)
            target.append(c)
    present = set("".join(subs))
    for c in seen - present:  # summed away in the forward: broadcast back
        operands.append(np.ones(sizes[c], dtype=g.dtype))
        subs.append(c)
    return xp.einsum(*operands, equation=",".join(subs) + "->" + "".join(target))


einsum_row = Primitive("einsum", _einsum, PerInput(_einsum_grad), kind="linalg", export=False,
                    doc="numpy.einsum of the inputs with an explicit equation (public: an.einsum).")


@composite
def einsum(subscripts: str, *operands: Any) -> Tensor:
    """numpy.einsum on tensors (explicit ``'ij,jk->ik'``, implicit ``'ij,jk'`` and ``'...'``):
    one node, whose gradients are einsums too."""
    if not isinstance(subscripts, str):
        raise TypeError("einsum: the first argument is the subscripts string, e.g. "
                        "an.einsum('ij,jk->ik', a, b)")
    for i, x in enumerate(operands):
        numeric(x, "einsum", f"operand {i}")
    equation = _normalize(subscripts, [np.shape(as_array(x)) for x in operands])
    return einsum_row(*operands, equation=equation)


@composite
def tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """numpy.tensordot: sum products over the last ``axes`` axes of a and the first of b, or over
    the axis lists ``axes = (a_axes, b_axes)``; result axes: a's remaining, then b's."""
    numeric(a, "tensordot", "a"), numeric(b, "tensordot", "b")
    nd_a, nd_b = np.ndim(as_array(a)), np.ndim(as_array(b))
    if isinstance(axes, int | np.integer):
        a_axes, b_axes = list(range(nd_a - axes, nd_a)), list(range(axes))
    elif isinstance(axes, str | bytes) or not isinstance(axes, Sequence | np.ndarray) or \
            len(axes) != 2:
        raise TypeError(f"tensordot: axes must be an integer or a pair (a_axes, b_axes) of axis "
                        f"lists, got {axes!r:.60} ({type(axes).__name__})")
    else:
        a_axes, b_axes = ([axes_] if isinstance(axes_, int | np.integer) else list(axes_)
                          for axes_ in axes)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: {len(a_axes)} axes of a against {len(b_axes)} of b; pass "
                         "equally many")
    a_axes = [int(x) % max(nd_a, 1) for x in a_axes]
    b_axes = [int(x) % max(nd_b, 1) for x in b_axes]
    a_sub = list(_LETTERS[:nd_a])
    b_sub = list(_LETTERS[nd_a:nd_a + nd_b])
    for p, q in zip(a_axes, b_axes):
        b_sub[q] = a_sub[p]
    out = [c for k, c in enumerate(a_sub) if k not in a_axes] + \
          [c for k, c in enumerate(b_sub) if k not in b_axes]
    return einsum(f"{''.join(a_sub)},{''.join(b_sub)}->{''.join(out)}", a, b)


@composite(method=True)
def dot(a: Any, b: Any) -> Tensor:
    """numpy.dot: products of scalars, inner product of vectors, matrix product of matrices, and
    for N-D a sum over a's last axis and b's second-to-last."""
    numeric(a, "dot", "a"), numeric(b, "dot", "b")
    nd_a, nd_b = np.ndim(as_array(a)), np.ndim(as_array(b))
    if nd_a == 0 or nd_b == 0:
        return mul(a, b)
    return tensordot(a, b, axes=([nd_a - 1], [max(nd_b - 2, 0)]))
