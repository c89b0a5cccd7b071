"""Counterexample traces: one form for every engine, saved as ITF-compatible JSON.

The Informal Trace Format (ITF, used by Apalache and Quint) is `{"#meta", "vars", "states",
"loop"}`; each state is an object of variable values.  migcheck adds, in each state's `#meta`,
the step that led to it: action, actor, the implementation function it cites, the operator's
command (target, name, arguments) and its reply, and the events it emitted.  Symbols are
written by name, tuples as `{"#tup": [...]}`.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from migcheck.checker.expr import Symbol
from migcheck.checker.files import write_text
from migcheck.checker.inputs import (
    MAX_INT,
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
FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"


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
    if isinstance(value, tuple):
        return {"#tup": [_to_itf(v) for v in value]}
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= 2**53:
        return {"#bigint": str(value)}
    return value


def _from_itf(value: object, where: str) -> object:
    """A state value: a boolean, an integer, a name, or a tuple of those (`#tup`); a big
    integer is `#bigint` (bounded like every integer we read)."""
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        if "#tup" in value:
            return tuple(items(value["#tup"], join(where, "#tup"), _from_itf))
        if "#bigint" in value:
            digits = str(expect(value["#bigint"], str, join(where, "#bigint")))
            if not re.fullmatch(r"-?[0-9]{1,19}", digits) or abs(int(digits)) > MAX_INT:
                raise ShapeError(where, "#bigint is not an integer in range")
            return int(digits)
    raise ShapeError(where, f"unsupported ITF value ({kind_of(value)})")


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
        },
        "vars": trace.variables,
        "states": states,
    }
    if trace.loop_start is not None:
        doc["loop"] = trace.loop_start
    return doc


def save(trace: Trace, path: Path) -> Path:
    write_text(path, json.dumps(to_json(trace), indent=1) + "\n")
    return path


def from_json(doc: object, name: str = "trace") -> Trace:
    """A Trace from its ITF form; TraceFileError (naming `name` and the JSON path) if `doc`
    is not one."""
    try:
        return _trace(doc)
    except ShapeError as exc:
        raise TraceFileError(f"{name}: not a migcheck/ITF trace: {exc}") from None


def _trace(doc: object) -> Trace:
    meta = member(doc, "#meta", dict, "")
    names = strings(member(doc, "vars", list, ""), "vars")
    raw_states = member(doc, "states", list, "")
    steps, blocked = [], []
    for i, raw in enumerate(raw_states):  # type: ignore[arg-type]
        where = f"states[{i}]"
        expect(raw, dict, where)
        smeta = member(raw, "#meta", dict, where, {})
        mwhere = join(where, "#meta")
        state = {k: _from_itf(member(raw, k, object, where), join(where, k)) for k in names}
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
        steps.append(Step(state, _optional(smeta, "action", mwhere),
                          _optional(smeta, "actor", mwhere), _optional(smeta, "cites", mwhere),
                          call, None if reply in (None, "ok") else reply, events))
        blocked += items(member(smeta, "blocked", list, mwhere, []), join(mwhere, "blocked"),
                         lambda b, w, i=i: (i, _text(b, "actor", w), _text(b, "on", w)))
    loop = member(doc, "loop", int, "", None)
    if loop is not None and not 0 <= loop < len(steps):  # type: ignore[operator]
        raise ShapeError("loop", f"{loop} is not the index of a state")
    params = member(meta, "params", dict, "#meta", {})
    for k, v in params.items():  # type: ignore[union-attr]
        expect(v, (bool, int, str), f"#meta.params.{k}")
    return Trace(
        model=_text(meta, "source", "#meta", "?"), property=_text(meta, "property", "#meta", "?"),
        kind=_text(meta, "kind", "#meta", "?"), steps=tuple(steps), params=dict(params),
        loop_start=loop, summary=_text(meta, "description", "#meta", ""),  # type: ignore[arg-type]
        engine=_text(meta, "engine", "#meta", "?"),
        lanes=string_map(member(meta, "lanes", dict, "#meta", {}), "#meta.lanes"),
        actors=string_map(member(meta, "actors", dict, "#meta", {}), "#meta.actors"),
        blocked=tuple(blocked))


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
