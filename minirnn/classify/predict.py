"""Classify new text with a trained checkpoint: `minirnn classify predict`.

    texts -> the checkpoint's vocabulary -> ids -> model -> p (n, C) -> the likeliest class

Texts come from ``--text`` (repeatable), from the text columns of a CSV/TSV file
(``--data``; read with the layout the model was trained with unless told otherwise; the
label column may be absent), or one per line from standard input (read and checked as a
file is: UTF-8, or UTF-16/32 with its mark; a blank line is an error naming it, so that
output line k is always input line k). For ``--text`` and standard input each text gets
one line of three tab-separated fields: the predicted class, its probability, the text
(a backslash, tab, line break in it written \\\\, \\t, \\n).
For ``--data`` the result is a CSV file (``--out``, or standard output) with one row per
document: the line it starts on, the predicted class, one column ``p(<class>)`` per
class, and the text.
"""
import csv
import sys

import numpy as np

from minirnn.toolkit.atomic import atomic_write, check_writable
from minirnn.classify.batches import encode_texts
from minirnn.classify.data import read_labelled_file, saved_layout
from minirnn.classify.model import load_classifier, predict_proba
from minirnn.toolkit.textfile import read_standard_input
from minirnn.toolkit.threads import blas_threads
from minirnn.toolkit.validate import counted


def predict_texts(model, vocab, texts, max_length):
    """A list of str -> p (n, C) float64, each row a document's class probabilities."""
    sequences, _ = encode_texts(vocab, texts, max_length)
    return predict_proba(model, sequences)


def predict_command(args):
    """`minirnn classify predict`: print (or write) the predicted classes."""
    if args.out is not None:
        if args.data is None:
            raise ValueError("--out writes the predictions for --data FILE: add --data, or leave out --out")
        check_writable(args.out, f"--out {args.out!r}", inputs=[("--data", args.data), ("--checkpoint", args.checkpoint)],
                       example="predictions.csv")
    with blas_threads(1):
        model, vocab, checkpoint = load_classifier(args.checkpoint, backend=args.backend)
        classes, settings = checkpoint.config["classes"], checkpoint.config["settings"]
        if args.data is not None:
            layout = saved_layout(settings, args.label_column, args.text_columns, args.header, args.sep,
                                  args.quotes)
            data = read_labelled_file(args.data, layout, class_names=None, need_labels=False)
            texts, lines, source = data.texts, data.lines, data.path
            if args.text:
                raise ValueError("give --text or --data, not both")
        elif args.text:
            empty = [i + 1 for i, text in enumerate(args.text) if not text.strip()]
            if empty:
                raise ValueError(f"--text number {empty[0]} is empty; give some text to classify")
            texts, lines, source = args.text, None, "--text"
        else:
            texts, lines, source = standard_input_texts(), None, "standard input"
        try:
            p = predict_texts(model, vocab, texts, settings["max_length"])       # (n, C)
        except FloatingPointError as error:          # finite weights too large for the text
            raise ValueError(f"checkpoint {checkpoint.path!r} on {source}: {error}") from None
    predicted = p.argmax(axis=1)                                                  # (n,)
    if args.data is None:
        for text, c, row in zip(texts, predicted, p):
            print(f"{classes[c]}\t{row[c]:.3f}\t{one_field(text)}")
        return 0
    rows = [[line, classes[c], *(f"{q:.4f}" for q in row), text]
            for line, c, row, text in zip(lines, predicted, p, texts)]
    header = ["line", "predicted", *(f"p({name})" for name in classes), "text"]
    if args.out is None:
        _write_csv(sys.stdout, header, rows)
    else:
        atomic_write(args.out, lambda f: _write_csv(f, header, rows), mode="w")
        counts = np.bincount(predicted, minlength=len(classes))
        print(f"wrote {args.out}: {counted(len(rows), 'document')}, predicted "
              + ", ".join(f"{name} {n:,}" for name, n in zip(classes, counts)))
    return 0


def standard_input_texts():
    """The lines of standard input, read as a file is (UTF-8 or UTF-16/32 with a mark; no
    NUL bytes): one text per line, so that output line k is input line k. Raises
    ValueError naming the first blank line (a blank text has no class: an error, not a
    dropped line that would shift every later result), or for no lines at all."""
    text = read_standard_input()
    lines = text.split("\n")
    if lines[-1] == "":                               # the last line's own line break
        lines.pop()
    if not lines:
        raise ValueError("no text to classify: give --text, --data FILE, or lines on standard input")
    blank = [k + 1 for k, line in enumerate(lines) if not line.strip()]
    if blank:
        raise ValueError(f"standard input, line {blank[0]}: the line is blank, expected a text to classify "
                         f"(each line is one text, and gets one line of output); "
                         f"{counted(len(blank), 'blank line')} in all")
    return lines


def one_field(text):
    """``text`` as one tab-separated field on one line: a backslash, tab, line feed and
    carriage return written as \\\\, \\t, \\n and \\r, so each result is one line of three
    fields whatever the text holds (and the text can be read back)."""
    return text.translate(ESCAPES)


ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _write_csv(f, header, rows):
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
