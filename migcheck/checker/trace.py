"""Counterexample traces: one form for every engine, saved as ITF JSON.

The Informal Trace Format (ITF, used by Apalache and Quint) is `{"#meta", "vars", "states",
"loop"}`; each state is an object of variable values.  migcheck adds, in each state's `#meta`,
the step that led to it: action, actor, the implementation function it cites, the operator's
command (target, name, arguments) and its reply, and the events it emitted; the trace's
`#meta` says which lane each variable and actor is drawn in, which variables are message
channels (and from which side to which) and which emit events, and may hold `stuck`, the
diagnosis of the state it ends in (`migcheck.checker.stuck`).

Values, in memory and in the file: booleans, integers (`{"#bigint": "..."}` beyond 2^53) and
strings (symbols by name) as themselves; a list (a FIFO: its messages, oldest first) as a JSON
array; a tuple as `{"#tup": [...]}`; an `ItfSet` as `{"#set": [...]}`; an `ItfMap` as
`{"#map": [[key, value], ...]}`; a record as a JSON object.  Any ITF trace loads, so traces of
other tools can be shown too.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from migcheck.checker import stuck
from migcheck.checker.expr import Symbol
from migcheck.checker.files import write_text
from migcheck.checker.inputs import (
    MISSING,
    InputError,
    ShapeError,
    expect,
    items,
    join,
    kind_of,
    load_json,
    member,
    string_map,
    strings,
)
from migcheck.checker.spec import Call

FORMAT = "ITF"
BIGINT_DIGITS = 100  # an ITF #bigint may exceed int64; a runaway one is refused
FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"


class ItfSet(tuple):
    """An ITF set (`#set`), its elements in the file's order."""

    __slots__ = ()


class ItfMap(tuple):
    """An ITF map (`#map`): (key, value) pairs in the file's order."""

    __slots__ = ()


@dataclass(frozen=True)
class Unserializable:
    """An ITF value its writer could not serialize (`#unserializable`): shown as written."""

    text: str


@dataclass(frozen=True)
class Channel:
    """A variable holding the messages in flight from one side (or lane) to another."""

    sender: str
    receiver: str


@dataclass(frozen=True)
class Step:
    """One state of a trace and the action that produced it (None for the initial state)."""

    state: dict[str, object]
    action: str | None = None
    actor: str | None = None
    cites: str | None = None  # the implementation function the action stands for
    call: Call | None = None  # the operator's command, for admin actions
    reply: str | None = None
    events: tuple[tuple[str, str], ...] = ()

    @property
    def refused(self) -> bool:
        return self.reply is not None


@dataclass(frozen=True)
class Trace:
    model: str
    property: str
    kind: str  # invariant | transition | deadlock | lasso | stuck | unescapable | witness
    steps: tuple[Step, ...]
    params: dict[str, object] = field(default_factory=dict)
    loop_start: int | None = None  # index into steps where the repeated part begins
    summary: str = ""
    engine: str = "explore"
    lanes: dict[str, str] = field(default_factory=dict)  # variable -> lane
    actors: dict[str, str] = field(default_factory=dict)  # actor -> lane
    blocked: tuple[tuple[int, str, str], ...] = ()  # (step, actor, what it waits on)
    channels: dict[str, Channel] = field(default_factory=dict)  # variable -> direction
    events: dict[str, str] = field(default_factory=dict)  # variable -> side its changes name
    columns: tuple[str, ...] = ()  # the lanes in the order a viewer draws them
    stuck: stuck.Diagnosis | None = None  # who sleeps at the end, who could wake them

    @property
    def length(self) -> int:
        """Number of actions in the trace (the initial state is not an action)."""
        return len(self.steps) - 1

    @property
    def prefix_length(self) -> int:
        """Actions up to the state where the repeated part starts (all of them if none)."""
        return self.length if self.loop_start is None else self.loop_start

    @property
    def variables(self) -> list[str]:
        return list(self.steps[0].state) if self.steps else []

    def changed(self, i: int) -> list[str]:
        if i == 0:
            return []
        before, after = self.steps[i - 1].state, self.steps[i].state
        return [k for k in after if after[k] != before.get(k)]


class TraceFileError(InputError):
    """A trace file that cannot be read."""


def _to_itf(value: object) -> object:
    if isinstance(value, Symbol | enum.Enum):
        return value.name
    if isinstance(value, ItfSet):
        return {"#set": [_to_itf(v) for v in value]}
    if isinstance(value, ItfMap):
        return {"#map": [[_to_itf(k), _to_itf(v)] for k, v in value]}
    if isinstance(value, tuple):
        return {"#tup": [_to_itf(v) for v in value]}
    if isinstance(value, list):
        return [_to_itf(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_itf(v) for k, v in value.items()}
    if isinstance(value, Unserializable):
        return {"#unserializable": value.text}
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= 2**53:
        return {"#bigint": str(value)}
    return value


def _from_itf(value: object, where: str) -> object:
    """A state value in memory (module docstring); ShapeError, naming `where`, if it is not
    one."""
    if isinstance(value, list):
        return [_from_itf(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, bool | int | str):
        return value
    if not isinstance(value, dict):
        raise ShapeError(where, f"unsupported ITF value ({kind_of(value)})")
    if len(value) == 1:
        ((key, inner),) = value.items()
        at = join(where, key)
        if key == "#tup":
            return tuple(items(inner, at, _from_itf))
        if key == "#set":
            return ItfSet(items(inner, at, _from_itf))
        if key == "#map":
            return ItfMap(items(inner, at, _pair))
        if key == "#bigint":
            digits = str(expect(inner, str, at))
            if not re.fullmatch(rf"-?[0-9]{{1,{BIGINT_DIGITS}}}", digits):
                raise ShapeError(at, f"{digits[:40]!r} is not an integer of at most"
                                     f" {BIGINT_DIGITS} digits")
            return int(digits)
        if key == "#unserializable":
            return Unserializable(str(expect(inner, str, at)))
    unknown = [k for k in value if k.startswith("#")]
    if unknown:
        raise ShapeError(where, f"unsupported ITF value {unknown[0][:40]!r}")
    return {k: _from_itf(v, join(where, k)) for k, v in value.items()}  # a record


def _pair(item: object, where: str) -> tuple[object, object]:
    if not isinstance(item, list) or len(item) != 2:
        raise ShapeError(where, "an ITF #map entry must be a [key, value] pair")
    return _from_itf(item[0], f"{where}[0]"), _from_itf(item[1], f"{where}[1]")


def to_json(trace: Trace) -> dict:
    states = []
    for i, step in enumerate(trace.steps):
        meta = {"index": i}
        if step.action is not None:
            meta.update(action=step.action, actor=step.actor, cites=step.cites)
            if step.call is not None:
                meta["call"] = {"target": step.call.target, "name": step.call.name,
                                "args": dict(step.call.args)}
                meta["reply"] = step.reply if step.reply is not None else "ok"
            if step.events:
                meta["events"] = [{"side": s, "status": st} for s, st in step.events]
        blocked = [{"actor": a, "on": on} for k, a, on in trace.blocked if k == i]
        if blocked:
            meta["blocked"] = blocked
        states.append({"#meta": meta, **{k: _to_itf(v) for k, v in step.state.items()}})
    doc = {
        "#meta": {
            "format": FORMAT,
            "format-description": FORMAT_DESCRIPTION,
            "source": trace.model,
            "description": trace.summary,
            "property": trace.property,
            "kind": trace.kind,
            "engine": trace.engine,
            "params": trace.params,
            "lanes": trace.lanes,
            "actors": trace.actors,
            "columns": list(trace.columns),
            "channels": {k: {"from": c.sender, "to": c.receiver}
                         for k, c in trace.channels.items()},
            "events": trace.events,
        },
        "vars": trace.variables,
        "states": states,
    }
    if trace.stuck is not None:
        doc["#meta"]["stuck"] = stuck.to_json(trace.stuck)
    if trace.loop_start is not None:
        doc["loop"] = trace.loop_start
    return doc


def save(trace: Trace, path: Path) -> Path:
    write_text(path, json.dumps(to_json(trace), indent=1) + "\n")
    return path


def from_json(doc: object, name: str = "trace") -> Trace:
    """A Trace of an ITF document: migcheck's own, or any other tool's (whose states carry no
    step metadata).  TraceFileError, naming `name` and the JSON path, if `doc` is not one."""
    try:
        return _trace(doc)
    except ShapeError as exc:
        raise TraceFileError(f"{name}: not a migcheck/ITF trace: {exc}") from None


def _trace(doc: object) -> Trace:
    expect(doc, dict, "")
    meta = member(doc, "#meta", dict, "", {})
    names = strings(member(doc, "vars", list, ""), "vars")
    steps, blocked = [], []
    for i, raw in enumerate(member(doc, "states", list, "")):  # type: ignore[arg-type]
        where = f"states[{i}]"
        steps.append(_step(raw, names, where))
        mwhere = join(where, "#meta")
        blocked += items(member(raw, "#meta", dict, where, {}).get("blocked", []),  # type: ignore[union-attr]
                         join(mwhere, "blocked"),
                         lambda b, w, i=i: (i, _text(b, "actor", w), _text(b, "on", w)))
    loop = member(doc, "loop", int, "", None)
    if loop is not None and not 0 <= loop < len(steps):  # type: ignore[operator]
        raise ShapeError("loop", f"{loop} is not the index of a state")
    params = member(meta, "params", dict, "#meta", {})
    for k, v in params.items():  # type: ignore[union-attr]
        expect(v, (bool, int, str), f"#meta.params.{k}")
    channels = {k: Channel(_text(c, "from", f"#meta.channels.{k}"),
                           _text(c, "to", f"#meta.channels.{k}"))
                for k, c in member(meta, "channels", dict, "#meta", {}).items()}  # type: ignore[union-attr]
    found = member(meta, "stuck", dict, "#meta", None)
    return Trace(
        model=_text(meta, "source", "#meta", "?"), property=_text(meta, "property", "#meta", "?"),
        kind=_text(meta, "kind", "#meta", "?"), steps=tuple(steps), params=dict(params),  # type: ignore[arg-type]
        loop_start=loop, summary=_text(meta, "description", "#meta", ""),  # type: ignore[arg-type]
        engine=_text(meta, "engine", "#meta", "?"),
        lanes=string_map(member(meta, "lanes", dict, "#meta", {}), "#meta.lanes"),
        actors=string_map(member(meta, "actors", dict, "#meta", {}), "#meta.actors"),
        blocked=tuple(blocked), channels=channels,
        events=string_map(member(meta, "events", dict, "#meta", {}), "#meta.events"),
        columns=strings(member(meta, "columns", list, "#meta", []), "#meta.columns"),
        stuck=None if found is None else _stuck(found, len(steps), "#meta.stuck"))


def _step(raw: object, names: tuple[str, ...], where: str) -> Step:
    expect(raw, dict, where)
    missing = [k for k in names if k not in raw]  # type: ignore[operator]
    if missing:
        raise ShapeError(where, f"no value for {missing[0]!r}")
    state = {k: _from_itf(raw[k], join(where, k)) for k in names}  # type: ignore[index]
    mwhere = join(where, "#meta")
    smeta = member(raw, "#meta", dict, where, {})
    events = tuple(items(member(smeta, "events", list, mwhere, []), join(mwhere, "events"),
                         lambda e, w: (_text(e, "side", w), _text(e, "status", w))))
    call = member(smeta, "call", dict, mwhere, None)
    if call is not None:
        cwhere = join(mwhere, "call")
        args = member(call, "args", dict, cwhere, {})
        call = Call(_text(call, "target", cwhere), _text(call, "name", cwhere),
                    tuple((k, expect(v, (bool, int, str), join(cwhere, k)))
                          for k, v in args.items()))  # type: ignore[union-attr]
    reply = member(smeta, "reply", str, mwhere, None)
    return Step(state, _optional(smeta, "action", mwhere), _optional(smeta, "actor", mwhere),
                _optional(smeta, "cites", mwhere), call,
                None if reply in (None, "ok") else str(reply), events)


def _stuck(doc: object, length: int, where: str) -> stuck.Diagnosis:
    """The diagnosis of the end state, its step numbers within the trace."""
    def step(obj: object, key: str, w: str, default: object = MISSING) -> int | None:
        value = member(obj, key, int, w, default)
        if value is not None and not 0 <= value < length:  # type: ignore[operator]
            raise ShapeError(join(w, key), f"{value} is not a step of the trace")
        return value  # type: ignore[return-value]

    def poster(p: object, w: str) -> stuck.Poster:
        return stuck.Poster(_text(p, "action", w), _text(p, "actor", w),
                            strings(member(p, "starts_at", list, w, []), join(w, "starts_at")),
                            strings(member(p, "missing", list, w, []), join(w, "missing")))

    def sleeper(s: object, w: str) -> stuck.Sleeper:
        return stuck.Sleeper(_text(s, "actor", w), _text(s, "on", w), _text(s, "cites", w, ""),
                             step(s, "since", w),  # type: ignore[arg-type]
                             tuple(items(member(s, "posters", list, w, []), join(w, "posters"),
                                         poster)))

    def actor(a: object, w: str) -> stuck.ActorAt:
        return stuck.ActorAt(_text(a, "name", w), _text(a, "doc", w, ""),
                             _optional(a, "pc", w), _optional(a, "at", w),
                             step(a, "since", w, None))

    return stuck.Diagnosis(
        step(doc, "end", where),  # type: ignore[arg-type]
        tuple(items(member(doc, "sleepers", list, where), join(where, "sleepers"), sleeper)),
        tuple(items(member(doc, "actors", list, where, []), join(where, "actors"), actor)))


def _text(obj: object, key: str, where: str, default: object = MISSING) -> str:
    return str(member(obj, key, str, where, default))


def _optional(obj: object, key: str, where: str) -> str | None:
    value = member(obj, key, str, where, None)
    return None if value is None else str(value)


def load(path: Path) -> Trace:
    """The trace saved in `path` (TraceFileError, one line naming the file, if it is not
    one: unreadable, too large, not UTF-8, not JSON, or not a trace)."""
    try:
        doc = load_json(path)
    except InputError as exc:
        raise TraceFileError(str(exc)) from None
    return from_json(doc, str(path))
