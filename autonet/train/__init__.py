"""Training: ``fit`` and what it is made of.

    history = an.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01),
                     (X_train, y_train), epochs=100, val_data=(X_val, y_val), batch_size=32,
                     callbacks=[an.train.EarlyStopping(patience=10)])
    history["val_loss"], history.best("val_loss")

    loop.py          fit: epochs of mini-batch steps, validation, schedule, callbacks
    evaluation.py    evaluate and predict (eval mode, no graph); data forms -> DataLoader
    history.py       History, the per-epoch record
    callbacks.py     Callback, TrainState (what callbacks see), EarlyStopping, BatchLosses
    checkpoint.py    Checkpoint, save_checkpoint, load_checkpoint, resuming a run
    metrics.py       accuracy and the decision threshold of a loss
    progress.py      progress bars (terminal or Jupyter only)
"""

from autonet.train.callbacks import (  # noqa: F401  (TrainState)
    BatchLosses,
    Callback,
    EarlyStopping,
    TrainState,
)
from autonet.train.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from autonet.train.evaluation import evaluate, predict
from autonet.train.history import History
from autonet.train.loop import TrainingDiverged, fit
from autonet.train.metrics import accuracy
from autonet.train.progress import progress_bar as _progress  # noqa: F401  (tests import it)

__all__ = ["BatchLosses", "Callback", "Checkpoint", "EarlyStopping", "History", "TrainingDiverged",
           "accuracy", "evaluate", "fit", "load_checkpoint", "predict", "save_checkpoint"]
