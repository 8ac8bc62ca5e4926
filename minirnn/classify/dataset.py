"""A labelled data set that needs no download: standard-library docs by the area of their module.

``minirnn classify dataset`` writes it as train.csv and test.csv (columns label, module,
text), so that docs/classify.md trains on it with exactly the command a user runs on their own
CSV files. Four topics, each a group of the standard library's top-level packages and
modules, following the chapters of the Python Library Reference:

    concurrency   asyncio, threading, multiprocessing, subprocess, ... (Concurrent Execution)
    development   unittest, doctest, pdb, inspect, importlib, distutils, typing, ... (Development
                  Tools, Debugging and Profiling, Importing Modules, Language Services)
    gui           tkinter, turtle, idlelib, curses (Graphical User Interfaces with Tk)
    internet      email, http, urllib, smtplib, socket, ssl, xmlrpc, ... (Internet Protocols,
                  Internet Data Handling, Networking)

The modules of no topic (collections, re, os, decimal, ...) are left out.

A *document* is a passage of one module's documentation of 50 to 150 words: the module's
cleaned docstrings (minirnn/toolkit/docstrings.py) are split into paragraphs (at blank lines),
and consecutive paragraphs of the same module are packed together until they hold at
least ``MIN_WORDS`` words; a paragraph that alone holds more than ``MAX_WORDS`` is
skipped, and a pack that would grow past it starts again. Line breaks become spaces,
and a document that repeats an earlier one word for word is left out.
Python 3.11.7 gives 2,442 documents (65 words on average); another Python version
gives somewhat different ones, always the same for the same version. A standard library
installed in parts gives fewer: Debian and Ubuntu ship tkinter and idlelib in packages
of their own (python3-tk, idle-python3.x), so without them the gui topic shrinks from
about 600 documents to about 110, and ``minirnn classify dataset`` says which modules
are missing.

The test set is a stratified, seeded ``TEST_FRACTION`` of the documents
(data.stratified_split, as the training command's validation hold-out).
"""
import csv
import re
from collections import Counter
from pathlib import Path

from minirnn.toolkit.atomic import atomic_write, check_folder
from minirnn.classify.data import stratified_split
from minirnn.toolkit.docstrings import python_version, stdlib_docstrings, stdlib_path

TOPICS = {
    "concurrency": "asynchat asyncio asyncore concurrent multiprocessing queue sched selectors signal "
                   "subprocess threading _threading_local",
    "development": "ast bdb code codeop compileall cProfile dis distutils doctest ensurepip imp "
                   "importlib inspect lib2to3 modulefinder pdb pkgutil profile pstats py_compile pyclbr "
                   "pydoc runpy site symtable sysconfig timeit tokenize trace traceback tracemalloc "
                   "typing unittest venv zipapp zipimport",
    "gui": "curses idlelib tkinter turtle",
    "internet": "base64 cgi email ftplib html http imaplib ipaddress mailbox mailcap mimetypes nntplib "
                "poplib quopri smtpd smtplib socket socketserver ssl telnetlib urllib uu webbrowser "
                "wsgiref xmlrpc",
}
MIN_WORDS, MAX_WORDS = 50, 150
TEST_FRACTION = 0.2
SEED = 0
COLUMNS = ("label", "module", "text")


def docstring_topics(cache=True):
    """The documents of the data set, in a fixed order: a list of (topic, module, text)."""
    topic_of = {module: topic for topic, modules in TOPICS.items() for module in modules.split()}
    documents, seen = [], set()
    words, paragraphs, current = 0, [], None          # the pack being filled, and its module
    for doc in stdlib_docstrings(cache):
        topic = topic_of.get(doc.module.split(".")[0])
        if topic is None:
            continue
        if doc.module != current:                     # a new module: start a new pack
            words, paragraphs, current = 0, [], doc.module
        for paragraph in re.split(r"\n\s*\n", doc.text):
            n = len(paragraph.split())
            if n > MAX_WORDS:
                continue
            if words + n > MAX_WORDS:
                words, paragraphs = 0, []
            words += n
            paragraphs.append(paragraph)
            if words >= MIN_WORDS:
                text = " ".join(" ".join(paragraphs).split())
                if text not in seen:
                    seen.add(text)
                    documents.append((topic, doc.module, text))
                words, paragraphs = 0, []
    return documents


def missing_modules():
    """The topics' modules that this Python's standard library does not hold, sorted."""
    stdlib = stdlib_path()
    return sorted(module for modules in TOPICS.values() for module in modules.split()
                  if not (stdlib / module).is_dir() and not (stdlib / f"{module}.py").is_file())


def write_dataset(folder, cache=True):
    """Write folder/train.csv and folder/test.csv (atomically). Returns (train rows, test rows),
    each a list of (topic, module, text)."""
    documents = docstring_topics(cache)
    topics = sorted(TOPICS)
    train_at, test_at = stratified_split([topics.index(t) for t, _, _ in documents], TEST_FRACTION, SEED)
    parts = [documents[i] for i in train_at], [documents[i] for i in test_at]
    for name, rows in zip(("train.csv", "test.csv"), parts):
        atomic_write(Path(folder) / name, lambda f, rows=rows: _write_csv(f, rows), mode="w")
    return parts


def _write_csv(f, rows):
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)


def dataset_command(args):
    """`minirnn classify dataset`: write the files, say what they hold and what to run next."""
    folder = check_folder(args.out, f"--out {args.out!r}")
    train, test = write_dataset(folder)
    print(f"Python {python_version()} standard library docstrings, 4 topics by the module they document:")
    counts = Counter(topic for topic, _, _ in train), Counter(topic for topic, _, _ in test)
    words = sum(len(text.split()) for _, _, text in train + test) / len(train + test)
    for topic in sorted(TOPICS):
        print(f"  {topic:<12} {counts[0][topic]:>5} train {counts[1][topic]:>5} test")
    print(f"  {'':<12} {len(train):>5} train {len(test):>5} test documents, "
          f"{MIN_WORDS}-{MAX_WORDS} words ({words:.0f} on average)")
    missing = missing_modules()
    if missing:
        print(f"  this Python's standard library lacks {', '.join(missing)}, so these topics hold fewer "
              f"documents than docs/classify.md's (Debian and Ubuntu ship tkinter and idlelib as python3-tk "
              f"and idle-python{python_version().rsplit('.', 1)[0]})")
    print(f"wrote {folder / 'train.csv'} and {folder / 'test.csv'} (columns {', '.join(COLUMNS)})")
    print(f"next: minirnn classify train --train {folder / 'train.csv'} --test {folder / 'test.csv'}")
    return 0
