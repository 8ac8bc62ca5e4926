"""Tests of minirnn/classify/data.py: reading labelled CSV/TSV files, labels and splits.

- what spreadsheets write is read right: quoted fields with commas, doubled quotes and
  line breaks (and the line each row starts on), a byte-order mark, CRLF line ends, TSV,
  --sep, no header, several text columns joined, columns by name or 1-based number,
  integer labels named by a classes file;
- every bad input is a DataError naming the file, the line and what was expected;
- the stratified hold-out keeps every row once and each class's share.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minirnn.classify.data import (UNKNOWN, DataError, Layout, label_classes, read_labelled_file,
                                   read_splits, stratified_split)

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
