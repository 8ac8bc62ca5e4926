"""Where beam search hurts: what each decoder writes with the default `minirnn train` model.

    python benchmarks/decoding_table.py --checkpoint runs/char-gru/checkpoint.npz
    python benchmarks/decoding_table.py --checkpoint ... --samples 5 --length 300

Every decoder writes ``--samples`` texts of ``--length`` tokens, one per prompt (and, when
it samples, one seed per prompt), without stopping at <eos> (written as a line break), so
that every text has the same length. For each the table gives the mean over the texts of

    bits/char       what the model itself thinks of the text it wrote: -log2 p(text | prompt)
                    per token, under its plain softmax (no temperature, no top-k/top-p)
    repeated 4-grams the share of the text's word 4-grams (words split on whitespace) that
                    already occurred earlier in the same text: 0 for no repetition, near 1
                    for a text that loops
    distinct words  distinct words / words in the text (distinct-1, Li et al. 2016)

and, as a reference, the same for as many held-out documents of the training corpus
(its validation part, the first ``--length`` tokens of each long enough document,
scored from the document's start).

Then it times beam search (5 beams) against greedy over ``--length`` tokens in the same
run, the two taking turns, and prints the ratio of their median times (issue 21's target:
at most 5).
"""
import argparse
import statistics
import time

import native_blas  # benchmarks/native_blas.py, beside this file

native_blas.use_native_blas()            # before NumPy loads OpenBLAS

import numpy as np  # noqa: E402

from minirnn.lm.decoding import beam_search, prime, sample  # noqa: E402
from minirnn.lm.model import load_data, load_model  # noqa: E402
from minirnn.lm.settings import DEFAULT_CHECKPOINT  # noqa: E402
from minirnn.losses import log_softmax  # noqa: E402
from minirnn.toolkit.threads import blas_threads  # noqa: E402
from minirnn.vocab import EOS  # noqa: E402

PROMPTS = ("The ", "Return ", "If the ", "This module ", "A ")

# name -> how it writes: beam search, or sample()'s options
DECODERS = {
    "greedy": {"temperature": 0},
    "beam 5": {"beam_size": 5},
    "temperature 0.8": {"temperature": 0.8},
    "top-k 40": {"temperature": 1.0, "top_k": 40},
    "top-p 0.9": {"temperature": 1.0, "top_p": 0.9},
    "temperature 1 (pure sampling)": {"temperature": 1.0},
}


def write(model, prompt_ids, length, seed, beam_size=None, **options):
    """ids (length,) that a decoder writes after the prompt, never stopping at <eos>."""
    logits, state = prime(model, prompt_ids)
    if beam_size is not None:
        return beam_search(model, logits, state, length, beam_size, stop_at_eos=False)
    return sample(model, logits, state, length, rng=np.random.default_rng(seed), stop_at_eos=False,
                  **options)


def bits_per_token(model, prompt_ids, ids):
    """-log2 p(ids | <eos> + prompt) per token, under the model's plain softmax."""
    inputs = np.concatenate([[EOS], prompt_ids, ids[:-1]]).astype(np.int64)[:, None]   # (T, 1)
    logits, _ = model.forward(inputs, None)                                         # (T, 1, V)
    logp = log_softmax(logits[len(prompt_ids):, 0].astype(np.float64))              # (n, V) nats
    return -logp[np.arange(len(ids)), ids].mean() / np.log(2)


def repeated_4grams(text):
    """Share of the word 4-grams that occurred before in the same text."""
    words = text.split()
    grams = [tuple(words[i:i + 4]) for i in range(len(words) - 3)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def distinct_words(text):
    """Distinct words / words."""
    words = text.split()
    return len(set(words)) / len(words) if words else 0.0


def held_out(data, count, length):
    """The first ``length`` tokens of the first ``count`` validation documents that long."""
    starts = np.flatnonzero(data.valid == EOS) + 1                       # each document's first token
    ends = np.append(starts[1:] - 1, data.valid.size)
    long_enough = [s for s, e in zip(starts, ends) if e - s >= length]
    return [data.valid[s:s + length] for s in long_enough[:count]]


def measure(model, vocab, texts):
    """[(prompt ids, written ids)] -> (bits/char, repeated 4-grams, distinct words), each a mean."""
    rows = [(bits_per_token(model, p, ids), repeated_4grams(vocab.decode(ids)),
             distinct_words(vocab.decode(ids))) for p, ids in texts]
    return tuple(np.mean(column) for column in zip(*rows))


def time_ratio(model, prompt_ids, length, repeats):
    """Median seconds of beam 5 and of greedy over ``length`` tokens, taking turns."""
    times = {"greedy": [], "beam 5": []}
    write(model, prompt_ids, 10, 0, temperature=0)                       # compile / warm up
    for _ in range(repeats):
        for name in times:
            began = time.perf_counter()
            write(model, prompt_ids, length, 0, **DECODERS[name])
            times[name].append(time.perf_counter() - began)
    return statistics.median(times["beam 5"]), statistics.median(times["greedy"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                        help=f"a `minirnn train` checkpoint (default {DEFAULT_CHECKPOINT})")
    parser.add_argument("--samples", type=int, default=5, help=f"texts per decoder, at most {len(PROMPTS)}")
    parser.add_argument("--length", type=int, default=300, help="tokens per text (default 300)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each of beam and greedy")
    native_blas.add_argument(parser)
    args = parser.parse_args()
    print(native_blas.describe())

    with blas_threads(1):
        model, vocab, checkpoint = load_model(args.checkpoint)
        settings = checkpoint.config["settings"]
        config = checkpoint.config
        print(f"checkpoint {args.checkpoint}: {config['model']['cell']} {config['model']['hidden_size']}, "
              f"{config['step']} steps, validation {config['valid_bits']:.4f} bits/char")
        prompts = [vocab.encode(p) for p in PROMPTS[:args.samples]]
        print(f"{args.samples} texts of {args.length} tokens per decoder, prompts "
              f"{', '.join(repr(p) for p in PROMPTS[:args.samples])}; samplers seeded 0..{args.samples - 1}\n")

        rows, examples = {}, {}
        for name, options in DECODERS.items():
            texts = [(p, write(model, p, args.length, seed, **options)) for seed, p in enumerate(prompts)]
            rows[name] = measure(model, vocab, texts)
            examples[name] = PROMPTS[0] + vocab.decode(texts[0][1])
        data = load_data(settings["text"], settings["level"], vocab=vocab)
        human = held_out(data, args.samples, args.length)
        rows["held-out text"] = measure(model, vocab, [(np.zeros(0, np.int64), ids) for ids in human])

        print("| decoder | bits/char (the model's own) | repeated word 4-grams | distinct words |")
        print("|---|---|---|---|")
        for name, (b, r, d) in rows.items():
            print(f"| {name} | {b:.3f} | {r:.3f} | {d:.3f} |")
        print()
        for name, text in examples.items():
            print(f"--- {name}:\n{text[:200]}\n")

        beam, greedy = time_ratio(model, prompts[0], args.length, args.repeats)
        print(f"time over {args.length} tokens, median of {args.repeats} taking turns: beam 5 {beam:.3f} s, "
              f"greedy {greedy:.3f} s, beam / greedy = {beam / greedy:.2f} (target <= 5)")


if __name__ == "__main__":
    main()
