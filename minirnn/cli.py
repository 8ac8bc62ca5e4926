"""The `minirnn` command (also `python -m minirnn`).

    minirnn train       train a language model on the built-in corpus (or --text FILE)
    minirnn sample      generate text from a checkpoint
    minirnn gradcheck   prove a layer's backward pass against finite differences
"""
import argparse
import math
import sys

import numpy as np

from .generate import generate
from .lm import load_model
from .threads import blas_threads
from .train import train_command
from .train_settings import DEFAULT_MINUTES, DEFAULTS, PROMPT, SAMPLE_LENGTH, WORD_MAX_VOCAB


# ---- argparse types: a bad value is refused with "invalid positive integer value: '0'" -----

def _number_arg(convert, name, allow_zero):
    """An argparse type: convert(text), refused unless finite and > 0 (>= 0 with allow_zero)."""
    def parse(text):
        value = convert(text)
        if not (math.isfinite(value) and (value >= 0 if allow_zero else value > 0)):
            raise ValueError(text)
        return value
    parse.__name__ = name                                  # argparse names the type in its error
    return parse


_positive_int_arg = _number_arg(int, "positive integer", allow_zero=False)
_positive_float_arg = _number_arg(float, "positive number", allow_zero=False)
_non_negative_int_arg = _number_arg(int, "integer >= 0", allow_zero=True)
_non_negative_float_arg = _number_arg(float, "number >= 0", allow_zero=True)


# ---- the commands (`minirnn train` is train.train_command) ----------------------------------

def sample_command(args):
    """`minirnn sample`: load a checkpoint, write from the prompt, print prompt and text."""
    with blas_threads(1):
        model, vocab, _ = load_model(args.checkpoint, backend=args.backend)
        text = generate(model, vocab, args.prompt, args.length, temperature=args.temperature,
                        top_k=args.top_k, seed=args.seed, stop_at_eos=not args.no_stop)
    print(args.prompt + text)
    return 0


def gradcheck_command(args):
    """Build a small random float64 layer, check every gradient, print the table."""
    from . import GRU, LSTM, RNN
    from .gradcheck import check_layer

    options = dict(num_layers=args.layers, bidirectional=args.bidirectional, backend=args.backend,
                   dropout=args.dropout, seed=args.seed)
    if args.cell == "rnn":
        layer = RNN(args.input_size, args.hidden_size, nonlinearity=args.nonlinearity, **options)
    else:
        layer = {"lstm": LSTM, "gru": GRU}[args.cell](args.input_size, args.hidden_size, **options)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.steps, args.batch, args.input_size))
    LD = args.layers * layer.num_directions
    states = tuple(rng.standard_normal((LD, args.batch, args.hidden_size)) for _ in layer.state_names)
    state = states if len(states) > 1 else states[0]
    lengths = rng.integers(1, args.steps + 1, args.batch) if args.packed else None

    print(f"{layer!r}")
    print(f"x: (T={args.steps}, B={args.batch}, I={args.input_size}), non-zero initial state"
          + (f", lengths {lengths.tolist()}" if lengths is not None else "")
          + f", seed {args.seed}")
    print("loss = sum(dy * y) + sum(dstate * final state), dy and dstate random\n")
    report = check_layer(layer, x, state, lengths=lengths, seed=args.seed, eps=args.eps,
                         max_entries=args.max_entries, rel_tol=args.tol)
    print(report)
    return 0 if report.passed() else 1


# ---- the parser ------------------------------------------------------------------------------

def add_train_arguments(p):
    d = DEFAULTS
    data = p.add_argument_group("data")
    data.add_argument("--text", metavar="FILE",
                      help="train on this UTF-8 text file (at least 1000 characters; the last 5%% "
                           "is validation) instead of the built-in corpus, the docstrings of "
                           "Python's standard library")
    data.add_argument("--level", choices=["char", "word"],
                      help="a token is a character, or a word with its leading space "
                           f"(default {d['level']})")
    data.add_argument("--max-vocab", type=_positive_int_arg, metavar="V",
                      help="keep at most V token ids, the 3 reserved ones included; rarer tokens "
                           f"become <unk> (default: all for char, {WORD_MAX_VOCAB} for word)")
    data.add_argument("--nchars", type=_positive_int_arg, metavar="T",
                      help=f"tokens per training window, the steps backpropagated through "
                           f"(default {d['nchars']})")

    model = p.add_argument_group("model: input -> recurrent layers -> Linear -> softmax")
    model.add_argument("--cell", choices=["lstm", "gru", "rnn"],
                       help=f"the recurrent cell (default {d['cell']})")
    model.add_argument("--layers", type=_positive_int_arg,
                       help=f"stacked recurrent layers (default {d['layers']})")
    model.add_argument("--hidden-size", type=_positive_int_arg, metavar="N",
                       help=f"hidden units per layer (default {d['hidden_size']})")
    model.add_argument("--input", choices=["embedding", "onehot"],
                       help="learned embedding vectors, or one-hot vectors of size V as in "
                            f"min-char-rnn (default {d['input']})")
    model.add_argument("--embed-size", type=_positive_int_arg, metavar="D",
                       help=f"embedding size, with --input embedding (default {d['embed_size']})")
    model.add_argument("--dropout", type=_non_negative_float_arg, metavar="P",
                       help="dropout probability between stacked layers, needs --layers 2 or "
                            f"more (default {d['dropout']})")
    model.add_argument("--dtype", choices=["float32", "float64"],
                       help=f"floating-point type of the weights (default {d['dtype']})")

    opt = p.add_argument_group("optimisation")
    opt.add_argument("--batch-size", type=_positive_int_arg, metavar="B",
                     help=f"windows per minibatch, drawn at random from the whole text "
                          f"(default {d['batch_size']})")
    opt.add_argument("--lr", type=_positive_float_arg, help=f"Adam's learning rate (default {d['lr']})")
    opt.add_argument("--clip", type=_positive_float_arg,
                     help=f"clip the gradients' global norm to this (default {d['clip']})")
    opt.add_argument("--steps", type=_positive_int_arg,
                     help="stop after this many steps in all (counting the steps of a resumed "
                          "run); with --minutes too, whichever comes first")
    opt.add_argument("--minutes", type=_positive_float_arg,
                     help="stop training after this many minutes, validation included "
                          f"(default {DEFAULT_MINUTES} when --steps is not given)")
    opt.add_argument("--seed", type=int,
                     help=f"seeds the weights, the batches, dropout and the samples (default {d['seed']})")

    report = p.add_argument_group("validation, samples, checkpoint")
    report.add_argument("--eval-every", type=_positive_int_arg, metavar="STEPS",
                        help="validate, print a sample and keep the checkpoint if best every this "
                             f"many steps (default {d['eval_every']}), and at the end")
    report.add_argument("--valid-tokens", type=_positive_int_arg, metavar="N",
                        help="validate on the first N tokens of the validation text (N >= 2), so "
                             f"that it takes seconds (default {d['valid_tokens']})")
    report.add_argument("--prompt",
                        help=f"the prompt of the samples (default {PROMPT['char']!r} for char, "
                             f"{PROMPT['word']!r} for word, or none when the text lacks it)")
    report.add_argument("--sample-length", type=_positive_int_arg, metavar="N",
                        help=f"tokens per closing sample (default {SAMPLE_LENGTH['char']} for char, "
                             f"{SAMPLE_LENGTH['word']} for word)")
    report.add_argument("--out", metavar="PATH",
                        help="the checkpoint file, kept at the best validation loss; the loss "
                             "curve goes beside it as <name>-loss.png (default "
                             "runs/<level>-<cell>/checkpoint.npz, or the --resume file)")
    report.add_argument("--resume", metavar="PATH",
                        help="continue the run saved in this checkpoint with its model, data and "
                             "optimiser settings; only --steps, --minutes, --eval-every, the "
                             "sample options and the machine options may be given anew")

    machine = p.add_argument_group("machine")
    machine.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                         help="numba kernels, or the numpy reference cells (slower) (default numba)")
    machine.add_argument("--threads", type=_positive_int_arg, default=1,
                         help="BLAS threads (default 1: the recurrent products are small, and on a "
                              "busy machine more threads wait for each other)")
    machine.add_argument("--progress", choices=["auto", "bar", "lines"], default="auto",
                         help="a tqdm progress bar, or a plain line every 15 s; auto: the bar on "
                              "a terminal when tqdm is installed (default auto)")
    p.set_defaults(run=train_command)


def add_sample_arguments(p):
    p.add_argument("--checkpoint", metavar="PATH", default="runs/char-lstm/checkpoint.npz",
                   help="a checkpoint written by `minirnn train` (default runs/char-lstm/checkpoint.npz)")
    p.add_argument("--prompt", default="",
                   help="the text to start from; the network reads it first (default: none, "
                        "start a new document)")
    p.add_argument("--temperature", type=_non_negative_float_arg, default=0.8, metavar="T",
                   help="0 for greedy (always the likeliest token); below 1 safer, above 1 "
                        "bolder (default 0.8)")
    p.add_argument("--top-k", type=_positive_int_arg, metavar="K",
                   help="sample only among the K likeliest tokens (default: all)")
    p.add_argument("--length", type=_non_negative_int_arg, default=500, metavar="N",
                   help="write at most N tokens (default 500)")
    p.add_argument("--seed", type=int, help="seed the sampling, to reproduce a text (default: random)")
    p.add_argument("--no-stop", action="store_true",
                   help="keep writing past the end of a document (<eos>, written as a line break) "
                        "instead of stopping there")
    p.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                   help="numba kernels, or the numpy reference cells (default numba)")
    p.set_defaults(run=sample_command)


def add_gradcheck_arguments(p):
    p.add_argument("cell", choices=["rnn", "lstm", "gru"], help="which cell to check")
    p.add_argument("--input-size", type=_positive_int_arg, default=3, help="I, features per step (default 3)")
    p.add_argument("--hidden-size", type=_positive_int_arg, default=4, help="N, hidden units (default 4)")
    p.add_argument("--steps", type=_positive_int_arg, default=5, help="T, time steps (default 5)")
    p.add_argument("--batch", type=_positive_int_arg, default=3, help="B, sequences (default 3)")
    p.add_argument("--layers", type=_positive_int_arg, default=1, help="stacked layers (default 1)")
    p.add_argument("--bidirectional", action="store_true", help="add a backward direction")
    p.add_argument("--packed", action="store_true", help="random sequence lengths in [1, T]")
    p.add_argument("--dropout", type=_non_negative_float_arg, default=0.0, help="dropout between layers (default 0)")
    p.add_argument("--nonlinearity", choices=["tanh", "relu"], default="tanh", help="for rnn (default tanh)")
    p.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                   help="numba kernels (default) or the numpy reference")
    p.add_argument("--eps", type=_positive_float_arg, default=1e-5, help="finite-difference step (default 1e-5)")
    p.add_argument("--max-entries", type=_positive_int_arg, default=None,
                   help="check a random sample of this many entries per array (default: all)")
    p.add_argument("--tol", type=_positive_float_arg, default=1e-7, help="relative error that fails (default 1e-7)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(run=gradcheck_command)


def build_parser():
    parser = argparse.ArgumentParser(prog="minirnn", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_train_arguments(commands.add_parser(
        "train", help="train a character- or word-level language model and print samples",
        description="Train a language model (Embedding -> recurrent layers -> Linear) with Adam and "
                    "gradient clipping; keep the checkpoint with the best validation loss; print samples."))
    add_sample_arguments(commands.add_parser(
        "sample", help="generate text from a checkpoint",
        description="Prime the network with a prompt, then generate one token at a time."))

    add_gradcheck_arguments(commands.add_parser(
        "gradcheck", help="check a layer's gradients against finite differences",
        description="Check every gradient of a small random layer (parameters, input, initial state) "
                    "against central finite differences in float64 and print one row per array. "
                    "Exits 1 if any array fails."))
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError) as e:     # one line, never a traceback
        print(f"minirnn {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
