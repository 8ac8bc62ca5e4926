"""Tests of minirnn/lm/corpus.py: the built-in corpus's split, and --text files.

(The docstrings themselves, their cleaning and their cache: tests/test_docstrings.py.)
- the built-in corpus is the standard library's docstrings, split into training and
  validation documents;
- the train/validation split keeps every character and cuts at a boundary;
- every kind of bad --text file gets a ValueError that names the file and the problem.
"""
import pytest
from hypothesis import given, settings, strategies as st

from minirnn.toolkit import docstrings
from minirnn.toolkit.docstrings import Docstring
from minirnn.lm.corpus import (MIN_TEXT_CHARS, VALID_FRACTION, builtin_corpus, file_corpus,
                               load_text_file, split_documents)

few = settings(max_examples=25, deadline=None)


def test_builtin_corpus_split(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    documents = [f"document {i} " * (i % 7 + 1) for i in range(200)]
    monkeypatch.setattr(docstrings, "_collect_docstrings",
                        lambda stdlib: [Docstring(f"module{i % 3}", doc) for i, doc in enumerate(documents)])
    result = builtin_corpus()
    assert result.train + result.valid == documents
    valid_chars = sum(len(doc) for doc in result.valid)
    assert VALID_FRACTION * sum(map(len, documents)) <= valid_chars
    assert "standard library" in result.source


# ---- the split ----

@few
@given(st.lists(st.integers(1, 500), min_size=2, max_size=40), st.floats(0.01, 0.5))
def test_split_documents_takes_the_smallest_tail(lengths, fraction):
    documents = [chr(ord("a") + i % 26) * n for i, n in enumerate(lengths)]
    train, valid = split_documents(documents, fraction)
    assert train and valid and train + valid == documents
    total = sum(lengths)
    tail = sum(map(len, valid))
    assert tail >= fraction * total or len(train) == 1
    assert tail - len(valid[0]) < fraction * total       # one document fewer would not do


def test_split_documents_needs_two():
    with pytest.raises(ValueError, match="at least 2 documents"):
        split_documents(["only one"])


@few
@given(st.lists(st.text("abc \n", min_size=1, max_size=60), min_size=20, max_size=80))
def test_file_corpus_split(tmp_path_factory, lines):
    text = "\n".join(lines)
    if len(text) < MIN_TEXT_CHARS:
        text = text + "x" * (MIN_TEXT_CHARS - len(text))
    path = tmp_path_factory.mktemp("text") / "t.txt"
    path.write_text(text, encoding="utf-8")
    result = file_corpus(path)
    train, valid = result.train[0], result.valid[0]
    assert train + valid == text
    assert VALID_FRACTION * len(text) - 1 <= len(valid) <= 2 * VALID_FRACTION * len(text) + 1
    middle = text[int(len(text) * (1 - 2 * VALID_FRACTION)):int(len(text) * (1 - VALID_FRACTION))]
    if "\n" in middle:
        assert train.endswith("\n")                       # cut just after a line break
    elif " " in middle:
        assert valid.startswith(" ")                      # else before a space: no word cut in two


@few
@given(st.lists(st.text("abcdefgh", min_size=1, max_size=12), min_size=150, max_size=300))
def test_a_text_of_one_line_is_cut_between_words(tmp_path_factory, words):
    """The issue's case: a word-level model of a one-line text learned the halves of the
    word the split fell in ("forest ju" | "mps ...") as tokens of their own."""
    from minirnn.vocab import Vocabulary
    text = " ".join(words)
    if len(text) < MIN_TEXT_CHARS:
        return
    path = tmp_path_factory.mktemp("text") / "t.txt"
    path.write_text(text, encoding="utf-8")
    result = file_corpus(path)
    vocab = Vocabulary.build(result.train, level="word")
    tokens = {t.strip() for t in vocab.tokens if not t.startswith("<")}
    assert tokens <= set(words)                           # every token is a whole word of the text


# ---- --text files ----

def write(tmp_path, data):
    path = tmp_path / "input.txt"
    path.write_bytes(data)
    return path


def test_load_text_file_reads_utf8(tmp_path):
    text = "Caf\u00e9 \u2014 na\u00efve r\u00e9sum\u00e9.\n" * 100
    assert load_text_file(write(tmp_path, text.encode("utf-8"))) == text
    assert load_text_file(write(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))) == text   # BOM
    assert load_text_file(write(tmp_path, text.replace("\n", "\r\n").encode("utf-8"))) == text


@pytest.mark.parametrize("data, problem", [
    (b"", "is empty"),
    (b"too short\n", f"too short, 10 characters; need at least {MIN_TEXT_CHARS}"),
    (b"text" * 300 + b"\x00\x01\x02" + b"text" * 300, r"line 1: a NUL byte \(at byte offset 1200\): this looks like a binary file"),
    ("caf\u00e9 ".encode("latin-1") * 300, r"line 1: byte 0xe9 \(at byte offset 3\) is not UTF-8"),
])
def test_load_text_file_bad_contents(tmp_path, data, problem):
    path = write(tmp_path, data)
    with pytest.raises(ValueError, match=f"input.txt.*{problem}"):
        load_text_file(path)


def test_load_text_file_missing_or_directory(tmp_path):
    with pytest.raises(ValueError, match="nowhere.txt.*no such file"):
        load_text_file(tmp_path / "nowhere.txt")
    with pytest.raises(ValueError, match="is a directory"):
        load_text_file(tmp_path)


def test_load_text_file_minimum_is_adjustable(tmp_path):
    assert load_text_file(write(tmp_path, b"tiny"), min_chars=4) == "tiny"
