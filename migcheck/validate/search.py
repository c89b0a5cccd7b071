"""Is a recorded run a behaviour of the model?  A breadth-first search over
(model state, events matched per side, driver items matched).

Unobservable steps (a thread step that emits no event; a network failure inside a break
window) are free; a step that emits events must match the next events of their sides; an
admin step must match the next driver item.  BFS makes the matched path a shortest one, and
for a rejection the node that explained the most observations gives the diagnostic.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from migcheck.checker.compile import CompiledModel, State
from migcheck.checker.spec import ActorKind, Call, Model
from migcheck.checker.trace import Trace
from migcheck.checker.tracebuild import TraceBuilder
from migcheck.validate.observe import (
    QUIET,
    UNKNOWN_REPLY,
    DriverItem,
    Event,
    Observations,
)

Node = tuple[State, int, int, int]  # model state, src events, dst events, driver items


def model_commands(model: Model) -> set[tuple[str, str]]:
    """The (side, command) pairs the model's operator can issue."""
    return {(a.call.target, a.call.name) for a in model.actions if a.call is not None}


@dataclass
class Match:
    accepted: bool
    trace: Trace  # the matched path (accepted) or the longest matched prefix (rejected)
    matched: list[list[str]]  # per step (index 1..): the observations it explained
    explained: int
    total: int
    unexplained: str = ""  # the first observation nothing explains
    reason: str = ""
    enabled: list[str] | None = None  # actions enabled where the match stopped
    nodes: int = 0


class Validator:
    def __init__(self, model: Model, obs: Observations):
        self.model = model
        self.obs = obs
        self.compiled = CompiledModel(model)
        self.builder = TraceBuilder(self.compiled)
        acts = model.actions
        self.kind = [model.actor(a.actor).kind for a in acts]
        self.calls = [a.call for a in acts]
        self.windows = _windows(obs.driver)
        self.status_var = {v.event: i for i, v in enumerate(model.variables) if v.event}
        self.ev = obs.events

    # ---- steps -----------------------------------------------------------------------
    def emitted(self, action: int, before: State, after: State) -> tuple[tuple[str, str], ...]:
        return self.builder.events(action, before, after)

    def consume(self, events, ps: int, pd: int, drv: int) -> tuple[int, int] | None:
        pos = {"src": ps, "dst": pd}
        for side, status in events:
            queue = self.ev.get(side, [])
            i = pos[side]
            if i >= len(queue) or queue[i].status != status or drv < queue[i].after_driver:
                return None
            pos[side] = i + 1
        return pos["src"], pos["dst"]

    def quiet(self, state: State) -> bool:
        return all(nxt == state for a, nxt in self.compiled.successors(state)
                   if self.kind[a] is ActorKind.THREAD)

    def command_matches(self, action: int, item: DriverItem) -> bool:
        call = self.calls[action]
        if call is None or not _same_command(call, item):
            return False
        reply = self.model.actions[action].reply
        return item.reply == UNKNOWN_REPLY or reply == item.reply

    def sample_holds(self, state: State, item: DriverItem) -> bool:
        i = self.status_var.get(item.side)
        if i is None or item.status is None:
            return True
        value = self.model.variables[i].domain.decode(state[i])
        return getattr(value, "label", str(value)) == item.status

    def moves(self, node: Node):
        """(action or None, next node, observations explained) from `node`."""
        state, ps, pd, drv = node
        succ = self.compiled.successors(state)
        broken = self.windows[drv]
        for a, nxt in succ:
            kind = self.kind[a]
            if kind is ActorKind.ADMIN or nxt == state:
                continue
            if kind is ActorKind.ENV and not broken:
                continue
            events = self.emitted(a, state, nxt)
            pos = self.consume(events, ps, pd, drv)
            if pos is not None:
                yield a, (nxt, pos[0], pos[1], drv), self._explained(events, ps, pd)
        if drv >= len(self.obs.driver):
            return
        item = self.obs.driver[drv]
        if ps < item.need["src"] or pd < item.need["dst"]:
            return
        here = [item.describe()]
        if item.kind == "command":
            for a, nxt in succ:
                if self.kind[a] is ActorKind.ADMIN and self.command_matches(a, item):
                    events = self.emitted(a, state, nxt)
                    pos = self.consume(events, ps, pd, drv + 1)
                    if pos is not None:
                        yield a, (nxt, pos[0], pos[1], drv + 1), \
                            here + self._explained(events, ps, pd)
        elif item.kind == "sample":
            if self.sample_holds(state, item):
                yield None, (state, ps, pd, drv + 1), here
        elif item.kind == QUIET:
            if (ps, pd) == (item.need["src"], item.need["dst"]) and self.quiet(state):
                yield None, (state, ps, pd, drv + 1), here
        else:
            yield None, (state, ps, pd, drv + 1), here

    def _explained(self, events, ps: int, pd: int) -> list[str]:
        pos = {"src": ps, "dst": pd}
        out = []
        for side, _ in events:
            out.append(self.ev[side][pos[side]].describe())
            pos[side] += 1
        return out

    # ---- search ----------------------------------------------------------------------
    def run(self, max_nodes: int = 5_000_000) -> Match:
        start: Node = (self.model.initial(), 0, 0, 0)
        goal = (len(self.ev["src"]), len(self.ev["dst"]), len(self.obs.driver))
        parent: dict[Node, tuple[Node | None, int | None, list[str]]] = {start: (None, None, [])}
        queue = deque([start])
        best = start
        while queue:
            node = queue.popleft()
            if node[1:] == goal:
                return self._result(node, parent, True)
            if _score(node) > _score(best):
                best = node
            for action, nxt, explained in self.moves(node):
                if nxt not in parent:
                    parent[nxt] = (node, action, explained)
                    queue.append(nxt)
            if len(parent) > max_nodes:
                break
        return self._result(best, parent, False)

    def _result(self, node: Node, parent, accepted: bool) -> Match:
        chain = []
        cur: Node | None = node
        while cur is not None:
            prev, action, explained = parent[cur]
            chain.append((cur, action, explained))
            cur = prev
        chain.reverse()
        path: list[tuple[int | None, State]] = []
        matched: list[list[str]] = []
        carry: list[str] = []
        for (state, *_), action, explained in chain:
            if action is None and path:
                carry += explained  # a sample or a mark: shown with the next step
                continue
            path.append((action, state))
            matched.append(carry + explained if action is not None else [])
            carry = []
        if carry:
            matched[-1] = matched[-1] + carry
        trace = self.builder.build(
            "validate", "validation", path, engine="validate",
            summary=("the recorded run is a behaviour of the model" if accepted
                     else "the longest prefix of the recorded run the model explains"))
        explained = _score(node)
        result = Match(accepted, trace, matched, explained, self.obs.total(),
                       nodes=len(parent))
        if not accepted:
            result.unexplained, result.reason = self._next_observation(node)
            result.enabled = self._enabled(node)
        return result

    def _next_observation(self, node: Node) -> tuple[str, str]:
        _, ps, pd, drv = node
        pending: list[Event | DriverItem] = []
        for side, i in (("src", ps), ("dst", pd)):
            if i < len(self.ev[side]):
                pending.append(self.ev[side][i])
        if drv < len(self.obs.driver):
            pending.append(self.obs.driver[drv])
        first = min(pending, key=lambda o: o.line)
        reason = "no enabled action of the model emits or issues it here"
        if isinstance(first, DriverItem) and first.kind == QUIET:
            reason = ("the run was quiet here, but in the model a QEMU thread can still move"
                      " (or an event is still to come)")
        elif isinstance(first, DriverItem) and first.kind == "sample":
            reason = "the sampled status differs from the model's status here"
        elif isinstance(first, DriverItem) and first.kind == "command":
            reason = self._command_reason(node, first)
        return first.describe(), reason

    def _command_reason(self, node: Node, item: DriverItem) -> str:
        """Why the model's version of this command does not fit here."""
        state, ps, pd, _ = node
        same = []
        for a, nxt in self.compiled.successors(state):
            call = self.calls[a]
            if call is not None and _same_command(call, item):
                same.append((a, nxt))
        if not same:
            return "the model does not issue this command here"
        fits = [(a, nxt) for a, nxt in same if self.command_matches(a, item)]
        if not fits:
            replies = "; ".join(self.model.actions[a].reply or "accepted" for a, _ in same)
            return f"the model's reply here differs: {replies}"
        a, nxt = fits[0]
        events = ", ".join(f"{s} {st}" for s, st in self.emitted(a, state, nxt)) or "none"
        ahead = ", ".join(f"{side} {self.ev[side][i].status}"
                          for side, i in (("src", ps), ("dst", pd)) if i < len(self.ev[side]))
        return (f"the model's {self.model.actions[a].name!r} emits events {events}; the next"
                f" recorded events are {ahead or 'none'}")

    def _enabled(self, node: Node) -> list[str]:
        state, *_ = node
        out = []
        for a, nxt in self.compiled.successors(state):
            act = self.model.actions[a]
            events = ", ".join(f"{s} {st}" for s, st in self.emitted(a, state, nxt))
            loop = " (no change)" if nxt == state else ""
            if self.kind[a] is ActorKind.ENV and not self.windows[node[3]]:
                loop += " (not taken: no break mark open)"
            out.append(f"{act.name} [{act.actor}]{loop}" + (f" -> events {events}"
                                                             if events else ""))
        return out


def _same_command(call: Call, item: DriverItem) -> bool:
    return (call.target, call.name, call.flags()) == (item.side, item.name, item.flags)


def _score(node: Node) -> int:
    return node[1] + node[2] + node[3]


def _windows(driver: list[DriverItem]) -> list[bool]:
    """Per driver position: is the path broken (a break matched, its heal not yet)?"""
    out, broken = [], False
    for item in driver:
        out.append(broken)
        if item.kind == "break":
            broken = True
        elif item.kind == "heal":
            broken = False
    out.append(broken)
    return out


def validate(model: Model, obs: Observations) -> Match:
    return Validator(model, obs).run()
