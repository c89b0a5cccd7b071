"""Counterexample traces: one form for every engine, saved as ITF-compatible JSON.

The Informal Trace Format (ITF, used by Apalache and Quint) is `{"#meta", "vars", "states",
"loop"}`; each state is an object of variable values.  migcheck adds, in each state's `#meta`,
the step that led to it: action, actor, the implementation function it cites, the operator's
command (target, name, arguments) and its reply, and the events it emitted; the trace's own
`#meta` may hold `stuck`, the diagnosis of the state it ends in (`migcheck.checker.stuck`).
Symbols are written by name, tuples as `{"#tup": [...]}`.
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
    if isinstance(value, tuple):
        return {"#tup": [_to_itf(v) for v in value]}
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= 2**53:
        return {"#bigint": str(value)}
    return value


def _from_itf(value: object) -> object:
    if isinstance(value, dict):
        if "#tup" in value:
            return tuple(_from_itf(v) for v in value["#tup"])
        if "#bigint" in value:
            return int(value["#bigint"])
        raise TraceFileError(f"unsupported ITF value {value!r}")
    return value


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
    if trace.stuck is not None:
        doc["#meta"]["stuck"] = stuck.to_json(trace.stuck)
    if trace.loop_start is not None:
        doc["loop"] = trace.loop_start
    return doc


def save(trace: Trace, path: Path) -> Path:
    write_text(path, json.dumps(to_json(trace), indent=1) + "\n")
    return path


def from_json(doc: object) -> Trace:
    try:
        meta = doc["#meta"]  # type: ignore[index]
        names = list(doc["vars"])  # type: ignore[index]
        steps = []
        blocked = []
        for i, raw in enumerate(doc["states"]):  # type: ignore[index]
            smeta = raw.get("#meta", {})
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
        return Trace(
            model=meta.get("source", "?"), property=meta.get("property", "?"),
            kind=meta.get("kind", "?"), steps=tuple(steps), params=meta.get("params", {}),
            loop_start=doc.get("loop"), summary=meta.get("description", ""),  # type: ignore[union-attr]
            engine=meta.get("engine", "?"), lanes=meta.get("lanes", {}),
            actors=meta.get("actors", {}), blocked=tuple(blocked),
            stuck=stuck.from_json(meta["stuck"]) if "stuck" in meta else None)
    except TraceFileError:
        raise
    except (KeyError, TypeError, AttributeError) as exc:
        raise TraceFileError(f"not a migcheck/ITF trace: missing or malformed {exc}") from None


def load(path: Path) -> Trace:
    try:
        doc = json.loads(Path(path).read_text())
    except OSError as exc:
        raise TraceFileError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise TraceFileError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    return from_json(doc)
