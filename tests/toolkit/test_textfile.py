"""minirnn/toolkit/textfile.py: a user's UTF-8 file read, or one line naming the file, the line and the fault."""
import pytest

from minirnn.toolkit.textfile import read_utf8


def test_bom_and_windows_line_ends_are_dropped(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfline one\r\nline two\r\n")
    assert read_utf8(path) == "line one\nline two\n"


@pytest.mark.parametrize("data, message", [
    (b"one\ntwo\nth\x00ree", r"a.txt, line 3: a NUL byte \(at byte offset 10\): this looks like a binary "
                             r"file, expected a CSV or TSV file"),
    (b"one\ncaf\xe9\n", r"a.txt, line 2: byte 0xe9 \(at byte offset 7\) is not UTF-8; save the file as UTF-8"),
])
def test_bad_bytes_are_located(tmp_path, data, message):
    (tmp_path / "a.txt").write_bytes(data)
    with pytest.raises(ValueError, match=message):
        read_utf8(tmp_path / "a.txt", expected="a CSV or TSV file")


def test_missing_file_and_directory_are_named_as_the_caller_says(tmp_path):
    with pytest.raises(ValueError, match=r"^--text 'nowhere.txt': no such file$"):
        read_utf8(tmp_path / "nowhere.txt", where="--text 'nowhere.txt'")
    with pytest.raises(ValueError, match=r": is a directory, expected a text file$"):
        read_utf8(tmp_path)
