"""What a `minirnn train` run is asked to do: its settings and the file it writes.

The settings come from the options given and the defaults below; a resumed run
(--resume) takes its checkpoint's, and only what may change (the budget, the samples)
from the command line. The checkpoint's path is checked before any training, so a
bad --out is refused at once, not after minutes of work.
"""
import os
from pathlib import Path

from minirnn.toolkit.atomic import check_writable
from minirnn.toolkit.checkpoint import Checkpoint
from minirnn.lm.decoding import prompt_policy
from minirnn.lm.model import CHECKPOINT_KIND
from minirnn.lm.report import loss_plot_path

# What `minirnn train` does when an option is not given, picked by measuring the best
# validation bits/char after the default 2.5 minutes (one BLAS thread), batches of 32 windows
# of 50 characters, embedding 64.
#
# The cell and its size: every run with the kernels of 2026-11-30 on this project's 2-core
# AMD EPYC (AVX2), one run after the other on an otherwise idle machine, seed 0 (and seed 1
# for the two best):
#   cell  N     lr     bits/char          steps   tokens/s
#   LSTM  192   5e-3   2.053              3,259   37k
#   LSTM  256   5e-3   2.033  (2.042)     2,247   26k     the default until then
#   LSTM  256   3e-3   2.040              2,259   26k
#   LSTM  320   5e-3   2.049              1,624   19k
#   GRU   256   5e-3   2.122              2,874   33k     5e-3 is too fast for the GRU: its
#   GRU   320   5e-3   2.167              1,962   22k     validation loss stops improving
#   GRU   384   5e-3   2.176              1,570   18k     after a third of the run
#   GRU   256   3e-3   2.050              2,838   32k
#   GRU   256   2e-3   2.039              2,704   31k
#   GRU   320   2e-3   2.033              1,948   22k
#   GRU   384   2e-3   2.031  (2.013)     1,465   17k     <- the default: 0.015 bits/char below
#   GRU   384   3e-3   2.054              1,467   17k        LSTM 256 over the two seeds
#   GRU   448   2e-3   2.054              1,104   13k
# Earlier, with the LSTM only (a busier machine), the window length and the rate:
#   LSTM N   T (nchars)   lr     bits/char   tokens/s
#   128      100          3e-3   2.118       73k
#   192      100          3e-3   2.070       44k
#   256      100          3e-3   2.065       28k
#   256       50          3e-3   2.039       25k
#   256       50          5e-3   2.025       26k
#   256       50          8e-3   2.050       26k
#   256       32          5e-3   2.064       25k
#   512      100          2e-3   2.531        5k     (too slow to get far in 2.5 minutes)
# --carry-state (truncated BPTT with the state carried along contiguous lanes, min-char-rnn's
# hprev) against the default random windows from a zero state, everything else default, 2,500
# steps each (a step costs the same either way: 7,356 and 7,571 tokens/s, measured one after the
# other on the same busy machine), validation bits/char at steps 500 / 1000 / 1500 / 2000 / 2500:
#   random windows   2.265  2.129  2.076  2.043  2.025     <- the default
#   carried state    2.280  2.177  2.108  2.095  2.064
# The carried state reached a lower training loss (1.90 against 1.98 bits/char over the last
# 250 steps) but a higher validation loss: 32 lanes read in order give batches drawn from the
# same 32 places for many steps in a row, where random windows give 32 new places every step.
DEFAULTS = {
    "text": None, "level": "char", "max_vocab": None,
    "input": "embedding", "embed_size": 64, "cell": "gru", "hidden_size": 384, "layers": 1,
    "dropout": 0.0, "dtype": "float32",
    "nchars": 50, "batch_size": 32, "lr": 2e-3, "clip": 5.0, "seed": 0,
    "carry_state": False,
    "steps": None, "minutes": None, "eval_every": 200, "valid_tokens": 50_000,
    "prompt": None, "sample_length": None,
}
DEFAULT_MINUTES = 2.5          # the time budget when neither --steps nor --minutes is given
WORD_MAX_VOCAB = 5000          # word level: 5000 ids cover 94% of the built-in corpus's words
PROMPT = {"char": "The ", "word": "The"}   # when a text lacks it, samples start a new document
SAMPLE_LENGTH = {"char": 300, "word": 60}
# a resumed run keeps these as they were: changing one would make it another run
FIXED_ON_RESUME = ("text", "level", "max_vocab", "input", "embed_size", "cell", "hidden_size",
                   "layers", "dropout", "dtype", "nchars", "batch_size", "lr", "clip", "seed",
                   "valid_tokens", "carry_state")


def default_out(settings):
    """Where a run writes its checkpoint when --out is not given: runs/<level>-<cell>/checkpoint.npz."""
    return Path(f"runs/{settings['level']}-{settings['cell']}/checkpoint.npz")


DEFAULT_CHECKPOINT = str(default_out(DEFAULTS))   # what plain `minirnn train` writes, and sample reads


def resolve_settings(args):
    """The run's settings: the options given, the defaults for the rest; on --resume the
    checkpoint's, with only what may change taken from the command line.

    The prompt stays None unless given: it depends on the vocabulary (see ``sample_prompt``).
    Returns (settings dict, the Checkpoint to resume from or None).
    """
    given = {key: getattr(args, key) for key in DEFAULTS if getattr(args, key) is not None}
    if given.get("text") is not None:
        given["text"] = os.path.abspath(given["text"])
    if args.resume is None:
        settings = {**DEFAULTS, **given}
        if settings["max_vocab"] is None and settings["level"] == "word":
            settings["max_vocab"] = WORD_MAX_VOCAB
        checkpoint = None
    else:
        checkpoint, settings = Checkpoint.resume(args.resume, CHECKPOINT_KIND, DEFAULTS, given,
                                                 FIXED_ON_RESUME, budget=("steps", "minutes"))
    if settings["steps"] is None and settings["minutes"] is None:
        settings["minutes"] = DEFAULT_MINUTES
    if settings["sample_length"] is None:
        settings["sample_length"] = SAMPLE_LENGTH[settings["level"]]
    return settings, checkpoint


def sample_prompt(prompt, level, vocab):
    """The prompt the samples start from: ``prompt`` if given (read by the commands' rule,
    ``minirnn.lm.decoding.prompt_policy``, whose note is printed), else the default for
    ``level`` when the text has it, else "" (a new document).
    """
    if prompt is None:
        return "" if vocab.describe_unknown(PROMPT[level]) else PROMPT[level]   # e.g. no capital T
    note = prompt_policy(vocab, prompt, f"--prompt {prompt!r}")
    if note:
        print(note)
    return prompt


def checkpoint_path(args, settings):
    """Where the run writes its checkpoint, checked before training with the loss curve
    named after it: its folder is made and must take both files, whose names must fit,
    and neither may be the training text. Raises ValueError naming the option otherwise.
    """
    if args.out is not None:
        option, out = "--out", args.out               # str: Path('') would read as '.'
    elif args.resume is not None:
        option, out = "--resume", args.resume
    else:
        option, out = "the default --out", default_out(settings)
    inputs = [("--text", settings["text"])]           # never write over the training text
    out = check_writable(out, f"{option} {str(out)!r}", inputs)
    plot = loss_plot_path(out)
    check_writable(plot, f"the loss curve {str(plot)!r} (named after {option})", inputs)
    return out
