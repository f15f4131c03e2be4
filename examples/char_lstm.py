"""Train a character-level LSTM on the nursery rhymes bundled with autonet, then let it write.

    python examples/char_lstm.py                 # about a minute: the loss falls from ~4 to ~0.6
    python examples/char_lstm.py --steps 60      # a shorter run

Each training example is a window of the text: the model reads characters x<1> ... x<T> (one-hot)
and at every step t predicts the next character x<t+1> from its hidden state h<t> (the course's
a<t>): y_hat<t> = softmax(h<t> W_y^T + b_y). The loss is the cross-entropy averaged over all steps
and examples; backward runs through time. Sampling feeds each drawn character back in.
"""

from __future__ import annotations

import argparse

import numpy as np

import autonet as an
from autonet import nn, optim
from autonet.data import load_nursery_rhymes


class CharLSTM(nn.Module):
    """One-hot characters (N, T, V) -> LSTM (hidden H) -> next-character logits (N, T, V)."""

    def __init__(self, vocab: int, hidden: int) -> None:
        super().__init__()
        self.vocab = vocab
        self.lstm = nn.LSTM(vocab, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, codes: np.ndarray, state=None):
        x = np.eye(self.vocab, dtype=np.float32)[codes]  # one-hot, a constant
        out, state = self.lstm(x, state)
        return self.head(out), state


def sample(model: CharLSTM, chars: list[str], prompt: str, length: int,
           temperature: float = 0.7, seed: int = 0) -> str:
    """Continue ``prompt`` by ``length`` characters drawn from the model's predictions."""
    rng = np.random.default_rng(seed)
    index = {c: i for i, c in enumerate(chars)}
    codes = np.array([[index[c] for c in prompt]])
    text = prompt
    state = None
    with an.no_grad():
        for _ in range(length):
            logits, state = model(codes, state)
            z = logits.data[0, -1] / temperature
            p = np.exp(z - z.max())
            code = int(rng.choice(len(chars), p=p / p.sum()))
            text += chars[code]
            codes = np.array([[code]])
    return text


def main(steps: int = 300, hidden: int = 96, seq_len: int = 40, batch: int = 32,
         lr: float = 0.01, seed: int = 0, report_every: int = 50) -> dict:
    text = load_nursery_rhymes()
    chars = sorted(set(text))
    codes = np.array([chars.index(c) for c in text])
    an.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = CharLSTM(len(chars), hidden)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    print(f"{len(text):,} characters, vocabulary of {len(chars)}; LSTM({len(chars)}, {hidden}), "
          f"{sum(p.size for p in model.parameters()):,} parameters")
    losses = []
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(codes) - seq_len - 1, size=batch)
        window = codes[starts[:, None] + np.arange(seq_len + 1)]  # (N, T + 1)
        logits, _ = model(window[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(chars)),
                                           window[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)  # keeps BPTT steps bounded
        optimizer.step()
        losses.append(loss.item())
        if step == 1 or step % report_every == 0 or step == steps:
            print(f"step {step:4d}: loss {np.mean(losses[-report_every:]):.3f}")
    text_out = sample(model, chars, "Twinkle, ", 120, seed=seed)
    print(f"first loss {losses[0]:.3f}, last loss {losses[-1]:.3f}")
    print("sample:", text_out)
    return {"losses": losses, "sample": text_out}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=96)
    parser.add_argument("--seq-len", type=int, default=40)
    args = parser.parse_args()
    main(steps=args.steps, hidden=args.hidden, seq_len=args.seq_len)
