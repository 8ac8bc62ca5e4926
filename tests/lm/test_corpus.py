"""Tests of minirnn/lm/corpus.py: the built-in corpus, its cache and split, and --text files.

- the standard library's docstrings are collected in a fixed order, are large enough,
  skip the test directories and follow every cleaning rule;
- the cleaning rules on a small fake standard library, document by document;
- the cache honours XDG_CACHE_HOME, is rebuilt when corrupt, and is optional;
- the train/validation split keeps every character and cuts at a boundary;
- every kind of bad --text file gets a ValueError that names the file and the problem.
"""
import json
import os
import sysconfig
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from minirnn.lm import corpus
from minirnn.lm.corpus import (ALLOWED_CHARS, MAX_DOCTEST_SHARE, MIN_DOC_CHARS, MIN_TEXT_CHARS,
                            VALID_FRACTION, builtin_corpus, cache_path, file_corpus,
                            load_text_file, split_documents, stdlib_docstrings)

few = settings(max_examples=25, deadline=None)
STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture(scope="module")
def documents():
    """The built-in corpus, collected afresh (no cache)."""
    return stdlib_docstrings(cache=False)


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty cache directory in place of the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


# ---- the built-in corpus ----

def test_builtin_corpus_is_deterministic(documents):
    assert stdlib_docstrings(cache=False) == documents


def test_builtin_corpus_is_large_enough(documents):
    total = sum(len(doc) for doc in documents)
    assert 1_200_000 < total < 3_000_000, total
    assert len(documents) > 3000


def test_builtin_corpus_reads_sorted_files_outside_tests(monkeypatch):
    read = []
    monkeypatch.setattr(corpus, "_docstrings", lambda path: read.append(path) or [])
    corpus._collect_documents(STDLIB)
    assert read == sorted(read)
    folders = {part for path in read for part in path.relative_to(STDLIB).parts[:-1]}
    assert not folders & {"test", "tests", "idle_test", "turtledemo", "site-packages"}
    assert STDLIB / "json" / "decoder.py" in read and STDLIB / "textwrap.py" in read


def test_builtin_corpus_follows_the_cleaning_rules(documents):
    assert len(set(documents)) == len(documents)
    for doc in documents:
        assert len(doc) >= MIN_DOC_CHARS
        assert set(doc) <= ALLOWED_CHARS
        lines = doc.splitlines()
        assert lines[0].strip() and lines[-1].strip()
        assert all(line == line.rstrip() for line in lines)
        code = [line for line in lines if line.lstrip().startswith((">>>", "..."))]
        assert len(code) <= MAX_DOCTEST_SHARE * sum(1 for line in lines if line.strip())


def test_builtin_corpus_split(documents, cache_home, monkeypatch):
    count_collections(monkeypatch, documents)
    result = builtin_corpus()
    assert result.train + result.valid == documents
    valid_chars = sum(len(doc) for doc in result.valid)
    assert VALID_FRACTION * sum(map(len, documents)) <= valid_chars
    assert "standard library" in result.source


def test_cleaning_rules_on_a_fake_stdlib(tmp_path):
    long = "This sentence is long enough to be kept as a document."
    files = {
        "a.py": f'"""{long}"""\ndef f():\n    """Short."""\n'
                f'class C:\n    """\n    {long}\n\tTabbed.   \n    """\n',
        "b/c.py": f'"""{long}"""\n',                  # a repeat: dropped
        "b/d.py": '"""Caf\u00e9 is not ASCII, so this docstring is left out of the corpus."""\n',
        "b/e.py": '"""Doctest\n>>> 1 + 1\n2\n>>> 2 + 2\n4\n>>> print(3)\n3\n'
                  '>>> None\n>>> pass\n"""\n',                # 5 of 9 lines: mostly code
        "b/f.py": "def broken(:\n",                    # does not parse: skipped
        "tests/g.py": '"""A docstring inside a tests directory is never collected."""\n',
        "z.py": 'def g():\n    pass\n"""A string after code is not a docstring at all."""\n',
    }
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source, encoding="utf-8")
    assert corpus._collect_documents(tmp_path) == [long, f"{long}\n    Tabbed."]


# ---- the cache ----

def test_cache_path_honours_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_path().parent == tmp_path / "minirnn"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")    # the XDG spec: ignore it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_path().parent == tmp_path / "home" / ".cache" / "minirnn"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_path().parent == tmp_path / "home" / ".cache" / "minirnn"


def count_collections(monkeypatch, documents):
    """Replace the slow collection by the fixture's documents; count the calls."""
    calls = []
    monkeypatch.setattr(corpus, "_collect_documents",
                        lambda stdlib: calls.append(stdlib) or documents)
    return calls


def test_cache_is_written_once_then_read(documents, cache_home, monkeypatch):
    calls = count_collections(monkeypatch, documents)
    assert stdlib_docstrings() == documents
    assert stdlib_docstrings() == documents
    assert len(calls) == 1
    assert os.listdir(cache_path().parent) == [cache_path().name]   # no temporary file left


@pytest.mark.parametrize("content", [
    b"", b"\xff\xfe garbage", b'{"version": 1, "documents": ["a", ',   # not JSON, truncated
    b'{"version": 1, "documents": "not a list"}', b'{"version": 1, "documents": ["one", 2]}',
    b'{"version": 0, "documents": ["old", "rules"]}', b"[1, 2]"])
def test_corrupt_cache_is_rebuilt(documents, cache_home, monkeypatch, content):
    cache_path().parent.mkdir(parents=True)
    cache_path().write_bytes(content)
    calls = count_collections(monkeypatch, documents)
    assert stdlib_docstrings() == documents
    assert len(calls) == 1
    assert json.loads(cache_path().read_text())["documents"] == documents


def test_unwritable_cache_is_skipped(documents, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("a file where the cache directory should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    calls = count_collections(monkeypatch, documents)
    assert stdlib_docstrings() == documents
    assert stdlib_docstrings() == documents
    assert len(calls) == 2


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
    (b"text" * 300 + b"\x00\x01\x02" + b"text" * 300, "looks binary.*offset 1200"),
    ("caf\u00e9 ".encode("latin-1") * 300, "not valid UTF-8.*0xe9 at offset 3"),
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
