"""PyTorch's dim=/keepdim= are numpy's axis=/keepdims= wherever an axis is taken, and an unknown
keyword names the one meant."""

from __future__ import annotations

import numpy as np
import pytest

import autonet as an

X = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7 - 1

# (name, call with numpy's keywords, the same call with PyTorch's)
CALLS = [
    *[(name, (lambda n: lambda x: getattr(an, n)(x, axis=1, keepdims=True))(name),
       (lambda n: lambda x: getattr(an, n)(x, dim=1, keepdim=True))(name))
      for name in ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "argmax",
                   "argmin", "norm", "any", "all"]],
    *[(name, (lambda n: lambda x: getattr(an, n)(x, axis=1))(name),
       (lambda n: lambda x: getattr(an, n)(x, dim=1))(name))
      for name in ["softmax", "log_softmax", "cumsum", "cumprod", "flip", "sort", "argsort"]],
    ("method sum", lambda x: x.sum(axis=-1, keepdims=True), lambda x: x.sum(dim=-1, keepdim=True)),
    ("method softmax", lambda x: x.softmax(axis=0), lambda x: x.softmax(dim=0)),
    ("method cumsum", lambda x: x.cumsum(axis=2), lambda x: x.cumsum(dim=2)),
    ("method any", lambda x: (x > 0).any(axis=1, keepdims=True),
     lambda x: (x > 0).any(dim=1, keepdim=True)),
    ("method all", lambda x: (x > -1).all(axis=0), lambda x: (x > -1).all(dim=0)),
    ("F.softmax", lambda x: an.nn.functional.softmax(x, axis=1),
     lambda x: an.nn.functional.softmax(x, dim=1)),
    ("F.log_softmax", lambda x: an.nn.functional.log_softmax(x, axis=1),
     lambda x: an.nn.functional.log_softmax(x, dim=1)),
    ("nn.Softmax", lambda x: an.nn.Softmax(axis=1)(x), lambda x: an.nn.Softmax(dim=1)(x)),
    ("nn.LogSoftmax", lambda x: an.nn.LogSoftmax(axis=1)(x),
     lambda x: an.nn.LogSoftmax(dim=1)(x)),
    ("concatenate", lambda x: an.concatenate([x, x], axis=1),
     lambda x: an.concatenate([x, x], dim=1)),
    ("cat", lambda x: an.cat([x, x], axis=2), lambda x: an.cat([x, x], dim=2)),
    ("stack", lambda x: an.stack([x, x], axis=1), lambda x: an.stack([x, x], dim=1)),
    ("split", lambda x: an.concatenate(an.split(x, 2, axis=2)[::-1]),
     lambda x: an.concatenate(an.split(x, 2, dim=2)[::-1])),
    ("squeeze", lambda x: an.squeeze(x[:, :1], axis=1), lambda x: an.squeeze(x[:, :1], dim=1)),
    ("unsqueeze", lambda x: an.expand_dims(x, axis=1), lambda x: an.unsqueeze(x, dim=1)),
    ("method squeeze", lambda x: x[:1].squeeze(axis=0), lambda x: x[:1].squeeze(dim=0)),
    ("roll", lambda x: an.roll(x, 1, axis=2), lambda x: an.roll(x, 1, dim=2)),
    ("repeat", lambda x: an.repeat(x, 2, axis=1), lambda x: an.repeat(x, 2, dim=1)),
    ("topk", lambda x: an.topk(x, 2, axis=1).values, lambda x: an.topk(x, 2, dim=1).values),
    ("gather", lambda x: an.gather(x, axis=2, index=np.zeros((2, 3, 1), int)),
     lambda x: an.gather(x, dim=2, index=np.zeros((2, 3, 1), int))),
    ("take_along_axis", lambda x: an.take_along_axis(x, np.zeros((1, 1, 2), int), axis=2),
     lambda x: an.take_along_axis(x, np.zeros((1, 1, 2), int), dim=2)),
    ("array_split", lambda x: an.array_split(x, 3, axis=2)[0],
     lambda x: an.array_split(x, 3, dim=2)[0]),
]


@pytest.mark.parametrize("name, numpy_call, torch_call", CALLS, ids=[c[0] for c in CALLS])
def test_dim_and_keepdim_are_axis_and_keepdims(name, numpy_call, torch_call) -> None:
    expected, got = numpy_call(an.tensor(X)), torch_call(an.tensor(X))
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.data, expected.data)


@pytest.mark.parametrize("call, name", [
    (lambda x: an.sum(x, axes=1), "sum"),
    (lambda x: x.mean(axes=1), "mean"),
    (lambda x: an.softmax(x, axes=1), "softmax"),
    (lambda x: an.concatenate([x], axes=0), "concatenate"),
    (lambda x: an.cumsum(x, axes=0), "cumsum"),
    (lambda x: an.nn.functional.softmax(x, dims=0), "softmax"),
    (lambda x: an.max(x, axsi=0), "max"),
])
def test_an_unknown_keyword_hints_at_axis(call, name) -> None:
    with pytest.raises(TypeError, match=rf"{name}\(\) got an unexpected keyword .*did you mean "
                                        r"axis=\?"):
        call(an.tensor(X))


def test_keepdims_typo_and_unrelated_keywords() -> None:
    with pytest.raises(TypeError, match="did you mean keepdims="):
        an.sum(an.tensor(X), keepdimss=True)
    with pytest.raises(TypeError, match="it accepts axis=, dim=, keepdim=, keepdims="):
        an.sum(an.tensor(X), colour="red")
    with pytest.raises(TypeError, match="both axis= and its alias dim="):
        an.sum(an.tensor(X), axis=0, dim=1)


def test_healthy_calls_do_not_hint() -> None:
    x = an.tensor(X)
    for call in (lambda: an.sum(x), lambda: an.sum(x, 0), lambda: an.sum(x, axis=None),
                 lambda: an.var(x, axis=0, ddof=1), lambda: x.std(0, True, ddof=1)):
        call()
