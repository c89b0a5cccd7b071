"""JSON-lines trace of one real-QEMU run.

One object per line::

    {"t": 1.234567, "side": "src", "kind": "cmd",   "data": {"execute": "migrate", ...}}
    {"t": 1.240001, "side": "src", "kind": "reply", "data": {"return": {}}}
    {"t": 3.1,      "side": "dst", "kind": "event", "data": {"event": "MIGRATION", ...}}
    {"t": 4.0,      "side": "driver", "kind": "mark", "data": {"mark": "break"}}

``t`` is seconds since the trace was opened (monotonic clock, receipt/sending time).
QMP events also carry QEMU's own wall-clock ``timestamp`` (both QEMUs share one clock).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from migcheck.checker.files import commit, discard, open_beside

SIDES = ("src", "dst")
KINDS = ("cmd", "reply", "event", "mark")
DRIVER = "driver"  # the "side" of marks


def plain(obj: Any) -> Any:
    """A JSON-ready copy of a QMP object (qemu.qmp Messages are Mappings, not dicts)."""
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


class TraceWriter:
    """Appends trace lines to a temporary file beside `path`, flushing each one, and renames it
    to `path` when closed, also after an error (so a failed run keeps what was seen, and a
    reader of `path` never sees a half-written line; a killed run leaves the previous file)."""

    def __init__(self, path: str | Path, *, clock=time.monotonic):
        self.path = Path(path)
        self._clock = clock
        self._t0 = clock()
        self._lock = threading.Lock()
        self._f: IO[str] | None
        self._f, self._tmp, self._target = open_beside(self.path)

    def now(self) -> float:
        return self._clock() - self._t0

    def write(self, side: str, kind: str, data: Mapping[str, Any]) -> dict:
        if kind not in KINDS:
            raise ValueError(f"bad trace kind {kind!r}")
        if kind == "mark":
            if side != DRIVER:
                raise ValueError("marks are written with side 'driver'")
            if "mark" not in data:
                raise ValueError("a mark needs a 'mark' key")
        elif side not in SIDES:
            raise ValueError(f"bad trace side {side!r}")
        rec = {"t": round(self.now(), 6), "side": side, "kind": kind, "data": plain(data)}
        line = json.dumps(rec, separators=(",", ":"), sort_keys=False)
        with self._lock:
            if self._f is None:
                raise ValueError("trace is closed")
            self._f.write(line + "\n")
            self._f.flush()
        return rec

    def mark(self, mark: str, **fields: Any) -> dict:
        return self.write(DRIVER, "mark", {"mark": mark, **fields})

    def close(self) -> None:
        with self._lock:
            if self._f is not None:
                try:
                    commit(self._f, self._tmp, self._target)
                finally:
                    discard(self._f, self._tmp)
                    self._f = None

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_trace(path: str | Path) -> list[dict]:
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def migration_statuses(records: list[dict], side: str) -> list[str]:
    """The ``status`` of every MIGRATION event of ``side``, in order."""
    return [
        r["data"]["data"]["status"]
        for r in records
        if r["side"] == side and r["kind"] == "event" and r["data"].get("event") == "MIGRATION"
    ]


def replies_to(records: list[dict], side: str, command: str) -> Iterator[tuple[dict, dict]]:
    """(cmd, reply) data pairs of ``command`` on ``side``; each reply follows its command."""
    pending: list[dict] = []
    for r in records:
        if r["side"] != side:
            continue
        if r["kind"] == "cmd":
            pending.append(r["data"])
        elif r["kind"] == "reply" and pending:
            cmd = pending.pop(0)
            if cmd.get("execute", cmd.get("exec-oob")) == command:
                yield cmd, r["data"]
