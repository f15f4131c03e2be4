"""Train a small convolutional network on the bundled 8x8 handwritten digits.

    python examples/cnn_digits.py              # 30 epochs, prints the learning curve
    python examples/cnn_digits.py --epochs 3   # a quick run (what the smoke test does)

The network is the course's conv-relu-pool pattern twice, then a fully connected layer:

    (m, 1, 8, 8) -> conv 3x3, p=1, 8 filters -> (m, 8, 8, 8) -> relu -> max pool 2x2
    (m, 8, 4, 4) -> conv 3x3, p=1, 16 filters -> (m, 16, 4, 4) -> relu -> max pool 2x2
    (m, 16, 2, 2) -> flatten (m, 64) -> linear -> (m, 10) class scores
"""

import argparse

import autonet as an
from autonet import nn, optim
from autonet.data import load_digits, train_test_split


def digits_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 2 * 2, 10))


def main(epochs: int = 30) -> float:
    images, labels = load_digits(flatten=False)          # (1797, 8, 8) in [0, 1]
    x = images.reshape(-1, 1, 8, 8)                      # one channel: (m, C, H, W)
    x_train, x_test, y_train, y_test = train_test_split(x, labels, test_size=0.25, seed=0,
                                                        stratify=labels)
    an.manual_seed(0)
    model = digits_cnn()
    print(nn.summary(model, (1, 8, 8)))
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history = an.fit(model, nn.CrossEntropyLoss(), optimizer, (x_train, y_train), epochs=epochs,
                     batch_size=32, val_data=(x_test, y_test), scheduler=scheduler, verbose=0)
    for epoch in sorted({1, max(1, epochs // 2), epochs}):
        i = epoch - 1
        print(f"epoch {epoch:3d}: loss {history['loss'][i]:.3f}  test accuracy "
              f"{history['val_accuracy'][i]:.3f}")
    accuracy = an.train.evaluate(model, nn.CrossEntropyLoss(), (x_test, y_test))["accuracy"]
    print(f"test accuracy {accuracy:.3f} on {len(y_test)} held-out digits")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a small CNN on the bundled digits")
    parser.add_argument("--epochs", type=int, default=30)
    main(parser.parse_args().epochs)
