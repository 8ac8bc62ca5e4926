"""Tests of minirnn/toolkit/docstrings.py: the standard library's docstrings, shared by the jobs.

- the standard library's docstrings are collected in a fixed order, each with its
  module's dotted name, are large enough, skip the test directories and follow every
  cleaning rule;
- the cleaning rules on a small fake standard library, document by document;
- the cache honours XDG_CACHE_HOME, is rebuilt when corrupt, and is optional.
"""
import json
import os

import pytest

from minirnn.toolkit import docstrings
from minirnn.toolkit.docstrings import (ALLOWED_CHARS, MAX_DOCTEST_SHARE, MIN_DOC_CHARS, Docstring, cache_path,
                                module_name, stdlib_docstrings, stdlib_path)

STDLIB = stdlib_path()


@pytest.fixture(scope="module")
def collected():
    """The standard library's docstrings, collected afresh (no cache)."""
    return stdlib_docstrings(cache=False)


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty cache directory in place of the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


# ---- the standard library's docstrings ----

def test_docstrings_are_deterministic(collected):
    assert stdlib_docstrings(cache=False) == collected


def test_docstrings_are_many(collected):
    total = sum(len(doc.text) for doc in collected)
    assert 1_200_000 < total < 3_000_000, total
    assert len(collected) > 3000


def test_docstrings_read_sorted_files_outside_tests(monkeypatch):
    read = []
    monkeypatch.setattr(docstrings, "_docstrings", lambda path: read.append(path) or [])
    docstrings._collect_docstrings(STDLIB)
    assert read == sorted(read)
    folders = {part for path in read for part in path.relative_to(STDLIB).parts[:-1]}
    assert not folders & {"test", "tests", "idle_test", "turtledemo", "site-packages"}
    assert STDLIB / "json" / "decoder.py" in read and STDLIB / "textwrap.py" in read


def test_docstrings_follow_the_cleaning_rules(collected):
    documents = [d.text for d in collected]
    assert len(set(documents)) == len(documents)
    for doc in documents:
        assert len(doc) >= MIN_DOC_CHARS
        assert set(doc) <= ALLOWED_CHARS
        lines = doc.splitlines()
        assert lines[0].strip() and lines[-1].strip()
        assert all(line == line.rstrip() for line in lines)
        code = [line for line in lines if line.lstrip().startswith((">>>", "..."))]
        assert len(code) <= MAX_DOCTEST_SHARE * sum(1 for line in lines if line.strip())


def test_docstrings_name_their_modules(collected):
    modules = [d.module for d in collected]
    assert "json.decoder" in modules and "textwrap" in modules and "email.mime.text" in modules
    # a package's own docstring is named for the package (email/__init__.py -> "email"); tkinter
    # would do as well, but Debian's python3 lacks it
    assert "email" in modules and not any(m.endswith("__init__") for m in modules)
    first = next(d for d in collected if d.module == "difflib")
    assert first.text.startswith("Module difflib -- helpers")   # the module's own docstring comes first


@pytest.mark.parametrize("path, name", [("json/decoder.py", "json.decoder"), ("json/__init__.py", "json"),
                                        ("textwrap.py", "textwrap"), ("__init__.py", "__init__")])
def test_module_name(path, name):
    assert module_name(path) == name


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
    assert docstrings._collect_docstrings(tmp_path) == [
        Docstring("a", long), Docstring("a", f"{long}\n    Tabbed.")]


# ---- the cache ----

def test_cache_path_honours_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_path().parent == tmp_path / "minirnn"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")    # the XDG spec: ignore it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_path().parent == tmp_path / "home" / ".cache" / "minirnn"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_path().parent == tmp_path / "home" / ".cache" / "minirnn"


def count_collections(monkeypatch, collected):
    """Replace the slow collection by the fixture's docstrings; count the calls."""
    calls = []
    monkeypatch.setattr(docstrings, "_collect_docstrings",
                        lambda stdlib: calls.append(stdlib) or collected)
    return calls


def test_cache_is_written_once_then_read(collected, cache_home, monkeypatch):
    calls = count_collections(monkeypatch, collected)
    assert stdlib_docstrings() == collected
    assert stdlib_docstrings() == collected
    assert len(calls) == 1
    assert os.listdir(cache_path().parent) == [cache_path().name]   # no temporary file left


@pytest.mark.parametrize("content", [
    b"", b"\xff\xfe garbage", b'{"version": 2, "docstrings": [["a", "b"], ',   # not JSON, truncated
    b'{"version": 2, "docstrings": "not a list"}', b'{"version": 2, "docstrings": [["m", "one"], ["m", 2]]}',
    b'{"version": 2, "docstrings": [["m", "one"], ["two"]]}',
    b'{"version": 1, "documents": ["old", "rules"]}', b"[1, 2]"])
def test_corrupt_cache_is_rebuilt(collected, cache_home, monkeypatch, content):
    cache_path().parent.mkdir(parents=True)
    cache_path().write_bytes(content)
    calls = count_collections(monkeypatch, collected)
    assert stdlib_docstrings() == collected
    assert len(calls) == 1
    assert json.loads(cache_path().read_text())["docstrings"] == [list(d) for d in collected]


def test_unwritable_cache_is_skipped(collected, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("a file where the cache directory should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    calls = count_collections(monkeypatch, collected)
    assert stdlib_docstrings() == collected
    assert stdlib_docstrings() == collected
    assert len(calls) == 2
