"""Interruption: SIGINT and SIGTERM stop the work, never the writing of its results.

`handling()` (entered once, by the command line) makes SIGTERM behave as Ctrl-C does: either
raises KeyboardInterrupt in the main thread.  The explorer, the property decisions and the
prover catch it and return what they have, marked interrupted, so the partial summary and
every output file are still written.  Inside `deferred()` (the writing of the outputs) a
signal is only noted, and raised when the block ends: no file is left half-written, and the
files of one run are all written (a second signal does not wait).  A z3 query cannot be
interrupted by a Python handler (that runs between bytecodes, and z3 may search for minutes),
so a watcher thread, woken by the signal itself, tells z3 to give up the query at once.
`received()` names the first signal (the exit code is 128 + its number: 130 for SIGINT, 143
for SIGTERM).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _State:
    received: int | None = None
    deferring: int = 0
    pending: bool = False


_state = _State()


def received() -> int | None:
    """The first SIGINT or SIGTERM received while `handling`, if any."""
    return _state.received


def exit_code(signum: int | None = None) -> int:
    """128 + the signal's number (SIGINT when none is known)."""
    return 128 + int(signum or received() or signal.SIGINT)


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.received is None:
        _state.received = signum
    if _state.deferring and not _state.pending:  # a second signal does not wait
        _state.pending = True
        return
    raise KeyboardInterrupt


def _interrupt_z3() -> None:
    z3 = sys.modules.get("z3")
    if z3 is not None:
        z3.main_ctx().interrupt()


def _watch(fd: int) -> None:
    """Runs in a thread: each signal number written to the wake-up pipe interrupts z3."""
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data:
            return
        if any(b in SIGNALS for b in data) and not _state.deferring:
            _interrupt_z3()


@contextmanager
def handling() -> Iterator[None]:
    """Install the handlers (main thread only; elsewhere this does nothing) and restore the
    previous ones on leaving."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.received, _state.deferring, _state.pending = None, 0, False
    old = {s: signal.signal(s, _handler) for s in SIGNALS}
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(read_fd,), daemon=True,
                               name="migcheck-interrupts")
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(old_wakeup)
        for s, handler in old.items():
            signal.signal(s, handler)
        os.close(write_fd)
        watcher.join(timeout=1)
        os.close(read_fd)


@contextmanager
def deferred() -> Iterator[None]:
    """Signals arriving inside the block take effect when it ends."""
    _state.deferring += 1
    try:
        yield
    finally:
        _state.deferring -= 1
        if not _state.deferring and _state.pending:
            _state.pending = False
            raise KeyboardInterrupt
