"""Step a model by action names: replay a trace, drive a scenario in a test, feed Hypothesis."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from migcheck.checker.compile import CompiledModel, State
from migcheck.checker.tracebuild import TraceBuilder


class NotEnabled(ValueError):
    """The named action cannot fire in this state."""


@dataclass
class Simulator:
    compiled: CompiledModel

    @cached_property
    def _by_name(self) -> dict[str, int]:
        return {a.name: i for i, a in enumerate(self.compiled.actions)}

    def enabled(self, state: State) -> list[str]:
        acts = self.compiled.actions
        return [acts[k].name for k, _ in self.compiled.successors(state)]

    def step(self, state: State, name: str) -> State:
        if name not in self._by_name:
            raise NotEnabled(f"no action named {name!r} in {self.compiled.model.name}")
        want = self._by_name[name]
        for k, nxt in self.compiled.successors(state):
            if k == want:
                return nxt
        raise NotEnabled(f"{name!r} is not enabled here")

    def run(self, names: Iterable[str], state: State | None = None) -> State:
        state = self.compiled.model.initial() if state is None else state
        for n in names:
            state = self.step(state, n)
        return state

    def view(self, state: State) -> dict[str, object]:
        """The state as a trace shows it: symbols by name, channels as lists of messages."""
        return self._builder.values(state)

    @cached_property
    def _builder(self) -> TraceBuilder:
        return TraceBuilder(self.compiled)
