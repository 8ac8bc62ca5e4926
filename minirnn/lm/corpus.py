"""Where the text comes from: the built-in corpus and ``--text FILE``.

The built-in corpus needs no download: it is the docstrings of the running Python's
standard library, about 1.7 MB of English written by many hands about programs.
They are collected with ``ast`` (the source is parsed, never imported) from every
``.py`` file under ``sysconfig.get_paths()["stdlib"]``, in sorted path order, leaving
out the ``test``, ``tests`` and ``idle_test`` directories (test docstrings read
"Test foo, coverage 78%."), ``turtledemo`` (ASCII-art banners) and ``site-packages``
(not the standard library).

Each docstring is cleaned into one *document*:

- dedented, tabs expanded, blank lines at either end removed (``ast.get_docstring``),
  and trailing spaces cut from every line;
- dropped if shorter than ``MIN_DOC_CHARS`` characters ("Return self.");
- dropped if it contains a character outside printable ASCII (a handful of box-drawing
  characters and emoji would each cost a vocabulary entry for a few occurrences);
- dropped if more than half of its non-blank lines are doctest lines (``>>>``/``...``):
  those docstrings are code, not English;
- dropped if it repeats an earlier one word for word (``decimal`` and ``_pydecimal``
  share many).

Parsing all that source takes about 2.5 s, so the documents are cached as JSON in
``$XDG_CACHE_HOME/minirnn`` (``~/.cache/minirnn`` when that is unset), one file per
Python version and cleaning rule version. The cache is written atomically (temporary
file, then rename); a cache that cannot be read is rebuilt, and a cache directory that
cannot be written to only costs the 2.5 s again next time.

The split into training and validation text is deterministic: the last
``VALID_FRACTION`` of the characters, cut at a document boundary, is validation.
"""
import ast
import json
import os
import string
import sys
import sysconfig
from pathlib import Path
from typing import NamedTuple

from minirnn.atomic import atomic_write
from minirnn.validate import counted

MIN_DOC_CHARS = 40             # shorter docstrings are stubs like "Return self."
MAX_DOCTEST_SHARE = 0.5        # above this share of '>>>'/'...' lines a docstring is code
VALID_FRACTION = 0.05          # the last 5% of the characters are validation text
MIN_TEXT_CHARS = 1000          # a --text file must hold at least this many characters
SKIPPED_DIRS = {"test", "tests", "idle_test", "turtledemo", "site-packages", "__pycache__"}
CORPUS_VERSION = 1             # bump when a cleaning rule changes: old caches are ignored

# printable ASCII and the newline; tabs are already expanded by ast.get_docstring
ALLOWED_CHARS = frozenset(string.printable) - set("\t\r\x0b\x0c")


class Corpus(NamedTuple):
    """Training and validation documents, and where they came from."""
    train: list          # list of str, one per document
    valid: list          # list of str
    source: str          # "Python 3.11.7 standard library docstrings" or the file's path


def stdlib_docstrings(cache=True):
    """The cleaned docstrings of the standard library, as a list of str, in a fixed order.

    With ``cache=True`` they are read from (or, the first time, written to) the cache
    file described in the module docstring.
    """
    path = cache_path()
    if cache:
        documents = _read_cache(path)
        if documents is not None:
            return documents
    documents = _collect_documents(Path(sysconfig.get_paths()["stdlib"]))
    if cache:
        _write_cache(path, documents)
    return documents


def builtin_corpus(cache=True):
    """The standard library's docstrings, split into training and validation documents."""
    documents = stdlib_docstrings(cache)
    train, valid = split_documents(documents)
    version = ".".join(map(str, sys.version_info[:3]))
    return Corpus(train, valid, f"Python {version} standard library docstrings")


def file_corpus(path):
    """A UTF-8 text file as a corpus of one document, split like the built-in one."""
    text = load_text_file(path)
    cut = _split_point(text)
    return Corpus([text[:cut]], [text[cut:]], str(path))


def split_documents(documents, valid_fraction=VALID_FRACTION):
    """Split a list of documents into (train, valid): valid is the tail holding about
    ``valid_fraction`` of the characters, cut at a document boundary, never empty.
    """
    if len(documents) < 2:
        raise ValueError(f"split_documents: need at least 2 documents, got {len(documents)}")
    total = sum(len(doc) for doc in documents)
    tail = 0
    cut = len(documents)
    while cut > 1 and tail < valid_fraction * total:   # take documents from the end
        cut -= 1
        tail += len(documents[cut])
    return documents[:cut], documents[cut:]


def _split_point(text, valid_fraction=VALID_FRACTION):
    """Where to cut one text so that the tail holds between 1 and 2 times
    ``valid_fraction`` of it: just after a line break when there is one in that range."""
    cut = int(len(text) * (1 - valid_fraction))
    lowest = int(len(text) * (1 - 2 * valid_fraction))
    newline = text.rfind("\n", lowest, cut)
    return newline + 1 if newline >= 0 else cut


def load_text_file(path, min_chars=MIN_TEXT_CHARS):
    """Read a UTF-8 text file for training, with a clear ValueError for a file that is
    missing, not a file, empty, binary (holds NUL bytes), not UTF-8, or shorter than
    ``min_chars`` characters. Windows line ends (CRLF) become '\\n'.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"text file {str(path)!r}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"text file {str(path)!r}: is a directory, "
                         "expected a text file") from None
    except OSError as error:
        raise ValueError(f"text file {str(path)!r}: cannot be read ({error.strerror})") from None
    if not data:
        raise ValueError(f"text file {str(path)!r}: is empty")
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise ValueError(f"text file {str(path)!r}: looks binary (NUL byte at offset {offset}), "
                         "expected UTF-8 text")
    try:
        text = data.decode("utf-8-sig")                # tolerate a byte-order mark
    except UnicodeDecodeError as error:
        raise ValueError(f"text file {str(path)!r}: is not valid UTF-8 "
                         f"(byte {data[error.start]:#04x} at offset {error.start})") from None
    text = text.replace("\r\n", "\n")
    if len(text) < min_chars:
        raise ValueError(f"text file {str(path)!r}: too short, {counted(len(text), 'character')}; "
                         f"need at least {min_chars}")
    return text


def cache_path():
    """The cache file for this Python version and this version of the cleaning rules."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # the XDG spec says a relative XDG_CACHE_HOME is to be ignored
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    python = f"{sys.implementation.name}-{'.'.join(map(str, sys.version_info[:3]))}"
    return base / "minirnn" / f"stdlib-docstrings-{python}-v{CORPUS_VERSION}.json"


def _collect_documents(stdlib):
    """Parse every .py file under ``stdlib`` (sorted, skipped directories left out) and
    return the cleaned docstrings, in order."""
    paths = []
    for folder, subfolders, files in os.walk(stdlib):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_DIRS]
        paths += [Path(folder) / name for name in files if name.endswith(".py")]
    documents = []
    seen = set()
    for path in sorted(paths):
        for doc in _docstrings(path):
            if _keep(doc) and doc not in seen:
                seen.add(doc)
                documents.append(doc)
    return documents


def _docstrings(path):
    """The docstrings of a module and all its classes and functions, in source order,
    dedented, with trailing spaces and blank end lines cut. A file that does not parse
    yields none."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):                  # e.g. a deliberately broken file
        return []
    definitions = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    nodes = sorted((node for node in ast.walk(tree) if isinstance(node, definitions)),
                   key=lambda node: getattr(node, "lineno", 0))   # the module first
    docs = (ast.get_docstring(node, clean=True) for node in nodes)
    # cut trailing spaces, then the blank lines this may leave at either end
    return ["\n".join(line.rstrip() for line in doc.splitlines()).strip("\n")
            for doc in docs if doc]


def _keep(doc):
    """The cleaning rules: long enough, printable ASCII only, mostly not doctest."""
    if len(doc) < MIN_DOC_CHARS or not set(doc) <= ALLOWED_CHARS:
        return False
    lines = [line.lstrip() for line in doc.splitlines() if line.strip()]
    doctest = sum(line.startswith((">>>", "...")) for line in lines)
    return doctest <= MAX_DOCTEST_SHARE * len(lines)


def _read_cache(path):
    """The cached documents, or None if the cache is missing or unreadable."""
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):                      # missing, truncated, not UTF-8, not JSON
        return None
    if not isinstance(cached, dict) or cached.get("version") != CORPUS_VERSION:
        return None
    documents = cached.get("documents")
    if not isinstance(documents, list) or len(documents) < 2:
        return None
    if not all(isinstance(doc, str) and doc for doc in documents):
        return None
    return documents


def _write_cache(path, documents):
    """Write the cache atomically; if the directory is not writable, skip caching."""
    try:
        atomic_write(path, lambda f: f.write(json.dumps({"version": CORPUS_VERSION, "documents": documents})),
                     mode="w")                         # readers see the old file or the new one
    except OSError:
        pass                                           # read-only home: collect again next time
