"""Lesson: a character-level language model, min-char-rnn style, from library pieces.

Andrej Karpathy's min-char-rnn.py trains a vanilla RNN on a text file in ~100 lines of
NumPy. This is the same loop, with minirnn's parts in place of the hand-inlined math:

    data      the built-in corpus (Python standard-library docstrings) as one stream of
              character ids, <eos> before every docstring
    model     one-hot characters -> LSTM -> Linear -> a score for every next character
    loss      softmax cross-entropy: at every position, predict the next character
              (input "HELL" -> target "ELLO")
    update    backward through time, clip_grad_norm, Adam

Truncated backpropagation through time, min-char-rnn's "hprev" trick: the text is read
in consecutive chunks of T characters. The state at the end of one chunk is the initial
state of the next, so the model sees across chunk borders in the forward pass, but the
gradient stops at the border (the state is passed in as plain numbers, and the gradient
on it, dstate0, is thrown away). B lanes read B far-apart parts of the text side by
side, each carrying its own state: a batch is (T, B). The library's lane_windows
(minirnn/lm/windows.py) cuts the chunks, as `minirnn train --carry-state` does, and
minirnn.lm.evaluate measures the validation loss the way `minirnn train` does.

Then generation (minirnn.generate): feed a prompt through the model to build up the
state, then pick one character at a time and feed it back in. Temperature 0 is greedy
(the likeliest character every time: it soon repeats itself), temperature 1 samples
from the model's distribution, in between sharpens it.

What you should see (defaults, about a minute): the validation loss falling from
ln(V) ~ 4.6 nats per character (uniform guessing) well below the unigram entropy
(~3.2, knowing only how often each character occurs) to about 1.6. The greedy sample
loops ("the string to the string to ..."); at temperature 0.5 the text reads like
docstring English with the odd invented word; at 1.0 it is bolder and full of typos.

Run:  python examples/06_char_rnn.py [--quick] [--seed 0] [--prompt "Return the "] [--layers 2]
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before NumPy loads: see examples/README.md

import argparse
import time

import numpy as np

import minirnn
from minirnn.clip import clip_grad_norm
from minirnn.lm import evaluate
from minirnn.lm.corpus import builtin_corpus
from minirnn.lm.decoding import generate
from minirnn.layers import OneHot
from minirnn.sequential import Sequential
from minirnn.optim import Adam
from minirnn.lm.windows import lane_windows, unigram_entropy
from minirnn.vocab import Vocabulary

DTYPE = np.float32                 # float32 trains twice as fast; gradient checks need float64


def main():
    from minirnn.toolkit import argtypes as types   # the library's checked argument types
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds of training")
    parser.add_argument("--seed", type=types.seed, default=0)
    parser.add_argument("--steps", type=types.positive_int, default=None,
                        help="training chunks (default 1500, quick 120)")
    parser.add_argument("--seq-length", type=types.positive_int, default=64, help="T: steps to backpropagate through")
    parser.add_argument("--batch-size", type=types.positive_int, default=32, help="B: lanes read side by side")
    parser.add_argument("--hidden", type=types.positive_int, default=128)
    parser.add_argument("--layers", type=types.positive_int, default=1, help="stacked LSTM layers: each reads "
                        "the output sequence of the one below")
    parser.add_argument("--lr", type=types.positive_float, default=5e-3)
    parser.add_argument("--prompt", default="Return the ")
    args = parser.parse_args()
    if args.steps is None:
        args.steps = 120 if args.quick else 1500
    T, B = args.seq_length, args.batch_size

    corpus = builtin_corpus()
    vocab = Vocabulary.build(corpus.train, level="char")
    train_ids = vocab.encode_documents(corpus.train)            # (n,) one long stream
    valid_ids = vocab.encode_documents(corpus.valid)
    if args.quick:
        valid_ids = valid_ids[:20000]                           # a slice is enough for a smoke test
    V = len(vocab)
    print(f"{corpus.source}: {len(train_ids)} training characters, V={V}")

    # min-char-rnn's Wxh, Whh, Why, bh, by are here the LSTM's W, H, b and the head's W, b
    model = Sequential(onehot=OneHot(V, dtype=DTYPE),          # or Embedding(V, E): a learned table
                       rnn=minirnn.LSTM(V, args.hidden, num_layers=args.layers,
                                        dtype=DTYPE, seed=args.seed),
                       head=minirnn.Linear(args.hidden, V, dtype=DTYPE, seed=args.seed))
    optimizer = Adam(model.params, lr=args.lr)

    state = None                                                # hprev
    start, losses = time.perf_counter(), []
    for step in range(1, args.steps + 1):
        # x, y (T, B): the next chunk of every lane, y one character ahead; first: the lanes
        # start over (the end of the text was reached), and so does the state
        x, y, first = lane_windows(train_ids, T, B, step - 1)
        logits, state = model.forward(x, None if first else state)   # state flows on to the next chunk...
        loss, dlogits = minirnn.softmax_cross_entropy(logits, y)
        model.backward(dlogits)                                 # ...but the gradient on it, returned
                                                                # as dstate0, is dropped: truncated BPTT
        grads = model.grads
        clip_grad_norm(grads, max_norm=5.0)                     # tames the occasional exploding gradient
        optimizer.step(grads)
        losses.append(loss)
        if step % max(args.steps // 5, 1) == 0:
            print(f"step {step:5d}  training loss {np.mean(losses):.3f} nats/char  "
                  f"({time.perf_counter() - start:.0f}s)")
            losses = []

    valid = evaluate(model, valid_ids, T, B)                    # nats per character, state carried
    unigram = unigram_entropy(valid_ids)
    print(f"validation loss {valid:.3f} nats/char; unigram entropy {unigram:.3f}; "
          f"uniform ln(V) {np.log(V):.3f}")

    for temperature in (0.0, 0.5, 1.0):
        text = generate(model, vocab, args.prompt, length=200, temperature=temperature,
                        seed=args.seed, stop_at_eos=False)
        label = "greedy" if temperature == 0 else f"temperature {temperature}"
        print(f"\n--- {label}:\n{args.prompt}{text}")
    print(f"\nRESULT valid_loss={valid:.3f} unigram_entropy={unigram:.3f} uniform={np.log(V):.3f}")


if __name__ == "__main__":
    main()
