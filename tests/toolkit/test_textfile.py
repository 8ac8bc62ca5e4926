"""minirnn/toolkit/textfile.py: a user's text file read (UTF-8, or UTF-16/32 with its mark),
or one line naming the file, the line and the fault; names and text any output takes."""
import codecs
import io
import os

import pytest

from minirnn.toolkit.textfile import printable, read_standard_input, read_text, tolerant_output


def test_bom_and_windows_line_ends_are_dropped(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfline one\r\nline two\r\n")
    assert read_text(path) == "line one\nline two\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_their_mark_are_read(tmp_path, encoding):
    """A spreadsheet's "Unicode text" export: UTF-16 LE with its byte-order mark, tabs, CRLF."""
    text = "label\ttext\r\npos\tcafé €\r\n"
    path = tmp_path / "a.tsv"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data                       # the codec writes no mark of its own
    path.write_bytes(data)
    assert read_text(path) == "label\ttext\npos\tcafé €\n"


@pytest.mark.parametrize("data, message", [
    (b"one\ntwo\nth\x00ree", r"a.txt, line 3: a NUL byte \(at byte offset 10\): this looks like a binary "
                             r"file, expected a CSV or TSV file"),
    (b"one\ncaf\xe9\n", r"a.txt, line 2: byte 0xe9 \(at byte offset 7\) is not UTF-8; save the file as UTF-8"),
    (b"\xef\xbb\xbfone\ncaf\xe9\n", r"a.txt, line 2: byte 0xe9 \(at byte offset 10\) is not UTF-8"),
    # UTF-16 without its mark is named as what it is, not as "binary"
    ("one\ntwo\n".encode("utf-16-le"), r"a.txt, line 1: a NUL byte .*this looks like UTF-16 \(little-endian\) "
                                       r"text without a byte-order mark; save it as UTF-8"),
    ("one\ntwo\n".encode("utf-16-be"), r"this looks like UTF-16 \(big-endian\) text without a byte-order mark"),
    (b"\xff\xfeo\x00n\x00\x00\xd8", r"a.txt: starts with the byte-order mark of UTF-16, but the bytes at "
                                    r"offset 6 are not UTF-16"),
    ("one\ntwo\x00\n".encode("utf-16"), r"a.txt, line 2: a NUL character: this looks like a binary file"),
])
def test_bad_bytes_are_located(tmp_path, data, message):
    (tmp_path / "a.txt").write_bytes(data)
    with pytest.raises(ValueError, match=message):
        read_text(tmp_path / "a.txt", expected="a CSV or TSV file")


def test_missing_file_and_directory_are_named_as_the_caller_says(tmp_path):
    with pytest.raises(ValueError, match=r"^--text 'nowhere.txt': no such file$"):
        read_text(tmp_path / "nowhere.txt", where="--text 'nowhere.txt'")
    with pytest.raises(ValueError, match=r": is a directory, expected a text file$"):
        read_text(tmp_path)


def test_a_file_whose_name_is_not_utf8_is_read_and_its_name_printed(tmp_path):
    name = os.fsdecode(b"caf\xe9.txt")                  # a Latin-1 name: 'caf\udce9.txt'
    (tmp_path / name).write_text("hello\n", encoding="utf-8")
    assert read_text(tmp_path / name) == "hello\n"
    assert printable(name) == "caf\\xe9.txt"
    assert printable(name).encode("ascii")              # any encoder takes it
    assert printable("café") == "café"                  # real characters are left alone


def test_tolerant_output_writes_any_text_to_any_encoding():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    with tolerant_output(stream):
        print("café €", os.fsdecode(b"caf\xe9.txt"), file=stream)
        stream.flush()
    assert raw.getvalue() == b"caf\\xe9 \\u20ac caf\xe9.txt\n"   # escapes; the name's own byte back
    assert stream.errors == "strict"                              # put back afterwards


@pytest.mark.parametrize("data, message", [
    (b"one\ncaf\xe9\n", r"^standard input, line 2: byte 0xe9 \(at byte offset 7\) is not UTF-8; save the text"),
    (b"one\ntwo\x00\x01\n", r"^standard input, line 2: a NUL byte .*binary"),
    (codecs.BOM_UTF16_LE + "one\n".encode("utf-16-le"), None),
])
@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
def test_standard_input_is_read_as_a_file_is_whatever_the_locale(data, message, errors):
    """Under the C locale (surrogateescape) Latin-1 bytes were once classified and echoed raw."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors=errors)
    if message is not None:
        with pytest.raises(ValueError, match=message):
            read_standard_input(stream)
    else:
        assert read_standard_input(stream) == "one\n"
    assert read_standard_input(io.StringIO("text\n")) == "text\n"
