"""Reading a user's text file, with an error that names the file, and the line, for each
way it can go wrong. Every job reads its files through here: the language model's
``--text``, the classifier's CSV/TSV and classes files, the text ``minirnn inspect`` colours.
"""
from pathlib import Path


def read_utf8(path, where=None, expected="a text file"):
    """The file's text, decoded as UTF-8 (a byte-order mark dropped, Windows line ends
    '\\r\\n' turned into '\\n').

    where      how the file is named in messages (default: its path), e.g. "--text 'a.txt'"
    expected   what the file should be, for the messages: "a text file", "a CSV or TSV file"
    Raises ValueError, naming the file, for a missing file, a directory, an unreadable
    file, a NUL byte (a binary file) or bytes that are not UTF-8 (with the line of each).
    """
    where = str(path) if where is None else where
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{where}: is a directory, expected {expected}") from None
    except OSError as error:
        raise ValueError(f"{where}: cannot be read ({error.strerror})") from None
    if b"\x00" in data:
        offset = data.index(b"\x00")
        raise ValueError(f"{where}, line {_line(data, offset)}: a NUL byte (at byte offset {offset}): "
                         f"this looks like a binary file, expected {expected}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{where}, line {_line(data, error.start)}: byte {data[error.start]:#04x} "
                         f"(at byte offset {error.start}) is not UTF-8; save the file as UTF-8 "
                         f"(e.g. `iconv -f latin1 -t utf-8`)") from None
    return text.replace("\r\n", "\n")


def _line(data, offset):
    """The 1-based line number of byte ``offset`` in data."""
    return data.count(b"\n", 0, offset) + 1
