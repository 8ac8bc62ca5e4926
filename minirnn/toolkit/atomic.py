"""Write a file all at once or not at all.

A crash, a full disk or Ctrl-C in the middle of writing must never leave a
half-written checkpoint, cache or plot under the real name. So we write to a
temporary file in the same directory, flush it to disk, and then rename it over the
target: ``os.replace`` is atomic, so readers see either the old file or the new one.
"""
import os
import tempfile
from pathlib import Path


def atomic_write(path, write, mode="wb"):
    """Call write(f) on a temporary file beside `path`, then rename it to `path`.

    mode is "wb" (bytes) or "w" (UTF-8 text).
    The file gets the usual permissions (0666 minus the umask), not mkstemp's 0600.
    On any error the temporary file is removed and the old `path`, if any, is untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
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


def check_writable(path, where):
    """Check, before any long work, that a file can be written at ``path``: its folder is
    made if missing and must take a new file. Returns path as a Path.

    where   how the path was given, for the message, e.g. "--out 'runs/x.npz'"
    Raises ValueError naming ``where`` for a directory, a folder that is a file, or a
    folder that cannot be written to.
    """
    out = Path(path)
    try:
        if out.is_dir():
            raise ValueError(f"{where} is a directory; give a file name, e.g. {str(out / 'checkpoint.npz')!r}")
        folder = out.parent
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not existing.is_dir():
            raise ValueError(f"{where}: {str(existing)!r} is not a directory")
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):      # can a file be written there?
            pass
    except OSError as error:
        raise ValueError(f"{where}: cannot write a file in {str(out.parent)!r} "
                         f"({error.strerror or error})") from None
    return out


def check_folder(folder, where):
    """Check, before any long work, that files can be written in ``folder``: it is made if
    missing. Returns folder as a Path.

    where   how the folder was given, for the message, e.g. "--out 'runs/x'"
    Raises ValueError naming ``where`` for a path that is a file, runs through a file, or
    cannot be made or written to.
    """
    folder = Path(folder)
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        what = "is a file" if existing == folder else f"cannot be made: {str(existing)!r} is a file"
        raise ValueError(f"{where} {what}; give a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{where} cannot be made ({error.strerror or error})") from None
    if not os.access(folder, os.W_OK):
        raise ValueError(f"{where} is not writable")
    return folder
