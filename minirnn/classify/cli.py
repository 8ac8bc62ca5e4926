"""The classification job's command, `minirnn classify`, and its sub-commands' options
(the work is done in dataset.py, train.py, evaluate.py and predict.py):

    minirnn classify dataset    write the built-in data set as train.csv and test.csv
    minirnn classify train      train a classifier on a CSV/TSV file of labelled text
    minirnn classify evaluate   a checkpoint's figures on a labelled file
    minirnn classify predict    classify new text
"""
import argparse

from minirnn.toolkit import argtypes as types
from minirnn.classify.dataset import dataset_command
from minirnn.classify.evaluate import evaluate_command
from minirnn.classify.predict import predict_command
from minirnn.classify.settings import DEFAULT_CHECKPOINT, DEFAULT_EPOCHS, DEFAULTS
from minirnn.classify.train import train_command


def add_classify_arguments(parser):
    """Add `dataset`, `train`, `evaluate` and `predict` under ``parser`` (minirnn's `classify`)."""
    commands = parser.add_subparsers(dest="classify_command", required=True, metavar="COMMAND")
    add_dataset_arguments(commands.add_parser(
        "dataset", help="write the built-in data set (standard-library docstrings in 4 topics) as CSV",
        description="Write Python's standard-library docstrings, labelled by the area of their module "
                    "(concurrency, development, gui, internet), as train.csv and test.csv."))
    add_train_arguments(commands.add_parser(
        "train", help="train a classifier on labelled text (CSV or TSV)",
        description="Train Embedding -> RNN/LSTM/GRU -> final state (or mean) -> Linear on labelled text "
                    "with Adam and gradient clipping; keep the checkpoint with the best validation "
                    "accuracy; evaluate it on the test file."))
    add_evaluate_arguments(commands.add_parser(
        "evaluate", help="accuracy, per-class precision/recall/F1 and confusion matrix of a checkpoint",
        description="Evaluate a checkpoint of `minirnn classify train` on a labelled file: a table and "
                    "a confusion-matrix PNG, or one JSON object with --json."))
    add_predict_arguments(commands.add_parser(
        "predict", help="classify new text with a checkpoint",
        description="Print the predicted class and its probability for each --text (or each line of "
                    "standard input), or write a CSV with every class's probability for --data FILE."))


def add_dataset_arguments(p):
    p.add_argument("--out", metavar="DIR", default="data/stdlib-topics",
                   help="the folder to write train.csv and test.csv in (default data/stdlib-topics)")
    p.set_defaults(run=dataset_command)


def add_layout_arguments(group, training):
    """The options that say how to read a CSV/TSV file. In training their defaults are
    DEFAULTS'; in evaluate and predict, what the checkpoint was trained with."""
    saved = "" if training else "; default: as in training"
    group.add_argument("--sep", metavar="CHAR", type=types.separator,
                       help="the field delimiter, e.g. ';' or tab (default: a tab for .tsv and .tab "
                            "files, a comma otherwise" + (")" if training else ", or as in training)"))
    group.add_argument("--quotes", choices=["csv", "none"],
                       help="csv: double quotes group a field, which may then hold the delimiter, line "
                            "breaks and doubled quotes, as spreadsheets write them; none: a quote is a "
                            "plain character and every line is a row (default: none for a tab "
                            "delimiter, where quoting is rare, csv otherwise" + (")" if training else
                                                                                  "; or as in training)")),
    if training:
        group.add_argument("--no-header", dest="header", action="store_false", default=None,
                           help="the first row is data, not column names; columns are then "
                                "numbered from 1 (default: the first row names the columns)")
    else:
        group.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                           help="whether the first row names the columns (default: as in training)")
    group.add_argument("--label-column", metavar="COLUMN",
                       help="the label's column, by name or 1-based number (default: 'label', or "
                            "1 with --no-header" + saved + ")")
    group.add_argument("--text-columns", metavar="COLUMN", nargs="+",
                       help="the text's columns, by name or 1-based number; several are joined "
                            "with a space (default: 'text', or every column but the label's with "
                            "--no-header" + saved + ")")


def add_train_arguments(p):
    d = DEFAULTS
    data = p.add_argument_group("data")
    data.add_argument("--train", metavar="FILE",
                      help="a CSV or TSV file of labelled text, UTF-8 or UTF-16 with its mark "
                           "(required unless --resume)")
    data.add_argument("--valid", metavar="FILE",
                      help="a validation file in the same layout (default: hold out a stratified, "
                           "seeded 10%% of --train)")
    data.add_argument("--test", metavar="FILE",
                      help="a test file in the same layout, evaluated with the best checkpoint at the end")
    add_layout_arguments(data, training=True)
    data.add_argument("--class-names", metavar="FILE",
                      help="a file of class names, one per line: integer label k is the name on "
                           "line k (AG News's classes.txt)")
    data.add_argument("--ignore-unknown-labels", action="store_true", default=None,
                      help="count a validation or test row whose label the training file never had "
                           "as wrong, instead of stopping with an error")

    tokens = p.add_argument_group("tokens")
    tokens.add_argument("--level", choices=["word", "char"],
                        help="word: lowercased words and punctuation marks; char: characters "
                             f"(default {d['level']})")
    tokens.add_argument("--max-vocab", type=types.vocab_size, metavar="V",
                        help="keep at most V token ids, the 3 reserved ones included; rarer tokens "
                             f"become <unk> (default {d['max_vocab']:,})")
    tokens.add_argument("--min-count", type=types.positive_int, metavar="K",
                        help="a token seen fewer than K times in the training documents becomes "
                             f"<unk> (default {d['min_count']})")
    tokens.add_argument("--max-length", type=types.positive_int, metavar="T",
                        help="cut documents to their first T tokens; the log says how many were cut "
                             f"(default {d['max_length']})")

    model = p.add_argument_group("model: Embedding -> recurrent layers -> pool -> Linear -> softmax")
    model.add_argument("--embed-size", type=types.positive_int, metavar="SIZE",
                       help=f"embedding size (default {d['embed_size']})")
    model.add_argument("--cell", choices=["gru", "lstm", "rnn"], help=f"the recurrent cell (default {d['cell']})")
    model.add_argument("--hidden-size", type=types.positive_int, metavar="N",
                       help=f"hidden units per layer and direction (default {d['hidden_size']})")
    model.add_argument("--layers", type=types.positive_int, help=f"stacked layers (default {d['layers']})")
    model.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None,
                       help="a second cell reads each document backwards; the two final states are "
                            "concatenated (default: bidirectional)")
    model.add_argument("--dropout", type=types.probability, metavar="P",
                       help="while training, zero this share of the features the Linear layer reads "
                            "(and of the inputs between stacked layers) "
                            f"(default {d['dropout']})")
    model.add_argument("--pool", choices=["last", "mean"],
                       help="what the Linear layer reads: the final state at each document's own "
                            f"last token, or the mean of the outputs over its tokens (default {d['pool']})")
    model.add_argument("--dtype", choices=["float32", "float64"],
                       help=f"floating-point type of the weights (default {d['dtype']})")

    opt = p.add_argument_group("optimisation")
    opt.add_argument("--batch-size", type=types.positive_int, metavar="B",
                     help=f"documents per batch, of similar lengths (default {d['batch_size']})")
    opt.add_argument("--lr", type=types.positive_float, help=f"Adam's learning rate (default {d['lr']:g})")
    opt.add_argument("--clip", type=types.positive_float,
                     help=f"clip the gradients' global norm to this (default {d['clip']:g})")
    opt.add_argument("--epochs", type=types.positive_int,
                     help="stop after this many epochs in all (counting those of a resumed run); with "
                          f"--minutes too, whichever comes first (default {DEFAULT_EPOCHS} when "
                          "--minutes is not given)")
    opt.add_argument("--minutes", type=types.float_in(0, 1e6),
                     help="stop training after this many minutes, validation included")
    opt.add_argument("--seed", type=types.seed,
                     help=f"seeds the hold-out, the weights, the batches and dropout (default {d['seed']})")

    report = p.add_argument_group("validation, checkpoint")
    report.add_argument("--eval-every", type=types.positive_int, metavar="STEPS",
                        help="validate every this many steps instead of after every epoch")
    report.add_argument("--out", metavar="PATH",
                        help="the checkpoint file, kept at the best validation accuracy; the confusion "
                             "matrix goes beside it as <name>-confusion.png (default "
                             f"{DEFAULT_CHECKPOINT}, or the --resume file)")
    report.add_argument("--resume", metavar="PATH",
                        help="continue the run saved in this checkpoint; only --epochs, --minutes, "
                             "--eval-every, --test and the machine options may be given anew")
    add_machine_arguments(p, progress=True)
    p.set_defaults(run=train_command)


def add_checkpoint_argument(p):
    p.add_argument("--checkpoint", metavar="PATH", default=DEFAULT_CHECKPOINT,
                   help=f"a checkpoint written by `minirnn classify train` (default {DEFAULT_CHECKPOINT})")


def add_evaluate_arguments(p):
    add_checkpoint_argument(p)
    p.add_argument("--data", metavar="FILE", required=True, help="a labelled CSV or TSV file")
    add_layout_arguments(p, training=False)
    p.add_argument("--ignore-unknown-labels", action="store_true",
                   help="count a row whose label the model never learned as wrong, instead of an error")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (n, accuracy, macro_f1, per_class, confusion, ...) "
                        "instead of the table, and draw no PNG")
    p.add_argument("--plot", metavar="PNG",
                   help="where to draw the confusion matrix ('none' for no picture; default "
                        "<checkpoint name>-confusion.png beside the checkpoint)")
    add_machine_arguments(p, progress=False)
    p.set_defaults(run=evaluate_command)


def add_predict_arguments(p):
    add_checkpoint_argument(p)
    p.add_argument("--text", action="append", metavar="TEXT", type=types.utf8_text,
                   help="a text to classify (repeat for several)")
    p.add_argument("--data", metavar="FILE",
                   help="classify every row of this CSV or TSV file (its text columns)")
    add_layout_arguments(p, training=False)
    p.add_argument("--out", metavar="FILE",
                   help="with --data: write the CSV here (default: standard output)")
    add_machine_arguments(p, progress=False)
    p.set_defaults(run=predict_command)


def add_machine_arguments(p, progress):
    machine = p.add_argument_group("machine")
    machine.add_argument("--backend", choices=["numba", "numpy"], default="numba",
                         help="numba kernels, or the numpy reference cells (slower) (default numba)")
    if progress:
        machine.add_argument("--threads", type=types.positive_int, default=1,
                             help="BLAS threads (default 1: the recurrent products are small)")
        machine.add_argument("--progress", choices=["auto", "bar", "lines"], default="auto",
                             help="a tqdm progress bar, or a plain line every 15 s; auto: the bar on "
                                  "a terminal when tqdm is installed (default auto)")
