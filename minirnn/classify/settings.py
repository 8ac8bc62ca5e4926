"""What a `minirnn classify train` run is asked to do: its settings and the file it writes.

The settings come from the options given and the defaults below; a resumed run
(--resume) takes its checkpoint's, and only what may change (the budget, the test file,
the machine) from the command line. The checkpoint's path is checked before any
training, so a bad --out is refused at once, not after minutes of work.
"""
import os

from minirnn.toolkit.atomic import check_writable
from minirnn.toolkit.checkpoint import Checkpoint
from minirnn.classify.evaluate import confusion_plot_path
from minirnn.classify.model import CHECKPOINT_KIND

# What `minirnn classify train` does when an option is not given. Chosen on the built-in data set
# (docs/classify.md), 10 epochs, 1 BLAS thread on 2 cores shared with other jobs; best validation and the
# test accuracy of that checkpoint (the test set has 488 documents: +-0.013 is one standard error):
#   pool  dropout  embed  hidden  batch  lr     seed  valid  test    train s
#   last  0        64     64      32     3e-3   0     0.832  0.847   67   (learns the training set by heart)
#   last  0.5      64     64      32     3e-3   0     0.867  0.836   84
#   mean  0        64     64      32     3e-3   0     0.888  0.883  105
#   mean  0        64     64      32     1e-3   0     0.842  0.863  125
#   mean  0.5      64     64      32     3e-3   0     0.883  0.879  122
#   mean  0.5      128    64      32     3e-3   0     0.893  0.908  239
#   mean  0.5      128    64      32     2e-3   0     0.867  0.895   44
#   mean  0.5      128    64      16     3e-3   0     0.913  0.912   55
#   mean  0.5      128    64      16     3e-3   1     0.893  0.887   41
#   mean  0.5      128    128     16     3e-3   0     0.908  0.900  165
#   mean  0.5      128    128     16     3e-3   1     0.893  0.918  101
#   mean  0.5      128    128     32     3e-3   0     0.913  0.910  101   <- the default
#   (LSTM instead of GRU, mean 0.5 128 64 32: 0.893 0.908; the times vary with the machine's load)
DEFAULTS = {
    # data
    "train": None, "valid": None, "test": None, "sep": None, "quotes": None, "header": True,
    "label_column": None, "text_columns": None, "class_names": None, "ignore_unknown_labels": False,
    # tokens
    "level": "word", "max_vocab": 20_000, "min_count": 2, "max_length": 400,
    # model
    "embed_size": 128, "cell": "gru", "hidden_size": 128, "layers": 1, "bidirectional": True,
    "dropout": 0.5, "pool": "mean", "dtype": "float32",
    # optimisation
    "batch_size": 32, "lr": 3e-3, "clip": 5.0, "epochs": None, "minutes": None, "seed": 0,
    # validation
    "eval_every": None,
}
DEFAULT_EPOCHS = 10            # the budget when neither --epochs nor --minutes is given
LEVELS = {"word": "basic_english", "char": "char"}     # --level -> the vocabulary's level
DEFAULT_CHECKPOINT = "runs/classifier/checkpoint.npz"   # what train writes, evaluate and predict read
# a resumed run keeps these as they were: changing one would make it another run
FIXED_ON_RESUME = tuple(key for key in DEFAULTS if key not in ("test", "epochs", "minutes", "eval_every"))


def resolve_settings(args):
    """The run's settings: the options given, the defaults for the rest; on --resume the
    checkpoint's, with only what may change taken from the command line.

    Returns (settings dict, the Checkpoint to resume from or None).
    """
    given = {key: getattr(args, key) for key in DEFAULTS if getattr(args, key, None) is not None}
    for key in ("train", "valid", "test", "class_names"):      # a resumed run may start elsewhere
        if given.get(key) is not None:
            given[key] = os.path.abspath(given[key])
    if "text_columns" in given:
        given["text_columns"] = list(given["text_columns"])
    if args.resume is None:
        if "train" not in given:
            raise ValueError("--train FILE is required: a CSV or TSV file of labelled text "
                             "(or --resume a checkpoint)")
        settings, checkpoint = {**DEFAULTS, **given}, None
    else:
        checkpoint, settings = Checkpoint.resume(args.resume, CHECKPOINT_KIND, DEFAULTS, given,
                                                 FIXED_ON_RESUME, budget=("epochs", "minutes"))
    if settings["epochs"] is None and settings["minutes"] is None:
        settings["epochs"] = DEFAULT_EPOCHS
    return settings, checkpoint


def checkpoint_path(args, settings):
    """Where the run writes its checkpoint, checked before training with the confusion
    matrix named after it: its folder is made and must take both files, whose names must
    fit, and neither may be one of the run's input files (``settings``'). Raises
    ValueError naming the option otherwise.
    """
    if args.out is not None:
        option, out = "--out", args.out               # str: Path('') would read as '.'
    elif args.resume is not None:
        option, out = "--resume", args.resume
    else:
        option, out = "the default --out", DEFAULT_CHECKPOINT
    inputs = [(f"--{key.replace('_', '-')}", settings[key]) for key in ("train", "valid", "test", "class_names")]
    out = check_writable(out, f"{option} {str(out)!r}", inputs)
    plot = confusion_plot_path(out)
    check_writable(plot, f"the confusion matrix {str(plot)!r} (named after {option})", inputs)
    return out
