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
import operator
import time
from dataclasses import dataclass, field

import numpy as np

from migcheck.checker.compile import CompiledModel, State, function_of
from migcheck.checker.explore import StateGraph
from migcheck.checker.expr import Expr, Symbol, Var, all_of, variables
from migcheck.checker.graphalgo import reaches, scc_labels, shortest_path
from migcheck.checker.spec import Wait
from migcheck.checker.trace import Step, Trace


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
    """What a property check may look at: the model, its compiled form and the graph.

    Graph-wide questions are answered with numpy arrays: `holds(expr)` is a boolean mask over
    states, edges are the arrays `src`, `dst`, `act`.
    """

    compiled: CompiledModel
    graph: StateGraph
    _adj: list | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def model(self):
        return self.compiled.model

    @property
    def n(self) -> int:
        return len(self.graph.states)

    def _array(self, name: str, data) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = np.frombuffer(data, dtype=np.int64) if len(data) else \
                np.zeros(0, dtype=np.int64)
        return self._cache[name]

    @property
    def src(self) -> np.ndarray:
        return self._array("src", self.graph.edge_src)

    @property
    def dst(self) -> np.ndarray:
        return self._array("dst", self.graph.edge_dst)

    @property
    def act(self) -> np.ndarray:
        return self._array("act", self.graph.edge_action)

    @property
    def fair_enabled(self) -> np.ndarray:
        return self._array("fair", self.graph.fair_enabled)

    @property
    def depth(self) -> np.ndarray:
        return self._array("depth", self.graph.depth)

    def edge_actor(self) -> np.ndarray:
        if "edge_actor" not in self._cache:
            table = np.array(self.compiled.action_actor, dtype=np.int64)
            self._cache["edge_actor"] = table[self.act]
        return self._cache["edge_actor"]

    def edges_of(self, allowed_actors: frozenset[str] | None) -> np.ndarray:
        """Boolean mask of the edges taken by the given actors (all edges for None)."""
        if allowed_actors is None:
            return np.ones(len(self.src), dtype=bool)
        keep = [i for i, a in enumerate(self.model.actors) if a.name in allowed_actors]
        return np.isin(self.edge_actor(), keep)

    def adjacency(self) -> list[list[tuple[int, int]]]:
        if self._adj is None:
            self._adj = self.graph.out_edges()
        return self._adj

    def codes(self, names: tuple[str, ...]) -> tuple[np.ndarray, list[tuple]]:
        """Each state's projection onto `names`, as an int code, and the distinct projections.

        Predicates read few variables: evaluating them once per distinct projection instead of
        once per state is what keeps property checks cheap on millions of states."""
        key = ("codes", names)
        if key not in self._cache:
            index = self.model.var_index
            cols = [index[n] for n in names]
            if not cols:
                keys = [()] * self.n
            elif len(cols) == 1:
                c = cols[0]
                keys = [(s[c],) for s in self.graph.states]
            else:
                getter = operator.itemgetter(*cols)
                keys = list(map(getter, self.graph.states))
            table: dict = {}
            code = np.fromiter((table.setdefault(k, len(table)) for k in keys),
                               dtype=np.int64, count=self.n)
            self._cache[key] = (code, list(table))
        return self._cache[key]

    def holds(self, expr: Expr) -> np.ndarray:
        """Boolean mask: the states where `expr` holds."""
        names = tuple(sorted(variables(expr)))
        code, distinct = self.codes(names)
        values = self._on_projections(expr, names, distinct)
        return values[code] if len(code) else np.zeros(0, dtype=bool)

    def _on_projections(self, expr: Expr, names: tuple[str, ...], distinct: list) -> np.ndarray:
        pred = function_of(expr, list(names), self.model.code)
        return np.fromiter((bool(pred(p)) for p in distinct), dtype=bool, count=len(distinct))

    def first(self, mask: np.ndarray) -> int | None:
        """The shallowest state in `mask` (states are numbered in BFS order)."""
        hits = np.flatnonzero(mask)
        return int(hits[0]) if len(hits) else None

    # ---- traces
    def step(self, action: int | None, state: State) -> Step:
        model = self.model
        decoded = plain(model.decode(state))
        if action is None:
            return Step(decoded)
        act = self.compiled.actions[action]
        # the action's explicit events; state-change events are added by trace()
        return Step(decoded, act.name, act.actor, act.cites, act.call, act.reply, act.events)

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
        asleep = [(w, self.compiled.predicate(all_of(w.at(), ~w.until))) for w in model.waits]
        blocked = tuple((i, w.actor, w.on) for i, (_, node) in enumerate(entries)
                        for w, pred in asleep if pred(states[node]))
        return Trace(
            model=model.name, property=prop.name, kind=kind, steps=tuple(steps),
            params=dict(model.params), loop_start=(len(path) - 1) if loop is not None else None,
            summary=summary,
            lanes={v.name: v.lane for v in model.variables},
            actors={a.name: a.name for a in model.actors},
            blocked=blocked,
        )


def _with_state_events(step: Step, model, before: State, after: State) -> Step:
    events = []
    for i, var in enumerate(model.variables):
        if var.event and before[i] != after[i]:
            value = var.domain.decode(after[i])
            events.append((var.event, getattr(value, "label", str(value))))
    if not events:
        return step
    return Step(step.state, step.action, step.actor, step.cites, step.call, step.reply,
                tuple(events) + step.events)


def plain(decoded: dict[str, object]) -> dict[str, object]:
    """Symbols become their names, so fresh and reloaded traces look the same."""

    def conv(v: object) -> object:
        if isinstance(v, Symbol):
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
        bad = ctx.first(~ctx.holds(self.predicate))  # BFS order: a shallowest one
        if bad is None:
            return Outcome(Verdict.HOLDS)
        trace = ctx.trace(self, "invariant", ctx.graph.path_to(bad),
                          summary=f"{self.name} fails in the last state")
        return Outcome(Verdict.VIOLATED, f"fails at depth {ctx.graph.depth[bad]}", trace)


@dataclass(frozen=True)
class StepInvariant(Property):
    """`predicate` may read `var` (the state before) and `next_<var>` (the state after)."""

    predicate: Expr = field(default=None)  # type: ignore[assignment]
    kind = "step invariant"

    def decide(self, ctx: Context) -> Outcome:
        used = sorted(variables(self.predicate))
        names = tuple(sorted({u.removeprefix("next_") for u in used}))
        code, distinct = ctx.codes(names)
        # evaluate once per distinct (before, after) pair of projections
        width = max(len(distinct), 1)
        pair = code[ctx.src] * width + code[ctx.dst]
        uniq, inverse = np.unique(pair, return_inverse=True)
        check = function_of(self.predicate, [*names, *(f"next_{n}" for n in names)],
                            ctx.model.code)
        ok = np.fromiter((bool(check(distinct[u // width] + distinct[u % width])) for u in uniq),
                         dtype=bool, count=len(uniq))
        bad_edges = np.flatnonzero(~ok[inverse])
        if len(bad_edges) == 0:
            return Outcome(Verdict.HOLDS)
        e = int(bad_edges[np.argmin(ctx.depth[ctx.src[bad_edges]])])
        s, d, a = int(ctx.src[e]), int(ctx.dst[e]), int(ctx.act[e])
        path = ctx.graph.path_to(s) + [(a, d)]
        trace = ctx.trace(self, "transition", path, summary=f"{self.name} fails on the last step")
        return Outcome(Verdict.VIOLATED, f"the step {ctx.compiled.actions[a].name!r}", trace)


def next_(name: str) -> Var:
    """The value of a variable after the step, in a StepInvariant."""
    return Var(f"next_{name}")


@dataclass(frozen=True)
class NoDeadlock(Property):
    kind = "deadlock"

    def decide(self, ctx: Context) -> Outcome:
        stuck = (ctx.fair_enabled == 0) & ~ctx.holds(ctx.model.valid_end)
        bad = ctx.first(stuck)
        if bad is None:
            return Outcome(Verdict.HOLDS)
        trace = ctx.trace(self, "deadlock", ctx.graph.path_to(bad), _refusals(ctx, bad),
                          summary="no QEMU thread can move, and this is not a valid end state")
        return Outcome(Verdict.VIOLATED, f"deadlock at depth {ctx.graph.depth[bad]}", trace)


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
        inside = ctx.holds(self.cond)
        if not inside.any():
            return Outcome(Verdict.HOLDS, "the condition is never reached")
        fair_comp, labels = _fair_components(ctx, inside)
        if not fair_comp.any():
            return Outcome(Verdict.HOLDS)
        bad_nodes = inside & fair_comp[labels]
        entry = ctx.first(bad_nodes)  # the shallowest state of a fair component
        comp = np.flatnonzero(labels == labels[entry]).tolist()
        prefix = ctx.graph.path_to(entry)
        adj = ctx.adjacency()
        members = set(comp)
        if len(comp) == 1 and not any(d in members for _, d in adj[entry]):
            trace = ctx.trace(self, "stuck", prefix, _refusals(ctx, entry),
                              summary="stays here forever: no QEMU thread can move, and the"
                                      " admin's commands are refused or not issued")
            return Outcome(Verdict.VIOLATED, f"stuck at depth {ctx.graph.depth[entry]}", trace)
        cycle = _fair_cycle(entry, comp, adj, ctx.compiled.action_actor,
                            ctx.compiled.fair_actors, ctx.graph.fair_enabled)
        trace = ctx.trace(self, "lasso", prefix, cycle,
                          summary="a fair cycle that never leaves the condition")
        return Outcome(Verdict.VIOLATED, f"fair cycle of {len(cycle)} steps", trace)


def _fair_components(ctx: Context, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per SCC of the subgraph `inside`: can a weakly fair behaviour stay in it for ever?

    Weak fairness per fair actor: every fair actor is disabled at some state of the component,
    or takes a step inside it.  A single state without an internal edge is the same test:
    staying there (stuttering) is fair iff no fair actor is enabled there."""
    labels = scc_labels(inside, ctx.src, ctx.dst)
    ncomp = int(labels.max()) + 1 if len(labels) else 0
    fair_mask = sum(1 << a for a in ctx.compiled.fair_actors)
    all_on = np.full(ncomp, fair_mask, dtype=np.int64)
    nodes = np.flatnonzero(inside)
    np.bitwise_and.at(all_on, labels[nodes], ctx.fair_enabled[nodes])
    moved = np.zeros(ncomp, dtype=np.int64)
    internal = inside[ctx.src] & inside[ctx.dst] & (labels[ctx.src] == labels[ctx.dst])
    bits = np.left_shift(np.int64(1), ctx.edge_actor()[internal])
    np.bitwise_or.at(moved, labels[ctx.src[internal]], bits)
    has_inside = np.zeros(ncomp, dtype=bool)
    has_inside[labels[nodes]] = True
    fair = has_inside & ((all_on & ~moved & fair_mask) == 0)
    return fair, labels


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
            target = next((n for n in comp if not fair_enabled[n] & bit), here)
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
        keep = ctx.edges_of(self.allowed)
        can = reaches(ctx.holds(self.goal), ctx.src[keep], ctx.dst[keep], ctx.n)
        bad = ctx.first(~can)
        if bad is None:
            return Outcome(Verdict.HOLDS)
        trace = ctx.trace(self, "unescapable", ctx.graph.path_to(bad),
                          summary="from the last state no sequence of admin commands and"
                                  " thread steps (without channel failures) reaches the goal")
        return Outcome(Verdict.VIOLATED, f"trapped at depth {ctx.graph.depth[bad]}", trace)


@dataclass(frozen=True)
class WaitsHavePosters(Property):
    exempt: Expr = field(default=None)  # type: ignore[assignment]
    kind = "wake-up"

    def decide(self, ctx: Context) -> Outcome:
        exempt = ctx.holds(self.exempt)
        worst: tuple[int, Wait] | None = None
        for wait in ctx.model.waits:
            if wait.pc_var not in ctx.model.var_index:
                continue
            blocked = ctx.holds(all_of(wait.at(), ~wait.until)) & ~exempt
            if not blocked.any():
                continue
            can = reaches(ctx.holds(wait.until), ctx.src, ctx.dst, ctx.n)
            bad = ctx.first(blocked & ~can)
            if bad is not None and (worst is None or bad < worst[0]):
                worst = (bad, wait)
        if worst is None:
            return Outcome(Verdict.HOLDS)
        bad, wait = worst
        trace = ctx.trace(self, "unescapable", ctx.graph.path_to(bad),
                          summary=f"{wait.actor} waits on {wait.on} and nothing can ever post it")
        return Outcome(Verdict.VIOLATED, f"{wait.actor} on {wait.on}", trace)


@dataclass(frozen=True)
class Sometimes(Property):
    predicate: Expr = field(default=None)  # type: ignore[assignment]
    kind = "witness"

    def decide(self, ctx: Context) -> Outcome:
        hit = ctx.first(ctx.holds(self.predicate))
        if hit is None:
            return Outcome(Verdict.NOT_WITNESSED, "never reached: the check may be vacuous")
        trace = ctx.trace(self, "witness", ctx.graph.path_to(hit), summary="a witness")
        return Outcome(Verdict.WITNESSED, f"at depth {ctx.graph.depth[hit]}", trace)


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
