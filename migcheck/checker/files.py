"""Writing output files safely: checked before the work starts, written atomically after.

A typo in a CI path must not throw away an hour of exploration, and a run that dies while
writing must not leave half a file where the previous result was.  `check_writable` is
called on every output path before any engine runs; `write_text` writes to a unique temporary
file in the same folder, fsyncs it and renames it over the target (so concurrent runs never
share a temporary name and a reader sees the old file or the new one, never a mix).  The
path `-` means standard output.
"""

from __future__ import annotations

import fcntl
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STDOUT = "-"


class OutputError(ValueError):
    """An output path that cannot be written: one line for the user."""


def is_stdout(path: Path | str) -> bool:
    return str(path) == STDOUT


def check_writable(path: Path | str, what: str = "output") -> None:
    """Raise OutputError unless `path` can be created or replaced (its folder may be made)."""
    if is_stdout(path):
        return
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{what} {p}: is a directory")
    if len(p.name.encode()) > 255:
        raise OutputError(f"{what} {p}: file name too long")
    folder = p.parent
    while not folder.exists():
        if folder == folder.parent:
            break
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{what} {p}: {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {p}: {folder} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputError(f"{what} {p}: not writable")


def write_text(path: Path | str, text: str) -> None:
    """Replace `path` with `text` atomically (or print it, for `-`)."""
    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {p}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except OSError as exc:
        raise OutputError(f"cannot write {p}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def locked(path: Path | str) -> Iterator[None]:
    """Hold an exclusive lock for a read-modify-write of `path`: the lock is taken on the
    file's folder (made if needed), so it leaves no lock file behind and is released when
    the process ends, however it ends.  Where the file system has no locks, runs unlocked."""
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass  # no locking here (some network file systems): the rename stays atomic
        yield
    finally:
        os.close(fd)  # releases the lock
