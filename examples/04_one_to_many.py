"""Lesson: one-to-many, a single vector unrolled into a sequence (like image captioning).

A captioning network turns one feature vector (a CNN's description of an image) into a
sentence. Here the "image" is a number from 0 to 999 and its feature vector is three
one-hot digits (30 numbers); the "caption" is the number in English, letter by letter:

    342  ->  v = [0 0 0 1 0 0 0 0 0 0 | 0 0 0 0 1 0 0 0 0 0 | 0 0 1 0 0 0 0 0 0 0]
         ->  "three hundred forty two"

The vector enters once, as the decoder's initial state; the decoder then writes:

    (h0, c0) = split(v W_init + b_init)                   Linear (30 -> 2N), the only input path
    step t:    previous letter -> Embedding -> LSTM -> Linear -> scores for the next letter

Training uses teacher forcing: the decoder is fed the TRUE previous letter (starting
from <eos>, the start/end marker) and learns to predict the next one; the loss is the
softmax cross-entropy over the letters, padding masked out. The gradient reaching the
initial state, dstate0 from the LSTM's backward, flows on into Linear's backward.
At test time the decoder feeds itself: it starts from <eos>, picks its likeliest letter
(greedy decoding), feeds that back in, and stops when it writes <eos>.

What you should see: the 200 numbers held out from training (never seen; only their
digits were, in other combinations) spelled out exactly right, nearly all of them
(exact-match above 0.95 after the default ~15 s), against a letter accuracy of about
0.26 for a baseline that ignores the vector.

Run:  python examples/04_one_to_many.py [--quick] [--seed 0]
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before NumPy loads: see examples/README.md

import argparse
import time
from collections import Counter

import numpy as np

import minirnn
from minirnn.clip import clip_grad_norm
from minirnn.sequential import Sequential
from minirnn.optim import Adam
from minirnn.vocab import EOS, PAD, Vocabulary

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " \
       "fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def in_words(n):
    """0 <= n <= 999 in English: 342 -> 'three hundred forty two'."""
    hundreds, rest = divmod(n, 100)
    words = [ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        words += [TENS[rest // 10]] + ([ONES[rest % 10]] if rest % 10 else [])
    elif rest or not hundreds:
        words += [ONES[rest]]
    return " ".join(words)


def digit_features(numbers):
    """numbers (B,) -> (B, 30): one-hot hundreds, tens and ones digits side by side."""
    digits = np.stack([numbers // 100, numbers // 10 % 10, numbers % 10], axis=1)   # (B, 3)
    return np.eye(10)[digits].reshape(len(numbers), 30)


def teacher_forcing_batch(texts, vocab):
    """texts -> decoder inputs (T, B), targets (T, B), lengths (B,), mask (T, B).

    "two" -> inputs  <eos> t w o
             targets t     w o <eos>      (one step ahead; the last target ends the text)
    """
    encoded = [vocab.encode(text) for text in texts]
    lengths = np.array([len(ids) + 1 for ids in encoded])
    inputs = np.full((lengths.max(), len(texts)), PAD, dtype=np.int64)    # (T, B) padded
    targets = np.full_like(inputs, PAD)
    for b, ids in enumerate(encoded):
        inputs[:lengths[b], b] = np.concatenate([[EOS], ids])
        targets[:lengths[b], b] = np.concatenate([ids, [EOS]])
    mask = np.arange(lengths.max())[:, None] < lengths                   # (T, B) real steps
    return inputs, targets, lengths, mask


class Captioner:
    """A feature vector -> the LSTM decoder's initial state -> a sequence of letters."""

    def __init__(self, V, features, embed_size, hidden_size, seed):
        self.N = hidden_size
        self.init = minirnn.Linear(features, 2 * hidden_size, seed=seed)    # v -> [h0 | c0]
        self.decoder = Sequential(embed=minirnn.Embedding(V, embed_size, seed=seed),
                                  rnn=minirnn.LSTM(embed_size, hidden_size, seed=seed),
                                  head=minirnn.Linear(hidden_size, V, seed=seed))

    def params(self):
        return {**self.decoder.params, **{f"init.{k}": v for k, v in self.init.params.items()}}

    def grads(self):
        return {**self.decoder.grads, **{f"init.{k}": v for k, v in self.init.grads.items()}}

    def initial_state(self, v):
        """v (B, F) -> (h0, c0), each (1, B, N): one layer, one direction."""
        hc = self.init.forward(v)                                          # (B, 2N)
        return hc[None, :, :self.N], hc[None, :, self.N:]

    def loss_and_backward(self, v, inputs, targets, lengths, mask):
        state0 = self.initial_state(v)
        logits, _ = self.decoder.forward(inputs, state0, lengths=lengths)  # (T, B, V)
        loss, dlogits = minirnn.softmax_cross_entropy(logits, targets, mask)
        _, (dh0, dc0) = self.decoder.backward(dlogits)     # the gradient on the initial state...
        self.init.backward(np.concatenate([dh0[0], dc0[0]], axis=1))   # ...trains the Linear
        return loss

    def greedy(self, v, vocab, max_len=40):
        """v (B, F) -> B strings, each decoder feeding itself its likeliest letter."""
        state = self.initial_state(v)
        token = np.full((1, len(v)), EOS, dtype=np.int64)                  # (1, B) start marker
        written, finished = [], np.zeros(len(v), dtype=bool)
        for _ in range(max_len):
            logits, state = self.decoder.forward(token, state)             # (1, B, V)
            token = logits.argmax(axis=-1)                                 # (1, B) greedy
            written.append(token[0])
            finished |= token[0] == EOS
            if finished.all():
                break
        texts = []
        for row in np.array(written).T:                                    # (B, steps)
            end = np.flatnonzero(row == EOS)
            texts.append(vocab.decode(row[:end[0]] if end.size else row))
        return texts


def letter_accuracy(written, numbers):
    """The share of letters right, position by position, over the true captions' letters.

    written: a list of strings, one per number, or one string used for every number."""
    written = [written] * len(numbers) if isinstance(written, str) else written
    truths = [in_words(n) for n in numbers]
    right = sum(a == b for text, truth in zip(written, truths) for a, b in zip(text, truth))
    return right / sum(len(truth) for truth in truths)


def commonest_caption(numbers):
    """The string whose letter at each position is the commonest there among the captions."""
    captions = [in_words(n) for n in numbers]
    width = max(len(c) for c in captions)
    columns = zip(*(c.ljust(width) for c in captions))
    return "".join(Counter(column).most_common(1)[0][0] for column in columns)


def main():
    from minirnn.toolkit import argtypes as types   # the library's checked argument types
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds of training")
    parser.add_argument("--seed", type=types.seed, default=0)
    parser.add_argument("--steps", type=types.positive_int, default=None, help="training steps (default 800, quick 150)")
    parser.add_argument("--batch-size", type=types.positive_int, default=32)
    parser.add_argument("--hidden", type=types.positive_int, default=128)
    parser.add_argument("--lr", type=types.positive_float, default=5e-3)
    args = parser.parse_args()
    if args.steps is None:
        args.steps = 150 if args.quick else 800

    rng = np.random.default_rng(args.seed)
    numbers = rng.permutation(1000)
    train_numbers, test_numbers = numbers[200:], numbers[:200]           # 200 never seen in training
    vocab = Vocabulary.build([in_words(n) for n in range(1000)], level="char")
    model = Captioner(len(vocab), 30, embed_size=16, hidden_size=args.hidden, seed=args.seed)
    optimizer = Adam(model.params(), lr=args.lr)
    print(f"800 training numbers, 200 held out; {len(vocab)} letters (with <pad>, <unk>, <eos>)")

    start, losses = time.perf_counter(), []
    for step in range(1, args.steps + 1):
        chosen = rng.choice(train_numbers, size=args.batch_size, replace=False)
        batch = teacher_forcing_batch([in_words(n) for n in chosen], vocab)
        losses.append(model.loss_and_backward(digit_features(chosen), *batch))
        grads = model.grads()
        clip_grad_norm(grads, max_norm=5.0)
        optimizer.step(grads)
        if step % max(args.steps // 5, 1) == 0:
            print(f"step {step:5d}  loss per letter {np.mean(losses):.3f}  "
                  f"({time.perf_counter() - start:.0f}s)")
            losses = []

    written = model.greedy(digit_features(test_numbers), vocab)
    right = [text == in_words(n) for n, text in zip(test_numbers, written)]
    for n, text, ok in list(zip(test_numbers, written, right))[:8]:
        print(f"  {n:3d} -> {text!r}" + ("" if ok else f"   (should be {in_words(n)!r})"))
    # letters right, position by position; the baseline ignores the vector and writes at each
    # position the letter most common there among the training captions
    letters = letter_accuracy(written, test_numbers)
    baseline = letter_accuracy(commonest_caption(train_numbers), test_numbers)
    print(f"RESULT exact={np.mean(right):.3f} letter_accuracy={letters:.3f} baseline={baseline:.3f} "
          f"held_out={len(test_numbers)}")


if __name__ == "__main__":
    main()
