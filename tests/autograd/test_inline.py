"""autonet.autograd.inline: rules and simple functions written out in place compute what calling
them computes, bit for bit, and anything else is left as a call."""

import functools

import numpy as np
import pytest

import autonet as an
from autonet.autograd.inline import inline_call
from autonet.ops.elementwise import _sigmoid
from autonet.ops.namespace import NUMPY


def _run(fn, args, keywords=None, dtypes=None):
    """Write ``fn`` out over names a0, a1, ... and run the text; None if it is not inlined."""
    namespace = {}

    def bind(value, hint):
        name = f"B{len(namespace)}"
        namespace[name] = value
        return name

    names = [f"a{k}" if isinstance(a, np.ndarray | np.generic) else a for k, a in enumerate(args)]
    known = {n: d for n, d in zip(names, dtypes or ()) if d is not None}
    text = inline_call(fn, names, keywords or {}, bind, known)
    if text is None:
        return None
    *lines, result = text.split("\n")
    scope = dict(namespace, **{n: a for n, a in zip(names, args) if isinstance(n, str)})
    for line in lines:
        exec(line.replace("__tmp", "tmp"), scope)
    return eval(result.replace("__tmp", "tmp"), scope)


def tanh_rule(xp, g, y, x):
    return g * (1 - y * y)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (3,), (4, 5)])
def test_written_out_equals_called(dtype, shape):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 30).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    y = np.tanh(x)
    known = [np.dtype(dtype) if len(shape) else None] * 3
    cases = [
        (_sigmoid, [x], known[:1]),
        (lambda xp, g, y, x: g * y * (1 - y), [NUMPY, g, y, x], [None, *known]),
        (tanh_rule, [NUMPY, g, y, x], [None, *known]),
    ]
    for fn, args, dtypes in cases:
        with np.errstate(all="ignore"):
            want = fn(*args)
            got = _run(fn, args, dtypes=dtypes)
        assert type(got) is type(want) and got.dtype == want.dtype
        assert np.asarray(got).tobytes() == np.asarray(want).tobytes()


def test_functions_with_branches_wrappers_or_closures_stay_calls():
    def branch(x):
        if x is None:
            return 0
        return x

    @functools.wraps(_sigmoid)
    def wrapper(x):
        return _sigmoid(x) * 2

    scale = 3.0
    closure = lambda x: x * scale  # noqa: E731

    for fn in (branch, wrapper, closure, np.tanh, functools.partial(tanh_rule, NUMPY)):
        assert _run(fn, [np.ones(2)]) is None


def test_python_numbers_meet_only_known_float_arrays_as_arrays():
    seen = {}

    def bind(value, hint):
        seen[f"B{len(seen)}"] = value
        return f"B{len(seen) - 1}"

    text = inline_call(lambda y, n: (1 - y) + (2 - n), ["y", "n"], {}, bind,
                       {"y": np.dtype(np.float32)})
    assert text == "B0 - y + (2 - n)"  # n: no dtype known, left as written
    (constant,) = [v for v in seen.values() if isinstance(v, np.ndarray)]
    assert constant.dtype == np.float32 and constant.ndim == 0 and constant == 1


def test_the_replay_writes_the_chain_out_without_calling_rules():
    def chain(x, w):
        y = (x * w).sigmoid().tanh()
        y.backward(np.ones((4, 4), np.float32))
        return y

    step = an.compile(chain)
    xs = [an.tensor(np.full((4, 4), 0.5, np.float32), requires_grad=True) for _ in range(2)]
    step(*xs)
    code = step.replay_code
    assert "sigmoid" not in code and "lambda" not in code  # forward and rules written out
    assert "(G" in code and "_float32_1 - " in code  # 1 - y as a float32 0-d array
