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
from dataclasses import dataclass, field
from pathlib import Path

from migcheck.checker import stuck
from migcheck.checker.expr import Symbol
from migcheck.checker.files import write_text
from migcheck.checker.spec import Call

FORMAT = "ITF"
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


class TraceFileError(ValueError):
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


def _pair(item: object) -> tuple[object, object]:
    if not isinstance(item, list) or len(item) != 2:
        raise TraceFileError(f"an ITF #map entry must be a [key, value] pair, not {item!r:.60}")
    return _from_itf(item[0]), _from_itf(item[1])


def _from_itf(value: object) -> object:
    if isinstance(value, list):
        return [_from_itf(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key in ("#tup", "#set", "#map") and not isinstance(inner, list):
            raise TraceFileError(f"ITF {key} must hold a list, not {inner!r:.60}")
        if key == "#tup":
            return tuple(_from_itf(v) for v in inner)
        if key == "#set":
            return ItfSet(_from_itf(v) for v in inner)
        if key == "#map":
            return ItfMap(_pair(item) for item in inner)
        if key == "#bigint":
            try:
                return int(str(inner))
            except ValueError:
                raise TraceFileError(f"ITF #bigint {inner!r:.60} is not an integer") from None
        if key == "#unserializable":
            return Unserializable(str(inner))
    unknown = [k for k in value if k.startswith("#")]
    if unknown:
        raise TraceFileError(f"unsupported ITF value {unknown[0]!r}")
    return {k: _from_itf(v) for k, v in value.items()}  # a record


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


def _strings(value: object) -> dict[str, str]:
    """A {str: str} table from the trace's #meta (anything else: none)."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}


def _channels(value: object) -> dict[str, Channel]:
    if not isinstance(value, dict):
        return {}
    return {str(k): Channel(str(v["from"]), str(v["to"])) for k, v in value.items()
            if isinstance(v, dict) and "from" in v and "to" in v}


def from_json(doc: object) -> Trace:
    """A Trace of an ITF document: migcheck's own, or any other tool's (whose states carry no
    step metadata)."""
    try:
        if not isinstance(doc, dict):
            raise TraceFileError("not a migcheck/ITF trace: the document is not a JSON object")
        meta = doc.get("#meta", {})
        meta = meta if isinstance(meta, dict) else {}
        names = [str(n) for n in doc["vars"]]
        steps = []
        blocked = []
        for i, raw in enumerate(doc["states"]):
            smeta = raw.get("#meta", {})
            missing = [k for k in names if k not in raw]
            if missing:
                raise TraceFileError(f"not a migcheck/ITF trace: state {i} has no value for"
                                     f" {missing[0]!r}")
            state = {k: _from_itf(raw[k]) for k in names}
            events = tuple((e["side"], e["status"]) for e in smeta.get("events", ()))
            reply = smeta.get("reply")
            call = smeta.get("call")
            if call is not None:
                call = Call(str(call["target"]), str(call["name"]),
                            tuple((str(k), v) for k, v in dict(call.get("args", {})).items()))
            steps.append(Step(state, smeta.get("action"), smeta.get("actor"),
                              smeta.get("cites"), call,
                              None if reply in (None, "ok") else reply, events))
            blocked += [(i, b["actor"], b["on"]) for b in smeta.get("blocked", ())]
        loop = doc.get("loop")
        if loop is not None and (not isinstance(loop, int) or isinstance(loop, bool)
                                 or not 0 <= loop < len(steps)):
            raise TraceFileError(f"not a migcheck/ITF trace: loop {loop!r:.40} is not a state"
                                 " index")
        params = meta.get("params", {})
        return Trace(
            model=str(meta.get("source", "?")), property=str(meta.get("property", "?")),
            kind=str(meta.get("kind", "?")), steps=tuple(steps),
            params=params if isinstance(params, dict) else {},
            loop_start=loop, summary=str(meta.get("description", "")),
            engine=str(meta.get("engine", "?")), lanes=_strings(meta.get("lanes")),
            actors=_strings(meta.get("actors")), blocked=tuple(blocked),
            channels=_channels(meta.get("channels")), events=_strings(meta.get("events")),
            columns=tuple(str(c) for c in meta.get("columns", ()) if isinstance(c, str)),
            stuck=stuck.from_json(meta["stuck"]) if "stuck" in meta else None)
    except TraceFileError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise TraceFileError(f"not a migcheck/ITF trace: missing or malformed {exc}") from None


def load(path: Path) -> Trace:
    try:
        doc = json.loads(Path(path).read_text())
    except OSError as exc:
        raise TraceFileError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise TraceFileError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    return from_json(doc)
