"""Where the text comes from: the built-in corpus and ``--text FILE``.

The built-in corpus needs no download: it is the docstrings of the running Python's
standard library, about 1.7 MB of English written by many hands about programs.
minirnn/toolkit/docstrings.py collects and cleans them (shared with the classifier's built-in
data set, and cached); here each docstring is one *document*.

The split into training and validation text is deterministic: the last
``VALID_FRACTION`` of the characters, cut at a document boundary, is validation.
"""
from typing import NamedTuple

from minirnn.toolkit.docstrings import python_version, stdlib_docstrings
from minirnn.toolkit.textfile import printable, read_text
from minirnn.toolkit.validate import counted

VALID_FRACTION = 0.05          # the last 5% of the characters are validation text
MIN_TEXT_CHARS = 1000          # a --text file must hold at least this many characters


class Corpus(NamedTuple):
    """Training and validation documents, and where they came from."""
    train: list          # list of str, one per document
    valid: list          # list of str
    source: str          # "Python 3.11.7 standard library docstrings" or the file's path


def builtin_corpus(cache=True):
    """The standard library's docstrings, split into training and validation documents."""
    documents = [doc.text for doc in stdlib_docstrings(cache)]
    train, valid = split_documents(documents)
    return Corpus(train, valid, f"Python {python_version()} standard library docstrings")


def file_corpus(path):
    """A text file as a corpus of one document, split like the built-in one; its source is
    the path as any terminal or plot shows it (``printable``)."""
    text = load_text_file(path)
    cut = _split_point(text)
    return Corpus([text[:cut]], [text[cut:]], printable(path))


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
    ``valid_fraction`` of it: just after a line break when there is one in that range,
    else just before a space or tab, so that no word is cut in two (a word-level model
    would learn the halves as tokens of their own); only a text without either in that
    range is cut mid-word."""
    cut = int(len(text) * (1 - valid_fraction))
    lowest = int(len(text) * (1 - 2 * valid_fraction))
    newline = text.rfind("\n", lowest, cut)
    if newline >= 0:
        return newline + 1
    space = max(text.rfind(" ", lowest, cut), text.rfind("\t", lowest, cut))
    return space if space >= 0 else cut


def load_text_file(path, min_chars=MIN_TEXT_CHARS):
    """Read a text file (UTF-8, or UTF-16 with its byte-order mark) for training, with a
    clear ValueError for a file that is missing, not a file, empty, binary (holds NUL
    bytes), not UTF-8, or shorter than
    ``min_chars`` characters. Windows line ends (CRLF) become '\\n'.
    """
    text = read_text(path, f"text file {str(path)!r}")
    if not text:
        raise ValueError(f"text file {str(path)!r}: is empty")
    if len(text) < min_chars:
        raise ValueError(f"text file {str(path)!r}: too short, {counted(len(text), 'character')}; "
                         f"need at least {min_chars}")
    return text
