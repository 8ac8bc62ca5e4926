"""Text in and out: a user's text file read, with an error that names the file and the
line for each way it can go wrong; a file name shown whatever bytes it holds; and a
terminal that takes any text.

Every job reads its files through ``read_text``: the language model's ``--text``, the
classifier's CSV/TSV and classes files, the text ``minirnn inspect`` colours; and
standard input (``classify predict``'s lines) through ``read_standard_input``.

File names on Linux are bytes. Python keeps the bytes that are not UTF-8 (a name
written on a Latin-1 system, say) as lone "surrogate" characters (PEP 383), which
open() takes back but which no encoder writes: printing such a name, drawing it in a
plot title or writing it into a UTF-8 page fails with "surrogates not allowed".
``printable`` turns them into backslash escapes for plots and pages; ``tolerant_output``
makes standard output write them back as the bytes they were, and write a character the
terminal's encoding lacks (an 'é' on an ASCII terminal) as an escape, never an error.
"""
import codecs
import contextlib
import sys
from pathlib import Path

# byte-order marks -> the codec that reads the text after them; UTF-32's first, as UTF-32 LE's
# mark begins with UTF-16 LE's. A spreadsheet's "Unicode text" export is UTF-16 LE with its mark.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
        (codecs.BOM_UTF8, "utf-8", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"))


def read_text(path, where=None, expected="a text file"):
    """The file's text: UTF-8, or UTF-16 or UTF-32 when the file starts with their
    byte-order mark (the mark dropped, Windows line ends '\\r\\n' turned into '\\n').

    where      how the file is named in messages (default: its path), e.g. "--text 'a.txt'"
    expected   what the file should be, for the messages: "a text file", "a CSV or TSV file"
    Raises ValueError, naming the file, for a missing file, a directory, an unreadable
    file, a NUL byte (a binary file, or UTF-16 without its mark: said so) or bytes that
    are not UTF-8 (or not the UTF-16 its mark announced), with the line of each.
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
    return decode_text(data, where, expected)


def decode_text(data, where, expected="a text file"):
    """bytes -> text as read_text reads a file's (UTF-8, or UTF-16/32 after their mark;
    '\r\n' -> '\n'), with its errors, naming ``where``."""
    encoding, name, start = next(((codec, name, len(bom)) for bom, codec, name in BOMS
                                  if data.startswith(bom)), ("utf-8", "UTF-8", 0))
    if name == "UTF-8" and b"\x00" in data:
        offset = data.index(b"\x00")
        raise ValueError(f"{where}, line {_line(data, offset)}: a NUL byte (at byte offset {offset}): "
                         + (_utf16_hint(data) or f"this looks like a binary file, expected {expected}"))
    try:
        text = data[start:].decode(encoding)
    except UnicodeDecodeError as error:
        offset = start + error.start
        if name != "UTF-8":
            raise ValueError(f"{where}: starts with the byte-order mark of {name}, but the bytes at "
                             f"offset {offset} are not {name} ({error.reason})") from None
        raise ValueError(f"{where}, line {_line(data, offset)}: byte {data[offset]:#04x} "
                         f"(at byte offset {offset}) is not UTF-8; save the {'text' if where == STDIN else 'file'} as UTF-8 "
                         f"(e.g. `iconv -f latin1 -t utf-8`)") from None
    if "\x00" in text:                                           # a UTF-16 or UTF-32 file
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ValueError(f"{where}, line {line}: a NUL character: this looks like a binary file, "
                         f"expected {expected}")
    return text.replace("\r\n", "\n")


def _utf16_hint(data):
    """For bytes holding NULs: what they are when they look like UTF-16 without a mark
    (every other byte NUL, as ASCII text in UTF-16 is), else ""."""
    for order, nuls in (("little", data[1::2]), ("big", data[0::2])):
        if len(data) % 2 == 0 and nuls.count(0) >= 0.9 * len(nuls):
            return (f"this looks like UTF-16 ({order}-endian) text without a byte-order mark; "
                    f"save it as UTF-8 (e.g. `iconv -f utf-16{order[0]}e -t utf-8`)")
    return ""


def _line(data, offset):
    """The 1-based line number of byte ``offset`` in data."""
    return data.count(b"\n", 0, offset) + 1


def printable(text):
    """``text`` with the bytes of a file name that are not UTF-8 (lone surrogates,
    PEP 383) written as backslash escapes: 'caf\\udce9.txt' -> 'caf\\\\xe9.txt'. Any
    encoder, a plot title, a UTF-8 page takes the result."""
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _write_back_or_escape(error, write_back=codecs.lookup_error("surrogateescape")):
    """An encoding error handler: lone surrogates back as the bytes they stood for (as
    "surrogateescape" does), any other character the encoding lacks as a backslash escape."""
    try:
        return write_back(error)
    except UnicodeError:                               # not a file name's stray byte
        return codecs.backslashreplace_errors(error)


codecs.register_error("minirnn.tolerant", _write_back_or_escape)


@contextlib.contextmanager
def tolerant_output(stream=None):
    """While inside, ``stream`` (standard output by default) writes any str: a file name's
    stray bytes as they were, a character its encoding lacks as an escape (an ASCII or
    Latin-1 terminal, PYTHONIOENCODING=ascii), never a UnicodeEncodeError."""
    stream = sys.stdout if stream is None else stream
    errors = getattr(stream, "errors", None)
    if errors is None or not hasattr(stream, "reconfigure"):     # not a text stream we can change
        yield
        return
    stream.reconfigure(errors="minirnn.tolerant")
    try:
        yield
    finally:
        stream.reconfigure(errors=errors)


STDIN = "standard input"


def read_standard_input(stream=None, expected="lines of text"):
    """All of standard input as text, read as a file is (``decode_text``): UTF-8, or
    UTF-16/32 after their byte-order mark, whatever the locale says (under the C locale
    Python would let Latin-1 bytes through as lone surrogates). Raises ValueError naming
    "standard input" and the line for bytes that are not such text and for NUL bytes."""
    stream = sys.stdin if stream is None else stream
    raw = getattr(stream, "buffer", None)
    if raw is None:                                    # already text (a StringIO, say)
        return decode_text(stream.read().encode("utf-8", "surrogateescape"), STDIN, expected)
    return decode_text(raw.read(), STDIN, expected)
