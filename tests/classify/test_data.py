"""Tests of minirnn/classify/data.py: reading labelled CSV/TSV files, labels and splits.

- what spreadsheets write is read right: quoted fields with commas, doubled quotes and
  line breaks (and the line each row starts on), a byte-order mark, CRLF line ends, TSV,
  --sep, no header, several text columns joined, columns by name or 1-based number,
  integer labels named by a classes file;
- every bad input is a DataError naming the file, the line and what was expected;
- files as users have them: a field longer than the csv module's default limit, a stray
  quote (a plain character in a TSV; in a CSV an error or a warning naming the line where
  it opened), UTF-16 with its mark, a --sep that is no delimiter, digits that are not
  ASCII, and a class order that never depends on the hash seed;
- the stratified hold-out keeps every row once and each class's share.
"""
import csv
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn.classify.data import (UNKNOWN, DataError, DataWarning, Layout, label_classes,
                                   read_labelled_file, read_splits, stratified_split)

few = settings(max_examples=30, deadline=None)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# ---- reading ----

def test_quoted_fields_embedded_newlines_and_doubled_quotes(tmp_path):
    path = write(tmp_path, "a.csv", 'label,text\n'
                                    'pos,"one, two"\n'
                                    'neg,"she said ""hi""\nand left"\n'
                                    '\n'
                                    'pos,plain\n')
    data = read_labelled_file(path)
    assert data.texts == ["one, two", 'she said "hi"\nand left', "plain"]
    assert data.labels == ["pos", "neg", "pos"]
    assert data.lines == [2, 3, 6]                      # the quoted row spans lines 3-4, line 5 is blank


def test_bom_crlf_and_spaces_around_labels(tmp_path):
    path = write(tmp_path, "a.csv", b"\xef\xbb\xbflabel,text\r\n pos ,hello\r\nneg,world\r\n")
    data = read_labelled_file(path)
    assert data.labels == ["pos", "neg"] and data.texts == ["hello", "world"]


def test_tsv_by_extension_and_sep_option(tmp_path):
    tsv = write(tmp_path, "a.tsv", "label\ttext\npos\ta, b, c\n")
    assert read_labelled_file(tsv).texts == ["a, b, c"]
    semi = write(tmp_path, "a.txt", "label;text\npos;a, b\n")
    assert read_labelled_file(semi, Layout(sep=";")).texts == ["a, b"]
    tab = write(tmp_path, "b.txt", "label\ttext\npos\tx\n")
    assert read_labelled_file(tab, Layout(sep="tab")).texts == ["x"]


def test_no_header_ag_news_layout(tmp_path):
    """AG News as distributed: no header, class index 1-4, title, description."""
    path = write(tmp_path, "train.csv", '"3","Wall St. Bears Claw Back","Short-sellers, Wall Street\'s dwindling band."\n'
                                        '"1","Title","Desc \\\\ with a backslash"\n')
    names = ["World", "Sports", "Business", "Sci/Tech"]
    data = read_labelled_file(path, Layout(header=False), class_names=names)   # label 1, text: the rest
    assert data.labels == ["Business", "World"]
    assert data.texts[0] == "Wall St. Bears Claw Back Short-sellers, Wall Street's dwindling band."
    only = read_labelled_file(path, Layout(label_column="1", text_columns=("3",), header=False))
    assert only.labels == ["3", "1"] and only.texts[1] == "Desc \\\\ with a backslash"


def test_columns_by_name_or_number_and_several_joined(tmp_path):
    path = write(tmp_path, "a.csv", "id,title,body,topic\n7,Hello,, sports\n8,,World,news\n")
    data = read_labelled_file(path, Layout(label_column="topic", text_columns=("title", "3")))
    assert data.texts == ["Hello", "World"]             # an empty column adds nothing
    assert data.labels == ["sports", "news"]
    by_number = read_labelled_file(path, Layout(label_column="4", text_columns=("2", "body")))
    assert by_number == data


def test_prediction_files_need_no_label_column(tmp_path):
    path = write(tmp_path, "new.csv", "text\nfirst\nsecond\n")
    data = read_labelled_file(path, Layout(label_column="label", text_columns=("text",)), need_labels=False)
    assert data.texts == ["first", "second"] and data.labels == []


def test_classes_are_sorted_numerically_when_integers():
    assert label_classes(["10", "2", "1", "2"]) == ["1", "2", "10"]
    assert label_classes(["b", "a", "10"]) == ["10", "a", "b"]
    assert label_classes(["x"], class_names=["z", "y", "x"]) == ["z", "y", "x"]


# ---- bad input: file, line, what was expected ----

@pytest.mark.parametrize("content, layout, message", [
    (b"", Layout(), r"a.csv: is empty"),
    (b"\n\n  \n", Layout(), r"a.csv: is empty"),
    (b"label,text\n", Layout(), r"a.csv: no rows of data after the header"),
    (b"label,body\npos,x\n", Layout(), r"a.csv, line 1 \(the header\): --text-columns: no column named 'text'; "
                                       r"the header's columns are 'label', 'body'"),
    (b"topic,text\npos,x\n", Layout(), r"a.csv, line 1 \(the header\): --label-column: no column named 'label'"),
    (b"label,text\npos,x\nneg\n", Layout(), r"a.csv, line 3: 1 field, expected at least 2 "
                                            r"\(label in column 1, text in column 2\)"),
    (b"label,text\npos,x\nneg,   \n", Layout(), r"a.csv, line 3: the text is empty \(text in column 2\)"),
    (b"label,text\npos,x\n,y\n", Layout(), r"a.csv, line 3: the label is empty"),
    (b"label,text\npos,x\nneg,caf\xe9\n", Layout(), r"a.csv, line 3: byte 0xe9 \(at byte offset 24\) is not UTF-8"),
    (b"label,text\npos,x\nneg,a\x00b\n", Layout(), r"a.csv, line 3: a NUL byte \(at byte offset 22\): this looks like a binary file"),
    (b"1,x\n", Layout(header=False, label_column="label"), r"--label-column: column 'label' is a name, "
                                                           r"but the file has no header"),
    (b"label,text\npos,x\n", Layout(text_columns=("5",)), r"--text-columns: column 5 does not exist: "
                                                          r"the header has 2 columns"),
    (b"label,text\npos,x\n", Layout(text_columns=("0",)), r"column numbers start at 1"),
    (b"a,b\n", Layout(header=False, label_column="1", text_columns=("1",)), r"column 1 cannot be both"),
    # a TSV or a ;-separated file read as CSV: the message says which delimiter line 1 holds
    (b"label\ttext\npos\tx\n", Layout(), r"the header's columns are 'label\\ttext' .* \(line 1 holds tabs: "
                                         r"is that the delimiter\? give --sep tab\)"),
    (b"pos;x y\n", Layout(header=False), r"1 field, expected a label .* \(line 1 holds semicolons: "
                                       r"is that the delimiter\? give --sep ';'\)"),
])
def test_bad_files(tmp_path, content, layout, message):
    path = write(tmp_path, "a.csv", content)
    with pytest.raises(DataError, match=message):
        read_labelled_file(path, layout)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="nowhere.csv: no such file"):
        read_labelled_file(tmp_path / "nowhere.csv")
    with pytest.raises(DataError, match="is a directory, expected a CSV or TSV file"):
        read_labelled_file(tmp_path)


def test_label_outside_the_class_names(tmp_path):
    path = write(tmp_path, "a.csv", "1,x\n5,y\n")
    with pytest.raises(DataError, match=r"a.csv, line 2: label '5' is not a class number 1..4"):
        read_labelled_file(path, Layout(header=False), class_names=["a", "b", "c", "d"])


def test_single_class_is_refused(tmp_path):
    path = write(tmp_path, "train.csv", "label,text\nham,a\nham,b\nham,c\n")
    with pytest.raises(DataError, match=r"train.csv: every row has the label 'ham'; a classifier needs "
                                        r"rows of at least 2 classes"):
        read_splits(path)


def test_unknown_labels_in_valid_and_test(tmp_path):
    train = write(tmp_path, "train.csv", "label,text\nham,a\nspam,b\nham,c\n")
    test = write(tmp_path, "test.csv", "label,text\nham,a\neggs,b\neggs,c\n")
    with pytest.raises(DataError, match=r"test.csv, line 3: label 'eggs' never appears in the training file "
                                        r".*train.csv \(its classes: 'ham', 'spam'\); 2 rows in all have such "
                                        r"labels.*--ignore-unknown-labels"):
        read_splits(train, valid=train, test=test)
    classes, splits = read_splits(train, valid=train, test=test, ignore_unknown=True)
    assert classes == ["ham", "spam"]
    assert splits["test"].labels.tolist() == [0, UNKNOWN, UNKNOWN] and splits["test"].unknown == 2


def test_repeated_class_names(tmp_path):
    names = write(tmp_path, "classes.txt", "World\nSports\nWorld\n")
    train = write(tmp_path, "train.csv", "1,a\n2,b\n")
    with pytest.raises(DataError, match="classes.txt: class names must be distinct, repeated: World"):
        read_splits(train, layout=Layout(header=False), class_names=names)


# ---- splits ----

@few
@given(st.lists(st.integers(0, 4), min_size=1, max_size=300), st.floats(0.05, 0.5), st.integers(0, 99))
def test_stratified_split_keeps_every_row_once_and_the_shares(labels, fraction, seed):
    labels = np.array(labels)
    kept, held = stratified_split(labels, fraction, seed)
    assert np.array_equal(np.sort(np.concatenate([kept, held])), np.arange(labels.size))
    for c in np.unique(labels):
        n = (labels == c).sum()
        n_held = (labels[held] == c).sum()
        if n >= 2:
            assert n_held == min(max(1, round(fraction * n)), n - 1)   # in both parts, share to rounding
        else:
            assert n_held == 0                                          # a lone row stays in training
    again = stratified_split(labels, fraction, seed)
    assert np.array_equal(again[1], held)                               # seeded


def test_hold_out_without_a_valid_file(tmp_path):
    rows = "".join(f"{'ab'[i % 2]},text {i}\n" for i in range(40))
    classes, splits = read_splits(write(tmp_path, "t.csv", "label,text\n" + rows))
    assert len(splits["train"].labels) == 36 and len(splits["valid"].labels) == 4
    assert np.bincount(splits["valid"].labels).tolist() == [2, 2]
    assert "10% of" in splits["valid"].source and splits["test"] is None


# ---- files as users have them (issue 18): long fields, stray quotes, UTF-16, --sep, class order ----

@pytest.mark.parametrize("name, sep", [("long.csv", ","), ("long.tsv", "\t")])
def test_a_field_longer_than_the_csv_module_default_limit_is_read(tmp_path, name, sep):
    """The csv module refuses fields over 131,072 characters unless told; the limit is put back."""
    before = csv.field_size_limit()
    long_text = "word " * 40_000                                  # 200,000 characters
    path = write(tmp_path, name, f"label{sep}text\npos{sep}{long_text}\nneg{sep}short\n")
    assert read_labelled_file(path).texts == [long_text.strip(), "short"]
    assert csv.field_size_limit() == before


SIX_ROWS = 'label\ttext\na\tone\nb\t"two, says the stray quote\nc\tthree\nd\tfour\ne\tfive\nf\tsix\n'


def test_a_stray_quote_in_a_tsv_is_a_plain_character(tmp_path):
    """A six-row TSV whose second text opens a quote and never closes it once read as 1 row."""
    data = read_labelled_file(write(tmp_path, "six.tsv", SIX_ROWS))
    assert data.labels == list("abcdef") and data.lines == [2, 3, 4, 5, 6, 7]
    assert data.texts[1] == '"two, says the stray quote'


@pytest.mark.parametrize("name, content, layout, message", [
    # quotes on (a TSV told to, or any CSV): the line where the quote opened, and the way out
    ("six.tsv", SIX_ROWS, Layout(quotes="csv"), r"six.tsv, line 3: a quote opens a field that never closes, so "
                                                 r"the rest of the file would be that one field\..*--quotes none"),
    ("a.csv", 'label,text\npos,fine\nneg,"open\n\npos,x\npos,y\n', Layout(),
     r"a.csv, line 3: a quote opens a field that never closes"),
    ("a.csv", 'label,text\npos,"a ""quoted"" word"\nneg,"opens\npos,closes" mid-field\npos,y\n', Layout(),
     r"a.csv, line 4: not readable as CSV \(',' expected after '\"'\): a quoted field, opened on line 3, "
     r"must end at its closing quote\..*give --quotes none"),
])
def test_a_quote_out_of_place_names_the_line_where_it_opened(tmp_path, name, content, layout, message):
    with pytest.raises(DataError, match=message):
        read_labelled_file(write(tmp_path, name, content), layout)


def test_a_quoted_field_that_swallows_rows_is_a_warning_and_quotes_none_reads_them(tmp_path):
    path = write(tmp_path, "a.csv", 'label,text\npos,one\nneg,"two\npos,three"\nneg,four\n')
    with pytest.warns(DataWarning, match=r"a.csv, line 3: a quoted field runs to line 4, and the lines it "
                                         r"holds look like rows; .*give --quotes none"):
        assert read_labelled_file(path).texts == ["one", "two\npos,three", "four"]
    data = read_labelled_file(path, Layout(quotes="none"))
    assert data.texts == ["one", '"two', 'three"', "four"] and data.lines == [2, 3, 4, 5]


def test_quoted_line_breaks_that_hold_no_rows_read_without_a_warning(tmp_path, recwarn):
    path = write(tmp_path, "a.csv", 'label,text\npos,"first paragraph\nsecond paragraph"\n')
    assert read_labelled_file(path).texts == ["first paragraph\nsecond paragraph"]
    assert not recwarn.list


def test_a_spreadsheets_unicode_text_export_is_read(tmp_path):
    """UTF-16 with its byte-order mark, tabs, CRLF, a quoted cell with a line break
    and doubled quotes: what a spreadsheet writes as "Unicode text"."""
    text = 'label\ttext\r\npos\t"she said ""oui""\r\nand left"\r\nneg\tcafé €\r\n'
    path = write(tmp_path, "export.txt", text.encode("utf-16"))
    data = read_labelled_file(path, Layout(sep="tab", quotes="csv"))
    assert data.texts == ['she said "oui"\nand left', "café €"] and data.lines == [2, 4]


@pytest.mark.parametrize("sep, message", [(";;", r"--sep: expected one character \(or 'tab'\), got ';;'"),
                                          ("", r"--sep: expected one character"),
                                          ('"', r"--sep: '\"' cannot separate fields")])
def test_a_bad_separator_names_sep(tmp_path, sep, message):
    path = write(tmp_path, "a.csv", "label,text\npos,x\n")
    with pytest.raises(DataError, match=message):
        read_labelled_file(path, Layout(sep=sep))


def test_digits_that_are_not_ascii_are_names_not_numbers(tmp_path):
    """'²'.isdigit() is True, and int('²') raised int()'s own message, naming no file or line."""
    path = write(tmp_path, "a.csv", "1,x\n²,y\n")
    with pytest.raises(DataError, match=r"a.csv, line 2: label '²' is not a class number 1..2"):
        read_labelled_file(path, Layout(header=False), class_names=["a", "b"])
    with pytest.raises(DataError, match=r"--label-column: column '²' is a name, but the file has no header"):
        read_labelled_file(path, Layout(header=False, label_column="²"))
    assert label_classes(["²", "1", "2"]) == ["1", "2", "²"]


def test_class_order_is_numeric_for_plain_integers_else_by_code_point():
    assert label_classes(["10", "-3", "2", "0"]) == ["-3", "0", "2", "10"]
    assert label_classes(["1", "01", "2", "02", "3", "03"]) == ["01", "02", "03", "1", "2", "3"]
    assert label_classes(["0", "-0"]) == ["-0", "0"]              # "-0" is no integer as Python writes one
    assert label_classes(["b", "B", "é", "a"]) == ["B", "a", "b", "é"]


def test_class_order_does_not_depend_on_the_hash_seed(tmp_path):
    """Labels "1", "01", ... once gave five class orders over eight PYTHONHASHSEED values."""
    rows = "".join(f"{label},text {i}\n" for i, label in enumerate(["1", "01", "2", "02", "3", "03"] * 3))
    path = write(tmp_path, "train.csv", "label,text\n" + rows)
    program = ("import sys; from minirnn.classify.data import read_splits; "
               "print(read_splits(sys.argv[1])[0])")
    orders = set()
    for seed in ("0", "1", "2", "3", "random"):
        done = subprocess.run([sys.executable, "-c", program, str(path)], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120)
        assert done.returncode == 0, done.stderr
        orders.add(done.stdout.strip())
    assert orders == {"['01', '02', '03', '1', '2', '3']"}


# ---- no field dropped, no name shifted ----

@pytest.mark.parametrize("content, layout, message", [
    ("label,text\na,cat dog\nb,car truck bike, and more words\n", Layout(),
     "a.csv, line 3: 3 fields, but the header has 2; a field that holds the delimiter ',' must be quoted"),
    ("a,cat dog\nb,car truck, bike\n", Layout(header=False), "a.csv, line 2: 3 fields, but line 1 has 2"),
    ("label,text,text\na,x,y\n", Layout(), "a.csv, line 1 (the header): the column names 'text' are repeated"),
    ("label,text,title\na,x,y\n", Layout(text_columns=("text", "text")), "--text-columns text text names column 2 more"),
    ("label,text,title\na,x,y\n", Layout(text_columns=("2", "text")), "names column 2 more than once"),
])
def test_extra_fields_repeated_columns_are_errors(tmp_path, content, layout, message):
    """`b,car truck bike, and more words` once trained on 'car truck bike' alone."""
    path = write(tmp_path, "a.csv", content)
    with pytest.raises(DataError) as error:
        read_labelled_file(path, layout)
    assert message in str(error.value)
    with pytest.raises(DataError):
        read_labelled_file(path, layout, need_labels=False)       # prediction reads them the same way


def test_unnamed_columns_are_no_repeated_names(tmp_path):
    """A spreadsheet's trailing commas give a header of empty names: not ambiguous, read."""
    path = write(tmp_path, "a.csv", "label,text,,\na,cat dog,,\nb,car,,\n")
    assert read_labelled_file(path).texts == ["cat dog", "car"]


def test_a_blank_line_in_the_class_names_is_an_error_not_a_shift(tmp_path):
    """`x\\n\\ny\\n` once gave label 2 the name 'y'."""
    names = write(tmp_path, "classes.txt", "x\n\ny\n")
    train = write(tmp_path, "t.csv", "1,a b\n2,c d\n3,e f\n" * 2)
    with pytest.raises(DataError, match=r"--class-names .*classes.txt, line 2: the line is blank, expected "
                                        r"the name of label 2"):
        read_splits(train, layout=Layout(header=False), class_names=names)
    write(tmp_path, "classes.txt", "x\ny\nz\n\n\n")         # blank lines after the last name shift nothing
    classes, _ = read_splits(train, layout=Layout(header=False), class_names=names)
    assert classes == ["x", "y", "z"]
    with pytest.raises(DataError, match="--class-names: .*missing.txt"):
        read_splits(train, layout=Layout(header=False), class_names=tmp_path / "missing.txt")


def test_a_label_with_a_leading_zero_is_no_class_number(tmp_path):
    """Labels `1` and `01` once merged: "every row has the label 'animals'" for a file of two labels."""
    names = write(tmp_path, "classes.txt", "animals\nplants\n")
    train = write(tmp_path, "t.csv", "1,a cat\n01,a dog\n1,a cow\n")
    with pytest.raises(DataError, match=r"t.csv, line 2: label '01' is not a class number 1..2 .*--class-names"):
        read_splits(train, layout=Layout(header=False), class_names=names)
    write(tmp_path, "t.csv", "1,a cat\n1,a dog\n")
    with pytest.raises(DataError, match=r"every row has the label 1 \('animals' in --class-names\)"):
        read_splits(train, layout=Layout(header=False), class_names=names)


def test_an_empty_file_names_what_it_should_hold(tmp_path):
    """`classify predict --data empty.csv` once asked for labelled text."""
    for content in ("", "\n\n"):
        path = write(tmp_path, "empty.csv", content)
        with pytest.raises(DataError, match=r"empty.csv: .*expected rows of text$"):
            read_labelled_file(path, need_labels=False)
        with pytest.raises(DataError, match=r"expected rows of labelled text$"):
            read_labelled_file(path)
    names = write(tmp_path, "classes.txt", "\n")
    with pytest.raises(DataError, match=r"--class-names: .*classes.txt: is empty, expected class names"):
        read_splits(write(tmp_path, "t.csv", "1,a\n2,b\n"), layout=Layout(header=False), class_names=names)
