"""Lesson: sequence-to-sequence, an encoder's final state is the decoder's starting state.

A toy translation from English number words to digits, where word order and structure
matter ("forty two" is not "two forty", and a missing hundreds word becomes a 0):

    "three thousand forty two"   ->  "3042"
    "nine hundred"               ->  "900"

Two recurrent networks, each with its own weights:

    encoder:  words -> Embedding -> LSTM, read to the end; only its final state (h, c) is kept
    decoder:  that state as its initial state; previous digit -> Embedding -> LSTM -> Linear

The whole input must squeeze through the encoder's final state: it is the only thing the
decoder knows about the sentence. Training uses teacher forcing (the decoder is fed the
true previous digit, starting from <eos>) and the loss is softmax cross-entropy over the
digits. Backward runs in reverse: the decoder's backward returns the gradient on its
initial state, dstate0, which is exactly the gradient on the encoder's final state, so
it goes into the encoder's backward as dstate (the encoder's outputs y get none).
Inputs have 1 to 6 words, outputs 1 to 4 digits: both sides are padded and given
`lengths`, so each encoder state is taken after its own last word.

At test time the decoder writes in two ways. Greedily: its likeliest digit, fed back in,
until <eos>. And by beam search (minirnn.lm.decoding.beam_search, as `minirnn sample
--beam`): it keeps the 5 likeliest partial translations, so an early digit that looked
second best can still win when the digits after it make the whole likelier. Greedy
commits to each digit for good. Translation has one right answer, and beam search is
its standard decoder.

What you should see: on 1000 numbers held out from training, nearly every translation
exactly right after the default run (exact-match accuracy above 0.95), greedy and beam
search alike. While the model is still unsure (the first reports, or --quick), beam search
gets more numbers exactly right than greedy: where the two disagree, beam search is
right more often.

Run:  python examples/05_seq2seq.py [--quick] [--seed 0] [--beam 5]
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before NumPy loads: see examples/README.md

import argparse
import time

import numpy as np

import minirnn
from minirnn.clip import clip_grad_norm
from minirnn.lm.decoding import beam_search
from minirnn.sequential import Sequential
from minirnn.optim import Adam
from minirnn.vocab import EOS, PAD, Vocabulary

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " \
       "fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def in_words(n):
    """0 <= n <= 9999 as a list of English words: 3042 -> ['three', 'thousand', 'forty', 'two']."""
    thousands, hundreds, rest = n // 1000, n // 100 % 10, n % 100
    words = [ONES[thousands], "thousand"] if thousands else []
    words += [ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        words += [TENS[rest // 10]] + ([ONES[rest % 10]] if rest % 10 else [])
    elif rest or not words:
        words += [ONES[rest]]
    return words


def padded(sequences, start=None, end=None):
    """Lists of ids -> (T, B) int64 padded with PAD, and lengths (B,); start/end ids added if given."""
    head = [] if start is None else [start]
    tail = [] if end is None else [end]
    sequences = [head + list(s) + tail for s in sequences]
    lengths = np.array([len(s) for s in sequences])
    ids = np.full((lengths.max(), len(sequences)), PAD, dtype=np.int64)   # (T, B)
    for b, s in enumerate(sequences):
        ids[:len(s), b] = s
    return ids, lengths


class Seq2Seq:
    """Two LSTMs with their own weights: the encoder's final state is the decoder's initial state."""

    def __init__(self, V_in, V_out, embed_size, hidden_size, seed):
        self.encoder = Sequential(embed=minirnn.Embedding(V_in, embed_size, seed=seed),
                                  rnn=minirnn.LSTM(embed_size, hidden_size, seed=seed))
        self.decoder = Sequential(embed=minirnn.Embedding(V_out, embed_size, seed=seed + 1),
                                  rnn=minirnn.LSTM(embed_size, hidden_size, seed=seed + 1),
                                  head=minirnn.Linear(hidden_size, V_out, seed=seed + 1))

    def params(self):
        return {**{f"encoder.{k}": v for k, v in self.encoder.params.items()},
                **{f"decoder.{k}": v for k, v in self.decoder.params.items()}}

    def grads(self):
        return {**{f"encoder.{k}": v for k, v in self.encoder.grads.items()},
                **{f"decoder.{k}": v for k, v in self.decoder.grads.items()}}

    def loss_and_backward(self, source, source_lengths, digits):
        """source (T_in, B) word ids, digits B lists of digit ids -> mean loss per digit; fills grads."""
        y, state = self.encoder.forward(source, lengths=source_lengths)       # (h, c), each (1, B, N)
        inputs, lengths = padded(digits, start=EOS)                           # <eos> 3 0 4 2
        targets, _ = padded(digits, end=EOS)                                  # 3 0 4 2 <eos>
        mask = np.arange(len(targets))[:, None] < lengths                      # (T_out, B) real steps
        logits, _ = self.decoder.forward(inputs, state, lengths=lengths)       # (T_out, B, V_out)
        loss, dlogits = minirnn.softmax_cross_entropy(logits, targets, mask)
        _, dstate0 = self.decoder.backward(dlogits)        # gradient on the decoder's initial state
        self.encoder.backward(np.zeros_like(y), dstate0)   # = on the encoder's final state
        return loss

    def translate(self, source, source_lengths, max_len=8):
        """Greedy decoding: source (T_in, B) -> B lists of output ids, <eos> not included."""
        _, state = self.encoder.forward(source, lengths=source_lengths)
        token = np.full((1, source.shape[1]), EOS, dtype=np.int64)             # (1, B)
        written = []
        for _ in range(max_len):
            logits, state = self.decoder.forward(token, state)                  # (1, B, V_out)
            token = logits.argmax(axis=-1)                                       # (1, B) likeliest
            written.append(token[0])
        outputs = []
        for row in np.array(written).T:                                          # (B, max_len)
            end = np.flatnonzero(row == EOS)
            outputs.append(row[:end[0]] if end.size else row)
        return outputs

    def translate_beam(self, source, source_lengths, beam_size, max_len=8):
        """Beam search, one sentence at a time (its beams are the decoder's batch): the same
        ``beam_search`` as `minirnn sample --beam`. source (T_in, B) -> B lists of output ids."""
        _, states = self.encoder.forward(source, lengths=source_lengths)         # (h, c), each (1, B, N)
        outputs = []
        for b in range(source.shape[1]):
            state = tuple(s[:, b:b + 1] for s in states)                         # this sentence's (1, 1, N)
            logits, state = self.decoder.forward(np.array([[EOS]]), state)       # the first digit's logits
            outputs.append(beam_search(self.decoder, logits[-1], state, max_len, beam_size))
        return outputs


def main():
    from minirnn.toolkit import argtypes as types   # the library's checked argument types
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds of training")
    parser.add_argument("--seed", type=types.seed, default=0)
    parser.add_argument("--steps", type=types.positive_int, default=None, help="training steps (default 600, quick 100)")
    parser.add_argument("--batch-size", type=types.positive_int, default=64)
    parser.add_argument("--hidden", type=types.positive_int, default=128)
    parser.add_argument("--lr", type=types.positive_float, default=5e-3)
    parser.add_argument("--beam", type=types.positive_int, default=5, help="beam size (default 5)")
    args = parser.parse_args()
    if args.steps is None:
        args.steps = 100 if args.quick else 600

    rng = np.random.default_rng(args.seed)
    numbers = rng.permutation(10000)
    train_numbers, test_numbers = numbers[1000:], numbers[:1000]          # 1000 never seen in training
    words = Vocabulary(sorted({w for n in range(10000) for w in in_words(n)}), level="word")
    digits = Vocabulary(list("0123456789"), level="char")
    source = lambda ns: padded([words.encode(in_words(n)) for n in ns])   # (T_in, B), lengths
    target = lambda ns: [digits.encode(str(n)) for n in ns]
    model = Seq2Seq(len(words), len(digits), embed_size=32, hidden_size=args.hidden, seed=args.seed)
    optimizer = Adam(model.params(), lr=args.lr)
    print(f"9000 training pairs, 1000 held out; {len(words)} input words, {len(digits)} output tokens")

    def exact(translations, numbers):
        """Share of numbers translated exactly right, and the translations as text."""
        texts = [digits.decode(ids) for ids in translations]
        return np.mean([text == str(n) for n, text in zip(numbers, texts)]), texts

    start, losses = time.perf_counter(), []
    for step in range(1, args.steps + 1):
        chosen = rng.choice(train_numbers, size=args.batch_size, replace=False)
        losses.append(model.loss_and_backward(*source(chosen), target(chosen)))
        grads = model.grads()
        clip_grad_norm(grads, max_norm=5.0)
        optimizer.step(grads)
        if step % max(args.steps // 5, 1) == 0:
            some = test_numbers[:200]                    # a quick look on 200 held-out numbers
            greedy, _ = exact(model.translate(*source(some)), some)
            beam, _ = exact(model.translate_beam(*source(some), args.beam), some)
            print(f"step {step:5d}  loss per digit {np.mean(losses):.3f}  exact on 200 held out: "
                  f"greedy {greedy:.3f}, beam {beam:.3f}  ({time.perf_counter() - start:.0f}s)")
            losses = []

    right, written = exact(model.translate(*source(test_numbers)), test_numbers)
    beam_right, beam_written = exact(model.translate_beam(*source(test_numbers), args.beam), test_numbers)
    for n, text in list(zip(test_numbers, written))[:6]:
        print(f"  {' '.join(in_words(n))!r:45} -> {text!r}" + ("" if text == str(n) else f"   (should be '{n}')"))
    differ = [(n, g, b) for n, g, b in zip(test_numbers, written, beam_written) if g != b]
    print(f"greedy and beam search ({args.beam}) disagree on {len(differ)} of {len(test_numbers)}: "
          f"beam right on {sum(b == str(n) for n, g, b in differ)}, greedy right on "
          f"{sum(g == str(n) for n, g, b in differ)}")
    for n, g, b in differ[:4]:
        print(f"  {' '.join(in_words(n))!r:45} -> greedy {g!r}, beam {b!r}")
    # a digit is right when it matches the true one at the same place (the strings compared
    # left-aligned); chance is 1 in 10 per digit
    digit_right = [a == b for n, text in zip(test_numbers, written) for a, b in zip(text, str(n))]
    digit_total = sum(len(str(n)) for n in test_numbers)
    print(f"RESULT exact={right:.3f} beam_exact={beam_right:.3f} beam={args.beam} differ={len(differ)} "
          f"digit_accuracy={sum(digit_right) / digit_total:.3f} digit_chance=0.100 "
          f"held_out={len(test_numbers)}")


if __name__ == "__main__":
    main()
