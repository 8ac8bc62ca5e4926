"""What a `minirnn classify train` run is asked to do: its settings and the file it writes.

The settings come from the options given and the defaults below; a resumed run
(--resume) takes its checkpoint's, and only what may change (the budget, the test file,
the machine) from the command line. The checkpoint's path is checked before any
training, so a bad --out is refused at once, not after minutes of work.
"""
import os
import tempfile
from pathlib import Path

from minirnn.checkpoint import Checkpoint
from minirnn.classify.model import CHECKPOINT_KIND

# What `minirnn classify train` does when an option is not given. Chosen by measuring test
# accuracy on the built-in data set (README) after the default budget, on 2 busy cores;
# see the closing table of the README section "Classify your own text".
DEFAULTS = {
    # data
    "train": None, "valid": None, "test": None, "sep": None, "header": True,
    "label_column": None, "text_columns": None, "class_names": None, "ignore_unknown_labels": False,
    # tokens
    "level": "word", "max_vocab": 20_000, "min_count": 2, "max_length": 400,
    # model
    "embed_size": 64, "cell": "gru", "hidden_size": 64, "layers": 1, "bidirectional": True,
    "dropout": 0.0, "pool": "last", "dtype": "float32",
    # optimisation
    "batch_size": 32, "lr": 3e-3, "clip": 5.0, "epochs": None, "minutes": None, "seed": 0,
    # validation
    "eval_every": None,
}
DEFAULT_EPOCHS = 10            # the budget when neither --epochs nor --minutes is given
LEVELS = {"word": "basic_english", "char": "char"}     # --level -> the vocabulary's level
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
        try:
            checkpoint = Checkpoint(args.resume, kind=CHECKPOINT_KIND)
        except FileNotFoundError as error:
            raise ValueError(f"--resume: {error}") from None
        saved = checkpoint.config["settings"]
        changed = [f"--{key.replace('_', '-')} {given[key]!r} (saved: {saved[key]!r})"
                   for key in FIXED_ON_RESUME if key in given and given[key] != saved[key]]
        if changed:
            raise ValueError("a resumed run keeps its data, model and optimiser settings; "
                             "these differ from the checkpoint's: " + ", ".join(changed))
        settings = {**saved, **given}
        if "epochs" in given or "minutes" in given:      # a new budget replaces the saved one
            settings["epochs"], settings["minutes"] = given.get("epochs"), given.get("minutes")
    if settings["epochs"] is None and settings["minutes"] is None:
        settings["epochs"] = DEFAULT_EPOCHS
    return settings, checkpoint


def checkpoint_path(args):
    """Where the run writes its checkpoint, checked before training: its folder is made
    and must take a new file. Raises ValueError naming the option otherwise.
    """
    if args.out is not None:
        option, out = "--out", Path(args.out)
    elif args.resume is not None:
        option, out = "--resume", Path(args.resume)
    else:
        option, out = "the default --out", Path("runs/classifier/checkpoint.npz")
    where = f"{option} {str(out)!r}"
    try:
        if out.is_dir():
            raise ValueError(f"{where} is a directory; give a file name, e.g. {str(out / 'checkpoint.npz')!r}")
        folder = out.parent
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not existing.is_dir():
            raise ValueError(f"{where}: {str(existing)!r} is not a directory")
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):      # can a file be written there?
            pass
    except OSError as error:
        raise ValueError(f"{where}: cannot write a file in {str(out.parent)!r} "
                         f"({error.strerror or error})") from None
    return out
