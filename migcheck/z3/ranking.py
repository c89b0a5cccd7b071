"""Lexicographic ranking functions over slot values, fitted by LP and checked by z3.

A ranking here is a tuple (r1, r2, ...) of weighted sums of *features*: a feature is a
conjunction "slot_i == a" (or "slot_i == a and slot_j == b"), worth its weight when true.  A
step decreases the ranking when r1 drops, or r1 stays and r2 drops, and so on; every r is a
natural number, so no infinite sequence of decreasing steps exists.

Fitting (no z3): the multi-phase construction of Alias, Darte, Feautrier and Gonnord.  Given
sample steps (the explorer's), one LP finds weights that no step increases and that as many
steps as possible strictly decrease; those steps are settled and the next component is fitted
to the rest.  When no remaining step can be decreased by a sum over single slots (a cycle in
that abstraction: e.g. a thread waking on a semaphore and waiting again, told apart only by
another slot), pair features over the slots those steps change are added.

Checking (z3): one query per candidate, over every step of the encoded system from any state
of the proved invariant.  A failing step from a reachable state becomes a new sample; one
from an unreachable state is blocked by strengthening the invariant (CEGIS).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, hstack, identity

import z3
from migcheck.z3.induction import Strengthener, _row
from migcheck.z3.lemmas import _is, _name

Row = tuple[int, ...]
Sample = tuple[Row, Row]
Feature = tuple[tuple[int, int], ...]  # ((slot, value), ...): all must hold


class NoRanking(Exception):
    """No lexicographic ranking of this shape fits the steps."""


@dataclass(frozen=True)
class Component:
    weights: tuple[tuple[Feature, int], ...]

    def value(self, row: Row) -> int:
        return sum(w for f, w in self.weights if all(row[i] == v for i, v in f))

    def show(self, slots) -> list[str]:
        """One line per feature, heaviest first: "weight  slot==value [and ...]"."""
        def label(f: Feature) -> str:
            return " and ".join(f"{slots[i].label} == {_name(slots[i], v)}" for i, v in f)
        return [f"{w:4d}  {label(f)}" for f, w in sorted(self.weights, key=lambda x: -x[1])]


@dataclass(frozen=True)
class LexRanking:
    components: tuple[Component, ...]
    samples: int  # steps the LP fitted
    rounds: int  # z3 checks until one passed

    def show(self, slots) -> list[str]:
        out = []
        for k, c in enumerate(self.components, 1):
            out += [f"r{k} = the sum of the weights of the features that hold:", *c.show(slots)]
        return out


def _delta(s: Row, t: Row, pair_slots: frozenset[int]) -> frozenset[tuple[Feature, int]]:
    """The step's feature counts before minus after, so that r(s) - r(t) = w . delta.
    Features over slots the step leaves alone cancel, so only changed ones are listed."""
    d: dict[Feature, int] = {}
    changed = [i for i in range(len(s)) if s[i] != t[i]]
    for i in changed:
        d[((i, s[i]),)] = 1
        d[((i, t[i]),)] = -1
    moved = set(changed)
    pairs = {(min(i, j), max(i, j)) for i in pair_slots for j in range(len(s))
             if j != i and (i in moved or j in moved)}
    for i, j in pairs:
        before, after = ((i, s[i]), (j, s[j])), ((i, t[i]), (j, t[j]))
        d[before] = d.get(before, 0) + 1
        d[after] = d.get(after, 0) - 1
    return frozenset((f, c) for f, c in d.items() if c)


def _integer(w: np.ndarray, a, strict: np.ndarray) -> np.ndarray | None:
    """Integer weights from the LP's: exact check that none of the rows goes negative and the
    strict ones stay >= 1 (LP vertices here have small denominators)."""
    for scale in (1, 2, 3, 4, 6, 8, 12, 16, 24, 60, 120, 720):
        cand = np.array([round(Fraction(float(x)).limit_denominator(720) * scale) for x in w],
                        dtype=np.int64)
        got = a @ cand
        if (got >= 0).all() and (got[strict] >= 1).all():
            return cand
    return None


def _phase(deltas: list[frozenset[tuple[Feature, int]]]) -> tuple[Component, list[int]] | None:
    """One component: non-increasing on every delta, decreasing on as many as possible.
    Returns it and the indices it decreases (None: it decreases none)."""
    index: dict[Feature, int] = {}
    rows, cols, vals = [], [], []
    for k, d in enumerate(deltas):
        for f, c in d:
            rows.append(k)
            cols.append(index.setdefault(f, len(index)))
            vals.append(c)
    n, m = len(index), len(deltas)
    a = coo_matrix((vals, (rows, cols)), shape=(m, n)).tocsr()
    # maximise sum(t) with 0 <= t <= 1 and a.w >= t; a small cost on w keeps it sparse
    cost = np.concatenate([np.full(n, 1e-4), -np.ones(m)])
    res = linprog(cost, A_ub=hstack([-a, identity(m)]), b_ub=np.zeros(m),
                  bounds=[(0, None)] * n + [(0, 1)] * m, method="highs")
    if res.status != 0:
        return None
    w = res.x[:n]
    strict = np.flatnonzero(a @ w > 0.5)
    if not len(strict):
        return None
    ints = _integer(w, a, strict)
    if ints is None:
        return None
    strict = np.flatnonzero(a @ ints >= 1)
    names = {k: f for f, k in index.items()}
    weights = tuple((names[k], int(x)) for k, x in enumerate(ints) if x)
    return Component(weights), [int(k) for k in strict]


class Fitter:
    """Fits components to a growing set of sample steps (module docstring); each phase first
    tries single-slot features, then adds pairs over the slots its remaining steps change.
    Step deltas are kept between fits: the CEGIS loop refits after every new sample."""

    def __init__(self, samples: set[Sample]):
        self.samples = set(samples)
        self._deltas: dict[frozenset[int], dict[Sample, frozenset]] = {}

    def _delta(self, x: Sample, pair_slots: frozenset[int]) -> frozenset:
        cache = self._deltas.setdefault(pair_slots, {})
        if x not in cache:
            cache[x] = _delta(x[0], x[1], pair_slots)
        return cache[x]

    def fit(self) -> tuple[Component, ...]:
        left = sorted(self.samples)
        comps: list[Component] = []
        while left:
            pair_slots: frozenset[int] = frozenset()
            while True:
                shapes = [self._delta(x, pair_slots) for x in left]
                deltas = list(dict.fromkeys(shapes))
                found = _phase(deltas)
                if found is not None:
                    break
                changed = frozenset(i for s, t in left for i in range(len(s)) if s[i] != t[i])
                if changed <= pair_slots:
                    raise NoRanking(f"{len(left)} sample steps are not decreased by any"
                                    " weighted sum over slot values or pairs of them")
                pair_slots = changed
            comp, strict = found
            done = {deltas[k] for k in strict}
            left = [x for x, d in zip(left, shapes, strict=True) if d not in done]
            comps.append(comp)
        return tuple(comps)


def _term(comp: Component, terms: list, bv: int, bits: int) -> z3.BitVecRef:
    total = z3.BitVecVal(0, bits)
    for f, w in comp.weights:
        hit = z3.And(*(_is(terms[i], v, bv) for i, v in f))
        total = total + z3.If(hit, z3.BitVecVal(w, bits), z3.BitVecVal(0, bits))
    return total


def decreases(comps: tuple[Component, ...], s_terms: list, t_terms: list, bv: int
              ) -> z3.BoolRef:
    """z3: the step s -> t lowers the ranking lexicographically."""
    bits = max(8, max((sum(w for _, w in c.weights) for c in comps), default=1).bit_length() + 1)
    out: z3.BoolRef = z3.BoolVal(False)
    for c in reversed(comps):
        before, after = _term(c, s_terms, bv, bits), _term(c, t_terms, bv, bits)
        out = z3.Or(z3.ULT(after, before), z3.And(after == before, out))
    return out


def prove(st: Strengthener, inside: z3.BoolRef, samples: set[Sample],
          max_rounds: int = 200) -> LexRanking:
    """A ranking that decreases on every step satisfying `inside` from any state of the
    invariant held by `st` (strengthened on the way when a spurious step shows up)."""
    fitter = Fitter(samples)
    for rounds in range(1, max_rounds + 1):
        comps = fitter.fit()
        result, cex, _ = st._check(z3.And(inside, z3.Not(decreases(comps, st.sv, st.tv,
                                                                   st.enc.bv))))
        if result == z3.unsat:
            return LexRanking(comps, len(fitter.samples), rounds)
        srow, trow = _row(cex, st.sv), _row(cex, st.tv)
        if srow in st.reach:
            st.reach.add(trow)
            fitter.samples.add((srow, trow))
        else:
            st.block(srow)
            st.make_inductive()
    raise NoRanking(f"no ranking passed z3's check after {max_rounds} rounds")
