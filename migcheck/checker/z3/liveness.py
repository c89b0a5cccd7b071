"""Liveness "every fair behaviour leaves `cond`" for every bound, by a bound on paths.

The fallback when no ranking function (ranking.py) is found: z3 shows that no path of L
state-changing steps stays inside `cond` from any state of the proved invariant.  With the
progress half (some weakly fair thread can move in every reachable `cond` state) this proves
that every weakly fair behaviour leaves `cond`.  Sound but slow: the query unrolls L steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import z3

from migcheck.checker.expr import Expr


@dataclass
class PathBound:
    """Every path of changing steps inside the condition is shorter than `length`."""

    length: int
    explored: int  # the longest such path the explorer saw
    seconds: float


class NoPathBound(Exception):
    """Paths inside the condition were not shown to be bounded (a cycle, or a limit hit)."""


def edges_inside(graph, cond: Expr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which explored states satisfy `cond` (one predicate call per state), and the sources
    and targets of the explored edges that start and end inside it."""
    pred = graph.compiled.predicate(cond)
    inside = np.fromiter((bool(pred(s)) for s in graph.states), dtype=bool,
                         count=len(graph.states))
    src = np.frombuffer(graph.edge_src, dtype=np.int64)
    dst = np.frombuffer(graph.edge_dst, dtype=np.int64)
    keep = inside[src] & inside[dst]
    return inside, src[keep], dst[keep]


def longest_inside(graph, cond: Expr) -> int:
    """Longest path (in steps) inside `cond` in the explored graph; NoPathBound on a cycle."""
    inside, src, dst = edges_inside(graph, cond)
    indeg = np.bincount(dst, minlength=len(inside))
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    starts = np.searchsorted(src, np.arange(len(inside) + 1))
    longest = np.zeros(len(inside), dtype=np.int64)
    ready = [int(n) for n in np.flatnonzero(inside & (indeg == 0))]
    seen = 0
    while ready:
        n = ready.pop()
        seen += 1
        for d in dst[starts[n]:starts[n + 1]].tolist():
            longest[d] = max(longest[d], longest[n] + 1)
            indeg[d] -= 1
            if indeg[d] == 0:
                ready.append(d)
    if seen < int(inside.sum()):
        raise NoPathBound("the explored graph has a cycle inside the condition")
    return int(longest.max()) if seen else 0


def path_bound(enc, invariant, cond: Expr, start: int, extra: int = 4,
               timeout_s: float = 300.0) -> PathBound:
    """Show with z3 that no path of `length` changing steps stays inside `cond`, starting from
    any state of the proved invariant (so from any reachable state, for every bound).

    `start` is the longest such path the explorer saw.  The query grows one step at a time on
    one incremental solver (asking from `start` on: what z3 learns at length L speeds up
    L+1) up to start+extra+1; the first unsat answer is the proof.  Together with "some
    thread can move in every reachable state inside cond", it proves that every weakly fair
    behaviour leaves cond: it can take only finitely many changing steps inside, and
    stuttering for ever where a fair thread can move is unfair."""

    started = time.perf_counter()
    sol = z3.SolverFor("QF_BV") if enc.bv else z3.Solver()
    states = [enc.state("p0")]
    sol.add(invariant(states[0]), enc.holds(cond, states[0], enc.havoc("p0h") if enc.bound
                                            else {}))
    for length in range(1, start + extra + 2):
        states.append(enc.state(f"p{length}"))
        s, t = states[-2], states[-1]
        step = enc.step(s, t, f"p{length}")
        h = enc.havoc(f"p{length}h") if enc.bound else {}
        sol.add(step.relation, z3.Not(enc.same(s, t)), invariant(t), enc.havoc_ok(h),
                enc.holds(cond, t, h))
        if length < start:
            continue
        left = timeout_s - (time.perf_counter() - started)
        if left <= 0:
            break
        sol.set("timeout", max(1, int(left * 1000)))
        result = sol.check()
        if result == z3.unsat:
            return PathBound(length, start, time.perf_counter() - started)
        if result == z3.unknown:
            break
    raise NoPathBound(f"paths inside the condition were not bounded within {start + extra + 1}"
                      " steps (or the timeout)")
