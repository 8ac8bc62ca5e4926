"""Real English that needs no download: the docstrings of Python's own standard library.

Every job that wants text without asking the user for a file reads it from here: the
language model's built-in corpus (minirnn/lm/corpus.py) and the classifier's built-in
data set, docstrings labelled by the area of their module (minirnn/classify/dataset.py).

The docstrings are collected with ``ast`` (the source is parsed, never imported) from
every ``.py`` file under ``sysconfig.get_paths()["stdlib"]``, in sorted path order,
leaving out the ``test``, ``tests`` and ``idle_test`` directories (test docstrings read
"Test foo, coverage 78%."), ``turtledemo`` (ASCII-art banners) and ``site-packages``
(not the standard library). Each comes with the dotted name of its module
("email.mime.text", "json"), so a job can label it by where it comes from.

Each docstring is cleaned:

- dedented, tabs expanded, blank lines at either end removed (``ast.get_docstring``),
  and trailing spaces cut from every line;
- dropped if shorter than ``MIN_DOC_CHARS`` characters ("Return self.");
- dropped if it contains a character outside printable ASCII (a handful of box-drawing
  characters and emoji would each cost a vocabulary entry for a few occurrences);
- dropped if more than half of its non-blank lines are doctest lines (``>>>``/``...``):
  those docstrings are code, not English;
- dropped if it repeats an earlier one word for word (``decimal`` and ``_pydecimal``
  share many).

Parsing all that source takes about 2.5 s, so the result is cached as JSON in
``$XDG_CACHE_HOME/minirnn`` (``~/.cache/minirnn`` when that is unset), one file per
Python version and cleaning rule version. The cache is written atomically (temporary
file, then rename); a cache that cannot be read is rebuilt, and a cache directory that
cannot be written to only costs the 2.5 s again next time.
"""
import ast
import json
import os
import string
import sys
import sysconfig
from pathlib import Path
from typing import NamedTuple

from minirnn.toolkit.atomic import atomic_write

MIN_DOC_CHARS = 40             # shorter docstrings are stubs like "Return self."
MAX_DOCTEST_SHARE = 0.5        # above this share of '>>>'/'...' lines a docstring is code
SKIPPED_DIRS = {"test", "tests", "idle_test", "turtledemo", "site-packages", "__pycache__"}
CACHE_VERSION = 2              # bump when a cleaning rule or the cache's layout changes

# printable ASCII and the newline; tabs are already expanded by ast.get_docstring
ALLOWED_CHARS = frozenset(string.printable) - set("\t\r\x0b\x0c")


class Docstring(NamedTuple):
    """One cleaned docstring and the module it was found in."""
    module: str          # dotted name: "json.decoder", "tkinter" (from tkinter/__init__.py)
    text: str


def stdlib_docstrings(cache=True):
    """The cleaned docstrings of the standard library, a list of Docstring, in a fixed order
    (sorted file paths, then source order within a file: the module's own docstring first).

    With ``cache=True`` they are read from (or, the first time, written to) the cache
    file described in the module docstring.
    """
    path = cache_path()
    if cache:
        docstrings = _read_cache(path)
        if docstrings is not None:
            return docstrings
    docstrings = _collect_docstrings(stdlib_path())
    if cache:
        _write_cache(path, docstrings)
    return docstrings


def stdlib_path():
    """The folder of the running Python's standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def python_version():
    """'3.11.7': the docstrings, and so any data made from them, depend on it."""
    return ".".join(map(str, sys.version_info[:3]))


def cache_path():
    """The cache file for this Python version and this version of the cleaning rules."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # the XDG spec says a relative XDG_CACHE_HOME is to be ignored
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    python = f"{sys.implementation.name}-{python_version()}"
    return base / "minirnn" / f"stdlib-docstrings-{python}-v{CACHE_VERSION}.json"


def _collect_docstrings(stdlib):
    """Parse every .py file under ``stdlib`` (sorted, skipped directories left out) and
    return the cleaned docstrings with their modules, in order."""
    paths = []
    for folder, subfolders, files in os.walk(stdlib):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_DIRS]
        paths += [Path(folder) / name for name in files if name.endswith(".py")]
    docstrings = []
    seen = set()
    for path in sorted(paths):
        module = module_name(path.relative_to(stdlib))
        for doc in _docstrings(path):
            if _keep(doc) and doc not in seen:
                seen.add(doc)
                docstrings.append(Docstring(module, doc))
    return docstrings


def module_name(relative_path):
    """A path inside the standard library -> the module's dotted name:
    'email/mime/text.py' -> 'email.mime.text', 'json/__init__.py' -> 'json'."""
    parts = list(Path(relative_path).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


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
    """The cached docstrings, or None if the cache is missing or unreadable."""
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):                      # missing, truncated, not UTF-8, not JSON
        return None
    if not isinstance(cached, dict) or cached.get("version") != CACHE_VERSION:
        return None
    pairs = cached.get("docstrings")
    if not isinstance(pairs, list) or len(pairs) < 2:
        return None
    if not all(isinstance(pair, list) and len(pair) == 2
               and all(isinstance(part, str) and part for part in pair) for pair in pairs):
        return None
    return [Docstring(module, text) for module, text in pairs]


def _write_cache(path, docstrings):
    """Write the cache atomically; if the directory is not writable, skip caching."""
    content = json.dumps({"version": CACHE_VERSION, "docstrings": [list(d) for d in docstrings]})
    try:
        atomic_write(path, lambda f: f.write(content), mode="w")   # readers see the old file or the new one
    except OSError:
        pass                                           # read-only home: collect again next time
