"""How the explorer decides each kind of property on an explored graph.

Graph-wide questions are answered with numpy arrays: `Context.holds(expr)` is a boolean mask
over states (the predicate is evaluated once per distinct projection onto the variables it
reads), edges are the arrays `src`, `dst`, `act`.  Each kind has one function below; the
table `DECIDE` maps kinds to them.  States are numbered in BFS order, so the first bad state
found is a shallowest one and its parent path a shortest counterexample.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from migcheck.checker.compile import CompiledModel, function_of
from migcheck.checker.explore import Graph, Path
from migcheck.checker.expr import Expr, Not, all_of, variables
from migcheck.checker.graphalgo import (
    Csr,
    fair_components as graph_fair_components,
    forward,
    reaches,
    scc_labels,
    shortest_path,
    transpose,
    unique_codes,
)
from migcheck.checker.kinds import (
    Escapable,
    Invariant,
    LeavesEventually,
    NoDeadlock,
    Property,
    Sometimes,
    StepInvariant,
    WaitsHavePosters,
)
from migcheck.checker.report import Verdict
from migcheck.checker.spec import Model, Wait
from migcheck.checker.trace import Trace
from migcheck.checker.tracebuild import TraceBuilder

STUCK = ("stays here for ever: no thread can move, and the operator's commands are refused or"
         " not issued")


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
    interrupted: bool = False  # not decided: the run was interrupted first


@dataclass
class Context:
    """What a property decision may look at: the model, its compiled form and the graph."""

    compiled: CompiledModel
    graph: Graph
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def model(self) -> Model:
        return self.compiled.model

    @property
    def n(self) -> int:
        return self.graph.n

    @cached_property
    def _arrays(self):  # type: ignore[no-untyped-def]
        return self.graph.arrays()

    @property
    def src(self) -> np.ndarray:
        return self._arrays.src

    @property
    def dst(self) -> np.ndarray:
        return self._arrays.dst

    @property
    def act(self) -> np.ndarray:
        return self._arrays.act

    @property
    def fair_enabled(self) -> np.ndarray:
        return self._arrays.fair_enabled

    @property
    def depth(self) -> np.ndarray:
        return self._arrays.depth

    @cached_property
    def edge_actor(self) -> np.ndarray:
        actors = len(self.model.actors)
        kind = np.uint8 if actors <= 256 else np.int32  # per edge: keep it small
        return np.array(self.compiled.action_actor, dtype=kind)[self.act]

    @cached_property
    def builder(self) -> TraceBuilder:
        return TraceBuilder(self.compiled)

    @cached_property
    def csr(self) -> Csr:
        """The edges by source, each labelled with its actor."""
        indptr = self._arrays.indptr
        if indptr is None:
            indptr = forward(self.src, self.dst, self.n).indptr
        kinds = self.edge_actor if self.edge_actor.dtype == np.uint8 else None
        return Csr(indptr, np.ascontiguousarray(self.dst, dtype=np.int32), kinds)

    @cached_property
    def reverse(self) -> Csr:
        return transpose(self.csr)

    def reaches(self, targets: np.ndarray, actors: frozenset[str] | None = None) -> np.ndarray:
        """The states from which some target state can be reached (by steps of `actors`
        only, if given)."""
        if actors is None:
            return reaches(targets, self.reverse)
        allowed = np.array([a.name in actors for a in self.model.actors], dtype=bool)
        if self.reverse.kinds is None:
            keep = allowed[self.edge_actor]
            return reaches(targets, transpose(forward(self.src[keep], self.dst[keep], self.n)))
        return reaches(targets, self.reverse, through=allowed)

    @cached_property
    def adjacency(self) -> list[list[tuple[int, int]]]:
        """Per state, its (action, successor) pairs (self-loops excluded)."""
        adj: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        for s, d, a in zip(self.src.tolist(), self.dst.tolist(), self.act.tolist(),
                           strict=True):
            adj[s].append((a, d))
        return adj

    def codes(self, names: tuple[str, ...]) -> tuple[np.ndarray, list[tuple]]:
        """Each state's projection onto `names` as an int code, and the distinct projections.

        Predicates read few variables: evaluating them once per distinct projection instead of
        once per state is what keeps property checks cheap on millions of states."""
        key = ("codes", names)
        if key not in self._cache:
            index = self.model.var_index
            self._cache[key] = self.graph.project(tuple(index[n] for n in names))
        return self._cache[key]  # type: ignore[no-any-return]

    def holds(self, expr: Expr) -> np.ndarray:
        """Boolean mask: the states where `expr` holds."""
        known = self.graph.evaluated(expr)
        if known is not None:
            return known
        names = tuple(sorted(variables(expr)))
        code, distinct = self.codes(names)
        pred = function_of(expr, list(names), self.model.code)
        values = np.fromiter((bool(pred(p)) for p in distinct), dtype=bool,
                             count=len(distinct))
        return values[code] if len(code) else np.zeros(0, dtype=bool)

    def first_false(self, expr: Expr) -> int | None:
        """The shallowest state where `expr` is false: what the explorer recorded if it
        watched `expr`, else read off the whole graph."""
        watched = self.graph.watched
        if expr in watched and (watched[expr] is not None or self.graph.complete):
            return watched[expr]
        return self.first(~self.holds(expr))

    def first(self, mask: np.ndarray) -> int | None:
        """The shallowest state in `mask` (states are numbered in BFS order)."""
        hits = np.flatnonzero(mask)
        return int(hits[0]) if len(hits) else None

    def trace(self, prop: Property, kind: str, path: Path, loop: Path | None = None,
              summary: str = "") -> Trace:
        """A Trace of graph indices: a prefix and an optional repeated part."""
        state = self.graph.state
        return self.builder.build(prop.name, kind, [(a, state(n)) for a, n in path],
                                  [(a, state(n)) for a, n in loop] if loop is not None
                                  else None, summary)

    def stuck_at(self, prop: Property, kind: str, node: int, summary: str) -> Trace:
        """A trace to `node`, which then lasts for ever (the refused commands repeat)."""
        state = self.graph.state(node)
        path = [(a, self.graph.state(n)) for a, n in self.graph.path_to(node)]
        return self.builder.build(prop.name, kind, path, self.builder.refusals(state), summary)


# ---------------------------------------------------------------- one function per kind


def invariant(p: Invariant, ctx: Context) -> Outcome:
    bad = ctx.first_false(p.predicate)
    if bad is None:
        return Outcome(Verdict.HOLDS)
    trace = ctx.trace(p, "invariant", ctx.graph.path_to(bad),
                      summary=f"{p.name} fails in the last state")
    return Outcome(Verdict.VIOLATED, f"fails at depth {ctx.depth[bad]}", trace)


def step_invariant(p: StepInvariant, ctx: Context) -> Outcome:
    used = sorted(variables(p.predicate))
    names = tuple(sorted({u.removeprefix("next_") for u in used}))
    code, distinct = ctx.codes(names)
    # evaluate once per distinct (before, after) pair of projections
    width = max(len(distinct), 1)
    pair = code[ctx.src].astype(np.int64) * width + code[ctx.dst]
    uniq, inverse = unique_codes(pair)
    check = function_of(p.predicate, [*names, *(f"next_{n}" for n in names)], ctx.model.code)
    ok = np.fromiter((bool(check(distinct[u // width] + distinct[u % width])) for u in uniq),
                     dtype=bool, count=len(uniq))
    bad_edges = np.flatnonzero(~ok[inverse])
    if len(bad_edges) == 0:
        return Outcome(Verdict.HOLDS)
    e = int(bad_edges[np.argmin(ctx.depth[ctx.src[bad_edges]])])
    s, d, a = int(ctx.src[e]), int(ctx.dst[e]), int(ctx.act[e])
    path = ctx.graph.path_to(s) + [(a, d)]
    trace = ctx.trace(p, "transition", path, summary=f"{p.name} fails on the last step")
    return Outcome(Verdict.VIOLATED, f"the step {ctx.compiled.actions[a].name!r}", trace)


def no_deadlock(p: NoDeadlock, ctx: Context) -> Outcome:
    stuck = (ctx.fair_enabled == 0) & ~ctx.holds(ctx.model.valid_end)
    bad = ctx.first(stuck)
    if bad is None:
        return Outcome(Verdict.HOLDS)
    trace = ctx.stuck_at(p, "deadlock", bad,
                         "no thread can move, and this is not a valid end state")
    return Outcome(Verdict.VIOLATED, f"deadlock at depth {ctx.depth[bad]}", trace)


def leaves_eventually(p: LeavesEventually, ctx: Context) -> Outcome:
    inside = ctx.holds(p.cond)
    if not inside.any():
        return Outcome(Verdict.HOLDS, "the condition is never reached")
    fair_comp, labels = fair_components(ctx, inside)
    if not fair_comp.any():
        return Outcome(Verdict.HOLDS)
    entry = ctx.first(inside & fair_comp[labels])  # the shallowest state of a fair component
    assert entry is not None
    comp = np.flatnonzero(labels == labels[entry]).tolist()
    members = set(comp)
    if len(comp) == 1 and not any(d in members for _, d in ctx.adjacency[entry]):
        trace = ctx.stuck_at(p, "stuck", entry, STUCK)
        return Outcome(Verdict.VIOLATED, f"stuck at depth {ctx.depth[entry]}", trace)
    cycle = _fair_cycle(ctx, entry, comp)
    trace = ctx.trace(p, "lasso", ctx.graph.path_to(entry), cycle,
                      summary="a fair cycle that never leaves the condition")
    return Outcome(Verdict.VIOLATED, f"fair cycle of {len(cycle)} steps", trace)


def fair_components(ctx: Context, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per SCC of the subgraph `inside`: can a weakly fair behaviour stay in it for ever?

    Weak fairness per fair actor: every fair actor is disabled at some state of the component,
    or takes a step inside it.  A single state without an internal edge is the same test:
    staying there (stuttering) is fair iff no fair actor is enabled there."""
    labels = scc_labels(inside, ctx.csr)
    fair = graph_fair_components(ctx.csr, ctx.edge_actor, inside, labels, ctx.fair_enabled,
                                 ctx.compiled.fair_actors)
    return fair, labels


def _fair_cycle(ctx: Context, entry: int, comp: list[int]) -> list[tuple[int | None, int]]:
    """A cycle from `entry` inside comp in which every fair actor either moves or is, at some
    visited state, disabled (so the repeated cycle is a weakly fair behaviour)."""
    nodes, adj = set(comp), ctx.adjacency
    actor_of, fair_enabled = ctx.compiled.action_actor, ctx.fair_enabled

    def moves(n: int):  # type: ignore[no-untyped-def]
        return ((a, d) for a, d in adj[n] if d in nodes)

    def walk(start: int, target: int) -> list[tuple[int, int]]:
        return shortest_path(start, lambda x: x == target, moves) or []

    cycle: list[tuple[int, int]] = []
    here = entry
    for actor in ctx.compiled.fair_actors:
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
    return list(cycle)


def escapable(p: Escapable, ctx: Context) -> Outcome:
    can = ctx.reaches(ctx.holds(p.goal), p.allowed)
    bad = ctx.first(~can)
    if bad is None:
        return Outcome(Verdict.HOLDS)
    trace = ctx.trace(p, "unescapable", ctx.graph.path_to(bad),
                      summary="from the last state no sequence of steps of "
                              + ", ".join(sorted(p.allowed)) + " reaches the goal")
    return Outcome(Verdict.VIOLATED, f"trapped at depth {ctx.depth[bad]}", trace)


def waits_have_posters(p: WaitsHavePosters, ctx: Context) -> Outcome:
    exempt = ctx.holds(p.exempt)
    asleep = [(w, ctx.holds(all_of(w.at(), ~w.until)) & ~exempt) for w in ctx.model.waits]
    asleep = [(w, blocked) for w, blocked in asleep if blocked.any()]
    worst: tuple[int, Wait] | None = None
    for wait, blocked in asleep:
        bad = ctx.first(blocked & ~ctx.reaches(ctx.holds(wait.until)))
        if bad is not None and (worst is None or bad < worst[0]):
            worst = (bad, wait)
    if worst is None:
        return Outcome(Verdict.HOLDS)
    bad, wait = worst
    trace = ctx.trace(p, "unescapable", ctx.graph.path_to(bad),
                      summary=f"{wait.actor} waits on {wait.on} and nothing can ever post it")
    return Outcome(Verdict.VIOLATED, f"{wait.actor} on {wait.on}", trace)


def sometimes(p: Sometimes, ctx: Context) -> Outcome:
    hit = ctx.first_false(Not(p.predicate))
    if hit is None:
        return Outcome(Verdict.NOT_WITNESSED, "never reached: the check may be vacuous")
    trace = ctx.trace(p, "witness", ctx.graph.path_to(hit), summary="a witness")
    return Outcome(Verdict.WITNESSED, f"at depth {ctx.depth[hit]}", trace)


# The state predicates an explorer can evaluate while it explores (the first state where one
# is false decides the property), so a check of these alone may stop early.
WATCH: dict[type, Callable[[Property], Expr]] = {
    Invariant: lambda p: p.predicate,  # type: ignore[attr-defined]
    Sometimes: lambda p: Not(p.predicate),  # type: ignore[attr-defined]
}


# The state predicates each kind's decision asks `Context.holds` about, besides the watched
# ones: an explorer that evaluates them while exploring spares a pass over the states each.
ASKS: dict[type, Callable[[Property, Model], list[Expr]]] = {
    NoDeadlock: lambda p, m: [m.valid_end],
    LeavesEventually: lambda p, m: [p.cond],  # type: ignore[attr-defined]
    Escapable: lambda p, m: [p.goal],  # type: ignore[attr-defined]
    WaitsHavePosters: lambda p, m: [p.exempt] + [  # type: ignore[attr-defined]
        e for w in m.waits for e in (all_of(w.at(), ~w.until), w.until)],
}


def evaluated(props: list[Property], model: Model) -> tuple[Expr, ...]:
    """The predicates the decisions of `props` will ask about (see ASKS)."""
    return tuple(dict.fromkeys(e for p in props if type(p) in ASKS
                               for e in ASKS[type(p)](p, model)))


def watched(props: list[Property]) -> tuple[Expr, ...]:
    """The predicates worth watching while exploring for these properties."""
    return tuple(dict.fromkeys(WATCH[type(p)](p) for p in props if type(p) in WATCH))


def settled(prop: Property, graph: Graph) -> bool:
    """Decided although the graph is incomplete: a watched predicate already failed."""
    watch = WATCH.get(type(prop))
    return watch is not None and graph.watched.get(watch(prop)) is not None


DECIDE: dict[type, Callable[[Property, Context], Outcome]] = {
    Invariant: invariant,  # type: ignore[dict-item]
    StepInvariant: step_invariant,  # type: ignore[dict-item]
    NoDeadlock: no_deadlock,  # type: ignore[dict-item]
    LeavesEventually: leaves_eventually,  # type: ignore[dict-item]
    Escapable: escapable,  # type: ignore[dict-item]
    WaitsHavePosters: waits_have_posters,  # type: ignore[dict-item]
    Sometimes: sometimes,  # type: ignore[dict-item]
}


def decide(prop: Property, ctx: Context) -> Outcome:
    decider = DECIDE.get(type(prop))
    if decider is None:
        return Outcome(Verdict.NOT_APPLICABLE, f"the explorer does not decide {prop.kind}")
    return decider(prop, ctx)


INTERRUPTED = "interrupted before it was decided"
OnProperty = Callable[[int, int, str], None]  # (i, n, name) as property i of n starts


def check_all(ctx: Context, props: list[Property], on_property: OnProperty | None = None
              ) -> list[Result]:
    """Decide every property; on an interrupt (KeyboardInterrupt) the ones not yet decided
    are unknown and marked `interrupted`."""
    results: list[Result] = []
    for i, prop in enumerate(props, 1):
        if on_property is not None:
            on_property(i, len(props), prop.name)
        started = time.perf_counter()
        try:
            outcome = (decide(prop, ctx) if ctx.graph.complete or settled(prop, ctx.graph)
                       else Outcome(Verdict.UNKNOWN, "exploration incomplete"))
        except KeyboardInterrupt:
            return results + [Result(p, Verdict.UNKNOWN, INTERRUPTED, None, 0.0, True)
                              for p in props[len(results):]]
        results.append(Result(prop, outcome.verdict, outcome.detail, outcome.trace,
                              time.perf_counter() - started))
    return results
