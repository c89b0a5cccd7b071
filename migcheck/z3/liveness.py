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
