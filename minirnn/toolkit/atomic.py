"""Write a file all at once or not at all, and check before long work that it can be.

A crash, a full disk or Ctrl-C in the middle of writing must never leave a
half-written checkpoint, cache or plot under the real name. So we write to a
temporary file in the same directory, flush it to disk, and then rename it over the
target: ``os.replace`` is atomic, so readers see either the old file or the new one.
The temporary file's name is short and fixed in length (``.minirnn-XXXXXXXX.tmp``),
so it fits wherever the real name does.

A command checks every file it will write, the ones whose names it derives included
(``checkpoint-loss.png`` beside ``checkpoint.npz``), with ``check_writable`` before it
starts: a bad name is refused in a second, not after an hour of training. It refuses,
too, an output that is one of the command's input files (``--out ok.csv`` with ``--data
ok.csv``), which atomic writing would otherwise replace whole: the data lost.
"""
import os
import tempfile
from pathlib import Path

TEMP_PREFIX, TEMP_SUFFIX = ".minirnn-", ".tmp"     # + 8 random characters: 21 bytes in all
NAME_MAX, PATH_MAX = 255, 4096                     # bytes; Linux's limits, used when the
                                                   # file system does not say its own


def atomic_write(path, write, mode="wb"):
    """Call write(f) on a temporary file beside `path`, then rename it to `path`.

    mode is "wb" (bytes) or "w" (UTF-8 text).
    The file gets the usual permissions (0666 minus the umask), not mkstemp's 0600.
    On any error the temporary file is removed and the old `path`, if any, is untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())                  # on disk before it takes the real name
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def same_file(a, b):
    """Whether paths ``a`` and ``b`` name one file: os.path.samefile when both exist (hard
    and symbolic links included), else their resolved absolute paths are equal."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError):                 # e.g. a name too long to look up
        return os.path.abspath(a) == os.path.abspath(b)


def check_not_input(path, where, inputs):
    """Refuse to write at ``path`` when it is one of the command's input files: the output
    would replace the data it was made from.

    inputs  (how the input was given, its path) pairs, e.g. ("--data", "ok.csv"); a path of
            None (an option not given) is skipped
    Raises ValueError naming both ``where`` and the input's option.
    """
    for option, given in inputs:
        if given is not None and str(given) != "" and same_file(path, given):
            raise ValueError(f"{where} is the input file {option} {str(given)!r}: writing it "
                             "would destroy the input; give another output name")


def check_writable(path, where, inputs=(), example="checkpoint.npz"):
    """Check, before any long work, that a file can be written at ``path``: its name fits
    the file system, its folder is made if missing and must take a new file, and it is
    none of the command's input files. Returns path as a Path.

    where   how the path was given, for the message, e.g. "--out 'runs/x.npz'", or
            "the loss curve 'runs/x-loss.png' (named after --out)" for a derived name
    inputs  the command's input files as (option, path) pairs, see check_not_input
    example a file name of the right kind, suggested when ``path`` is a directory
    Raises ValueError naming ``where`` for an empty name, a directory, a folder that is a
    file, a folder that cannot be written to, a file name or path longer than the system
    allows, and an input file.
    """
    if str(path) == "":
        raise ValueError(f"{where} is an empty name; give a file name")
    check_not_input(path, where, inputs)
    out = Path(path)
    existing = _nearest_existing(out.parent)
    _check_length(out, existing, where)
    try:
        if out.is_dir():
            raise ValueError(f"{where} is a directory; give a file name, e.g. {str(out / example)!r}")
        if not existing.is_dir():
            raise ValueError(f"{where}: {str(existing)!r} is not a directory")
        folder = out.parent
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):      # can a file be written there?
            pass
    except OSError as error:
        raise ValueError(f"{where}: cannot write a file in {str(out.parent)!r} "
                         f"({error.strerror or error})") from None
    return out


def _check_length(path, existing, where, is_file=True):
    """Refuse a name on ``path`` longer than NAME_MAX bytes, or a whole path longer than
    PATH_MAX: the system would refuse it only when the file is written, after the work."""
    name_max = _limit(existing, "PC_NAME_MAX", NAME_MAX)
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > name_max:
            what = "file name" if is_file and part == path.name else f"folder name {part[:16] + '...'!r}"
            raise ValueError(f"{where}: the {what} is {size} bytes long, more than the {name_max} "
                             f"this file system allows; give a shorter name")
    size = len(os.fsencode(os.path.abspath(path)))
    if not is_file:                               # room for "/" and a temporary file's name
        size += 1 + len(TEMP_PREFIX) + 8 + len(TEMP_SUFFIX)
    path_max = _limit(existing, "PC_PATH_MAX", PATH_MAX)
    if size >= path_max:                          # the limit counts the final NUL byte
        raise ValueError(f"{where}: the path is {size} bytes long in full, more than the "
                         f"{path_max - 1} this system allows; give a shorter one")


def _nearest_existing(path):
    """``path`` or the nearest of its parents that exists (the root, at worst)."""
    for p in (path, *path.parents):
        try:
            if p.exists():
                return p
        except OSError:                           # e.g. a name too long to look up
            pass
    return Path(path.anchor or ".")


def _limit(folder, name, default):
    """os.pathconf(folder, name), or ``default`` where the system cannot say."""
    try:
        return os.pathconf(folder, name)
    except (OSError, ValueError, AttributeError):   # no pathconf on Windows
        return default


def check_folder(folder, where, files=(), inputs=()):
    """Check, before any long work, that files can be written in ``folder``: it is made if
    missing, and none of the ``files`` it will get is an input file. Returns folder as a Path.

    where   how the folder was given, for the message, e.g. "--out 'runs/x'"
    files   the names the command writes in the folder, e.g. ("index.html", "reach.png")
    inputs  the command's input files as (option, path) pairs, see check_not_input
    Raises ValueError naming ``where`` for an empty name, a path that is a file, runs
    through a file, has a name longer than the system allows, or cannot be made or written
    to, and for a file in it that is an input file.
    """
    if str(folder) == "":
        raise ValueError(f"{where} is an empty name; give a folder, e.g. '.' for this one")
    for name in files:
        check_not_input(Path(folder) / name, f"{where}'s file {str(Path(folder) / name)!r}", inputs)
    folder = Path(folder)
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        what = "is a file" if existing == folder else f"cannot be made: {str(existing)!r} is a file"
        raise ValueError(f"{where} {what}; give a folder")
    _check_length(folder, existing, where, is_file=False)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{where} cannot be made ({error.strerror or error})") from None
    if not os.access(folder, os.W_OK):
        raise ValueError(f"{where} is not writable")
    return folder
