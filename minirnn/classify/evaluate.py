"""How good is a classifier: accuracy, per-class precision / recall / F1, macro-F1, the
confusion matrix; as a table, a JSON object and a PNG. And `minirnn classify evaluate`.

For each class c, counting over the n documents (the conventions of scikit-learn's
classification_report):

    precision(c) = documents predicted c that are c / documents predicted c    (0 if none)
    recall(c)    = documents of class c predicted c / documents of class c     (0 if none)
    F1(c)        = 2 precision recall / (precision + recall)                  (0 if both 0)
    macro-F1     = the mean of F1(c) over the classes, each class counting the same
    accuracy     = documents predicted right / n

confusion[i][j] counts the documents of true class i predicted as class j. A document
whose label the training file never had (--ignore-unknown-labels) is in n and counts as
wrong; it is in no row of the matrix and adds to the precision's denominator of the
class it was predicted as.
"""
import json
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minirnn.toolkit.atomic import atomic_write, check_writable
from minirnn.classify.batches import encode_texts
from minirnn.classify.data import UNKNOWN, label_ids, read_labelled_file, saved_layout
from minirnn.classify.model import load_classifier, predict_log_proba
from minirnn.toolkit.textfile import printable
from minirnn.toolkit.threads import blas_threads
from minirnn.toolkit.validate import counted


class Report(NamedTuple):
    """The figures of one evaluation."""
    classes: list            # the class names, in the model's order
    n: int                   # documents evaluated
    accuracy: float
    macro_f1: float
    majority_baseline: float  # the accuracy of always answering the training's most frequent class
    loss: float              # mean cross-entropy in nats over the documents with a known label
    precision: np.ndarray    # (C,)
    recall: np.ndarray       # (C,)
    f1: np.ndarray           # (C,)
    support: np.ndarray      # (C,) documents of each true class
    confusion: np.ndarray    # (C, C) int: rows the true class, columns the predicted one
    unknown: int             # documents whose label the training file never had

    def table(self):
        """The report as text for the terminal."""
        width = max(12, max(len(c) for c in self.classes) + 2)
        lines = [f"{'class':<{width}}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}"]
        for c, name in enumerate(self.classes):
            lines.append(f"{name:<{width}}{self.precision[c]:>10.3f}{self.recall[c]:>8.3f}"
                         f"{self.f1[c]:>8.3f}{self.support[c]:>9,}")
        lines.append(f"accuracy {self.accuracy:.3f} on {counted(self.n, 'document')} (majority baseline "
                     f"{self.majority_baseline:.3f}), macro-F1 {self.macro_f1:.3f}, loss {self.loss:.4f} nats")
        if self.unknown:
            lines.append(f"({counted(self.unknown, 'document')} with a label unknown to the model, counted wrong)")
        lines.append("confusion matrix (rows: true class, columns: predicted class):")
        cell = max(6, len(f"{self.confusion.max():,}") + 2)
        short = [name[:cell - 1] for name in self.classes]
        lines.append(" " * width + "".join(f"{name:>{cell}}" for name in short))
        for c, name in enumerate(self.classes):
            lines.append(f"{name:<{width}}" + "".join(f"{k:>{cell},}" for k in self.confusion[c]))
        return "\n".join(lines)

    def to_json(self):
        """The report as one JSON object (str). Keys: n, accuracy, macro_f1, majority_baseline,
        loss (null without known labels), unknown_labels, classes, per_class (class name ->
        precision, recall, f1, support), confusion (rows: true class, columns: predicted)."""
        per_class = {name: {"precision": float(self.precision[c]), "recall": float(self.recall[c]),
                            "f1": float(self.f1[c]), "support": int(self.support[c])}
                     for c, name in enumerate(self.classes)}
        return json.dumps({"n": self.n, "accuracy": self.accuracy, "macro_f1": self.macro_f1,
                           "majority_baseline": self.majority_baseline,
                           "loss": self.loss if math.isfinite(self.loss) else None,
                           "unknown_labels": self.unknown, "classes": list(self.classes),
                           "per_class": per_class, "confusion": self.confusion.tolist()})


def classification_report(labels, log_p, classes, majority_baseline):
    """labels (n,) true class ids (UNKNOWN for an unknown label), log_p (n, C) the class
    log-probabilities from predict_log_proba -> Report. The predicted class is the most
    probable one; the loss is the mean of -log_p at the true class (from the logits, so
    a confident miss counts its true, finite nats)."""
    labels = np.asarray(labels)
    C = len(classes)
    predicted = log_p.argmax(axis=1)                                  # (n,)
    known = labels != UNKNOWN
    confusion = np.zeros((C, C), dtype=np.int64)                      # (C, C)
    np.add.at(confusion, (labels[known], predicted[known]), 1)
    right = np.diag(confusion).astype(np.float64)                     # (C,)
    support = confusion.sum(axis=1)                                   # (C,) true class counts
    predicted_as = np.bincount(predicted, minlength=C)                # (C,) includes unknown labels
    precision = np.divide(right, predicted_as, out=np.zeros(C), where=predicted_as > 0)
    recall = np.divide(right, support, out=np.zeros(C), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros(C), where=both > 0)
    loss = float(-log_p[known, labels[known]].mean()) if known.any() else math.nan
    return Report(list(classes), int(labels.size), float(right.sum() / labels.size), float(f1.mean()),
                  float(majority_baseline), loss, precision, recall, f1, support, confusion,
                  int((~known).sum()))


def confusion_plot_path(checkpoint):
    """Where the confusion matrix of the checkpoint goes by default: <its name>-confusion.png
    beside it (train and evaluate both)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + "-confusion.png")


def plot_confusion(report, path, title):
    """The confusion matrix as a PNG at ``path`` (written atomically): each row coloured by
    the share of its true class, each cell showing its count. None without matplotlib.
    The title may name a file whose name is not UTF-8: drawn as ``printable`` shows it."""
    try:
        from matplotlib.figure import Figure      # no pyplot: no window, no global state
    except ImportError:
        return None
    C = len(report.classes)
    counts = report.confusion
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)     # (C, C) rows sum to 1
    size = 1.6 + 0.9 * C
    fig = Figure(figsize=(size + 1.4, size), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(C):
        for j in range(C):
            ax.text(j, i, f"{counts[i, j]:,}", ha="center", va="center",
                    color="white" if shares[i, j] > 0.6 else "black")
    ax.set_xticks(range(C), report.classes, rotation=30, ha="right")
    ax.set_yticks(range(C), report.classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{printable(title)}\naccuracy {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}, "
                 f"n = {report.n:,}", fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true class")
    atomic_write(path, lambda f: fig.savefig(f, format="png"))
    return path


def evaluate_command(args):
    """`minirnn classify evaluate`: a checkpoint on a labelled file; table and PNG, or --json."""
    plot = None
    if args.plot != "none" and not args.json:        # a bad --plot is refused before the work
        plot = args.plot or str(confusion_plot_path(args.checkpoint))
        check_writable(plot, f"--plot {plot!r}" if args.plot else f"the confusion matrix's file {plot!r}",
                       inputs=[("--data", args.data), ("--checkpoint", args.checkpoint)], example="confusion.png")
    with blas_threads(1):
        model, vocab, checkpoint = load_classifier(args.checkpoint, backend=args.backend)
        classes, settings = checkpoint.config["classes"], checkpoint.config["settings"]
        layout = saved_layout(settings, args.label_column, args.text_columns, args.header, args.sep, args.quotes)
        # with --class-names in training, integer label k is the k-th class: the checkpoint's classes
        data = read_labelled_file(args.data, layout, classes if settings["class_names"] else None)
        labels, unknown = label_ids(data, classes, args.ignore_unknown_labels,
                                    training_file=settings["train"])
        sequences, cut = encode_texts(vocab, data.texts, settings["max_length"])
        try:
            log_p = predict_log_proba(model, sequences)                          # (n, C)
        except FloatingPointError as error:          # finite weights too large for the text
            raise ValueError(f"checkpoint {checkpoint.path!r} on {data.path}: {error}") from None
    majority = int(np.argmax(checkpoint.config["class_counts"]))     # the training split's commonest class
    report = classification_report(labels, log_p, classes, float(np.mean(labels == majority)))
    if args.json:
        print(report.to_json())
        return 0
    cut_note = f"; {cut:,} cut at {counted(settings['max_length'], 'token')}" if cut else ""
    print(f"{data.path}: {counted(report.n, 'document')}; checkpoint {checkpoint.path} "
          f"(step {checkpoint.config['best']['step']}){cut_note}")
    print(report.table())
    if plot is not None and plot_confusion(report, plot, title=data.path.rsplit("/", 1)[-1]) is not None:
        print(f"confusion matrix: {plot}")
    return 0
