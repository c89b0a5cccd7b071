"""Kinds of property, and how each is decided on an explored state graph.

A property is a named value of one of these kinds; `properties/` declares the protocol's
properties with QEMU's names.  The kinds are engine-level and generic:

* `Invariant`   - a state predicate holds in every reachable state;
* `StepInvariant` - a predicate over (state, next state) holds on every step;
* `NoDeadlock`  - every state in which no fair actor can move is a declared valid end state;
* `LeavesEventually` - from every reachable state satisfying `cond`, every fair behaviour
  eventually leaves `cond` (weak fairness per fair actor; the environment and the admin are
  never obliged to act; stuttering is allowed);
* `Escapable`   - from every reachable state outside `goal`, some path made only of
  `allowed` actors' steps reaches `goal`;
* `WaitsHavePosters` - every thread blocked at a declared wait point can still be woken:
  some path reaches a state where its wake-up condition holds;
* `Sometimes`   - a witness: some reachable state satisfies the predicate (catches vacuity).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from migcheck.compile import CompiledModel, State
from migcheck.explore import StateGraph
from migcheck.expr import Expr, Var, all_of, variables
from migcheck.graphalgo import backward_reach, sccs, shortest_path
from migcheck.trace import Step, Trace


class Verdict(enum.Enum):
    HOLDS = "holds"
    VIOLATED = "violated"
    WITNESSED = "witnessed"
    NOT_WITNESSED = "not witnessed"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "n/a"  # the model lacks what the property talks about (e.g. no pages)

    @property
    def ok(self) -> bool:
        return self in (Verdict.HOLDS, Verdict.WITNESSED, Verdict.NOT_APPLICABLE)


@dataclass(frozen=True)
class Property:
    name: str
    statement: str
    rests_on: str  # the QEMU fact behind it

    kind = "property"

    def decide(self, ctx: Context) -> Outcome:  # pragma: no cover - interface
        raise NotImplementedError

    def expressions(self) -> list[Expr]:
        """The expressions the property reads (dataclass fields holding expressions)."""
        return [v for v in vars(self).values() if isinstance(v, Expr)]

    def applies_to(self, model) -> bool:
        """False when the property reads variables the model does not have (e.g. pages=0).
        StepInvariant predicates name next_<var>, which count as <var>."""
        known = set(model.var_index)
        used = set().union(*(variables(e) for e in self.expressions()))
        return {u.removeprefix("next_") for u in used} <= known


@dataclass
class Outcome:
    verdict: Verdict
    detail: str = ""
    trace: Trace | None = None


@dataclass(frozen=True)
class Result:
    property: Property
    verdict: Verdict
    detail: str
    trace: Trace | None
    seconds: float


@dataclass
class Context:
    """What a property check may look at: the model, its compiled form and the graph."""

    compiled: CompiledModel
    graph: StateGraph
    _adj: list | None = field(default=None, repr=False)
    _preds: dict = field(default_factory=dict, repr=False)

    @property
    def model(self):
        return self.compiled.model

    def adjacency(self) -> list[list[tuple[int, int]]]:
        if self._adj is None:
            self._adj = self.graph.out_edges()
        return self._adj

    def predecessors(self, allowed_actors: frozenset[str] | None) -> list[list[int]]:
        key = allowed_actors
        if key not in self._preds:
            ok = self._actor_filter(allowed_actors)
            preds: list[list[int]] = [[] for _ in self.graph.states]
            g = self.graph
            for s, d, a in zip(g.edge_src, g.edge_dst, g.edge_action, strict=True):
                if ok(a):
                    preds[d].append(s)
            self._preds[key] = preds
        return self._preds[key]

    def _actor_filter(self, allowed: frozenset[str] | None) -> Callable[[int], bool]:
        if allowed is None:
            return lambda a: True
        actions = self.compiled.actions
        keep = {i for i, act in enumerate(actions) if act.actor in allowed}
        return keep.__contains__

    def holds(self, expr: Expr) -> list[bool]:
        pred = self.compiled.predicate(expr)
        return [bool(pred(s)) for s in self.graph.states]

    # ---- traces
    def step(self, action: int | None, state: State) -> Step:
        model = self.model
        decoded = plain(model.decode(state))
        if action is None:
            return Step(decoded)
        act = self.compiled.actions[action]
        return Step(decoded, act.name, act.actor, act.qemu, act.command, act.reply,
                    self.events(action, state))

    def events(self, action: int, after: State) -> tuple[tuple[str, str], ...]:
        return self.compiled.actions[action].events  # state-change events are added by trace()

    def trace(
        self,
        prop: Property,
        kind: str,
        path: list[tuple[int | None, int]],
        loop: list[tuple[int | None, int]] | None = None,
        summary: str = "",
    ) -> Trace:
        """Build a Trace from graph indices: a prefix and an optional repeated part."""
        states = self.graph.states
        entries = path + (loop or [])
        steps: list[Step] = []
        prev: State | None = None
        for action, node in entries:
            step = self.step(action, states[node])
            if prev is not None and action is not None:
                step = _with_state_events(step, self.model, prev, states[node])
            steps.append(step)
            prev = states[node]
        model = self.model
        blocked = tuple((i, w.actor, w.on) for i, st in enumerate(steps)
                        for w in model.waits if _blocked_at(self.compiled, w, entries[i][1],
                                                            states))
        return Trace(
            model=model.name, property=prop.name, kind=kind, steps=tuple(steps),
            params=dict(model.params), loop_start=(len(path) - 1) if loop is not None else None,
            summary=summary,
            lanes={v.name: v.lane for v in model.variables},
            actors={a.name: a.name for a in model.actors},
            blocked=blocked,
        )


def _blocked_at(compiled: CompiledModel, wait, node: int, states: list[State]) -> bool:
    key = ("blocked", wait.actor, wait.pc)
    cache = compiled.__dict__.setdefault("_wait_preds", {})
    if key not in cache:
        cache[key] = compiled.predicate(all_of(wait.at(), ~wait.until))
    return bool(cache[key](states[node]))


def _with_state_events(step: Step, model, before: State, after: State) -> Step:
    events = []
    for i, var in enumerate(model.variables):
        if var.event and before[i] != after[i]:
            value = var.domain.decode(after[i])
            events.append((var.event, getattr(value, "qapi", str(value))))
    if not events:
        return step
    return Step(step.state, step.action, step.actor, step.qemu, step.command, step.reply,
                tuple(events) + step.events)


def plain(decoded: dict[str, object]) -> dict[str, object]:
    """Enum members become their names, so fresh and reloaded traces look the same."""

    def conv(v: object) -> object:
        if isinstance(v, enum.Enum):
            return v.name
        if isinstance(v, tuple):
            return tuple(conv(x) for x in v)
        return v

    return {k: conv(v) for k, v in decoded.items()}


# ---------------------------------------------------------------- the kinds


@dataclass(frozen=True)
class Invariant(Property):
    predicate: Expr = field(default=None)  # type: ignore[assignment]
    kind = "invariant"

    def decide(self, ctx: Context) -> Outcome:
        pred = ctx.compiled.predicate(self.predicate)
        for i, s in enumerate(ctx.graph.states):  # BFS order: the first is a shallowest one
            if not pred(s):
                trace = ctx.trace(self, "invariant", ctx.graph.path_to(i),
                                  summary=f"{self.name} fails in the last state")
                return Outcome(Verdict.VIOLATED, f"fails at depth {ctx.graph.depth[i]}", trace)
        return Outcome(Verdict.HOLDS)


@dataclass(frozen=True)
class StepInvariant(Property):
    """`predicate` may read `var` (the state before) and `next_<var>` (the state after)."""

    predicate: Expr = field(default=None)  # type: ignore[assignment]
    kind = "step invariant"

    def decide(self, ctx: Context) -> Outcome:
        names = [v.name for v in ctx.model.variables]
        check = _pair_predicate(self.predicate, names)
        g = ctx.graph
        worst = None
        for s, d, a in zip(g.edge_src, g.edge_dst, g.edge_action, strict=True):
            if not check(g.states[s], g.states[d]) and (worst is None or g.depth[s] < worst[0]):
                worst = (g.depth[s], s, d, a)
        if worst is None:
            return Outcome(Verdict.HOLDS)
        _, s, d, a = worst
        path = g.path_to(s) + [(a, d)]
        trace = ctx.trace(self, "transition", path, summary=f"{self.name} fails on the last step")
        return Outcome(Verdict.VIOLATED, f"the step {ctx.compiled.actions[a].name!r}", trace)


def _pair_predicate(expr: Expr, names: list[str]):
    """Compile a predicate over (before, after) by renaming next_x to extra slots."""
    from migcheck.compile import _Source

    index = {n: i for i, n in enumerate(names)}
    index.update({f"next_{n}": len(names) + i for i, n in enumerate(names)})
    src = _Source(index)
    total = 2 * len(names)
    unpack = ", ".join(f"s{i}" for i in range(total))
    text = f"def pred(a, b):\n    ({unpack},) = a + b\n    return {src(expr)}\n"
    namespace: dict[str, object] = {}
    exec(compile(text, "<step predicate>", "exec"), namespace)
    return namespace["pred"]


def next_(name: str) -> Var:
    """The value of a variable after the step, in a StepInvariant."""
    return Var(f"next_{name}")


@dataclass(frozen=True)
class NoDeadlock(Property):
    kind = "deadlock"

    def decide(self, ctx: Context) -> Outcome:
        valid = ctx.compiled.predicate(ctx.model.valid_end)
        g = ctx.graph
        for i, s in enumerate(g.states):
            if g.fair_enabled[i] == 0 and not valid(s):
                loop = _refusals(ctx, i)
                trace = ctx.trace(self, "deadlock", g.path_to(i), loop,
                                  summary="no QEMU thread can move, and this is not a valid end"
                                          " state")
                return Outcome(Verdict.VIOLATED, f"deadlock at depth {g.depth[i]}", trace)
        return Outcome(Verdict.HOLDS)


def _refusals(ctx: Context, node: int) -> list[tuple[int | None, int]]:
    """The admin commands QEMU refuses in this state, as self-loop steps (shown in traces)."""
    state = ctx.graph.states[node]
    actions = ctx.compiled.actions
    out = []
    for a, nxt in ctx.compiled.successors(state):
        if nxt == state and actions[a].refused:
            out.append((a, node))
    return out or [(None, node)]


@dataclass(frozen=True)
class LeavesEventually(Property):
    cond: Expr = field(default=None)  # type: ignore[assignment]
    kind = "liveness"

    def decide(self, ctx: Context) -> Outcome:
        g = ctx.graph
        inside = [i for i, ok in enumerate(ctx.holds(self.cond)) if ok]
        if not inside:
            return Outcome(Verdict.HOLDS, "the condition is never reached")
        adj = ctx.adjacency()
        member = set(inside)
        actor_of = ctx.compiled.action_actor
        fair = ctx.compiled.fair_actors
        bad: list[tuple[int, list[int]]] = []  # (entry depth, component)
        for comp in sccs(inside, lambda n: (d for _, d in adj[n])):
            if _fair_component(comp, adj, member, actor_of, fair, g.fair_enabled):
                bad.append((min(g.depth[n] for n in comp), comp))
        if not bad:
            return Outcome(Verdict.HOLDS)
        bad.sort(key=lambda item: item[0])
        comp = bad[0][1]
        entry = min(comp, key=lambda n: g.depth[n])
        prefix = g.path_to(entry)
        if len(comp) == 1 and not any(d == entry for _, d in adj[entry]):
            loop = _refusals(ctx, entry)
            trace = ctx.trace(self, "stuck", prefix, loop,
                              summary="stays here forever: no QEMU thread can move, and the"
                                      " admin's commands are refused or not issued")
            return Outcome(Verdict.VIOLATED, f"stuck at depth {g.depth[entry]}", trace)
        cycle = _fair_cycle(entry, comp, adj, actor_of, fair, g.fair_enabled)
        trace = ctx.trace(self, "lasso", prefix, cycle,
                          summary="a fair cycle that never leaves the condition")
        return Outcome(Verdict.VIOLATED, f"fair cycle of {len(cycle)} steps", trace)


def _fair_component(comp, adj, member, actor_of, fair, fair_enabled) -> bool:
    """Weak fairness: every fair actor is disabled somewhere in comp, or moves inside it."""
    nodes = set(comp)
    internal = [(a, d) for n in comp for a, d in adj[n] if d in nodes]
    if len(comp) == 1 and not internal:
        return fair_enabled[comp[0]] == 0  # a single state: stuttering forever is fair
    moved = {actor_of[a] for a, _ in internal}
    for actor in fair:
        bit = 1 << actor
        if actor in moved:
            continue
        if all(fair_enabled[n] & bit for n in comp):
            return False
    return True


def _fair_cycle(entry, comp, adj, actor_of, fair, fair_enabled) -> list[tuple[int, int]]:
    """A cycle from `entry` inside comp in which every fair actor either moves or is, at some
    visited state, disabled (so the repeated cycle is a weakly fair behaviour)."""
    nodes = set(comp)

    def moves(n):
        return ((a, d) for a, d in adj[n] if d in nodes)

    def walk(start, target):
        return shortest_path(start, lambda x: x == target, moves) or []

    cycle: list[tuple[int, int]] = []
    here = entry
    for actor in fair:
        bit = 1 << actor
        step = next(((n, a, d) for n in comp for a, d in adj[n]
                     if d in nodes and actor_of[a] == actor), None)
        if step is not None:
            n, a, d = step
            cycle += walk(here, n) + [(a, d)]
            here = d
        else:
            target = next(n for n in comp if not fair_enabled[n] & bit)
            cycle += walk(here, target)
            here = target
    cycle += walk(here, entry)
    if not cycle:
        a, d = next(moves(entry))
        cycle = [(a, d)] + walk(d, entry)
    return cycle


@dataclass(frozen=True)
class Escapable(Property):
    goal: Expr = field(default=None)  # type: ignore[assignment]
    allowed: frozenset[str] = frozenset()  # actors whose steps may be used
    kind = "escape"

    def decide(self, ctx: Context) -> Outcome:
        g = ctx.graph
        goal = [i for i, ok in enumerate(ctx.holds(self.goal)) if ok]
        can = backward_reach(goal, ctx.predecessors(self.allowed))
        for i in range(len(g.states)):
            if i not in can:
                trace = ctx.trace(self, "unescapable", g.path_to(i),
                                  summary="from the last state no sequence of admin commands"
                                          " and thread steps (without channel failures)"
                                          " reaches the goal")
                return Outcome(Verdict.VIOLATED, f"trapped at depth {g.depth[i]}", trace)
        return Outcome(Verdict.HOLDS)


@dataclass(frozen=True)
class WaitsHavePosters(Property):
    exempt: Expr = field(default=None)  # type: ignore[assignment]
    kind = "wake-up"

    def decide(self, ctx: Context) -> Outcome:
        g = ctx.graph
        exempt = ctx.holds(self.exempt)
        preds = ctx.predecessors(None)
        for wait in ctx.model.waits:
            blocked = ctx.holds(all_of(wait.at(), ~wait.until))
            woken = [i for i, ok in enumerate(ctx.holds(wait.until)) if ok]
            can = backward_reach(woken, preds)
            for i in range(len(g.states)):
                if blocked[i] and not exempt[i] and i not in can:
                    trace = ctx.trace(
                        self, "unescapable", g.path_to(i),
                        summary=f"{wait.actor} waits on {wait.on} and nothing can ever post it")
                    return Outcome(Verdict.VIOLATED, f"{wait.actor} on {wait.on}", trace)
        return Outcome(Verdict.HOLDS)


@dataclass(frozen=True)
class Sometimes(Property):
    predicate: Expr = field(default=None)  # type: ignore[assignment]
    kind = "witness"

    def decide(self, ctx: Context) -> Outcome:
        pred = ctx.compiled.predicate(self.predicate)
        for i, s in enumerate(ctx.graph.states):
            if pred(s):
                trace = ctx.trace(self, "witness", ctx.graph.path_to(i), summary="a witness")
                return Outcome(Verdict.WITNESSED, f"at depth {ctx.graph.depth[i]}", trace)
        return Outcome(Verdict.NOT_WITNESSED, "never reached: the check may be vacuous")


def check_all(ctx: Context, props: list[Property]) -> list[Result]:
    results = []
    for prop in props:
        started = time.perf_counter()
        if not prop.applies_to(ctx.model):
            outcome = Outcome(Verdict.NOT_APPLICABLE, "the model lacks its variables")
        elif not ctx.graph.complete:
            outcome = Outcome(Verdict.UNKNOWN, "exploration incomplete")
        else:
            outcome = prop.decide(ctx)
        results.append(Result(prop, outcome.verdict, outcome.detail, outcome.trace,
                              time.perf_counter() - started))
    return results
