"""A corpus of bad inputs across the API: each row is (call, expected builtin error type, the
substrings its message must hold: the call's name, the argument, the value). Every bad input
must fail at once with that error: no traceback from deep inside numpy, no silent acceptance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import autonet as an
from autonet import nn, optim, tune
from autonet.data import DataLoader, TensorDataset, random_split
from autonet.optim import lr_scheduler
from autonet.train import Checkpoint, EarlyStopping, History


def _params() -> list[nn.Parameter]:
    return [nn.Parameter(np.ones(2))]


def _sgd() -> optim.SGD:
    return optim.SGD(_params(), lr=0.1)


def _fit(**kwargs: Any) -> Any:
    model = nn.Linear(2, 1)
    data = (np.ones((4, 2), np.float32), np.ones((4, 1), np.float32))
    kwargs.setdefault("verbose", 0)
    return an.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1),
                  kwargs.pop("data", data), epochs=1, **kwargs)


def _x64() -> an.Tensor:
    return an.tensor(np.array([1.0, 2.0]), requires_grad=True)


def _in_place_without_grad(t: an.Tensor, value: Any) -> None:
    with an.no_grad():
        t *= value


NAN, INF = float("nan"), float("inf")

CORPUS: list[tuple[str, Callable[[], Any], type[BaseException], tuple[str, ...]]] = [
    # ops: numpy's UFuncTypeError cannot be rebuilt from a message; a TypeError names op, dtype
    ("add str", lambda: an.ones(2) + "a", TypeError, ("add", "<U1", "'a'")),
    ("mul str", lambda: an.mul(an.ones(2), "abc"), TypeError, ("mul", "<U3", "'abc'")),
    # switches that a string would turn on
    ("set_grad_enabled", lambda: an.set_grad_enabled("no"), TypeError,
     ("set_grad_enabled", "mode", "'no'")),
    ("set_detect_anomaly", lambda: an.set_detect_anomaly("off"), TypeError,
     ("set_detect_anomaly", "mode", "'off'")),
    # making tensors
    ("tensor ragged", lambda: an.tensor([[1, 2], [3]]), ValueError,
     ("tensor", "[[1, 2], [3]]", "ragged")),
    ("tensor str", lambda: an.tensor("abc"), TypeError, ("tensor", "'abc'")),
    ("tensor object", lambda: an.tensor(np.array([{}, 1], dtype=object)), TypeError,
     ("tensor", "dtype object")),
    ("tensor dtype", lambda: an.tensor([1.0], dtype="U3"), TypeError, ("tensor", "dtype", "<U3")),
    ("zeros dtype unknown", lambda: an.zeros(2, dtype="abc"), TypeError,
     ("zeros", "dtype 'abc'", "not a numpy dtype", "'float32'")),
    ("from_numpy str", lambda: an.from_numpy(np.array(["a"])), TypeError,
     ("from_numpy", "array", "<U1")),
    ("zeros -1", lambda: an.zeros(-1), ValueError, ("zeros", "shape", "-1")),
    ("zeros 2.5", lambda: an.zeros(2.5), TypeError, ("zeros", "shape", "2.5")),
    ("ones str", lambda: an.ones("3"), TypeError, ("ones", "shape", "'3'")),
    ("randn 3.7", lambda: an.randn(2, 3.7), TypeError, ("randn", "shape", "3.7")),
    ("rand -2", lambda: an.rand(-2), ValueError, ("rand", "shape", "-2")),
    ("full -2", lambda: an.full(-2, 1.0), ValueError, ("full", "shape", "-2")),
    ("full str", lambda: an.full(2, "x"), TypeError, ("full", "fill_value", "'x'")),
    ("zeros 4 TB", lambda: an.zeros(10**6, 10**6), MemoryError,
     ("zeros", "(1000000, 1000000)", "float32", "4000000000000 bytes")),
    ("zeros_like 8 TB", lambda: an.zeros_like(np.broadcast_to(np.ones(1), (10**6, 10**6))),
     MemoryError, ("zeros_like", "(1000000, 1000000)", "8000000000000 bytes")),
    ("tile 12 TB", lambda: an.tile(an.ones(3), (10**6, 10**6)), MemoryError,
     ("tile", "(1000000, 3000000)", "float32", "12000000000000 bytes")),
    ("tile 4 EB", lambda: an.tile(an.ones(1), (10**9, 10**9)), MemoryError,
     ("tile", "(1000000000, 1000000000)", "4000000000000000000 bytes")),
    ("mul 4 TB", lambda: an.ones(10**6, 1) * an.ones(1, 10**6), MemoryError,
     ("mul", "(1000000, 1000000)", "TiB", "(1000000, 1) float32")),
    ("Linear 4 TB", lambda: nn.Linear(10**6, 10**6), MemoryError,
     ("Linear", "(1000000, 1000000)", "4000000000000 bytes")),
    ("Embedding 40 TB", lambda: nn.Embedding(10**7, 10**6), MemoryError,
     ("Embedding", "(10000000, 1000000)", "40000000000000 bytes")),
    ("LSTM 16 TB", lambda: nn.LSTM(10**6, 10**6), MemoryError,
     ("LSTM", "(4000000, 1000000)", "bytes")),
    ("arange step 0", lambda: an.arange(0, 10, 0), ValueError, ("arange", "step", "0")),
    ("arange nan", lambda: an.arange(0, float("nan")), ValueError, ("arange", "stop", "nan")),
    ("eye -1", lambda: an.eye(-1), ValueError, ("eye", "n", "-1")),
    ("eye 2.5", lambda: an.eye(2.5), TypeError, ("eye", "n", "2.5")),
    ("linspace -1", lambda: an.linspace(0, 1, -1), ValueError, ("linspace", "num", "-1")),
    # optimizers: every setting checked when built, not in the first step()
    ("SGD lr str", lambda: optim.SGD(_params(), lr="0.1"), TypeError, ("SGD", "lr", "'0.1'")),
    ("SGD lr nan", lambda: optim.SGD(_params(), lr=NAN), ValueError, ("SGD", "lr", "nan")),
    ("SGD lr inf", lambda: optim.SGD(_params(), lr=INF), ValueError, ("SGD", "lr", "inf")),
    ("SGD momentum", lambda: optim.SGD(_params(), momentum=-0.5), ValueError,
     ("SGD", "momentum", "-0.5")),
    ("SGD nesterov str", lambda: optim.SGD(_params(), nesterov="yes"), TypeError,
     ("SGD", "nesterov", "'yes'")),
    ("Adam betas float", lambda: optim.Adam(_params(), betas=0.9), TypeError,
     ("Adam", "betas", "0.9")),
    ("Adam betas 3", lambda: optim.Adam(_params(), betas=(0.9, 0.9, 0.9)), TypeError,
     ("Adam", "betas", "(0.9, 0.9, 0.9)")),
    ("Adam beta 1", lambda: optim.Adam(_params(), betas=(0.9, 1.0)), ValueError,
     ("Adam", "betas[1]", "1.0")),
    ("Adam eps nan", lambda: optim.Adam(_params(), eps=NAN), ValueError, ("Adam", "eps", "nan")),
    ("RMSprop alpha", lambda: optim.RMSprop(_params(), alpha=2), ValueError,
     ("RMSprop", "alpha", "2")),
    ("group lr", lambda: optim.SGD([{"params": _params(), "lr": "x"}]), TypeError,
     ("SGD", "lr", "'x'")),
    ("optimizer load str", lambda: _sgd().load_state_dict("x"), TypeError,
     ("SGD.load_state_dict", "state_dict", "str")),
    ("optimizer load groups", lambda: _sgd().load_state_dict({"state": {}, "param_groups": 3}),
     TypeError, ("SGD.load_state_dict", "param_groups", "3")),
    ("optimizer load Adam into SGD",
     lambda: _sgd().load_state_dict(optim.Adam(_params()).state_dict()), ValueError,
     ("SGD.load_state_dict", "betas", "another kind of optimizer")),
    ("optimizer load lr str", lambda: _sgd().load_state_dict(
        {"state": {}, "param_groups": [{**_sgd().state_dict()["param_groups"][0], "lr": "x"}]}),
     TypeError, ("SGD", "lr", "'x'")),
    # schedules
    ("Adagrad lr_decay str", lambda: optim.Adagrad(_params(), lr_decay="a"), TypeError,
     ("Adagrad", "lr_decay", "'a'")),
    ("Adagrad initial_accumulator_value -1",
     lambda: optim.Adagrad(_params(), initial_accumulator_value=-1), ValueError,
     ("Adagrad", "initial_accumulator_value", "-1")),
    ("LinearLR start_factor str", lambda: lr_scheduler.LinearLR(_sgd(), start_factor="a"),
     TypeError, ("LinearLR", "start_factor", "'a'")),
    ("LinearLR total_iters 2.5", lambda: lr_scheduler.LinearLR(_sgd(), total_iters=2.5),
     TypeError, ("LinearLR", "total_iters", "2.5")),
    ("SequentialLR milestones 2.5", lambda: (lambda opt: lr_scheduler.SequentialLR(
        opt, [lr_scheduler.LinearLR(opt), lr_scheduler.ExponentialLR(opt, 0.9)], [2.5]))(_sgd()),
     TypeError, ("SequentialLR", "milestones", "2.5")),
    ("StepLR 2.5", lambda: lr_scheduler.StepLR(_sgd(), 2.5), TypeError,
     ("StepLR", "step_size", "2.5")),
    ("StepLR 0", lambda: lr_scheduler.StepLR(_sgd(), 0), ValueError, ("StepLR", "step_size", "0")),
    ("ExponentialLR nan", lambda: lr_scheduler.ExponentialLR(_sgd(), NAN), ValueError,
     ("ExponentialLR", "gamma", "nan")),
    ("CosineAnnealingLR 1.5", lambda: lr_scheduler.CosineAnnealingLR(_sgd(), 1.5), TypeError,
     ("CosineAnnealingLR", "T_max", "1.5")),
    ("MultiStepLR", lambda: lr_scheduler.MultiStepLR(_sgd(), [2.5]), TypeError,
     ("MultiStepLR", "milestones", "2.5")),
    ("ReduceLROnPlateau factor", lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), factor=-1),
     ValueError, ("ReduceLROnPlateau", "factor", "-1")),
    ("ReduceLROnPlateau patience", lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), patience=1.5),
     TypeError, ("ReduceLROnPlateau", "patience", "1.5")),
    ("scheduler load str", lambda: lr_scheduler.StepLR(_sgd(), 2).load_state_dict("x"),
     TypeError, ("StepLR.load_state_dict", "state_dict", "str")),
    ("scheduler load keys", lambda: lr_scheduler.StepLR(_sgd(), 2).load_state_dict({"a": 1}),
     ValueError, ("StepLR.load_state_dict", "last_epoch")),
    ("plateau load str", lambda: lr_scheduler.ReduceLROnPlateau(_sgd()).load_state_dict([1]),
     TypeError, ("ReduceLROnPlateau.load_state_dict", "list")),
    # searches
    ("Choice str", lambda: tune.Choice("abc"), TypeError, ("Choice", "options", "'abc'")),
    ("Choice empty", lambda: tune.Choice([]), ValueError, ("Choice", "options", "empty")),
    ("Uniform nan", lambda: tune.Uniform(0, NAN), TypeError, ("Uniform", "high", "nan")),
    ("Uniform order", lambda: tune.Uniform(2, 1), ValueError, ("Uniform", "low=2", "high=1")),
    ("IntUniform float", lambda: tune.IntUniform(1, 2.5), TypeError, ("IntUniform", "high", "2.5")),
    ("LogUniform 0", lambda: tune.LogUniform(0, 1), ValueError, ("LogUniform", "low=0")),
    ("n_trials 2.5", lambda: tune.RandomSearch(lambda x: x, {"x": [1]}, n_trials=2.5),
     TypeError, ("RandomSearch", "n_trials", "2.5")),
    ("batch_size -1", lambda: tune.BayesianSearch(lambda x: x, {"x": [1]}, batch_size=-1),
     ValueError, ("BayesianSearch", "batch_size", "-1")),
    ("grid empty list", lambda: tune.GridSearch(lambda lr: lr, {"lr": []}), ValueError,
     ("GridSearch", "'lr'", "empty list")),
    ("space not a dict", lambda: tune.GridSearch(lambda lr: lr, [("lr", [1])]), TypeError,
     ("GridSearch", "space", "list")),
    ("no trials best", lambda: tune.Results([], "val_loss", "min", {"x": [1]}).best,
     RuntimeError, ("tune", "no trials")),
    # training
    ("norm ord over two axes", lambda: an.norm(an.ones((2, 3)), ord=1), ValueError,
     ("norm", "ord=1", "matrix norm", "p=1")),
    ("norm ord over an axis pair", lambda: an.norm(an.ones((2, 3, 4)), ord=np.inf, axis=(1, 2)),
     ValueError, ("norm", "ord=inf", "matrix norm")),
    ("in-place cast under no_grad", lambda: _in_place_without_grad(
        an.tensor(np.array([1, 2])), 0.5), TypeError,
     ("in-place mul under no_grad", "int64 (2,)", "float64", "t = t * v")),
    ("in-place broadcast under no_grad",
     lambda: _in_place_without_grad(an.ones(2), an.ones((3, 2))), ValueError,
     ("in-place mul under no_grad", "float32 (2,)", "(3, 2)", "keeps the tensor's shape")),
    ("grad of another shape", lambda: setattr(an.ones(2, requires_grad=True), "grad",
                                              np.ones((1, 1))), ValueError,
     ("grad", "shape (1, 1)", "shape (2,)")),
    ("random_split fractions not summing to 1",
     lambda: random_split(TensorDataset(np.ones((10, 1))), [0.5, 0.3]), ValueError,
     ("random_split", "[0.5, 0.3]", "sum to 0.8", "not 1")),
    ("load_state_dict cuts an integer buffer", lambda: nn.BatchNorm1d(2).load_state_dict(
        {**{k: np.asarray(v) for k, v in nn.BatchNorm1d(2).state_dict().items()},
         "num_batches_tracked": np.array(3.7)}), ValueError,
     ("load_state_dict", "'num_batches_tracked'", "int64", "3.7", "not whole numbers")),
    ("LambdaLR negative factor", lambda: [s.step() for s in [lr_scheduler.LambdaLR(
        _sgd(), lambda epoch: 1 - 0.5 * epoch)] for _ in range(3)], ValueError,
     ("LambdaLR", "lr_lambda(3)", ">= 0", "-0.5")),
    ("fit scheduler of another optimizer", lambda: _fit(scheduler=lr_scheduler.StepLR(
        optim.SGD(_params(), lr=0.1), step_size=1)), ValueError,
     ("fit", "scheduler StepLR", "another optimizer")),
    ("fit callbacks not a list", lambda: _fit(callbacks=EarlyStopping()), TypeError,
     ("fit", "callbacks", "EarlyStopping")),
    ("fit callbacks items", lambda: _fit(callbacks=["stop"]), TypeError,
     ("fit", "callbacks", "'stop'")),
    ("fit l1 -1", lambda: _fit(l1=-1), ValueError, ("fit", "l1", "-1")),
    ("fit l2 nan", lambda: _fit(l2=NAN), ValueError, ("fit", "l2", "nan")),
    ("fit no batches", lambda: _fit(data=DataLoader((np.ones((3, 2), np.float32),
                                                     np.ones((3, 1), np.float32)),
                                                    batch_size=4, drop_last=True)),
     ValueError, ("fit", "train_data", "no batches", "batch_size=4")),
    ("fit batch_size str", lambda: _fit(batch_size="a"), TypeError, ("fit", "batch_size", "'a'")),
    ("fit batch_size 0", lambda: _fit(batch_size=0), ValueError, ("fit", "batch_size", "0")),
    ("fit verbose str", lambda: _fit(verbose="a"), TypeError, ("fit", "verbose", "'a'")),
    ("fit shuffle str", lambda: _fit(shuffle="no"), TypeError, ("fit", "shuffle", "'no'")),
    ("random_split str", lambda: random_split(TensorDataset(np.ones(4)), "ab"), TypeError,
     ("random_split", "lengths", "'a'")),
    ("random_split 2.5", lambda: random_split(TensorDataset(np.ones(4)), [2.5, 1.5]), TypeError,
     ("random_split", "lengths", "2.5")),
    ("fit seed -1", lambda: _fit(seed=-1), ValueError, ("fit", "seed", "-1")),
    ("fit seed 1.5", lambda: _fit(seed=1.5), TypeError, ("fit", "seed", "1.5")),
    ("fit val no batches", lambda: _fit(val_data=DataLoader((np.ones((3, 2), np.float32),
                                                             np.ones((3, 1), np.float32)),
                                                            batch_size=4, drop_last=True)),
     ValueError, ("fit", "val_data", "no batches", "batch_size=4")),
    ("fit optimizer None", lambda: an.fit(nn.Linear(2, 1), nn.MSELoss(), None,
                                          (np.ones((4, 2)), np.ones((4, 1))), verbose=0),
     TypeError, ("fit", "optimizer", "None", "zero_grad")),
    ("EarlyStopping mode", lambda: EarlyStopping(mode="avg"), ValueError,
     ("EarlyStopping", "mode", "'avg'")),
    ("EarlyStopping patience", lambda: EarlyStopping(patience=2.5), TypeError,
     ("EarlyStopping", "patience", "2.5")),
    ("Checkpoint every", lambda: Checkpoint("x.npz", every=1.5), TypeError,
     ("Checkpoint", "every", "1.5")),
    ("Checkpoint every 0", lambda: Checkpoint("x.npz", every=0), ValueError,
     ("Checkpoint", "every", "0")),
    ("DataLoader scalars", lambda: DataLoader((1, 2)), TypeError, ("DataLoader", "(1, 2)")),
    ("History.best mode", lambda: History().best("loss", mode="up"), ValueError,
     ("History.best", "mode", "'up'")),
    # layers, losses, gradients
    ("Linear True", lambda: nn.Linear(True, 2), TypeError, ("Linear", "in_features", "True")),
    ("Linear 2.5", lambda: nn.Linear(2, 2.5), TypeError, ("Linear", "out_features", "2.5")),
    ("Linear int32", lambda: nn.Linear(2, 2, dtype="int32"), TypeError,
     ("Linear", "dtype", "int32")),
    ("Flatten 5", lambda: nn.Flatten(5)(an.ones(2, 3)), ValueError, ("Flatten", "5", "(2, 3)")),
    ("Flatten str", lambda: nn.Flatten("1"), TypeError, ("Flatten", "start_dim", "'1'")),
    ("huber delta nan", lambda: nn.functional.huber_loss(an.ones(2), an.ones(2), delta=NAN),
     ValueError, ("huber_loss", "delta", "nan")),
    ("grad of a float", lambda: an.grad(3.0, an.tensor(1.0, requires_grad=True)), TypeError,
     ("grad", "output 0", "3.0")),
    ("gradcheck eps 0", lambda: an.gradcheck(lambda t: t * 2, [_x64()], eps=0), ValueError,
     ("gradcheck", "eps", "0")),
    ("gradcheck directions 0", lambda: an.gradcheck(lambda t: t * 2, [_x64()], fast=True,
                                                    directions=0), ValueError,
     ("gradcheck", "directions", "0")),
    # conv and pooling layers: sizes checked when built, shapes in forward
    ("Conv2d -1", lambda: nn.Conv2d(-1, 2, 3), ValueError, ("Conv2d", "in_channels", "-1")),
    ("Conv2d out 0", lambda: nn.Conv2d(1, 0, 3), ValueError, ("Conv2d", "out_channels", "0")),
    ("Conv2d 2.5", lambda: nn.Conv2d(2.5, 2, 3), ValueError, ("Conv2d", "in_channels", "2.5")),
    ("Conv2d str", lambda: nn.Conv2d("3", 2, 3), ValueError, ("Conv2d", "in_channels", "'3'")),
    ("Conv2d kernel 0", lambda: nn.Conv2d(1, 2, 0), ValueError, ("Conv2d", "kernel_size", "0")),
    ("Conv2d kernel 2.5", lambda: nn.Conv2d(1, 2, 2.5), ValueError,
     ("Conv2d", "kernel_size", "2.5")),
    ("Conv2d stride 0", lambda: nn.Conv2d(1, 2, 3, stride=0), ValueError,
     ("Conv2d", "stride", "0")),
    ("Conv2d padding -1", lambda: nn.Conv2d(1, 2, 3, padding=-1), ValueError,
     ("Conv2d", "padding", "-1")),
    ("Conv2d channels", lambda: nn.Conv2d(3, 2, 3)(an.ones(1, 4, 5, 5)), ValueError,
     ("Conv2d", "4 channels", "(1, 4, 5, 5)", "in_channels=4")),
    ("Conv2d rank", lambda: nn.Conv2d(3, 2, 3)(an.ones(5, 5)), ValueError,
     ("Conv2d", "(5, 5)", "(N, C, H, W)")),
    ("Conv1d rank", lambda: nn.Conv1d(3, 2, 3)(an.ones(1, 3, 5, 5)), ValueError,
     ("Conv1d", "(1, 3, 5, 5)", "(N, C, L)")),
    ("MaxPool2d 0", lambda: nn.MaxPool2d(0), ValueError, ("MaxPool2d", "kernel_size", "0")),
    ("MaxPool2d 2.5", lambda: nn.MaxPool2d(2.5), ValueError, ("MaxPool2d", "kernel_size", "2.5")),
    ("MaxPool2d str", lambda: nn.MaxPool2d("2"), ValueError, ("MaxPool2d", "kernel_size", "'2'")),
    ("MaxPool2d rank", lambda: nn.MaxPool2d(2)(an.ones(5)), ValueError, ("MaxPool2d", "(5,)")),
    ("Dropout p str", lambda: nn.Dropout("0.5"), TypeError, ("Dropout", "p", "'0.5'")),
    ("Dropout2d p", lambda: nn.Dropout2d(1.5), ValueError, ("Dropout2d", "p", "1.5")),
    # normalization layers
    ("BatchNorm1d 0", lambda: nn.BatchNorm1d(0), ValueError, ("BatchNorm1d", "num_features", "0")),
    ("BatchNorm1d 2.5", lambda: nn.BatchNorm1d(2.5), ValueError,
     ("BatchNorm1d", "num_features", "2.5")),
    ("BatchNorm2d str", lambda: nn.BatchNorm2d("3"), ValueError,
     ("BatchNorm2d", "num_features", "'3'")),
    ("BatchNorm2d eps -1", lambda: nn.BatchNorm2d(3, eps=-1), ValueError,
     ("BatchNorm2d", "eps", "-1")),
    ("BatchNorm2d eps nan", lambda: nn.BatchNorm2d(3, eps=NAN), ValueError,
     ("BatchNorm2d", "eps", "nan")),
    ("BatchNorm2d momentum 2", lambda: nn.BatchNorm2d(3, momentum=2), ValueError,
     ("BatchNorm2d", "momentum", "2")),
    ("BatchNorm2d affine str", lambda: nn.BatchNorm2d(3, affine="no"), TypeError,
     ("BatchNorm2d", "affine", "'no'")),
    ("BatchNorm2d channels", lambda: nn.BatchNorm2d(3)(an.ones(2, 4, 5, 5)), ValueError,
     ("BatchNorm2d", "(2, 4, 5, 5)", "num_features")),
    ("BatchNorm1d rank", lambda: nn.BatchNorm1d(3)(an.ones(2, 3, 4, 5)), ValueError,
     ("BatchNorm1d", "(2, 3, 4, 5)", "4-D")),
    ("LayerNorm 0", lambda: nn.LayerNorm(0), ValueError, ("LayerNorm", "normalized_shape", "0")),
    ("LayerNorm -1", lambda: nn.LayerNorm(-1), ValueError,
     ("LayerNorm", "normalized_shape", "-1")),
    ("LayerNorm str", lambda: nn.LayerNorm("3"), TypeError,
     ("LayerNorm", "normalized_shape", "'3'")),
    # recurrent layers
    ("LSTM -1", lambda: nn.LSTM(-1, 2), ValueError, ("LSTM", "input_size", "-1")),
    ("LSTM bidirectional str", lambda: nn.LSTM(2, 3, bidirectional="yes"), TypeError,
     ("LSTM", "bidirectional", "'yes'")),
    ("GRU batch_first str", lambda: nn.GRU(2, 3, batch_first="no"), TypeError,
     ("GRU", "batch_first", "'no'")),
    ("RNN bias 2", lambda: nn.RNN(2, 3, bias=2), TypeError, ("RNN", "bias", "2")),
    ("LSTM hidden 0", lambda: nn.LSTM(2, 0), ValueError, ("LSTM", "hidden_size", "0")),
    ("LSTM 2.5", lambda: nn.LSTM(2.5, 2), ValueError, ("LSTM", "input_size", "2.5")),
    ("LSTM str", lambda: nn.LSTM(2, "3"), ValueError, ("LSTM", "hidden_size", "'3'")),
    ("LSTM layers 0", lambda: nn.LSTM(2, 3, num_layers=0), ValueError,
     ("LSTM", "num_layers", "0")),
    ("LSTM features", lambda: nn.LSTM(2, 3)(an.ones(5, 1, 4)), ValueError,
     ("LSTM(2, 3)", "4 features", "input_size=4")),
    ("LSTM rank", lambda: nn.LSTM(2, 3)(an.ones(1, 2, 5, 2)), ValueError,
     ("LSTM(2, 3)", "(1, 2, 5, 2)")),
    ("GRU -1", lambda: nn.GRU(-1, 2), ValueError, ("GRU", "input_size", "-1")),
    ("GRU 2.5", lambda: nn.GRU(2, 2.5), ValueError, ("GRU", "hidden_size", "2.5")),
    ("GRU h_0", lambda: nn.GRU(2, 3)(an.ones(5, 1, 2), an.ones(1, 2, 3)), ValueError,
     ("GRU(2, 3)", "h_0", "(1, 2, 3)")),
    # embeddings and attention
    ("Embedding -1", lambda: nn.Embedding(-1, 2), ValueError,
     ("Embedding", "num_embeddings", "-1")),
    ("Embedding dim 0", lambda: nn.Embedding(3, 0), ValueError,
     ("Embedding", "embedding_dim", "0")),
    ("Embedding 2.5", lambda: nn.Embedding(2.5, 2), TypeError,
     ("Embedding", "num_embeddings", "2.5")),
    ("Embedding str", lambda: nn.Embedding(3, "2"), TypeError,
     ("Embedding", "embedding_dim", "'2'")),
    ("Embedding max_norm -1", lambda: nn.Embedding(3, 2, max_norm=-1), ValueError,
     ("Embedding", "max_norm", "> 0", "-1")),
    ("Embedding max_norm 0", lambda: nn.Embedding(3, 2, max_norm=0), ValueError,
     ("Embedding", "max_norm", "0")),
    ("Embedding max_norm nan", lambda: nn.Embedding(3, 2, max_norm=NAN), ValueError,
     ("Embedding", "max_norm", "nan")),
    ("Embedding max_norm str", lambda: nn.Embedding(3, 2, max_norm="1"), TypeError,
     ("Embedding", "max_norm", "'1'")),
    ("Embedding norm_type str", lambda: nn.Embedding(3, 2, max_norm=1, norm_type="2"),
     TypeError, ("Embedding", "norm_type", "'2'")),
    ("Embedding norm_type 0", lambda: nn.Embedding(3, 2, max_norm=1, norm_type=0), ValueError,
     ("Embedding", "norm_type", "0")),
    ("Embedding.from_pretrained max_norm", lambda: nn.Embedding.from_pretrained(
        np.ones((3, 2)), max_norm=-2), ValueError, ("Embedding", "max_norm", "-2")),
    ("Embedding index", lambda: nn.Embedding(3, 2)(an.tensor(np.array([5]))), IndexError,
     ("Embedding(3, 2)", "index 5", "num_embeddings 3")),
    ("MultiheadAttention -1", lambda: nn.MultiheadAttention(-1, 2), ValueError,
     ("MultiheadAttention", "embed_dim", "-1")),
    ("MultiheadAttention heads 0", lambda: nn.MultiheadAttention(4, 0), ValueError,
     ("MultiheadAttention", "num_heads", "0")),
    ("MultiheadAttention 4.5", lambda: nn.MultiheadAttention(4.5, 2), TypeError,
     ("MultiheadAttention", "embed_dim", "4.5")),
    ("MultiheadAttention str", lambda: nn.MultiheadAttention(4, "2"), TypeError,
     ("MultiheadAttention", "num_heads", "'2'")),
    ("MultiheadAttention dim", lambda: nn.MultiheadAttention(4, 2)(
        an.ones(3, 1, 5), an.ones(3, 1, 5), an.ones(3, 1, 5)), ValueError,
     ("MultiheadAttention", "query", "(3, 1, 5)")),
    # nn.functional
    ("conv2d channels", lambda: nn.functional.conv2d(an.ones(1, 3, 5, 5), an.ones(2, 4, 3, 3)),
     ValueError, ("conv2d", "3 channels", "(1, 3, 5, 5)")),
    ("conv2d weight rank", lambda: nn.functional.conv2d(an.ones(1, 3, 5, 5), an.ones(2, 3, 3)),
     ValueError, ("conv2d", "weight", "(2, 3, 3)")),
    ("conv2d stride 1.5", lambda: nn.functional.conv2d(an.ones(1, 3, 5, 5), an.ones(2, 3, 3, 3),
                                                       stride=1.5),
     ValueError, ("conv2d", "stride", "1.5")),
    ("max_pool2d 2.5", lambda: nn.functional.max_pool2d(an.ones(1, 1, 4, 4), 2.5), ValueError,
     ("max_pool2d", "kernel_size", "2.5")),
    ("max_pool2d too big", lambda: nn.functional.max_pool2d(an.ones(1, 1, 2, 2), 3), ValueError,
     ("max_pool2d", "kernel size 3", "2")),
    ("one_hot float", lambda: nn.functional.one_hot(an.tensor(np.array([0.5])), 3), TypeError,
     ("one_hot", "float64")),
    ("one_hot num_classes 2.5", lambda: nn.functional.one_hot(an.tensor(np.array([0])), 2.5),
     TypeError, ("one_hot", "num_classes", "2.5")),
    ("one_hot num_classes -2", lambda: nn.functional.one_hot(an.tensor(np.array([0])), -2),
     ValueError, ("one_hot", "num_classes", "-2")),
    ("embedding padding_idx", lambda: nn.functional.embedding(
        an.tensor(np.array([0])), an.ones(3, 2), padding_idx=7), ValueError,
     ("embedding", "padding_idx", "7")),
    ("embedding weight rank", lambda: nn.functional.embedding(an.tensor(np.array([0])),
                                                              an.ones(3)),
     ValueError, ("embedding", "weight", "(3,)")),
    ("attention E", lambda: nn.functional.scaled_dot_product_attention(
        an.ones(2, 3, 4), an.ones(2, 3, 5), an.ones(2, 3, 4)), ValueError,
     ("scaled_dot_product_attention", "(2, 3, 4)", "(2, 3, 5)")),
    ("attention S", lambda: nn.functional.scaled_dot_product_attention(
        an.ones(2, 3, 4), an.ones(2, 3, 4), an.ones(2, 2, 4)), ValueError,
     ("scaled_dot_product_attention", "(2, 2, 4)")),
    # more schedules, data, callbacks, spaces
    ("StepLR -1", lambda: lr_scheduler.StepLR(_sgd(), -1), ValueError,
     ("StepLR", "step_size", "-1")),
    ("StepLR gamma nan", lambda: lr_scheduler.StepLR(_sgd(), 2, gamma=NAN), ValueError,
     ("StepLR", "gamma", "nan")),
    ("MultiStepLR -1", lambda: lr_scheduler.MultiStepLR(_sgd(), [-1]), ValueError,
     ("MultiStepLR", "milestones", "-1")),
    ("CosineAnnealingLR -5", lambda: lr_scheduler.CosineAnnealingLR(_sgd(), -5), ValueError,
     ("CosineAnnealingLR", "T_max", "-5")),
    ("DataLoader batch_size 0", lambda: DataLoader((np.ones((3, 2)),), batch_size=0),
     ValueError, ("DataLoader", "batch_size", "0")),
    ("DataLoader batch_size -1", lambda: DataLoader((np.ones((3, 2)),), batch_size=-1),
     ValueError, ("DataLoader", "batch_size", "-1")),
    ("DataLoader batch_size 2.5", lambda: DataLoader((np.ones((3, 2)),), batch_size=2.5),
     ValueError, ("DataLoader", "batch_size", "2.5")),
    ("DataLoader shuffle", lambda: DataLoader((np.ones((3, 2)),), shuffle="yes"), TypeError,
     ("DataLoader", "shuffle", "'yes'")),
    ("DataLoader drop_last", lambda: DataLoader((np.ones((3, 2)),), drop_last="yes"), TypeError,
     ("DataLoader", "drop_last", "'yes'")),
    ("EarlyStopping monitor", lambda: EarlyStopping(monitor=3), TypeError,
     ("EarlyStopping", "monitor", "3")),
    ("Checkpoint path", lambda: Checkpoint(3), TypeError, ("Checkpoint", "path", "3")),
    ("LogUniform -1", lambda: tune.LogUniform(-1, 1), ValueError, ("LogUniform", "low=-1")),
    ("LogUniform order", lambda: tune.LogUniform(1, 0.1), ValueError,
     ("LogUniform", "low=1", "high=0.1")),
    ("IntUniform order", lambda: tune.IntUniform(5, 1), ValueError,
     ("IntUniform", "low=5", "high=1")),
    ("Choice int", lambda: tune.Choice(3), TypeError, ("Choice", "options", "3")),
    # random generator
    ("manual_seed -1", lambda: an.manual_seed(-1), ValueError, ("manual_seed", "seed", "-1")),
    ("manual_seed str", lambda: an.manual_seed("a"), TypeError, ("manual_seed", "seed", "'a'")),
    ("manual_seed 1.5", lambda: an.manual_seed(1.5), TypeError, ("manual_seed", "seed", "1.5")),
    ("detect_anomaly", lambda: an.detect_anomaly(check_nan="no"), TypeError,
     ("detect_anomaly", "check_nan", "'no'")),
    # attention masks: the mask's shape and the scores' shape, not an add/matmul error
    ("attention mask shape", lambda: nn.functional.scaled_dot_product_attention(
        an.ones(2, 3, 4), an.ones(2, 3, 4), an.ones(2, 3, 4), attn_mask=an.ones(2, 5)),
     ValueError, ("scaled_dot_product_attention", "attn_mask", "(2, 5)", "(2, 3, 3)")),
    ("attention mask L", lambda: nn.functional.scaled_dot_product_attention(
        an.ones(3, 4), an.ones(5, 4), an.ones(5, 4), attn_mask=np.ones((5, 3), bool)),
     ValueError, ("scaled_dot_product_attention", "attn_mask", "(5, 3)", "(3, 5)")),
    # an axis (dim) out of range: the op, the axis and the tensor's rank, not numpy's AxisError
    ("softmax dim 3", lambda: an.softmax(an.ones(3), dim=3), ValueError,
     ("softmax", "axis (dim) 3", "1-D", "(3,)")),
    ("log_softmax dim 3", lambda: an.log_softmax(an.ones(3), 3), ValueError,
     ("log_softmax", "axis (dim) 3", "1-D")),
    ("logsumexp axis -2", lambda: an.logsumexp(an.ones(3), axis=-2), ValueError,
     ("logsumexp", "axis (dim) -2", "1-D")),
    ("F.softmax dim 2", lambda: nn.functional.softmax(an.ones(2, 3), 2), ValueError,
     ("softmax", "axis (dim) 2", "2-D", "(2, 3)")),
    ("nn.Softmax dim 3", lambda: nn.Softmax(dim=3)(an.ones(3)), ValueError,
     ("softmax", "axis (dim) 3", "1-D")),
    ("sum axis 2", lambda: an.ones(2, 3).sum(axis=2), ValueError, ("sum", "axis (dim) 2", "2-D")),
    ("mean dim tuple", lambda: an.ones(3).mean(dim=(0, 4)), ValueError,
     ("mean", "axis (dim) 4", "1-D")),
    ("max dim 1", lambda: an.ones(3).max(dim=1), ValueError, ("max", "axis (dim) 1", "1-D")),
    ("var axis 5", lambda: an.var(an.ones(3), 5), ValueError, ("var", "axis (dim) 5", "1-D")),
    ("cumsum axis 5", lambda: an.cumsum(an.ones(3), 5), ValueError,
     ("cumsum", "axis (dim) 5", "1-D")),
    ("argmax axis 5", lambda: an.argmax(an.ones(3), 5), ValueError,
     ("argmax", "axis (dim) 5", "1-D")),
    ("sort dim 5", lambda: an.sort(an.ones(3), dim=5), ValueError, ("sort", "axis (dim) 5", "1-D")),
    ("argsort axis 5", lambda: an.argsort(an.ones(3), 5), ValueError,
     ("argsort", "axis (dim) 5", "1-D")),
    ("topk dim 5", lambda: an.topk(an.ones(3), 1, 5), ValueError, ("topk", "axis (dim) 5", "1-D")),
    ("flip axis 5", lambda: an.flip(an.ones(3), 5), ValueError, ("flip", "axis (dim) 5", "1-D")),
    ("norm axis 5", lambda: an.norm(an.ones(3), axis=5), ValueError,
     ("norm", "axis (dim) 5", "1-D")),
    ("cat dim 5", lambda: an.cat([an.ones(3), an.ones(3)], dim=5), ValueError,
     ("concatenate", "axis (dim) 5", "1-D")),
    ("stack axis 5", lambda: an.stack([an.ones(3), an.ones(3)], 5), ValueError,
     ("stack", "axis (dim) 5", "2-D", "(3,)")),
    ("squeeze dim 5", lambda: an.ones(3).squeeze(5), ValueError,
     ("squeeze", "axis (dim) 5", "1-D", "(3,)")),
    ("unsqueeze dim 3", lambda: an.ones(3).unsqueeze(3), ValueError,
     ("unsqueeze", "axis (dim) 3", "2-D", "[-2, 1]", "(3,)")),
    ("an.unsqueeze dim 5", lambda: an.unsqueeze(an.ones(3), 5), ValueError,
     ("unsqueeze", "axis (dim) 5", "[-2, 1]", "(3,)")),
    ("expand_dims axis 5", lambda: an.expand_dims(an.ones(3), 5), ValueError,
     ("expand_dims", "axis (dim) 5", "[-2, 1]", "(3,)")),
    ("split axis 5", lambda: an.split(an.ones(3), 3, axis=5), ValueError,
     ("split", "axis (dim) 5", "1-D")),
    ("array_split axis 5", lambda: an.array_split(an.ones(3), 2, axis=5), ValueError,
     ("array_split", "axis (dim) 5", "1-D")),
    ("sum axis str", lambda: an.ones(2, 3).sum(axis="1"), TypeError,
     ("sum", "axis (dim)", "'1'")),
    ("softmax dim 1.5", lambda: an.softmax(an.ones(2, 3), dim=1.5), TypeError,
     ("softmax", "axis (dim)", "1.5")),
    ("sort axis str", lambda: an.sort(an.ones(3), "a"), TypeError, ("sort", "axis (dim)", "'a'")),
    ("cat axis bool", lambda: an.cat([an.ones(3), an.ones(3)], dim=True), TypeError,
     ("concatenate", "axis (dim)", "True")),
    ("cat one tensor", lambda: an.cat(an.ones(2, 3)), TypeError,
     ("concatenate", "list or tuple", "Tensor of shape (2, 3)")),
    ("stack an array", lambda: an.stack(np.ones((2, 3))), TypeError,
     ("stack", "list or tuple", "ndarray of shape (2, 3)")),
    # norm's order: None, 'fro', +-inf or a nonzero p (torch.norm's p); nothing else
    ("norm ord abc", lambda: an.norm(an.ones(3), ord="abc"), ValueError,
     ("norm", "ord", "'abc'", "'fro'")),
    ("norm ord nuc", lambda: an.norm(an.ones(2, 2), "nuc"), ValueError, ("norm", "ord", "'nuc'")),
    ("norm p str", lambda: an.ones(3).norm(p="2"), ValueError, ("norm", "p", "'2'")),
    ("norm ord True", lambda: an.norm(an.ones(3), ord=True), TypeError, ("norm", "ord", "True")),
    ("norm ord nan", lambda: an.norm(an.ones(3), ord=NAN), ValueError, ("norm", "ord", "nan")),
    ("norm ord 0", lambda: an.norm(an.ones(3), ord=0), ValueError,
     ("norm", "ord=0", "(x != 0).sum()")),
    # composites name themselves, not the op inside them that met the string
    ("dot str", lambda: an.dot(an.ones(3), "a"), TypeError, ("dot", "b", "'a'", "<U1")),
    ("dot scalar str", lambda: an.dot("a", an.ones(3)), TypeError, ("dot", "a", "'a'")),
    ("tensordot str", lambda: an.tensordot(an.ones(3), "a", 1), TypeError,
     ("tensordot", "b", "'a'")),
    ("einsum str", lambda: an.einsum("i,i", an.ones(3), "a"), TypeError,
     ("einsum", "operand 1", "'a'")),
    # a string through a shape op made a string tensor: the op refuses a result of no numbers
    ("squeeze str", lambda: an.squeeze("a"), TypeError, ("reshape", "<U1", "'a'", "numbers")),
    ("transpose str", lambda: an.transpose("a"), TypeError, ("transpose", "<U1", "'a'")),
    ("sort str", lambda: an.sort(np.array(["b", "a"])), TypeError, ("<U1", "numbers")),
    ("vstack str", lambda: an.vstack("a"), TypeError, ("<U1", "'a'", "numbers")),
    ("where str", lambda: an.where(an.ones(2) > 0, "a", 0.0), TypeError,
     ("where", "StrDType", "'a'")),
    ("astype op bytes", lambda: an.astype(an.ones(2), dtype="a"), TypeError,
     ("astype", "|S32", "numbers")),
    # a string where a number goes, found by calling each function with one
    ("split str", lambda: an.split(an.ones(2, 3), "a"), TypeError,
     ("split", "indices_or_sections", "'a'")),
    ("split cut 1.5", lambda: an.split(an.ones(4), [1.5]), TypeError,
     ("split", "indices_or_sections", "1.5")),
    ("array_split str", lambda: an.array_split(an.ones(2, 3), "a"), TypeError,
     ("array_split", "indices_or_sections", "'a'")),
    ("swapaxes str", lambda: an.ones(2, 3).swapaxes(0, "a"), TypeError,
     ("swapaxes", "axis2", "'a'")),
    ("tensordot axes str", lambda: an.tensordot(an.ones(2, 3), an.ones(3, 2), axes="a"),
     TypeError, ("tensordot", "axes", "'a'")),
    ("trace offset str", lambda: an.trace(an.ones(2, 2), offset="a"), TypeError,
     ("trace", "offset", "'a'")),
    ("trace axis1 str", lambda: an.trace(an.ones(2, 2), axis1="a"), TypeError,
     ("trace", "axis1", "'a'")),
    ("F.dropout p str", lambda: nn.functional.dropout(an.ones(2), p="a"), TypeError,
     ("dropout", "p", "'a'")),
    ("F.dropout2d p str", lambda: nn.functional.dropout2d(an.ones(1, 2, 3), p="a"), TypeError,
     ("dropout2d", "p", "'a'")),
    ("F.cross_entropy smoothing str", lambda: nn.functional.cross_entropy(
        an.ones(2, 3), an.tensor(np.array([0, 1])), label_smoothing="a"), TypeError,
     ("cross_entropy", "label_smoothing", "'a'")),
    ("F.cross_entropy ignore_index str", lambda: nn.functional.cross_entropy(
        an.ones(2, 3), an.tensor(np.array([0, 1])), ignore_index="a"), TypeError,
     ("cross_entropy", "ignore_index", "'a'")),
    ("F.elastic_net_penalty l1 str", lambda: nn.functional.elastic_net_penalty(
        [an.ones(2)], l1="a"), TypeError, ("elastic_net_penalty", "l1", "'a'")),
    ("F.group_norm num_groups str", lambda: nn.functional.group_norm(an.ones(2, 4), "a"),
     TypeError, ("group_norm", "num_groups", "'a'")),
    ("F.group_norm eps str", lambda: nn.functional.group_norm(an.ones(2, 4), 2, eps="a"),
     TypeError, ("group_norm", "eps", "'a'")),
    ("F.layer_norm shape str", lambda: nn.functional.layer_norm(an.ones(2, 3), "a"), TypeError,
     ("layer_norm", "normalized_shape", "'a'")),
    ("F.layer_norm eps str", lambda: nn.functional.layer_norm(an.ones(2, 3), 3, eps="a"),
     TypeError, ("layer_norm", "eps", "'a'")),
    ("zeros_like dtype bytes", lambda: an.zeros_like(an.ones(2), dtype="a"), TypeError,
     ("zeros_like", "dtype", "|S0", "holds no numbers")),
    ("randn_like dtype str", lambda: an.randn_like(an.ones(2), dtype="U3"), TypeError,
     ("randn_like", "dtype", "<U3")),
    ("ones_like dtype unknown", lambda: an.ones_like(an.ones(2), dtype="abc"), TypeError,
     ("ones_like", "dtype", "'abc'")),
    ("full_like input str", lambda: an.full_like("a", 1.0), TypeError,
     ("full_like", "input", "'a'")),
    ("zeros_like input str", lambda: an.zeros_like("a"), TypeError,
     ("zeros_like", "input", "'a'")),
    ("where condition str", lambda: an.where("a", an.ones(2), an.zeros(2)), TypeError,
     ("where", "condition", "'a'")),
    ("norm str", lambda: an.norm("a"), TypeError, ("norm", "x", "'a'")),
    ("flip str", lambda: an.flip("a"), TypeError, ("flip", "x", "'a'")),
    ("F.conv2d input str", lambda: nn.functional.conv2d("a", an.ones(2, 3, 3, 3)), TypeError,
     ("conv2d", "input", "'a'")),
    ("F.max_pool2d input str", lambda: nn.functional.max_pool2d("a", 2), TypeError,
     ("max_pool2d", "input", "'a'")),
    ("F.dropout input str", lambda: nn.functional.dropout("a"), TypeError,
     ("dropout", "input", "'a'")),
    ("F.l1_penalty str", lambda: nn.functional.l1_penalty("a"), TypeError,
     ("l1_penalty", "params", "'a'")),
    ("sdpa dropout_p str", lambda: nn.functional.scaled_dot_product_attention(
        an.ones(2, 3), an.ones(2, 3), an.ones(2, 3), dropout_p="a"), TypeError,
     ("scaled_dot_product_attention", "dropout_p", "'a'")),
    ("sdpa scale str", lambda: nn.functional.scaled_dot_product_attention(
        an.ones(2, 3), an.ones(2, 3), an.ones(2, 3), scale="a"), TypeError,
     ("scaled_dot_product_attention", "scale", "'a'")),
    ("compile cache_size str", lambda: an.compile(lambda t: t, cache_size="a"), TypeError,
     ("compile", "cache_size", "'a'")),
    ("compile cache_size 0", lambda: an.compile(cache_size=0), ValueError,
     ("compile", "cache_size", "0")),
    ("compile fn 3", lambda: an.compile(3), TypeError, ("compile", "fn", "3")),
    ("vjp fn str", lambda: an.vjp("a", [_x64()], an.ones(2)), TypeError, ("vjp", "fn", "'a'")),
    ("jvp fn str", lambda: an.jvp("a", [_x64()], [an.ones(2)]), TypeError, ("jvp", "fn", "'a'")),
    ("hvp fn str", lambda: an.hvp("a", [_x64()], [an.ones(2)]), TypeError, ("hvp", "fn", "'a'")),
    ("gradcheck seed str", lambda: an.gradcheck(lambda t: t * 2, [_x64()], seed="a"), TypeError,
     ("gradcheck", "seed", "'a'")),
    ("gradgradcheck seed str", lambda: an.gradgradcheck(lambda t: t * 2, [_x64()], seed="a"),
     TypeError, ("gradgradcheck", "seed", "'a'")),
    ("gradgradcheck fn 3", lambda: an.gradgradcheck(3, [_x64()]), TypeError,
     ("gradgradcheck", "fn", "3")),
    # integer arguments that used to be truncated by int() or failed inside numpy
    ("tile 2.5", lambda: an.tile(an.ones(2), 2.5), TypeError, ("tile", "reps", "2.5")),
    ("roll shift 1.5", lambda: an.roll(an.ones(3), 1.5, 0), TypeError, ("roll", "shift", "1.5")),
    ("expand to a smaller rank", lambda: an.ones((2, 3)).expand(3), ValueError,
     ("expand", "(2, 3)", "(3,)")),
    ("expand a size that is not 1", lambda: an.ones((2, 3)).expand(4, 3), ValueError,
     ("expand", "(2, 3)", "(4, 3)")),
    ("expand -1 on a new axis", lambda: an.ones(3).expand(-1, 3), ValueError,
     ("expand", "-1", "new axis")),
    ("expand by 2.5", lambda: an.ones(3).expand(2.5), TypeError, ("expand", "2.5")),
    ("scatter_add of a string", lambda: an.scatter_add("a", np.array([0]), (3,)), TypeError,
     ("scatter_add", "'a'")),
    ("clamp min str", lambda: an.clamp(an.ones(2), "a", 1), TypeError,
     ("clamp", "min", "'a'")),
    ("clamp max str", lambda: an.ones(2).clamp(max="b"), TypeError, ("clamp", "max", "'b'")),
    ("repeat 2.5", lambda: an.repeat(an.ones(3), 2.5), TypeError, ("repeat", "repeats", "2.5")),
    ("repeat -1", lambda: an.repeat(an.ones(3), [1, -1, 1], 0), ValueError,
     ("repeat", "repeats", "-1")),
    ("tril k 0.5", lambda: an.tril(an.ones(2, 2), 0.5), TypeError, ("tril", "k", "0.5")),
    ("diag k str", lambda: an.diag(an.ones(2, 2), "1"), TypeError, ("diag", "k", "'1'")),
    ("topk k 1.5", lambda: an.topk(an.ones(3), 1.5), TypeError, ("topk", "k", "1.5")),
    ("full_like str", lambda: an.full_like(an.ones(2), "a"), TypeError,
     ("full_like", "fill_value", "'a'")),
    # files, modules, tensors and inits
    ("save path int", lambda: an.save({"a": np.ones(2)}, 3), TypeError, ("save", "path", "3")),
    ("load path None", lambda: an.load(None), TypeError, ("load", "path", "None")),
    ("load max_bytes -1", lambda: an.load("x.npz", max_bytes=-1), ValueError,
     ("load", "max_bytes", "-1")),
    ("gradcheck fn 3", lambda: an.gradcheck(3, [_x64()]), TypeError, ("gradcheck", "fn", "3")),
    ("load_state_dict strict str", lambda: nn.Linear(2, 2).load_state_dict(
        nn.Linear(2, 2).state_dict(), strict="no"), TypeError,
     ("load_state_dict", "strict", "'no'")),
    ("Module.train str", lambda: nn.Linear(2, 2).train("no"), TypeError,
     ("Linear.train", "mode", "'no'")),
    ("Module.to device", lambda: nn.Linear(2, 2).to("cuda"), TypeError,
     ("Linear.to", "float dtype", "'cuda'")),
    ("Module.to int", lambda: nn.Linear(2, 2).to("int32"), TypeError,
     ("Linear.to", "float dtype", "'int32'")),
    ("requires_grad_ str", lambda: an.ones(2).requires_grad_("no"), TypeError,
     ("requires_grad", "'no'")),
    ("zeros requires_grad str", lambda: an.zeros(2, requires_grad="no"), TypeError,
     ("zeros", "requires_grad", "'no'")),
    *[(f"{call} requires_grad str", make, TypeError, (call, "requires_grad", "'no'"))
      for call, make in [
          ("ones", lambda: an.ones(2, requires_grad="no")),
          ("full", lambda: an.full(2, 1.0, requires_grad="no")),
          ("arange", lambda: an.arange(3, requires_grad="no")),
          ("linspace", lambda: an.linspace(0, 1, 3, requires_grad="no")),
          ("eye", lambda: an.eye(2, requires_grad="no")),
          ("rand", lambda: an.rand(2, requires_grad="no")),
          ("randn", lambda: an.randn(2, requires_grad="no")),
          ("tensor", lambda: an.tensor([1.0], requires_grad="no")),
          ("from_numpy", lambda: an.from_numpy(np.ones(2), requires_grad="no")),
          ("zeros_like", lambda: an.zeros_like(an.ones(2), requires_grad="no")),
          ("ones_like", lambda: an.ones_like(an.ones(2), requires_grad="no")),
          ("full_like", lambda: an.full_like(an.ones(2), 1.0, requires_grad="no")),
          ("rand_like", lambda: an.rand_like(an.ones(2), requires_grad="no")),
          ("randn_like", lambda: an.randn_like(an.ones(2), requires_grad="no"))]],
    ("arange int requires_grad", lambda: an.arange(3, dtype="int64", requires_grad=True),
     TypeError, ("arange", "requires_grad=True", "int64", "dtype='float32'")),
    ("tensor int requires_grad", lambda: an.tensor([1], dtype="int32", requires_grad=True),
     TypeError, ("tensor", "requires_grad=True", "int32")),
    ("from_numpy int requires_grad",
     lambda: an.from_numpy(np.arange(3), requires_grad=True), TypeError,
     ("from_numpy", "requires_grad=True", "int64", "astype")),
    ("Module.requires_grad_ str", lambda: nn.Linear(2, 2).requires_grad_("no"), TypeError,
     ("requires_grad", "'no'")),
    ("xavier gain nan", lambda: nn.init.xavier_uniform_(nn.Parameter(np.ones((2, 2))),
                                                        gain=NAN),
     ValueError, ("xavier_uniform_", "gain", "nan")),
    ("normal_ std -1", lambda: nn.init.normal_(nn.Parameter(np.ones((2, 2))), std=-1),
     ValueError, ("normal_", "std", "-1")),
    ("uniform_ a > b", lambda: nn.init.uniform_(nn.Parameter(np.ones((2, 2))), a=1, b=0),
     ValueError, ("uniform_", "a=1", "b=0")),
    ("orthogonal_ gain str", lambda: nn.init.orthogonal_(nn.Parameter(np.ones((2, 2))),
                                                         gain="2"),
     TypeError, ("orthogonal_", "gain", "'2'")),
    ("SGD.zero_grad str", lambda: _sgd().zero_grad(set_to_none="no"), TypeError,
     ("SGD.zero_grad", "set_to_none", "'no'")),
    ("Module.zero_grad str", lambda: nn.Linear(2, 2).zero_grad(set_to_none="no"), TypeError,
     ("Linear.zero_grad", "set_to_none", "'no'")),
    ("SGD.step closure int", lambda: _sgd().step(3), TypeError, ("SGD.step", "closure", "3")),
    ("TensorDataset str", lambda: TensorDataset("abc"), TypeError,
     ("TensorDataset", "array 0", "'abc'")),
    ("TensorDataset scalar", lambda: TensorDataset(np.ones((3, 2)), 5), TypeError,
     ("TensorDataset", "array 1", "5", "scalar")),
    ("TransformerEncoderLayer dim_feedforward 0",
     lambda: nn.TransformerEncoderLayer(4, 2, 0), ValueError,
     ("TransformerEncoderLayer", "dim_feedforward", "0")),
    ("TransformerEncoderLayer d_model str", lambda: nn.TransformerEncoderLayer("a", 2),
     TypeError, ("TransformerEncoderLayer", "d_model", "'a'")),
    ("TransformerEncoderLayer nhead 0", lambda: nn.TransformerEncoderLayer(4, 0), ValueError,
     ("TransformerEncoderLayer", "nhead", "0")),
    ("TransformerEncoderLayer dropout 2", lambda: nn.TransformerEncoderLayer(4, 2, 8, dropout=2),
     ValueError, ("TransformerEncoderLayer", "dropout", "2")),
    ("TransformerEncoderLayer eps -1",
     lambda: nn.TransformerEncoderLayer(4, 2, 8, layer_norm_eps=-1), ValueError,
     ("TransformerEncoderLayer", "layer_norm_eps", "-1")),
    # re-raised numpy errors keep a builtin type (UFuncTypeError cannot be rebuilt)
    ("equal str", lambda: an.equal(an.ones(2), "a"), TypeError, ("equal", "Str")),
    # data, schedules, callbacks, layers
    ("DataLoader seed -1", lambda: DataLoader((np.ones((3, 2)),), seed=-1), ValueError,
     ("DataLoader", "seed", "-1")),
    ("DataLoader seed 1.5", lambda: DataLoader((np.ones((3, 2)),), seed=1.5), TypeError,
     ("DataLoader", "seed", "1.5")),
    ("ReduceLROnPlateau step str", lambda: lr_scheduler.ReduceLROnPlateau(_sgd()).step("a"),
     TypeError, ("ReduceLROnPlateau.step", "metrics", "'a'")),
    ("ReduceLROnPlateau step list",
     lambda: lr_scheduler.ReduceLROnPlateau(_sgd()).step([1.0, 2.0]), TypeError,
     ("ReduceLROnPlateau.step", "metrics", "[1.0, 2.0]")),
    ("ReduceLROnPlateau min_lr", lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), min_lr=-1),
     ValueError, ("ReduceLROnPlateau", "min_lr", "-1")),
    ("ReduceLROnPlateau min_lr str", lambda: lr_scheduler.ReduceLROnPlateau(_sgd(), min_lr="0"),
     TypeError, ("ReduceLROnPlateau", "min_lr", "'0'")),
    ("StepLR last_epoch 2.5", lambda: lr_scheduler.StepLR(_sgd(), 2, last_epoch=2.5), TypeError,
     ("StepLR", "last_epoch", "2.5")),
    ("ExponentialLR last_epoch -2", lambda: lr_scheduler.ExponentialLR(_sgd(), 0.5,
                                                                       last_epoch=-2),
     ValueError, ("ExponentialLR", "last_epoch", "-2")),
    ("EarlyStopping restore str", lambda: EarlyStopping(restore_best_weights="yes"), TypeError,
     ("EarlyStopping", "restore_best_weights", "'yes'")),
    ("AdaptiveAvgPool2d 0", lambda: nn.AdaptiveAvgPool2d(0), ValueError,
     ("AdaptiveAvgPool2d", "output_size", "0")),
    ("AdaptiveAvgPool2d pair", lambda: nn.AdaptiveAvgPool2d((2, -1)), ValueError,
     ("AdaptiveAvgPool2d", "output_size", "(2, -1)")),
    ("AdaptiveAvgPool2d str", lambda: nn.AdaptiveAvgPool2d("2"), TypeError,
     ("AdaptiveAvgPool2d", "output_size", "'2'", "(str)")),
    ("AdaptiveAvgPool2d 1.5", lambda: nn.AdaptiveAvgPool2d((2, 1.5)), TypeError,
     ("AdaptiveAvgPool2d", "output_size", "(2, 1.5)")),
    ("AdaptiveAvgPool2d three", lambda: nn.AdaptiveAvgPool2d((2, 2, 2)), ValueError,
     ("AdaptiveAvgPool2d", "output_size", "or 2 of them", "(2, 2, 2)")),
    ("adaptive_avg_pool1d 0", lambda: nn.functional.adaptive_avg_pool1d(an.ones(1, 2, 4), 0),
     ValueError, ("adaptive_avg_pool1d", "output_size", "0")),
    ("GroupNorm 0", lambda: nn.GroupNorm(0, 3), ValueError,
     ("GroupNorm", "num_groups", ">= 1", "0")),
    ("GroupNorm 1.5", lambda: nn.GroupNorm(1.5, 3), TypeError, ("GroupNorm", "num_groups", "1.5")),
    ("GroupNorm channels 0", lambda: nn.GroupNorm(1, 0), ValueError,
     ("GroupNorm", "num_channels", "0")),
    # switches a string would turn on, and settings a layer kept until its forward
    ("Linear bias str", lambda: nn.Linear(2, 2, bias="no"), TypeError,
     ("Linear", "bias", "'no'")),
    ("Conv2d bias str", lambda: nn.Conv2d(1, 2, 3, bias="no"), TypeError,
     ("Conv2d(1, 2)", "bias", "'no'")),
    ("ConvTranspose2d bias str", lambda: nn.ConvTranspose2d(1, 2, 3, bias="no"), TypeError,
     ("ConvTranspose2d(1, 2)", "bias", "'no'")),
    ("LSTMCell bias str", lambda: nn.LSTMCell(2, 3, bias="no"), TypeError,
     ("LSTMCell", "bias", "'no'")),
    ("MultiheadAttention batch_first str",
     lambda: nn.MultiheadAttention(4, 2, batch_first="yes"), TypeError,
     ("MultiheadAttention", "batch_first", "'yes'")),
    ("MultiheadAttention kdim 2.5", lambda: nn.MultiheadAttention(4, 2, kdim=2.5), TypeError,
     ("MultiheadAttention", "kdim", "2.5")),
    ("LayerNorm affine str", lambda: nn.LayerNorm(3, elementwise_affine="no"), TypeError,
     ("LayerNorm", "elementwise_affine", "'no'")),
    ("TransformerEncoderLayer norm_first str",
     lambda: nn.TransformerEncoderLayer(4, 2, 8, norm_first="no"), TypeError,
     ("TransformerEncoderLayer", "norm_first", "'no'")),
    ("LeakyReLU str", lambda: nn.LeakyReLU("0.1"), TypeError,
     ("LeakyReLU", "negative_slope", "'0.1'")),
    ("ELU nan", lambda: nn.ELU(NAN), ValueError, ("ELU", "alpha", "nan")),
    ("Softmax dim str", lambda: nn.Softmax(dim="1"), TypeError, ("Softmax", "dim", "'1'")),
    ("LogSoftmax dim 1.5", lambda: nn.LogSoftmax(1.5), TypeError,
     ("LogSoftmax", "dim", "1.5")),
    ("HuberLoss delta -1", lambda: nn.HuberLoss(delta=-1), ValueError,
     ("HuberLoss", "delta", "-1")),
    ("CrossEntropyLoss smoothing 2", lambda: nn.CrossEntropyLoss(label_smoothing=2), ValueError,
     ("CrossEntropyLoss", "label_smoothing", "2")),
    ("CrossEntropyLoss ignore_index 1.5", lambda: nn.CrossEntropyLoss(ignore_index=1.5),
     TypeError, ("CrossEntropyLoss", "ignore_index", "1.5")),
    ("NLLLoss ignore_index str", lambda: nn.NLLLoss(ignore_index="0"), TypeError,
     ("NLLLoss", "ignore_index", "'0'")),
    ("clip_grad_norm_ nan", lambda: nn.utils.clip_grad_norm_(_params(), NAN), ValueError,
     ("clip_grad_norm_", "max_norm", "nan")),
    ("clip_grad_norm_ str", lambda: nn.utils.clip_grad_norm_(_params(), "1"), TypeError,
     ("clip_grad_norm_", "max_norm", "'1'")),
    ("clip_grad_norm_ norm_type 0", lambda: nn.utils.clip_grad_norm_(_params(), 1.0, 0),
     ValueError, ("clip_grad_norm_", "norm_type", "0")),
    ("clip_grad_value_ nan", lambda: nn.utils.clip_grad_value_(_params(), NAN), ValueError,
     ("clip_grad_value_", "clip_value", "nan")),
    ("LambdaLR int", lambda: lr_scheduler.LambdaLR(_sgd(), 3), TypeError,
     ("LambdaLR", "lr_lambda", "3")),
    ("astype unknown", lambda: an.ones(2).astype("abc"), TypeError, ("astype", "dtype", "'abc'")),
    ("astype str dtype", lambda: an.ones(2).astype("U3"), TypeError, ("astype", "dtype", "<U3")),
    ("GroupNorm affine str", lambda: nn.GroupNorm(1, 3, affine="no"), TypeError,
     ("GroupNorm", "affine", "'no'")),
]


@pytest.mark.parametrize("call, error, words", [(c, e, w) for _, c, e, w in CORPUS],
                         ids=[name for name, *_ in CORPUS])
def test_bad_input_raises_a_clear_builtin_error(call, error, words) -> None:
    assert error.__module__ == "builtins"
    with pytest.raises(error) as info:
        call()
    assert type(info.value).__module__ == "builtins" or type(info.value) is error
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)


def test_the_switches_still_take_bools_and_numpy_bools() -> None:
    with an.set_grad_enabled(np.bool_(False)):
        assert not an.is_grad_enabled()
    with an.set_grad_enabled(0):
        assert not an.is_grad_enabled()
    with an.set_grad_enabled(np.int64(0)):  # numpy's 0 and 1 too, as arguments.flag takes them
        assert not an.is_grad_enabled()
    assert an.is_grad_enabled()
    an.set_detect_anomaly(np.bool_(True))
    assert an.autograd.anomaly.is_anomaly_enabled()
    an.set_detect_anomaly(False)
    assert not an.autograd.anomaly.is_anomaly_enabled()


@pytest.mark.parametrize("call, error, words", [
    (lambda: (an.tensor([1.0], requires_grad=True) * 2).sum().backward("abc"), TypeError,
     ["backward", "grad", "str", "'abc'"]),
    (lambda: an.zeros(2, 3).swapaxes(0, 4), ValueError, ["swapaxes", "axis 4", "(2, 3)"]),
    (lambda: an.softmax(an.tensor(np.array([1000, 2000]))), TypeError, ["softmax", "int64"]),
    (lambda: an.logsumexp(an.tensor(np.array([1000, 2000]))), TypeError, ["logsumexp", "int64"]),
])
def test_the_last_deep_tracebacks_are_clear_errors(call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    assert all(w in str(info.value) for w in words), str(info.value)


def test_the_new_checks_still_take_what_pytorch_takes(tmp_path) -> None:
    assert nn.Conv2d(1, 2, [2, 3]).kernel_size == (2, 3)
    assert nn.MaxPool2d(np.int64(2))(an.ones(1, 1, 4, 4)).shape == (1, 1, 2, 2)
    assert nn.Dropout(np.float32(0.25)).p == 0.25 and nn.Dropout2d(1).p == 1.0
    assert nn.BatchNorm2d(3, momentum=None).momentum is None
    assert nn.BatchNorm1d(3, affine=np.bool_(False)).weight is None
    assert nn.LayerNorm([2, 3]).normalized_shape == (2, 3)
    assert nn.Embedding(3, 2, padding_idx=-1).padding_idx == 2
    assert nn.Embedding(3, 2, max_norm=np.float32(0.5), norm_type=1).max_norm == 0.5
    assert nn.Embedding(3, 2, max_norm=float("inf"), norm_type=float("inf")).norm_type == np.inf
    assert nn.Embedding(3, 2, max_norm=2)(an.tensor(np.array([1]))).shape == (1, 2)
    assert nn.MultiheadAttention(np.int64(4), 2).head_dim == 2
    loader = DataLoader((np.ones((3, 2)),), shuffle=np.bool_(True), drop_last=1, batch_size=2)
    assert loader.shuffle is True and loader.drop_last is True and len(loader) == 1
    assert Checkpoint(tmp_path / "x.npz").path == tmp_path / "x.npz"
    assert nn.functional.one_hot(an.tensor(np.array([0, 2]))).shape == (2, 3)
    rows = nn.functional.embedding(an.tensor(np.array([2])), an.ones(3, 2), padding_idx=-1)
    assert rows.shape == (1, 2)


def test_the_axis_mask_and_schedule_checks_still_take_what_pytorch_takes() -> None:
    x = an.ones(2, 3)
    assert an.softmax(x, dim=-1).shape == (2, 3) and an.log_softmax(x, np.int64(0)).shape == (2, 3)
    assert an.logsumexp(x, axis=(0, -1)).shape == () and x.sum(dim=-2).shape == (3,)
    assert an.stack([x, x], -3).shape == (2, 2, 3) and an.stack([x, x], 2).shape == (2, 3, 2)
    assert an.topk(x, 2, dim=-1).values.shape == (2, 2) and an.norm(x, axis=-1).shape == (2,)
    assert [p.shape for p in an.split(x, 3, axis=-1)] == [(2, 1)] * 3
    assert an.tensor(1.0).sum(axis=0).shape == ()  # a 0-d tensor's 'only' axis, as numpy
    q = an.ones(2, 3, 4)
    sdpa = nn.functional.scaled_dot_product_attention
    for mask in (np.ones((3, 3), bool), np.zeros((2, 1, 3)), np.zeros((1, 3)), np.zeros(3)):
        assert sdpa(q, q, q, attn_mask=mask).shape == (2, 3, 4)
    # a mask with more leading axes batches the result, as PyTorch's reference computation does
    assert sdpa(q[0], q[0], q[0], attn_mask=np.ones((2, 3, 3), bool)).shape == (2, 3, 4)
    kv = an.ones(5, 3, 4)  # batch axes broadcast: (2, 5) with (5,)
    assert sdpa(an.ones(2, 5, 3, 4), kv, kv, attn_mask=np.ones((5, 1, 1), bool)).shape == \
        (2, 5, 3, 4)
    assert DataLoader((np.ones((3, 2)),), seed=np.int64(3)).seed == 3
    plateau = lr_scheduler.ReduceLROnPlateau(_sgd(), min_lr=[np.float32(0.01)])
    for metric in (1.0, np.float32(0.5), an.tensor(0.25), np.array([0.1]), float("nan")):
        plateau.step(metric)
    assert plateau.best == 0.1
    assert lr_scheduler.StepLR(_sgd(), 2, last_epoch=np.int64(-1)).last_epoch == 0
    assert EarlyStopping(restore_best_weights=np.bool_(False)).restore_best_weights is False
    assert nn.AdaptiveAvgPool2d((None, 2))(an.ones(1, 1, 4, 4)).shape == (1, 1, 4, 2)
    assert nn.AdaptiveAvgPool2d([1, 1])(an.ones(1, 1, 4, 4)).shape == (1, 1, 1, 1)
    assert nn.functional.adaptive_avg_pool1d(an.ones(1, 2, 4), np.int64(2)).shape == (1, 2, 2)
    assert nn.GroupNorm(np.int64(3), 6, affine=0).weight is None
    assert nn.Linear(2, 2, bias=np.bool_(False)).bias is None and nn.Linear(2, 2, 1).bias.shape
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None
    assert nn.MultiheadAttention(4, 2, kdim=np.int64(3), vdim=5, batch_first=True).batch_first
    assert nn.LeakyReLU(np.float32(-0.5)).negative_slope == -0.5 and nn.ELU(2).alpha == 2.0
    assert nn.Softmax(dim=None)(x).shape == (2, 3) and nn.LogSoftmax(np.int64(1)).axis == 1
    assert nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=np.int64(-1)).ignore_index == -1
    grads = _params()
    grads[0].grad = np.array([3.0, 4.0])
    assert nn.utils.clip_grad_norm_(grads, float("inf")) == 5.0  # the norm, nothing clipped
    assert nn.utils.clip_grad_norm_(grads, 1, norm_type=float("inf")) == 4.0
    assert lr_scheduler.LambdaLR(_sgd(), lambda epoch: 0.5).get_last_lr() == [0.05]
    assert an.ones(2).astype(np.int64).dtype == np.int64 and x.astype(bool).dtype == bool
    # the integer checks let numpy's own spellings through, with numpy's results
    v = np.arange(6.0).reshape(2, 3)
    w = an.tensor(v)
    np.testing.assert_array_equal(an.tile(w, np.int64(2)).data, np.tile(v, 2))
    np.testing.assert_array_equal(an.tile(w, [1, 2]).data, np.tile(v, [1, 2]))
    np.testing.assert_array_equal(an.roll(w, np.int64(1), 1).data, np.roll(v, 1, 1))
    np.testing.assert_array_equal(an.roll(w, (1, 2), (0, 1)).data, np.roll(v, (1, 2), (0, 1)))
    np.testing.assert_array_equal(an.repeat(w, np.array([1, 0, 2]), 1).data,
                                  np.repeat(v, [1, 0, 2], 1))
    np.testing.assert_array_equal(an.repeat(w, 2).data, np.repeat(v, 2))
    np.testing.assert_array_equal(an.tril(w, np.int64(-1)).data, np.tril(v, -1))
    np.testing.assert_array_equal(an.topk(w, np.int64(2)).values.data, np.sort(v)[:, :0:-1])
    assert an.cat((x, x), dim=np.int64(0)).shape == (4, 3) and an.sum(x, axis=[0, 1]).shape == ()
    assert nn.Linear(2, 2).train(np.bool_(False)).training is False
    assert len(_fit(seed=None)) == len(_fit(seed=np.int64(3))) == 1
    sgd = _sgd()
    sgd.param_groups[0]["params"][0].grad = np.ones(2)
    sgd.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(sgd.param_groups[0]["params"][0].grad, [0.0, 0.0])
    assert sgd.step(lambda: 1.5) == 1.5 and len(TensorDataset([1, 2], np.ones(2, bool))) == 2
    assert nn.Linear(2, 2).to("float64").weight.dtype == np.float64
    assert an.zeros(2, requires_grad=np.bool_(True)).requires_grad
    assert an.arange(3, requires_grad=True).requires_grad
    assert len(_fit(verbose=False)) == len(_fit(batch_size=np.int64(2), shuffle=0)) == 1
    assert [len(p) for p in random_split(TensorDataset(np.ones(4)), (np.int64(3), 1))] == [3, 1]
    assert optim.Adagrad(_params(), lr_decay=0, initial_accumulator_value=np.float32(0.1))
    opt = _sgd()
    assert lr_scheduler.SequentialLR(opt, [lr_scheduler.LinearLR(opt, 0.5, total_iters=np.int64(2)),
                                           lr_scheduler.ExponentialLR(opt, 0.9)], [np.int64(2)])
    assert an.where(np.array([True, False]), an.ones(2), 0.0).tolist() == [1.0, 0.0]
    assert an.where(1, an.ones(2), 0.0).tolist() == [1.0, 1.0]
    assert float(an.norm(np.array([3.0, 4.0]))) == 5.0
    assert an.flip([1.0, 2.0]).tolist() == [2.0, 1.0]
    assert an.zeros_like(np.array([[1, 2]])).dtype == np.int64 and an.ones_like(3.0).shape == ()
    assert an.full_like(np.ones(2), 2, dtype=np.float64).dtype == np.float64
    assert an.rand_like(an.ones(2), dtype="float64").dtype == np.float64
    assert an.compile(cache_size=np.int64(2))(lambda t: t * 2)(an.ones(2)).shape == (2,)
    assert an.gradcheck(lambda t: t * 2, [_x64()], seed=np.int64(1))
    assert nn.functional.max_pool2d(np.ones((1, 1, 2, 2)), 2).shape == (1, 1, 1, 1)
    assert nn.functional.scaled_dot_product_attention(
        an.ones(2, 3), an.ones(2, 3), an.ones(2, 3), scale=np.float32(0.5)).shape == (2, 3)
    assert [t.shape for t in an.split(an.ones(5), np.array([1, 3]))] == [(1,), (2,), (2,)]
    assert len(an.array_split(an.ones(5), (2,))) == 2
    assert an.ones(2, 3).swapaxes(np.int64(0), -1).shape == (3, 2)
    assert an.tensordot(an.ones(2, 3), an.ones(3, 2), axes=([1], [0])).shape == (2, 2)
    assert an.tensordot(an.ones(2, 3), an.ones(3, 2), axes=np.int64(1)).shape == (2, 2)
    assert float(an.trace(an.eye(3), offset=np.int64(0))) == 3.0
    assert nn.functional.layer_norm(an.ones(2, 3), [3], eps=np.float32(1e-5)).shape == (2, 3)
    assert nn.functional.group_norm(an.ones(2, 4), np.int64(2), eps=0).shape == (2, 4)
    assert nn.functional.dropout(an.ones(2), p=1).tolist() == [0.0, 0.0]
    v = an.tensor([0.5, -2.0, 3.0])
    assert float(an.norm(v, "fro")) == float(an.norm(v)) and float(v.norm(p=-np.inf)) == 0.5
    assert float(an.norm(v, np.inf)) == float(an.norm(v, "inf")) == 3.0
    assert an.norm(an.ones(2, 2), p=2.5).shape == () and float(an.norm(v, -1)) > 0
    assert float(an.ones(2, 2).norm(2)) == 2.0  # torch's W.norm(2): every value's 2-norm
    assert not an.eye(2, requires_grad=0).requires_grad
    assert an.tensor([1.0], requires_grad=np.bool_(True)).requires_grad
    assert an.ones_like(np.arange(2), requires_grad=False).dtype == np.int64
    assert an.ones(2).requires_grad_(1).requires_grad
    assert nn.init.uniform_(nn.Parameter(np.ones(2)), 0.5, 0.5).data.tolist() == [0.5, 0.5]
    assert nn.init.normal_(nn.Parameter(np.ones(2)), std=0).data.tolist() == [0.0, 0.0]
