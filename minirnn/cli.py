"""The `minirnn` command (also `python -m minirnn`).

    minirnn train       train a language model on the built-in corpus (or --text FILE)
    minirnn sample      generate text from a checkpoint
    minirnn classify    train, evaluate and apply a text classifier (dataset | train | evaluate | predict)
    minirnn inspect     see inside a trained language model: units, gates, predictions
    minirnn gradcheck   prove a layer's backward pass against finite differences

Each job keeps its own options beside its code (minirnn/lm/cli.py for train and sample);
this file gathers them into one parser, and holds the engine's own command, gradcheck.
"""
import argparse
import os
import sys
import textwrap
import warnings

import numpy as np

from minirnn.toolkit import argtypes as types
from minirnn.toolkit.atomic import check_writable
from minirnn.toolkit.textfile import tolerant_output
from minirnn.classify import cli as classify_cli
from minirnn.inspect import cli as inspect_cli
from minirnn.lm import cli as lm_cli


# ---- `minirnn gradcheck` ---------------------------------------------------------------------

def gradcheck_command(args):
    """Build a small random layer, check every gradient and print the table (or, with
    --sweep-eps, the error of the finite differences against eps)."""
    from .toolkit.gradcheck.layer import FLOAT32_REASON, FLOAT32_REL_TOL, check_layer
    from .toolkit.gradcheck.sweep import plot_sweep, sweep_eps

    layer = _gradcheck_layer(args)
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
    if args.sweep_eps:
        sweep = sweep_eps(layer, x, state, lengths=lengths, seed=args.seed, max_entries=args.max_entries)
        print(sweep)
        if args.plot:
            plot_sweep(sweep, args.plot)
            print(f"\nplot written to {args.plot}")
        return 0 if sweep.minimum("float64")[1] <= (args.tol or 1e-7) else 1
    if layer.dtype == np.float32:
        print(textwrap.fill("float32: the layer's own float32 backward pass, against the central "
                            "differences of its float64 twin at the same point. Tolerance "
                            f"{FLOAT32_REL_TOL:.0e} by default, because {FLOAT32_REASON}.", 92) + "\n")
    options = {} if args.tol is None else {"rel_tol": args.tol}
    report = check_layer(layer, x, state, lengths=lengths, seed=args.seed, eps=args.eps,
                         max_entries=args.max_entries, **options)
    print(report)
    return 0 if report.passed() else 1


def _gradcheck_layer(args):
    """The layer to check: a built-in cell, or a cell of your own (--cell MODULE:NAME)."""
    from . import GRU, LSTM, RNN
    from .cells.sequence import CellLayer

    _check_gradcheck_options(args)
    dtype = np.float32 if args.dtype == "float32" else np.float64
    options = dict(num_layers=args.layers, bidirectional=args.bidirectional, dropout=args.dropout,
                   seed=args.seed, dtype=dtype)
    if args.custom_cell:
        return CellLayer(load_cell(args.custom_cell), args.input_size, args.hidden_size, **options)
    options["backend"] = args.backend or "numba"
    if args.cell == "rnn":
        return RNN(args.input_size, args.hidden_size, nonlinearity=args.nonlinearity or "tanh", **options)
    return {"lstm": LSTM, "gru": GRU}[args.cell](args.input_size, args.hidden_size, **options)


def load_cell(spec):
    """'MODULE:NAME' (a module on the path or in the current folder) or 'FILE.py:NAME' ->
    the object NAME in it. Raises ValueError naming what is missing."""
    import importlib
    import importlib.util
    import os

    source, _, name = spec.rpartition(":")
    if not source or not name:
        raise ValueError(f"--cell: expected MODULE:NAME or FILE.py:NAME, got {spec!r}")
    if source.endswith(".py") or os.sep in source or "/" in source:
        if not os.path.isfile(source):
            raise ValueError(f"--cell: no file {source!r}")
        if not source.endswith(".py"):                    # importlib finds no loader for other names
            raise ValueError(f"--cell: {source!r} is not a Python file; expected path/to/file.py:{name}")
        module_spec = importlib.util.spec_from_file_location("_minirnn_user_cell", source)
        module = importlib.util.module_from_spec(module_spec)
        try:
            module_spec.loader.exec_module(module)
        except SyntaxError as e:
            raise ValueError(_syntax_error(e)) from None
    else:
        sys.path.insert(0, os.getcwd())                   # as `python -m` would: the current folder first
        try:
            module = importlib.import_module(source)
        except SyntaxError as e:
            raise ValueError(_syntax_error(e)) from None
        except ModuleNotFoundError as e:
            if e.name != source.split(".")[0] and e.name != source:
                raise ValueError(f"--cell: importing {source!r} failed: {e}") from None
            raise ValueError(f"--cell: no module named {source!r} (looked in the current folder "
                             f"and on the Python path; a file is given as path/to/file.py:{name})") from None
        finally:
            sys.path.remove(os.getcwd())
    if not hasattr(module, name):
        found = [n for n in vars(module) if not n.startswith("_") and hasattr(getattr(module, n), "step_forward")]
        raise ValueError(f"--cell: {source!r} has no {name!r}"
                         + (f"; its cells: {', '.join(found)}" if found else ""))
    return getattr(module, name)


def _syntax_error(e):
    """One line for a cell file that Python cannot read: the file, the line, the message."""
    return f"--cell: a syntax error in {e.filename}, line {e.lineno}: {e.msg}"


def _check_gradcheck_options(args):
    if (args.cell is None) == (args.custom_cell is None):
        raise ValueError("give one cell: rnn, lstm or gru, or --cell MODULE:NAME for a cell of your own"
                         if args.cell is None else f"give either {args.cell} or --cell {args.custom_cell}, not both")
    if args.nonlinearity and args.cell != "rnn":          # lstm, gru and your own cell have theirs built in
        raise ValueError(f"--nonlinearity {args.nonlinearity} chooses the rnn cell's: "
                         f"{args.cell or 'a cell of your own'} has its own; leave it out")
    if args.dropout and args.layers == 1:
        raise ValueError(f"--dropout {args.dropout:g} acts between stacked layers; with --layers 1 it "
                         f"would do nothing: give --layers 2 or more, or leave it out")
    if args.custom_cell and args.backend == "numba":
        raise ValueError("--backend numba: a cell of your own runs on the NumPy loop only (leave out --backend)")
    if args.plot and not args.sweep_eps:
        raise ValueError("--plot draws the eps sweep: add --sweep-eps")
    if args.plot:
        cell_file = (args.custom_cell or "").rpartition(":")[0] or None       # FILE.py of --cell FILE.py:NAME
        check_writable(args.plot, f"--plot {args.plot!r}", inputs=[("--cell", cell_file)], example="sweep.png")
    if args.sweep_eps and args.dtype == "float32":
        raise ValueError("--sweep-eps measures float64 and float32 both: leave out --dtype")


# ---- the parser ------------------------------------------------------------------------------

def add_gradcheck_arguments(p):
    p.add_argument("cell", nargs="?", choices=["rnn", "lstm", "gru"], help="which cell to check")
    p.add_argument("--cell", dest="custom_cell", metavar="MODULE:NAME",
                   help="check a cell of your own instead: NAME in a module or in a file "
                        "(path/to/file.py:NAME); the protocol is in minirnn/cells/sequence.py")
    p.add_argument("--input-size", type=types.positive_int, default=3, help="I, features per step (default 3)")
    p.add_argument("--hidden-size", type=types.positive_int, default=4, help="N, hidden units (default 4)")
    p.add_argument("--steps", type=types.positive_int, default=5, help="T, time steps (default 5)")
    p.add_argument("--batch", type=types.positive_int, default=3, help="B, sequences (default 3)")
    p.add_argument("--layers", type=types.positive_int, default=1, help="stacked layers (default 1)")
    p.add_argument("--bidirectional", action="store_true", help="add a backward direction")
    p.add_argument("--packed", action="store_true", help="random sequence lengths in [1, T]")
    p.add_argument("--dropout", type=types.probability, default=0.0, help="dropout between layers (default 0)")
    p.add_argument("--nonlinearity", choices=["tanh", "relu"], default=None, help="for rnn (default tanh)")
    p.add_argument("--backend", choices=["numba", "numpy"], default=None,
                   help="numba kernels (default) or the numpy reference")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                   help="float32: the float32 backward pass against float64 finite differences (default float64)")
    p.add_argument("--eps", type=types.float_in(0, 1), default=1e-5,
                   help="finite-difference step, in (0, 1] (default 1e-5)")
    p.add_argument("--max-entries", type=types.positive_int, default=None,
                   help="check a random sample of this many entries per array (default: all)")
    p.add_argument("--tol", type=types.positive_float, default=None,
                   help="relative error that fails (default 1e-7; 1e-3 with --dtype float32)")
    p.add_argument("--sweep-eps", action="store_true",
                   help="instead of one check, the largest relative error of each array for eps from "
                        "1e-1 to 1e-10, in float64 and float32, and why it draws a V")
    p.add_argument("--plot", metavar="FILE", help="with --sweep-eps: draw the sweep to this PNG")
    p.add_argument("--seed", type=types.seed, default=0, help="random seed (default 0)")
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

    inspect_cli.add_inspect_arguments(commands.add_parser(
        "inspect", help="see inside a trained language model: units, gates, predictions",
        description="Run a language model over a text and write a self-contained HTML page that "
                    "colours the text by any unit (h, c or a gate), the units that track quotes, "
                    "brackets or the position in a line, and how often each gate saturates."))

    add_gradcheck_arguments(commands.add_parser(
        "gradcheck", help="check a layer's gradients against finite differences",
        description="Check every gradient of a small random layer (parameters, input, initial state) "
                    "against central finite differences in float64 and print one row per array; "
                    "entries next to a kink (relu) are skipped and counted. Exits 1 if any array "
                    "fails. --sweep-eps shows how the error depends on eps; --cell checks a cell of "
                    "your own."))
    return parser


def _one_line_warnings(name, show):
    """A warnings.showwarning that prints our own warnings (a UserWarning, such as the
    classifier's data.DataWarning: a file that reads, but maybe not as meant) as one line
    "minirnn classify: warning: ...", and leaves the others to ``show``."""
    def showwarning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, UserWarning):
            print(f"{name}: warning: {message}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)
    return showwarning


def _joined_negative_numbers(argv):
    """argv with '--opt -1e-5' written '--opt=-1e-5'. Python 3.11's argparse takes a value that
    starts with '-' for an option unless it looks like -5 or -.5, so '--eps -1e-5' stopped at
    "expected one argument" instead of reaching --eps's own check of the value."""
    out = []
    for arg in argv:
        previous = out[-1] if out else ""
        if previous.startswith("--") and "=" not in previous and arg.startswith("-") and _is_number(arg):
            out[-1] = f"{previous}={arg}"
        else:
            out.append(arg)
    return out


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def main(argv=None):
    argv = _joined_negative_numbers(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    name = f"minirnn {args.command}"
    try:
        # any text reaches the terminal: a file name's stray bytes, an 'é' on an ASCII terminal
        with tolerant_output(), warnings.catch_warnings():
            warnings.showwarning = _one_line_warnings(name, warnings.showwarning)
            return args.run(args)
    except KeyboardInterrupt:    # Ctrl-C anywhere else (train keeps its best checkpoint itself)
        print(f"{name}: interrupted", file=sys.stderr)
        return 130               # 128 + SIGINT, as a shell reports Ctrl-C
    except BrokenPipeError:      # the reader stopped early (`... | head`): not an error of ours
        # as the Python docs advise (library/signal.html, "Note on SIGPIPE"): send what is still
        # buffered to devnull, so that the interpreter's flush at exit does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ValueError, TypeError, OSError, FloatingPointError) as e:     # one line, never a traceback
        print(f"{name}: error: {e}", file=sys.stderr)
        return 2
    except MemoryError:          # NumPy's "Unable to allocate 894. GiB for an array with shape ...": name ours
        given = [f"--{key.replace('_', '-')} {getattr(args, key)}" for key in SIZE_OPTIONS
                 if getattr(args, key, None) is not None]
        print(f"{name}: error: out of memory; give smaller sizes"
              + (f" (given: {', '.join(given)})" if given else ""), file=sys.stderr)
        return 2


# the options that set how much memory a command takes, named when it runs out
SIZE_OPTIONS = ("hidden_size", "embed_size", "input_size", "layers", "batch_size", "batch", "nchars",
                "steps", "beam", "length", "chars", "max_vocab", "max_length")


if __name__ == "__main__":
    sys.exit(main())
