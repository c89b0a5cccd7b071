"""A real-QEMU trace (realqemu JSON lines) as the observations the model must explain.

How each kind of record maps to the model (the one mapping table; search.py reads it):

  record                          observation     what the matched model path must do
  ------------------------------  --------------  ------------------------------------------
  event MIGRATION {status}, S     event           a step emits it: a change of the variable
                                                  whose StateVar.event is S, or one of the
                                                  Action.events extras; per side in order
  other events (STOP, RESUME,     -               not modelled: ignored and counted
  MIGRATION_PASS)
  cmd + reply on S, a command     command         one admin action "S: <command>[ k=true]";
  the model has                                   the flags are the boolean arguments that
                                                  are true (resume=true); accepted iff the
                                                  reply has no error, and a refusal's text
                                                  equals Action.reply; it happens between
                                                  the cmd and the reply
  cmd query-migrate on S          sample          no step; S's status variable equals the
                                                  reply's status there (checked, and not
                                                  used for ordering beyond its own side)
  cmd the model lacks             -               ignored and listed (set-up commands)
  mark break                      window opens    until heal, the network's actions (actor
                                                  kind ENV: "network: main channel fails",
                                                  "network: path fails before the
                                                  destination accepts", i.e. proxy (b)
                                                  killed while a connection is made) are
                                                  free unobserved steps; never outside
  mark heal                       window closes   -
  mark quiet                      quiescence      the events recorded before it are matched,
                                                  none after, and no fair actor (QEMU
                                                  thread) has a move that changes the state
  marks start, qmp-connected,     -               no model meaning (an error is reported)
  ready, dst-socket, end, error

Order: each side's events in recorded order; driver items (commands, samples, marks) in
recorded order (the driver waits for each reply); a driver item comes after every event,
of either side, recorded before it; an event comes after every same-side command whose
reply was recorded before it, and after every earlier `quiet`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from migcheck.checker.inputs import InputError, ShapeError, member, parse_json, read_text

SIDES = ("src", "dst")
WINDOW_MARKS = {"break": True, "heal": False}
QUIET = "quiet"
SAMPLE_COMMANDS = ("query-migrate",)
UNKNOWN_REPLY = "<no reply recorded>"


class TraceError(InputError):
    """A file that is not a realqemu trace."""


@dataclass(frozen=True)
class Event:
    line: int
    side: str
    status: str
    after_driver: int  # driver items that must be matched before this event

    def describe(self) -> str:
        return f"line {self.line}: {self.side} event MIGRATION {self.status}"


@dataclass(frozen=True)
class DriverItem:
    line: int
    kind: str  # "command" | "sample" | "break" | "heal" | "quiet"
    side: str  # "src" / "dst" / "driver"
    name: str = ""  # command name
    flags: frozenset[str] = frozenset()  # boolean arguments that are true, as "k=true"
    reply: str | None = None  # None accepted, else error text (or UNKNOWN_REPLY)
    status: str | None = None  # a sample's status
    need: dict[str, int] = field(default_factory=dict)  # events per side recorded before
    seconds: float = 0.0  # a quiet mark's length

    def describe(self) -> str:
        where = f"line {self.line}: "
        if self.kind == "command":
            flags = "".join(f" {f}" for f in sorted(self.flags))
            outcome = "ok" if self.reply is None else f"refused ({self.reply})"
            return f"{where}{self.side} {self.name}{flags} -> {outcome}"
        if self.kind == "sample":
            return f"{where}{self.side} query-migrate -> status {self.status}"
        if self.kind == QUIET:
            return f"{where}quiet ({self.seconds:g} s without events)"
        return f"{where}{self.kind} mark"


@dataclass
class Observations:
    path: str
    events: dict[str, list[Event]]
    driver: list[DriverItem]
    version: str | None  # "7.2" / "10.0" from the start mark
    ignored_commands: dict[str, int]
    ignored_events: int
    errors: list[str]

    @property
    def breaks(self) -> int:
        return sum(1 for d in self.driver if d.kind == "break")

    def total(self) -> int:
        return len(self.driver) + sum(len(v) for v in self.events.values())


def _flags(arguments: object) -> frozenset[str]:
    if not isinstance(arguments, dict):
        return frozenset()
    return frozenset(f"{k}=true" for k, v in arguments.items() if v is True)


def _read(path: Path) -> list[tuple[int, dict]]:
    try:
        text = read_text(path)
    except InputError as exc:
        raise TraceError(str(exc)) from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = parse_json(line, f"{path}:{n}")
        except InputError as exc:
            raise TraceError(str(exc)) from None
        if not (isinstance(rec, dict) and {"side", "kind", "data"} <= rec.keys()
                and isinstance(rec["data"], dict)):
            raise TraceError(f"{path}:{n}: not a realqemu trace record"
                             " (needs side, kind, data)")
        out.append((n, rec))
    if not out:
        raise TraceError(f"{path}: empty trace")
    return out


def _get(data: dict, key: str, kinds: type | tuple[type, ...], where: str,
         default: object = None) -> object:
    """data[key] of one of `kinds` (or `default` when absent): TraceError naming the line."""
    try:
        return member(data, key, kinds, "data", default)
    except ShapeError as exc:
        raise TraceError(f"{where}: {exc}") from None


def observations(path: Path, model_commands: set[tuple[str, str]]) -> Observations:
    """Parse `path`; `model_commands` holds the (side, command) pairs the model can issue."""
    records = _read(path)
    events: dict[str, list[Event]] = {s: [] for s in SIDES}
    driver: list[DriverItem] = []
    pending: dict[str, list[tuple[int, dict, int]]] = {s: [] for s in SIDES}
    # reply lines: (driver index, side) -> line, to order later same-side events
    replied: dict[str, list[int]] = {s: [] for s in SIDES}  # driver indices replied so far
    last_quiet = -1
    ignored: dict[str, int] = {}
    ignored_events = 0
    version = None
    errors: list[str] = []
    for n, rec in records:
        side, kind, data = rec["side"], rec["kind"], rec["data"]
        where = f"{path}:{n}"
        if kind == "mark":
            mark = _get(data, "mark", str, where)
            if mark == "start":
                version = _get(data, "qemu", str, where)
            elif mark == "error":
                errors.append(f"line {n}: {data.get('message', '')}")
            elif mark in WINDOW_MARKS or mark == QUIET:
                need = {s: len(events[s]) for s in SIDES}
                seconds = _get(data, "seconds", (int, float), where, 0)
                driver.append(DriverItem(n, mark, "driver", need=need,
                                         seconds=float(seconds)))  # type: ignore[arg-type]
                if mark == QUIET:
                    last_quiet = len(driver) - 1
            continue
        if side not in SIDES:
            raise TraceError(f"{path}:{n}: unknown side {side!r}")
        if kind == "event":
            if data.get("event") != "MIGRATION":
                ignored_events += 1
                continue
            status = _get(_get(data, "data", dict, where, {}), "status", str, where)  # type: ignore[arg-type]
            if not isinstance(status, str):
                raise TraceError(f"{path}:{n}: MIGRATION event without a status")
            after = max([last_quiet, *replied[side]], default=-1) + 1
            events[side].append(Event(n, side, status, after))
        elif kind == "cmd":
            name = data.get("execute", data.get("exec-oob"))
            if not isinstance(name, str):
                raise TraceError(f"{path}:{n}: command without 'execute'")
            need = {s: len(events[s]) for s in SIDES}
            if name in SAMPLE_COMMANDS:
                driver.append(DriverItem(n, "sample", side, name, need=need))
            elif (side, name) in model_commands:
                driver.append(DriverItem(n, "command", side, name,
                                         _flags(data.get("arguments")), UNKNOWN_REPLY,
                                         need=need))
            else:
                ignored[name] = ignored.get(name, 0) + 1
                pending[side].append((n, data, -1))
                continue
            pending[side].append((n, data, len(driver) - 1))
        elif kind == "reply":
            if not pending[side]:
                raise TraceError(f"{path}:{n}: a reply without a command")
            _, _, k = pending[side].pop(0)
            if k < 0:
                continue
            item = driver[k]
            error = _get(data, "error", dict, where)
            if item.kind == "sample":
                returned = _get(data, "return", dict, where, {})
                status = None if error else _get(returned, "status", str, where)  # type: ignore[arg-type]
                driver[k] = _with(item, status=status)
            else:
                reply = None if error is None else str(_get(error, "desc", str, where, ""))  # type: ignore[arg-type]
                driver[k] = _with(item, reply=reply)
            replied[side].append(k)
        else:
            raise TraceError(f"{path}:{n}: unknown record kind {kind!r}")
    return Observations(str(path), events, driver, version, ignored, ignored_events, errors)


def _with(item: DriverItem, **changes: object) -> DriverItem:
    from dataclasses import replace

    return replace(item, **changes)  # type: ignore[arg-type]
