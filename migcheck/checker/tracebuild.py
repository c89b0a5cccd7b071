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
from migcheck.checker.expr import Symbol, all_of
from migcheck.checker.spec import Model
from migcheck.checker.stuck import Diagnoser
from migcheck.checker.trace import Step, Trace

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

    def step(self, action: int | None, before: State | None, after: State) -> Step:
        decoded = plain(self.model.decode(after))
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
            stuck=self._diagnoser.diagnose(states, end) if entries else None,
        )
