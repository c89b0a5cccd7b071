"""Liveness "every fair behaviour leaves `cond`" for every bound, by a ranking function.

Two obligations, both over the proved invariant (so over every reachable state):

1. progress: in every reachable `cond` state some weakly fair thread can move;
2. ranking: every step that changes the state and stays in `cond` lowers
   rank(s) = sum over slots of weight[slot][value].

Then a behaviour that stays in `cond` makes finitely many changing steps (the rank is bounded
below) and must stutter forever in one state where, by 1, a fair thread is continuously able to
move: weak fairness forbids that.  The weights are synthesised by z3 (CEGIS): seeded with the
explorer's edges inside `cond`, each counterexample step either adds a constraint (it starts
in a known reachable state) or is blocked by strengthening the invariant.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3
from migcheck.expr import Expr
from migcheck.z3.induction import Strengthener, _row
from migcheck.z3.lemmas import _is, _name

RANK_BITS = 32
MAX_WEIGHT = 4096


@dataclass
class Ranking:
    weights: dict[int, dict[int, int]]  # slot -> value -> weight (missing = 0)
    rounds: int

    def show(self, slots) -> list[str]:
        out = []
        for i, table in sorted(self.weights.items()):
            items = [(v, w) for v, w in sorted(table.items()) if w]
            if items:
                out.append(f"{slots[i].label}: " + ", ".join(
                    f"{_name(slots[i], v)}={w}" for v, w in items))
        return out


def _rank(weights: dict[int, dict[int, int]], terms: list, bv: int) -> z3.BitVecRef:
    total = z3.BitVecVal(0, RANK_BITS)
    for i, table in weights.items():
        for v, w in table.items():
            if w:
                total = total + z3.If(_is(terms[i], v, bv), z3.BitVecVal(w, RANK_BITS),
                                      z3.BitVecVal(0, RANK_BITS))
    return total


class NoRanking(Exception):
    """No weighted-sum ranking exists for the observed reachable steps."""


def synthesize(st: Strengthener, cond: Expr, seeds: set[tuple[tuple, tuple]],
               max_rounds: int = 300) -> Ranking:
    """Weights proved to decrease on every changing step inside `cond` (module docstring)."""
    enc = st.enc
    nslots = len(enc.slots)
    unknown = {(i, v): z3.Int(f"w{i}_{v}") for i in range(nslots)
               for v in (int(x) for x in enc.slots[i].values())}
    synth = z3.Solver()
    for w in unknown.values():
        synth.add(w >= 0, w <= MAX_WEIGHT)

    def require(srow: tuple, trow: tuple) -> None:
        diff = [i for i in range(nslots) if srow[i] != trow[i]]
        synth.add(z3.Sum([unknown[(i, srow[i])] for i in diff])
                  > z3.Sum([unknown[(i, trow[i])] for i in diff]))

    for srow, trow in seeds:
        require(srow, trow)
    havoc = st.step.havoc
    inside = z3.And(enc.holds(cond, st.s, havoc), enc.holds(cond, st.t, havoc),
                    z3.Not(enc.same(st.s, st.t)))
    for rounds in range(1, max_rounds + 1):
        if synth.check() != z3.sat:
            raise NoRanking("no weighted-sum ranking fits the reachable steps inside the"
                            " condition (a cycle, or a ranking of another shape is needed)")
        m = synth.model()
        weights: dict[int, dict[int, int]] = {}
        for (i, v), w in unknown.items():
            value = m.eval(w, model_completion=True).as_long()
            if value:
                weights.setdefault(i, {})[v] = value
        grows = z3.UGE(_rank(weights, st.tv, enc.bv), _rank(weights, st.sv, enc.bv))
        result, cex, _ = st._check(z3.And(inside, grows))
        if result == z3.unsat:
            return Ranking(weights, rounds)
        srow, trow = _row(cex, st.sv), _row(cex, st.tv)
        if srow in st.reach:
            st.reach.add(trow)
            require(srow, trow)
        else:
            st.block(srow)
            st.make_inductive()
    raise NoRanking(f"no ranking after {max_rounds} rounds")


@dataclass
class PathBound:
    """Every path of changing steps inside the condition is shorter than `length`."""

    length: int
    explored: int  # the longest such path the explorer saw
    seconds: float


class NoPathBound(Exception):
    """Paths inside the condition were not shown to be bounded (a cycle, or a limit hit)."""


def longest_inside(graph, cond: Expr) -> int:
    """Longest path (in steps) inside `cond` in the explored graph; NoPathBound on a cycle."""
    import numpy as np

    pred = graph.compiled.predicate(cond)
    inside = np.fromiter((bool(pred(s)) for s in graph.states), dtype=bool,
                         count=len(graph.states))
    src = np.frombuffer(graph.edge_src, dtype=np.int64)
    dst = np.frombuffer(graph.edge_dst, dtype=np.int64)
    keep = inside[src] & inside[dst]
    src, dst = src[keep], dst[keep]
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
    L+1) up to start+extra+1; the first unsat answer is the proof.  Together with "some QEMU
    thread can move in every reachable state inside cond", it proves that every weakly fair
    behaviour leaves cond: it can take only finitely many changing steps inside, and
    stuttering for ever where a fair thread can move is unfair."""
    import time

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
