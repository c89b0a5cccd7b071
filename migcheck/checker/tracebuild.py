"""One way to turn any engine's path into a Trace.

Every engine ends with a path of (action index or None, state tuple): the explorer's parent
links, z3's bounded model, a validated recording, a shrunk random run.  `TraceBuilder` makes
the same Trace of each: decoded states, the step's action, actor, cited function, command and
reply, the events its state changes emit, the threads blocked at each step, and the diagnosis
of the state it ends in (`migcheck.checker.stuck`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from migcheck.checker.compile import CompiledModel, State
from migcheck.checker.expr import Symbol, all_of, symbol
from migcheck.checker.spec import ActorKind, Model
from migcheck.checker.stuck import Diagnoser
from migcheck.checker.trace import Channel, Step, Trace

Path = Sequence[tuple[int | None, State]]


def plain(decoded: dict[str, object]) -> dict[str, object]:
    """Symbols become their names, so fresh and reloaded traces look the same."""

    def conv(v: object) -> object:
        if isinstance(v, Symbol):
            return v.name
        if isinstance(v, tuple):
            return tuple(conv(x) for x in v)
        return v

    return {k: conv(v) for k, v in decoded.items()}


def columns(model: Model) -> tuple[str, ...]:
    """The actors' lanes in the order a sequence chart draws them: the operator's side first,
    then every side in the order the model declares it, except that a side holding a channel
    between two others sits between them (src, net, dst); within a side, its actors in order.
    """
    sides: list[str] = []
    for actor in sorted(model.actors, key=lambda a: a.kind is not ActorKind.ADMIN):
        if actor.side not in sides:
            sides.append(actor.side)
    for var in model.variables:
        side = var.lane.split(":")[0]
        q = var.queue
        if q is None or side not in sides or side in (q.sender, q.receiver) \
                or q.sender not in sides or q.receiver not in sides:
            continue
        sides.remove(side)
        sides.insert(min(sides.index(q.sender), sides.index(q.receiver)) + 1, side)
    return tuple(a.name for side in sides for a in model.actors if a.side == side)


@dataclass
class TraceBuilder:
    compiled: CompiledModel

    @property
    def model(self) -> Model:
        return self.compiled.model

    @cached_property
    def _diagnoser(self) -> Diagnoser:
        return Diagnoser(self.compiled)

    @cached_property
    def _asleep(self) -> list:
        return [(w, self.compiled.predicate(all_of(w.at(), ~w.until)))
                for w in self.model.waits]

    def events(self, action: int | None, before: State | None, after: State) \
            -> tuple[tuple[str, str], ...]:
        """What a step emits: a change of a variable that has an event side emits the new
        value's label on that side, then the action's own extra events."""
        out: list[tuple[str, str]] = []
        if before is not None:
            for i, var in enumerate(self.model.variables):
                if var.event and before[i] != after[i]:
                    value = var.domain.decode(after[i])
                    out.append((var.event, getattr(value, "label", "") or str(value)))
        if action is not None:
            out += self.compiled.actions[action].events
        return tuple(out)

    @cached_property
    def _queues(self) -> dict[str, str]:
        """Channel variable -> the name of its empty marker."""
        out = {}
        for v in self.model.variables:
            if v.queue is not None:
                empty = symbol(v.queue.empty)
                out[v.name] = empty.name if isinstance(empty, Symbol) else str(empty)
        return out

    def values(self, state: State) -> dict[str, object]:
        """A state as a trace shows it: symbols by name, each channel as its messages."""
        decoded = plain(self.model.decode(state))
        for name, empty in self._queues.items():
            decoded[name] = [m for m in decoded[name] if m != empty]  # type: ignore[attr-defined]
        return decoded

    def step(self, action: int | None, before: State | None, after: State) -> Step:
        decoded = self.values(after)
        if action is None:
            return Step(decoded)
        act = self.compiled.actions[action]
        return Step(decoded, act.name, act.actor, act.cites, act.call, act.reply,
                    self.events(action, before, after))

    def refusals(self, state: State) -> list[tuple[int | None, State]]:
        """The operator's commands refused in `state`, as self-loop steps (shown at a state
        that lasts for ever)."""
        actions = self.compiled.actions
        out: list[tuple[int | None, State]] = [
            (a, nxt) for a, nxt in self.compiled.successors(state)
            if nxt == state and actions[a].refused]
        return out or [(None, state)]

    def build(self, name: str, kind: str, path: Path, loop: Path | None = None,
              summary: str = "", engine: str = "explore") -> Trace:
        """A Trace of `path`, then (for a lasso or a state that lasts) the repeated part."""
        entries = list(path) + list(loop or ())
        steps: list[Step] = []
        before: State | None = None
        for action, state in entries:
            steps.append(self.step(action, before, state))
            before = state
        blocked = tuple((i, w.actor, w.on) for i, (_, state) in enumerate(entries)
                        for w, pred in self._asleep if pred(state))
        model = self.model
        states = [state for _, state in entries]
        end = len(path) - 1 if loop is not None else len(entries) - 1
        return Trace(
            model=model.name, property=name, kind=kind, steps=tuple(steps),
            params=dict(model.params), loop_start=(len(path) - 1) if loop is not None else None,
            summary=summary, engine=engine,
            lanes={v.name: v.lane for v in model.variables},
            actors={a.name: a.name for a in model.actors},
            blocked=blocked,
            channels={v.name: Channel(v.queue.sender, v.queue.receiver)
                      for v in model.variables if v.queue is not None},
            events={v.name: v.event for v in model.variables if v.event},
            columns=columns(model),
            stuck=self._diagnoser.diagnose(states, end) if entries else None,
        )
