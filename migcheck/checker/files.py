"""Writing output files safely: checked before the work starts, written atomically after.

A typo in a CI path must not throw away an hour of exploration, and a run that dies while
writing must not leave half a file where the previous result was.  `check_writable` is
called on every output path before any engine runs; `write_text` writes to a unique temporary
file in the same folder, fsyncs it and renames it over the target (so concurrent runs never
share a temporary name and a reader sees the old file or the new one, never a mix; a
failed write removes its temporary file, and one left by a killed process is removed by the
next write of the same file).  A device or a pipe is never replaced; a symbolic
link's target is.  `locked` serialises a read-modify-write of one file across processes
(reports/last-check.json).  The path `-` means standard output.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from migcheck.checker import interrupts

STDOUT = "-"


class OutputError(ValueError):
    """An output path that cannot be written: one line for the user."""


def is_stdout(path: Path | str) -> bool:
    return str(path) == STDOUT


def check_writable(path: Path | str, what: str = "output") -> None:
    """Raise OutputError unless `path` can be created or replaced (its folder may be made):
    not a directory, not a device or pipe, a name the file system takes, a writable folder."""
    if is_stdout(path):
        return
    p = Path(path)
    try:
        _check_writable(p, what)
    except OutputError:
        raise
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, ...
        raise OutputError(f"{what} {p}: {getattr(exc, 'strerror', None) or exc}") from None


def check_folder(path: Path | str, what: str = "output folder") -> None:
    """Raise OutputError unless files can be written in the folder `path` (made if needed)."""
    p = Path(path)
    try:
        if p.exists() and not p.is_dir():
            raise OutputError(f"{what} {p}: not a directory")
        _check_writable(p / "file", what, shown=p)
    except OutputError:
        raise
    except (OSError, ValueError) as exc:
        raise OutputError(f"{what} {p}: {getattr(exc, 'strerror', None) or exc}") from None


def _check_writable(p: Path, what: str, shown: Path | None = None) -> None:
    shown = shown or p
    if not p.name or p.name in (".", ".."):
        raise OutputError(f"{what} {shown}: needs a file name")
    if p.is_dir():
        raise OutputError(f"{what} {shown}: is a directory")
    if p.exists() and not p.is_file():
        raise OutputError(f"{what} {shown}: not a regular file")
    if any(len(part.encode(errors="surrogateescape")) > 255 for part in p.parts):
        raise OutputError(f"{what} {shown}: file name too long")
    folder = p.parent
    while not folder.exists():
        if folder == folder.parent:
            break
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{what} {shown}: {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {shown}: {folder} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise OutputError(f"{what} {shown}: not writable")


def write_text(path: Path | str, text: str) -> None:
    """Replace `path` with `text` atomically (or print it, for `-`)."""
    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with interrupts.deferred():  # a signal waits until the file is whole
        f, tmp, target = open_beside(path)
        try:
            f.write(text)
            commit(f, tmp, target)
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            discard(f, tmp)


def open_beside(path: Path | str) -> tuple[IO[str], str, Path]:
    """A new text file with a unique temporary name beside `path` (its folder is made if
    needed), its name, and the file to `commit` it over (or `discard` it): `path`, or the
    target of the symbolic link `path` (a device or a pipe is never replaced)."""
    p = Path(path)
    try:
        if p.is_symlink():
            p = Path(os.path.realpath(p))
        if p.exists() and not p.is_file():
            raise OutputError(f"cannot write {path}: not a regular file")
        p.parent.mkdir(parents=True, exist_ok=True)
        _remove_orphans(p)
        fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(p)}{os.getpid()}.", suffix=".tmp",
                                   dir=p.parent)
    except OutputError:
        raise
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}"
                          ) from None
    os.fchmod(fd, _mode(p))  # mkstemp makes it private; the result is not
    return os.fdopen(fd, "w", encoding="utf-8"), tmp, p


def _temp_prefix(path: Path) -> str:
    return f".{path.name[:180]}."


def _remove_orphans(path: Path) -> None:
    """Remove the temporary files of `path` left by processes that no longer run (a run
    killed with SIGKILL while writing); their names carry the writer's process id."""
    prefix = _temp_prefix(path)
    for tmp in path.parent.glob(glob.escape(prefix) + "*.tmp"):
        pid = tmp.name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                tmp.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def _mode(path: Path) -> int:
    """The permissions `path` has, or a new file gets under the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def commit(f: IO[str], tmp: str, path: Path | str) -> None:
    """Flush `f` to disk and rename it over `path`: readers see the old file or the new one."""
    f.flush()
    os.fsync(f.fileno())
    f.close()
    os.replace(tmp, path)


def discard(f: IO[str], tmp: str) -> None:
    """Close `f` and remove its temporary file if it was not committed (no stale files)."""
    f.close()
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
