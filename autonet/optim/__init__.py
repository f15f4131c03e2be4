"""Optimizers (PyTorch's contract: param_groups, state, zero_grad, step, state_dict) and
learning-rate schedulers (``an.optim.lr_scheduler``)."""

from autonet.optim import lr_scheduler
from autonet.optim.adagrad import Adagrad
from autonet.optim.adam import Adam, AdamW
from autonet.optim.optimizer import Optimizer
from autonet.optim.rmsprop import RMSprop
from autonet.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
