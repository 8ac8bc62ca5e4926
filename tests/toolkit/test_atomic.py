"""minirnn/toolkit/atomic.py: a file written whole or not at all, under a temporary name
that fits wherever the real one does; names checked before the work, derived ones too."""
import os

import pytest

from minirnn.toolkit.atomic import NAME_MAX, atomic_write, check_folder, check_writable


def name_max(folder):
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, AttributeError):
        return NAME_MAX


def test_the_longest_legal_name_is_written_and_no_temporary_file_is_left(tmp_path):
    """A 245-byte --out once failed at its first save on a temporary name 14 bytes longer."""
    path = tmp_path / ("a" * (name_max(tmp_path) - 4) + ".npz")
    assert check_writable(path, "--out") == path
    atomic_write(path, lambda f: f.write(b"data"))
    assert path.read_bytes() == b"data"
    assert os.listdir(tmp_path) == [path.name]


def test_an_error_while_writing_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")

    def fail(f):
        f.write("half")
        raise OSError(28, "No space left on device")
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, fail, mode="w")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


def test_a_name_too_long_is_refused_before_the_work_naming_the_argument(tmp_path):
    limit = name_max(tmp_path)
    long_name = "é" * ((limit + 2) // 2)                 # 2 bytes a character: the limit is in bytes
    with pytest.raises(ValueError, match=rf"^--out 'x': the file name is {2 * len(long_name)} bytes long, "
                                         rf"more than the {limit} this file system allows"):
        check_writable(tmp_path / long_name, "--out 'x'")
    with pytest.raises(ValueError, match=r"^--out 'x': the folder name 'aaaa.*' is \d+ bytes long"):
        check_writable(tmp_path / ("a" * (limit + 1)) / "x.npz", "--out 'x'")
    with pytest.raises(ValueError, match=r"^--out 'x': the folder name .* bytes long"):
        check_folder(tmp_path / ("a" * (limit + 1)), "--out 'x'")
    assert os.listdir(tmp_path) == []                    # nothing was made


def test_a_path_too_long_in_full_is_refused(tmp_path):
    deep = tmp_path.joinpath(*["d" * 200] * 25)          # 25 legal names, 5,000 bytes in all
    with pytest.raises(ValueError, match=r"^--out 'x': the path is \d+ bytes long in full"):
        check_writable(deep / "x.npz", "--out 'x'")
    with pytest.raises(ValueError, match=r"^--out 'x': the path is \d+ bytes long in full"):
        check_folder(deep, "--out 'x'")


def test_folders_and_files_in_the_way(tmp_path):
    (tmp_path / "afile").write_text("")
    with pytest.raises(ValueError, match=r"--out 'x' is a directory"):
        check_writable(tmp_path, "--out 'x'")
    with pytest.raises(ValueError, match=r"--out 'x': '.*afile' is not a directory"):
        check_writable(tmp_path / "afile" / "x.npz", "--out 'x'")
    with pytest.raises(ValueError, match=r"--out 'x' is a file; give a folder"):
        check_folder(tmp_path / "afile", "--out 'x'")
    assert check_folder(tmp_path / "new" / "sub", "--out 'x'").is_dir()


def test_an_output_that_is_an_input_is_refused_naming_both(tmp_path):
    """`classify predict --data ok.csv --out ok.csv` once replaced the data with its predictions."""
    data = tmp_path / "ok.csv"
    data.write_text("label,text\n")
    os.link(data, tmp_path / "hard.csv")
    for out in (data, tmp_path / "sub" / ".." / "ok.csv", tmp_path / "hard.csv"):
        with pytest.raises(ValueError, match=r"--out .* is the input file --data .*ok.csv"):
            check_writable(out, f"--out {str(out)!r}", inputs=[("--data", str(data))])
    assert data.read_text() == "label,text\n"
    missing = tmp_path / "new.txt"                  # neither exists: resolved paths compared
    with pytest.raises(ValueError, match="--text"):
        check_writable(tmp_path / "." / "new.txt", "--out", inputs=[("--text", missing)])
    check_writable(tmp_path / "other.csv", "--out", inputs=[("--data", data), ("--valid", None)])
    with pytest.raises(ValueError, match=r"--out's file .*index.html.* is the input file --text"):
        check_folder(tmp_path, "--out", files=["index.html"], inputs=[("--text", tmp_path / "index.html")])


def test_empty_names_are_refused_and_a_directory_gets_an_example_of_its_kind(tmp_path):
    with pytest.raises(ValueError, match="--out '' is an empty name"):
        check_writable("", "--out ''")
    with pytest.raises(ValueError, match="--out '' is an empty name"):
        check_folder("", "--out ''")
    with pytest.raises(ValueError, match=r"predictions\.csv"):
        check_writable(tmp_path, "--out", example="predictions.csv")
