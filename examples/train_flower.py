"""Train a 2-16-16-2 tanh network on the planar flower with mini-batch Adam.

    python examples/train_flower.py            # prints the learning curve and final accuracy
    python examples/train_flower.py out_dir    # also writes loss.png and decision_boundary.png

Hyperparameters (chosen before training) are the names in HPARAMS; parameters (learned) are the
weights W[l] and biases b[l] of the Linear layers.
"""

import sys

import autonet as an
from autonet import nn, optim
from autonet.data import DataLoader, StandardScaler, TensorDataset, flower, train_test_split
from autonet.train import EarlyStopping

HPARAMS = {"hidden": 16, "lr": 0.02, "epochs": 200, "batch_size": 32, "l2": 1e-4}


def main(out_dir: str | None = None) -> float:
    x, y = flower(400, seed=0)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.25, seed=0, stratify=y)
    scaler = StandardScaler().fit(x_train)  # statistics of the training split only
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)

    an.manual_seed(0)
    h = HPARAMS["hidden"]
    model = nn.Sequential(nn.Linear(2, h), nn.Tanh(), nn.Linear(h, h), nn.Tanh(), nn.Linear(h, 2))
    optimizer = optim.Adam(model.parameters(), lr=HPARAMS["lr"])
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=HPARAMS["epochs"])
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=HPARAMS["batch_size"],
                        shuffle=True, seed=0)
    history = an.fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=HPARAMS["epochs"],
                     val_data=(x_val, y_val), scheduler=scheduler, l2=HPARAMS["l2"],
                     callbacks=[EarlyStopping("val_loss", patience=40)])
    for epoch in (1, 10, 50, len(history)):
        i = epoch - 1
        print(f"epoch {epoch:3d}: loss {history['loss'][i]:.3f}  val_loss "
              f"{history['val_loss'][i]:.3f}  val_accuracy {history['val_accuracy'][i]:.3f}")
    best_epoch, best = history.best("val_loss")
    final = an.train.evaluate(model, nn.CrossEntropyLoss(), (x_val, y_val))
    print(f"best val_loss {best:.3f} at epoch {best_epoch}; restored weights reach "
          f"val_accuracy {final['accuracy']:.3f}")
    if out_dir:
        from autonet.plot import plot_decision_boundary, plot_history

        plot_history(history, f"{out_dir}/loss.png")
        plot_decision_boundary(lambda p: an.train.predict(model, scaler.transform(p)), x, y,
                               f"{out_dir}/decision_boundary.png")
        print(f"wrote {out_dir}/loss.png and {out_dir}/decision_boundary.png")
    return final["accuracy"]


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
