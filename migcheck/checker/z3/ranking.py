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
import z3
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, hstack, identity

from migcheck.checker.z3.induction import Strengthener, _row
from migcheck.checker.z3.lemmas import _is, _name

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


class _Features:
    """Numbers every feature over the sample rows: "slot i == v" and, for pairs (i, j),
    "slot i == v and slot j == u", so that a step is a sparse row of feature counts."""

    def __init__(self, s: np.ndarray, t: np.ndarray, pair_slots: frozenset[int]):
        both = np.vstack([s, t])
        self.lo = both.min(axis=0)
        self.card = both.max(axis=0) - self.lo + 1
        n = s.shape[1]
        self.one = np.concatenate([[0], np.cumsum(self.card)])  # slot i starts at one[i]
        self.pairs = sorted({(min(i, j), max(i, j)) for i in pair_slots for j in range(n)
                             if j != i})
        sizes = [int(self.card[i] * self.card[j]) for i, j in self.pairs]
        self.pair_start = int(self.one[-1]) + np.concatenate([[0], np.cumsum(sizes)]).astype(
            np.int64)

    def ids(self, x: np.ndarray, rows: np.ndarray, i: int, j: int | None = None) -> np.ndarray:
        if j is None:
            return self.one[i] + x[rows, i] - self.lo[i]
        k = self.pairs.index((i, j))
        return (self.pair_start[k] + (x[rows, i] - self.lo[i]) * self.card[j]
                + x[rows, j] - self.lo[j])

    def name(self, fid: int) -> Feature:
        if fid < self.one[-1]:
            i = int(np.searchsorted(self.one, fid, side="right")) - 1
            return ((i, int(fid - self.one[i] + self.lo[i])),)
        k = int(np.searchsorted(self.pair_start, fid, side="right")) - 1
        i, j = self.pairs[k]
        a, b = divmod(int(fid - self.pair_start[k]), int(self.card[j]))
        return ((i, a + int(self.lo[i])), (j, b + int(self.lo[j])))

    def steps(self, s: np.ndarray, t: np.ndarray):
        """The m x F matrix of feature counts before minus after (r(s) - r(t) = a . w);
        features over slots a step leaves alone cancel, so only changed ones are built."""
        changed = s != t
        rows, cols, vals = [], [], []

        def put(r: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
            rows.extend([r, r])
            cols.extend([before, after])
            vals.extend([np.ones(len(r), np.int64), -np.ones(len(r), np.int64)])

        for i in range(s.shape[1]):
            r = np.flatnonzero(changed[:, i])
            put(r, self.ids(s, r, i), self.ids(t, r, i))
        for i, j in self.pairs:
            r = np.flatnonzero(changed[:, i] | changed[:, j])
            put(r, self.ids(s, r, i, j), self.ids(t, r, i, j))
        m = s.shape[0]
        total = int(self.pair_start[-1])
        a = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(m, total)).tocsr()
        a.sum_duplicates()
        a.eliminate_zeros()
        a.sort_indices()
        return a


def _distinct_rows(a) -> tuple[np.ndarray, np.ndarray]:
    """Indices of one row per distinct row of a csr matrix, and each row's representative."""
    seen: dict[bytes, int] = {}
    first, which = [], np.empty(a.shape[0], dtype=np.int64)
    for r in range(a.shape[0]):
        lo, hi = a.indptr[r], a.indptr[r + 1]
        key = a.indices[lo:hi].tobytes() + b"|" + a.data[lo:hi].tobytes()
        if key not in seen:
            seen[key] = len(first)
            first.append(r)
        which[r] = seen[key]
    return np.array(first, dtype=np.int64), which


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


def _phase(a, name) -> tuple[Component, np.ndarray] | None:
    """One component for the steps (rows of `a`): non-increasing on every one, decreasing on
    as many as possible.  Returns it and the rows it decreases (None: it decreases none)."""
    used = np.unique(a.indices)
    a = a[:, used]
    m, n = a.shape
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
    weights = tuple((name(int(used[k])), int(x)) for k, x in enumerate(ints) if x)
    return Component(weights), np.flatnonzero(a @ ints >= 1)


class Fitter:
    """Fits components to a growing set of sample steps (module docstring); each phase first
    tries single-slot features, then adds pairs over the slots its remaining steps change."""

    def __init__(self, samples: set[Sample]):
        self.samples = set(samples)

    def fit(self) -> tuple[Component, ...]:
        ordered = sorted(self.samples)
        s = np.array([x[0] for x in ordered], dtype=np.int64)
        t = np.array([x[1] for x in ordered], dtype=np.int64)
        comps: list[Component] = []
        while len(s):
            pair_slots: frozenset[int] = frozenset()
            while True:
                feats = _Features(s, t, pair_slots)
                a = feats.steps(s, t)
                first, which = _distinct_rows(a)
                found = _phase(a[first], feats.name)
                if found is not None:
                    break
                changed = frozenset(int(i) for i in np.flatnonzero((s != t).any(axis=0)))
                if changed <= pair_slots:
                    raise NoRanking(f"{len(s)} sample steps are not decreased by any"
                                    " weighted sum over slot values or pairs of them")
                pair_slots = changed
            comp, strict = found
            keep = ~np.isin(which, strict)
            s, t = s[keep], t[keep]
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
