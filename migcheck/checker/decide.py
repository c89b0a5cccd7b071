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
from migcheck.checker.expr import Expr, all_of, variables
from migcheck.checker.graphalgo import reaches, scc_labels, shortest_path
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
        return np.array(self.compiled.action_actor, dtype=np.int64)[self.act]

    @cached_property
    def builder(self) -> TraceBuilder:
        return TraceBuilder(self.compiled)

    def edges_of(self, allowed_actors: frozenset[str]) -> np.ndarray:
        """Boolean mask of the edges taken by the given actors."""
        keep = [i for i, a in enumerate(self.model.actors) if a.name in allowed_actors]
        return np.isin(self.edge_actor, keep)

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
        names = tuple(sorted(variables(expr)))
        code, distinct = self.codes(names)
        pred = function_of(expr, list(names), self.model.code)
        values = np.fromiter((bool(pred(p)) for p in distinct), dtype=bool,
                             count=len(distinct))
        return values[code] if len(code) else np.zeros(0, dtype=bool)

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
    bad = ctx.first(~ctx.holds(p.predicate))
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
    pair = code[ctx.src] * width + code[ctx.dst]
    uniq, inverse = np.unique(pair, return_inverse=True)
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
    labels = scc_labels(inside, ctx.src, ctx.dst)
    ncomp = int(labels.max()) + 1 if len(labels) else 0
    fair_mask = sum(1 << a for a in ctx.compiled.fair_actors)
    all_on = np.full(ncomp, fair_mask, dtype=np.int64)
    nodes = np.flatnonzero(inside)
    np.bitwise_and.at(all_on, labels[nodes], ctx.fair_enabled[nodes])
    moved = np.zeros(ncomp, dtype=np.int64)
    internal = inside[ctx.src] & inside[ctx.dst] & (labels[ctx.src] == labels[ctx.dst])
    bits = np.left_shift(np.int64(1), ctx.edge_actor[internal])
    np.bitwise_or.at(moved, labels[ctx.src[internal]], bits)
    has_inside = np.zeros(ncomp, dtype=bool)
    has_inside[labels[nodes]] = True
    fair = has_inside & ((all_on & ~moved & fair_mask) == 0)
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
    keep = ctx.edges_of(p.allowed)
    can = reaches(ctx.holds(p.goal), ctx.src[keep], ctx.dst[keep], ctx.n)
    bad = ctx.first(~can)
    if bad is None:
        return Outcome(Verdict.HOLDS)
    trace = ctx.trace(p, "unescapable", ctx.graph.path_to(bad),
                      summary="from the last state no sequence of steps of "
                              + ", ".join(sorted(p.allowed)) + " reaches the goal")
    return Outcome(Verdict.VIOLATED, f"trapped at depth {ctx.depth[bad]}", trace)


def waits_have_posters(p: WaitsHavePosters, ctx: Context) -> Outcome:
    exempt = ctx.holds(p.exempt)
    worst: tuple[int, Wait] | None = None
    for wait in ctx.model.waits:
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
    trace = ctx.trace(p, "unescapable", ctx.graph.path_to(bad),
                      summary=f"{wait.actor} waits on {wait.on} and nothing can ever post it")
    return Outcome(Verdict.VIOLATED, f"{wait.actor} on {wait.on}", trace)


def sometimes(p: Sometimes, ctx: Context) -> Outcome:
    hit = ctx.first(ctx.holds(p.predicate))
    if hit is None:
        return Outcome(Verdict.NOT_WITNESSED, "never reached: the check may be vacuous")
    trace = ctx.trace(p, "witness", ctx.graph.path_to(hit), summary="a witness")
    return Outcome(Verdict.WITNESSED, f"at depth {ctx.depth[hit]}", trace)


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
            outcome = (decide(prop, ctx) if ctx.graph.complete
                       else Outcome(Verdict.UNKNOWN, "exploration incomplete"))
        except KeyboardInterrupt:
            return results + [Result(p, Verdict.UNKNOWN, INTERRUPTED, None, 0.0, True)
                              for p in props[len(results):]]
        results.append(Result(prop, outcome.verdict, outcome.detail, outcome.trace,
                              time.perf_counter() - started))
    return results
