"""Labelled text from a CSV or TSV file: its rows, columns and labels, and the splits.

    train.csv (label,text rows) -> LabelledText: texts, labels, the line each row starts on
                                -> classes (from the training file) -> label ids (n,)
                                -> training / validation split (stratified, seeded)

A file is read with the standard library's csv module, as UTF-8 with or without a
byte-order mark, or as UTF-16 with its mark (a spreadsheet's "Unicode text" export). The
delimiter follows the file's extension (``.tsv`` and ``.tab`` a tab, anything else a
comma) unless ``sep`` says otherwise. A field may be as long as the file.

Quotes (``quotes``): in a CSV file a quoted field may hold commas, line breaks and doubled
quotes, as spreadsheets write them (``"she said ""hi"", and left"``). In a TSV file (a
tab delimiter) a quote is a plain character and every line is one row: tab-separated
files rarely quote (the IANA text/tab-separated-values format has no quoting, and BERT's
GLUE readers, run_classifier.py's ``_read_tsv``, read their TSV files with no quote
character), and a text that opens a quote and never closes it would otherwise swallow
every row after it. ``quotes="csv"`` reads a TSV that was quoted (by a spreadsheet or
pandas), ``quotes="none"`` a CSV whose quotes are plain characters. With quotes on, a
quote that never closes, or closes in the middle of a field, is an error naming the
line where it opened; a quoted field whose line breaks hold lines that look like rows
(holding the delimiter) gets a ``DataWarning`` naming its lines (a spreadsheet's cell
may hold such lines too, so it is not an error).

Columns are chosen by name (with a header, the default: columns ``label`` and ``text``)
or by 1-based number (``"1"``, ``"3"``); without a header the label is column 1 and the
text every other column unless told. Several text columns are joined with a space, as
AG News's title and description are. No field is dropped: a row with more fields than
the header (or, without one, than the first row) is an error, as is a header naming a
column twice. Labels are strings as written (surrounding spaces cut); with
``class_names`` (AG News's classes.txt, one name per line, no blank line between names)
an integer label k, written without leading zeros, is the k-th name.

The classes, and so the class ids a checkpoint stores, come in one documented order that
depends on the labels alone (never on Python's hash seed): when every label is a plain
integer as Python writes it ("-1", "0", "7", "12": ASCII digits, no leading zero, no "+"),
numeric order ("2" before "10"); otherwise the order of the strings by code point, so
"01", "02", "1", "2" in that order ("1" and "01" are two labels, never merged). With
``class_names``, the order of the names.

Every problem in a file is a ``DataError`` (a ValueError) that names the file, the line
and what was expected, raised before any training.
"""
import argparse
import contextlib
import csv
import io
import re
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minirnn.toolkit import argtypes, textfile
from minirnn.toolkit.validate import counted

UNKNOWN = -1                   # the label id of a row whose label the training file never had
VALID_FRACTION = 0.1           # without a validation file, this share of the training file
INTEGER = re.compile(r"0|-?[1-9][0-9]*")          # an integer label as Python writes one
NUMBER = re.compile(r"[0-9]+")                    # a column number: ASCII digits only
CLASS_NUMBER = re.compile(r"[1-9][0-9]*")         # a label under class_names: "01" is not "1"
FIELD_LIMIT_MAX = 2**31 - 1                       # the largest csv.field_size_limit on every
                                                  # platform (a C long: 32 bits on Windows)


class DataError(ValueError):
    """A problem with a data file: the message names the file, the line and what was expected."""


class DataWarning(UserWarning):
    """A file that reads, but perhaps not as meant: the message names the file and the lines."""


class LabelledText(NamedTuple):
    """A labelled file as read: one entry per row of data."""
    texts: list          # str: the text columns joined
    labels: list         # str: the label as written (or its class name, with class_names)
    lines: list          # int: the line of the file where the row starts (1-based)
    path: str            # the file, for messages


class Layout(NamedTuple):
    """How to read a file's rows: which columns hold the label and the text.

    label_column   a header name, or a 1-based column number as a str; None: "label" with
                   a header, "1" without
    text_columns   a tuple of names or numbers; None: ("text",) with a header, every
                   column but the label's without
    header         whether the first row names the columns
    sep            the delimiter; None: from the file's extension
    quotes         "csv" (quotes group fields) or "none" (a quote is a plain character);
                   None: "none" for a tab delimiter, "csv" otherwise
    """
    label_column: str = None
    text_columns: tuple = None
    header: bool = True
    sep: str = None
    quotes: str = None


def saved_layout(settings, label_column=None, text_columns=None, header=None, sep=None, quotes=None):
    """The layout a run's settings give (a checkpoint's), each part replaced when given:
    training reads its files by it, and evaluate and predict read new files the same way."""
    saved_text = settings["text_columns"]
    return Layout(label_column or settings["label_column"],
                  tuple(text_columns) if text_columns else (None if saved_text is None else tuple(saved_text)),
                  settings["header"] if header is None else header,
                  sep or settings["sep"],
                  quotes or settings.get("quotes"))          # a checkpoint from before --quotes has none


def read_labelled_file(path, layout=Layout(), class_names=None, need_labels=True):
    """Read a CSV/TSV file of labelled text. Returns a LabelledText.

    class_names   None, or a list of names: an integer label k (1-based) becomes names[k-1]
    need_labels   False to read only the text (prediction): the label column may be absent
    Raises DataError for a missing, empty or non-UTF-8 file, a bad ``sep``, a quote that
    never closes or closes mid-field, a header without the named columns or with a name
    twice, a text column named twice, a row with too few fields or with more than the
    header (the first row, without one), an empty text or label, and a label that is not a class number of
    ``class_names``; each message names the file and the line. Warns (DataWarning) of a
    quoted field that swallows lines that look like rows.
    """
    path = str(path)
    sep = delimiter(path, layout.sep)
    quotes = layout.quotes or ("none" if sep == "\t" else "csv")
    if quotes not in ("csv", "none"):
        raise DataError(f"{path}: quotes must be 'csv' or 'none', got {quotes!r}")
    rows = "rows of labelled text" if need_labels else "rows of text"      # for the messages
    records = _records(path, read_text(path, rows), sep, quotes, rows)     # [(line, fields)]
    hint = _delimiter_hint(records[0][1], sep)       # a TSV named .csv, say
    header = None
    if layout.header:
        (_, header), records = records[0], records[1:]
        header = [name.strip() for name in header]
        # a name twice would make --text-columns NAME ambiguous; unnamed columns (a spreadsheet's
        # trailing commas) cannot be chosen by name, so they may be many
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        if repeated:
            raise DataError(f"{path}, line 1 (the header): the column names {_names(repeated)} are repeated; "
                            f"each column needs a name of its own")
    if not records:
        raise DataError(f"{path}: no rows of data" + (" after the header" if header else ""))
    try:
        label_at, text_at = _columns(path, layout, header, width=len(records[0][1]), need_labels=need_labels)
    except DataError as error:
        raise DataError(f"{error}{hint}") from None
    needed = max(text_at + ([label_at] if need_labels else [])) + 1
    # a row longer than the header (or than the first row, without one) would lose its extra
    # fields: a text holding an unquoted delimiter, say, would be cut at it
    width, against = (len(header), "the header") if header is not None else (len(records[0][1]), "line "
                                                                             f"{records[0][0]}")
    texts, labels, lines = [], [], []
    for line, row in records:
        if len(row) > width:
            raise DataError(f"{path}, line {line}: {counted(len(row), 'field')}, but {against} has {width}; "
                            f"a field that holds the delimiter {sep!r} must be quoted (\"...\"), or give "
                            f"the right --sep")
        if len(row) < needed:
            raise DataError(f"{path}, line {line}: {counted(len(row), 'field')}, expected at least "
                            f"{needed} ({_describe(text_at, label_at if need_labels else None)}){hint}")
        text = " ".join(row[i].strip() for i in text_at if row[i].strip())
        if not text:
            raise DataError(f"{path}, line {line}: the text is empty ({_describe(text_at, None)}); "
                            f"every row needs some text")
        texts.append(text)
        lines.append(line)
        if need_labels:
            labels.append(_label(path, line, row[label_at].strip(), class_names))
    return LabelledText(texts, labels, lines, path)


def read_text(path, expected="rows of labelled text"):
    """The file's text (UTF-8, or UTF-16 with its byte-order mark), or a DataError.
    expected: what the file should hold, for the message on an empty one."""
    try:
        text = textfile.read_text(path, expected="a CSV or TSV file")
    except ValueError as error:
        raise DataError(str(error)) from None
    if not text.strip():
        raise DataError(f"{path}: is empty, expected {expected}")
    return text


def read_class_names(path):
    """A classes file (one class name per line: line k names label k) -> list of names.

    Raises DataError naming --class-names, the file and the line for a blank line before
    the last name (it would shift every later name onto the wrong label; blank lines
    after the last name are ignored) and for repeated names.
    """
    try:
        names = [line.strip() for line in read_text(path, "class names, one per line").rstrip().splitlines()]
    except DataError as error:
        raise DataError(f"--class-names: {error}") from None
    blank = [k + 1 for k, name in enumerate(names) if not name]
    if blank:
        raise DataError(f"--class-names {path}, line {blank[0]}: the line is blank, expected the name of "
                        f"label {blank[0]} (line k names label k)")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"--class-names {path}: class names must be distinct, repeated: {', '.join(repeated)}")
    return names


def delimiter(path, sep=None):
    """The field separator: ``sep`` if given ('\\t' may be written 'tab'), else from the extension.
    Raises DataError, naming --sep, for a separator that is not one character, or is a
    quote or a line break."""
    if sep is None:
        return "\t" if Path(path).suffix.lower() in (".tsv", ".tab") else ","
    try:
        return argtypes.separator(sep)
    except argparse.ArgumentTypeError as error:
        raise DataError(f"--sep: {error}") from None


class Split(NamedTuple):
    """One part of the data (training, validation or test), its labels as class ids."""
    data: LabelledText
    labels: np.ndarray   # (n,) int64 in [0, C), or UNKNOWN for a label the training file never had
    unknown: int         # how many rows have such a label
    source: str          # "valid.csv", or "10% of train.csv", for the log


def read_splits(train, valid=None, test=None, layout=Layout(), class_names=None,
                ignore_unknown=False, seed=0):
    """Read the training file and the optional validation and test files, all in one layout.

    train, valid, test   paths (valid and test may be None); without ``valid``, a
                         seeded, stratified VALID_FRACTION of the training file is held out
    class_names          a path to a file of class names (integer labels k -> k-th name), or None
    ignore_unknown       keep valid/test rows whose label the training file never had
                         (as UNKNOWN: counted wrong) instead of raising a DataError
    Returns (classes, {"train": Split, "valid": Split, "test": Split or None}).
    Raises DataError (naming the file and line) for every problem, before any training.
    """
    names = None if class_names is None else read_class_names(class_names)
    whole = read_labelled_file(train, layout, names)
    classes = label_classes(whole.labels, names)
    ids, _ = label_ids(whole, classes)
    check_classes(whole, ids, classes, named=names is not None)
    splits = {}
    if valid is None:
        kept, held = stratified_split(ids, VALID_FRACTION, seed)
        if held.size == 0:
            raise DataError(f"{train}: too few rows to hold out {VALID_FRACTION:.0%} for validation; "
                            f"give a --valid file")
        splits["train"] = Split(subset(whole, kept), ids[kept], 0, str(train))
        splits["valid"] = Split(subset(whole, held), ids[held], 0,
                                f"{VALID_FRACTION:.0%} of {train}, stratified, seed {seed}")
    else:
        splits["train"] = Split(whole, ids, 0, str(train))
        splits["valid"] = _read_split(valid, layout, names, classes, ignore_unknown, train)
    splits["test"] = None if test is None else _read_split(test, layout, names, classes, ignore_unknown, train)
    return classes, splits


def _read_split(path, layout, names, classes, ignore_unknown, train):
    data = read_labelled_file(path, layout, names)
    ids, unknown = label_ids(data, classes, ignore_unknown, training_file=train)
    return Split(data, ids, unknown, str(path))


# ---- labels ----

def label_classes(labels, class_names=None):
    """The classes a model learns, in the order the module's docstring gives, which depends
    on the labels alone: ``class_names`` if given (every name, even one the file lacks),
    else the distinct labels in numeric order when every one is an integer as Python
    writes it ("2" before "10"), otherwise by code point ("01" < "1" < "10" < "2" < "a")."""
    if class_names is not None:
        return list(class_names)
    distinct = sorted(set(labels))                  # by code point: whatever the hash seed
    if all(INTEGER.fullmatch(label) for label in distinct):
        return sorted(distinct, key=int)            # canonical forms: no two share a value
    return distinct


def label_ids(data, classes, ignore_unknown=False, training_file=None):
    """data.labels -> ids (n,) int64 in [0, C), UNKNOWN (-1) for a label not in ``classes``.

    A label not in ``classes`` raises a DataError naming the line, unless ``ignore_unknown``.
    Returns (ids, the number of rows with an unknown label).
    """
    index = {name: i for i, name in enumerate(classes)}
    ids = np.array([index.get(label, UNKNOWN) for label in data.labels], dtype=np.int64)   # (n,)
    unknown = np.flatnonzero(ids == UNKNOWN)
    if unknown.size and not ignore_unknown:
        first = unknown[0]
        source = f"the training file {training_file}" if training_file else "the training file"
        raise DataError(f"{data.path}, line {data.lines[first]}: label {data.labels[first]!r} never "
                        f"appears in {source} (its classes: {_names(classes)}); "
                        f"{counted(unknown.size, 'row')} in all have such labels. Fix them, or give "
                        f"--ignore-unknown-labels to count them as wrong")
    return ids, int(unknown.size)


def check_classes(data, ids, classes, named=False):
    """Refuse a training file with fewer than 2 classes. named: the classes are the names
    of a --class-names file, so the label the file holds is the class's number."""
    present = np.unique(ids[ids != UNKNOWN])
    if present.size < 2:
        only = None if not present.size else (f"{present[0] + 1} ({classes[present[0]]!r} in --class-names)"
                                              if named else repr(classes[present[0]]))
        raise DataError(f"{data.path}: every row has the label {only}; a classifier needs rows "
                        f"of at least 2 classes")


# ---- splits ----

def stratified_split(labels, fraction, seed):
    """Hold out about ``fraction`` of each class, at random but seeded.

    labels (n,) ints. Returns (kept, held_out): two sorted index arrays that together
    hold every index once. Each class with at least 2 rows gives
    max(1, round(fraction * its count)) of them, so every class that can be is in both
    parts, and the parts keep the classes' proportions (to rounding).
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)              # this class's rows, in file order
        if rows.size >= 2:
            n = min(max(1, round(fraction * rows.size)), rows.size - 1)
            held.append(rng.permutation(rows)[:n])
    held = np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)
    kept = np.setdiff1d(np.arange(labels.size), held)
    return kept, held


def subset(data, index):
    """The rows ``index`` of a LabelledText, as a LabelledText."""
    pick = lambda values: [values[i] for i in index] if values else values
    return LabelledText(pick(data.texts), pick(data.labels), pick(data.lines), data.path)


# ---- helpers for the messages ----

def _records(path, text, sep, quotes, expected="rows of labelled text"):
    """Every row of the file as (the line it starts on, its fields); blank lines skipped.

    quotes "csv": quotes group fields (strictly: a quote that closes a field must end it);
    "none": a quote is a plain character and every line is a row.
    """
    kind = "TSV" if sep == "\t" else "CSV"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True,
                        quoting=csv.QUOTE_NONE if quotes == "none" else csv.QUOTE_MINIMAL)
    records, line = [], 1
    try:
        with _field_size_limit(len(text)):
            for fields in reader:
                if fields and not (len(fields) == 1 and not fields[0].strip()):
                    records.append((line, fields))
                line = reader.line_num + 1           # a row may span several lines
    except csv.Error as error:                       # strict: a quote out of place
        lines = text.split("\n")
        opened, still_open = _open_quote(lines, line, reader.line_num)
        if still_open and reader.line_num >= len(lines) - 1:     # the file ended inside the quotes
            raise DataError(f"{path}, line {opened}: a quote opens a field that never closes, so the rest "
                            f"of the file would be that one field. {_QUOTE_HELP}") from None
        raise DataError(f"{path}, line {reader.line_num}: not readable as {kind} ({error}): a quoted "
                        f"field, opened on line {opened}, must end at its closing quote. "
                        f"{_QUOTE_HELP}") from None
    if not records:
        raise DataError(f"{path}: holds only blank lines, expected {expected}")
    if quotes == "csv":
        _warn_of_swallowed_rows(path, records, sep)
    return records


_QUOTE_HELP = ('A quote inside a quoted field is written doubled (""); if the quotes in this file are '
               'plain characters, give --quotes none')


@contextlib.contextmanager
def _field_size_limit(size):
    """Let the csv module read fields of up to ``size`` characters (its default limit is
    131,072) while inside; the limit is the module's, for the whole process, so it is
    put back afterwards. No field is longer than the text that holds it."""
    before = csv.field_size_limit()
    csv.field_size_limit(min(max(before, size), FIELD_LIMIT_MAX))
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _open_quote(lines, first, last):
    """Counting the quotes on lines ``first`` to ``last`` (1-based; a doubled quote inside
    a field adds two): (the last line where the count turned odd, a quote opening there;
    whether it is odd, a quote still open, at the end of line ``last``)."""
    opened, odd = first, False
    for number in range(first, min(last, len(lines)) + 1):
        for _ in range(lines[number - 1].count('"')):
            odd = not odd
            if odd:
                opened = number
    return opened, odd


def _warn_of_swallowed_rows(path, records, sep):
    """A DataWarning when a quoted field holds line breaks followed by lines that hold the
    delimiter, as the rows a stray quote merges into one field do."""
    width = len(records[0][1])
    spans = []                                       # (opened, closed) of each such field
    for line, fields in records:
        for i, field in enumerate(fields):
            inner = field.split("\n")[1:]
            if inner and width > 1 and any(part.count(sep) >= width - 1 for part in inner):
                opened = line + sum(f.count("\n") for f in fields[:i])
                spans.append((opened, opened + len(inner)))
    if spans:
        (opened, closed), more = spans[0], len(spans) - 1
        warnings.warn(f"{path}, line {opened}: a quoted field runs to line {closed}, and the lines it "
                      f"holds look like rows" + (f" ({more} more such fields)" if more else "")
                      + "; if a stray quote merged them, give --quotes none (quotes as plain characters)",
                      DataWarning, stacklevel=4)


def _columns(path, layout, header, width, need_labels):
    """Resolve the layout's columns to 0-based indices: (label, [text, ...])."""
    where = f"{path}, line 1 (the header)" if header is not None else path
    label_spec = layout.label_column or ("label" if header is not None else "1")
    try:
        label_at = _column(label_spec, header)
    except DataError as error:
        if need_labels or (header is None and layout.text_columns is None):   # the text is "all but the label"
            raise DataError(f"{where}: --label-column: {error}") from None
        label_at = None                              # prediction: the file need not have labels
    if layout.text_columns is not None:
        specs = layout.text_columns
    elif header is not None:
        specs = ("text",)
    else:
        specs = [str(i + 1) for i in range(width) if i != label_at]
        if not specs:
            raise DataError(f"{path}, line 1: 1 field, expected a label and at least one text column")
    try:
        text_at = [_column(spec, header) for spec in specs]
    except DataError as error:
        raise DataError(f"{where}: --text-columns: {error}") from None
    twice = sorted({i + 1 for i in text_at if text_at.count(i) > 1})
    if twice:
        raise DataError(f"{where}: --text-columns {' '.join(map(str, specs))} names column "
                        f"{', '.join(map(str, twice))} more than once; give each text column once")
    if label_at in text_at and need_labels:
        raise DataError(f"{path}: column {label_at + 1} cannot be both the label and a text column")
    return label_at, text_at


def _column(spec, header):
    """One column spec (a name, or a 1-based number) -> its 0-based index."""
    spec = str(spec).strip()
    if NUMBER.fullmatch(spec):                      # ASCII digits: '²' is a name, not a number
        if int(spec) < 1:
            raise DataError(f"column numbers start at 1, got {spec}")
        if header is not None and int(spec) > len(header):
            raise DataError(f"column {spec} does not exist: the header has {counted(len(header), 'column')}")
        return int(spec) - 1
    if header is None:
        raise DataError(f"column {spec!r} is a name, but the file has no header (--no-header): "
                        f"give its 1-based number instead")
    if spec not in header:
        raise DataError(f"no column named {spec!r}; the header's columns are {_names(header)} "
                        f"(choose them with --label-column and --text-columns, by name or 1-based number)")
    return header.index(spec)


def _label(path, line, label, class_names):
    if not label:
        raise DataError(f"{path}, line {line}: the label is empty; every row needs a label")
    if class_names is None:
        return label
    if not CLASS_NUMBER.fullmatch(label) or int(label) > len(class_names):
        raise DataError(f"{path}, line {line}: label {label!r} is not a class number 1..{len(class_names)} "
                        f"as written without leading zeros, of the --class-names file (line k of it names "
                        f"label k)")
    return class_names[int(label) - 1]


def _describe(text_at, label_at):
    parts = [] if label_at is None else [f"label in column {label_at + 1}"]
    parts.append(("text in column " if len(text_at) == 1 else "text in columns ")
                 + ", ".join(str(i + 1) for i in text_at))
    return ", ".join(parts)


def _delimiter_hint(fields, sep):
    """When the first line reads as one field that holds another common delimiter, a hint
    for the message, e.g. " (line 1 holds tabs: is that the delimiter? give --sep tab)"."""
    if len(fields) != 1:
        return ""
    for other, name, option in (("\t", "tabs", "tab"), (";", "semicolons", "';'"), (",", "commas", "','")):
        if other != sep and other in fields[0]:
            return f" (line 1 holds {name}: is that the delimiter? give --sep {option})"
    return ""


def _names(names, limit=12):
    shown = ", ".join(repr(n) for n in list(names)[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
