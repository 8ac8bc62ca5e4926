"""The `minirnn` command (also `python -m minirnn`).

    minirnn train       train a language model on the built-in corpus (or --text FILE)
    minirnn sample      generate text from a checkpoint
    minirnn classify    train, evaluate and apply a text classifier (dataset | train | evaluate | predict)
    minirnn gradcheck   prove a layer's backward pass against finite differences

Each job keeps its own options beside its code (minirnn/lm/cli.py for train and sample);
this file gathers them into one parser, and holds the engine's own command, gradcheck.
"""
import argparse
import sys

import numpy as np

from minirnn import arguments as types
from minirnn.classify import cli as classify_cli
from minirnn.lm import cli as lm_cli


# ---- `minirnn gradcheck` ---------------------------------------------------------------------

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

def add_gradcheck_arguments(p):
    p.add_argument("cell", choices=["rnn", "lstm", "gru"], help="which cell to check")
    p.add_argument("--input-size", type=types.positive_int, default=3, help="I, features per step (default 3)")
    p.add_argument("--hidden-size", type=types.positive_int, default=4, help="N, hidden units (default 4)")
    p.add_argument("--steps", type=types.positive_int, default=5, help="T, time steps (default 5)")
    p.add_argument("--batch", type=types.positive_int, default=3, help="B, sequences (default 3)")
    p.add_argument("--layers", type=types.positive_int, default=1, help="stacked layers (default 1)")
    p.add_argument("--bidirectional", action="store_true", help="add a backward direction")
    p.add_argument("--packed", action="store_true", help="random sequence lengths in [1, T]")
    p.add_argument("--dropout", type=types.non_negative_float, default=0.0, help="dropout between layers (default 0)")
    p.add_argument("--nonlinearity", choices=["tanh", "relu"], default="tanh", help="for rnn (default tanh)")
    p.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                   help="numba kernels (default) or the numpy reference")
    p.add_argument("--eps", type=types.positive_float, default=1e-5, help="finite-difference step (default 1e-5)")
    p.add_argument("--max-entries", type=types.positive_int, default=None,
                   help="check a random sample of this many entries per array (default: all)")
    p.add_argument("--tol", type=types.positive_float, default=1e-7, help="relative error that fails (default 1e-7)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(run=gradcheck_command)


def build_parser():
    parser = argparse.ArgumentParser(prog="minirnn", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    lm_cli.add_train_arguments(commands.add_parser(
        "train", help="train a character- or word-level language model and print samples",
        description="Train a language model (Embedding -> recurrent layers -> Linear) with Adam and "
                    "gradient clipping; keep the checkpoint with the best validation loss; print samples."))
    lm_cli.add_sample_arguments(commands.add_parser(
        "sample", help="generate text from a checkpoint",
        description="Prime the network with a prompt, then generate one token at a time."))
    classify_cli.add_classify_arguments(commands.add_parser(
        "classify", help="classify labelled text: dataset | train | evaluate | predict",
        description="Many-to-one: train Embedding -> recurrent layers -> Linear on labelled text "
                    "(CSV or TSV), evaluate it, and classify new text."))

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
