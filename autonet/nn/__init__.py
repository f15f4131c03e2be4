"""Neural networks: Module and Parameter, layers, activations, losses, initialization.

    import autonet as an
    from autonet import nn

    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
"""

from autonet.nn import functional, init, utils
from autonet.nn.activations import (
    ELU,
    GELU,
    Activation,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from autonet.nn.attention import MultiheadAttention
from autonet.nn.cells import GRUCell, LSTMCell, RNNCell
from autonet.nn.containers import ModuleDict, ModuleList, Sequential
from autonet.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from autonet.nn.embedding import Embedding
from autonet.nn.layers import Dropout, Flatten, Identity, Linear, Unflatten
from autonet.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from autonet.nn.module import Module, Parameter
from autonet.nn.normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from autonet.nn.pooling import (
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    Dropout2d,
    MaxPool1d,
    MaxPool2d,
)
from autonet.nn.recurrent import GRU, LSTM, RNN
from autonet.nn.summary import course_names, summary
from autonet.nn.transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = [
    "Activation", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "ELU", "Flatten",
    "HuberLoss", "Identity", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "Module", "ModuleDict",
    "ModuleList", "MSELoss", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax",
    "Softplus", "Tanh", "course_names", "functional", "init", "summary", "utils",
    # normalization, embeddings, activations, attention
    "BatchNorm1d", "BatchNorm2d", "Embedding", "GELU", "GroupNorm", "LayerNorm",
    "MultiheadAttention", "SiLU", "TransformerEncoder", "TransformerEncoderLayer",
]
__all__ += [
    "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "Conv1d", "Conv2d", "ConvTranspose2d",
    "Dropout2d", "MaxPool1d", "MaxPool2d", "Unflatten",
]
__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell"]
