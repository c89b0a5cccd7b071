"""Unbounded safety proofs: an inductive invariant learned with the explorer as a guide.

The loop is IC3-like, with the explorer's reachable states R as the oracle that separates
real from spurious counterexamples-to-induction (CTIs):

* lemmas L start as the goals (state properties) plus "each slot stays within the values R
  shows";
* z3 is asked for a step s -> t with L(s) and not L(t).  If s is in R, t is reachable too:
  the lemmas t violates are false and are dropped (for a goal: a real violation).  If s is not
  in R, s is blocked by a new lemma "never (x == a and y == b ...)", made as small as possible
  while still excluding no state of R;
* when no such step exists, L holds initially and is preserved by every transition: an
  inductive invariant, so it holds in every reachable state of the encoded system (with the
  bound variable abstracted: for every number of failures).

Other goals ("no bad state", "no bad step") are then decided against L: unsat is a proof
(its unsat core lists the lemmas it used); a bad state in R is a real violation; any other bad
state is blocked and the loop resumes.  R only steers the search: every verdict is z3's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import z3

from migcheck.checker.compile import CompiledModel
from migcheck.checker.expr import Expr
from migcheck.checker.z3.encode import Encoder, State
from migcheck.checker.z3.lemmas import Cube, Lemma
from migcheck.checker.z3.reach import Reach

BadBuilder = Callable[[Encoder, State, State], z3.BoolRef]


class ProofTimeout(RuntimeError):
    """z3 answered unknown (timeout or resource limit)."""


@dataclass(frozen=True)
class Goal:
    """What to prove: `predicate` holds in every reachable state (kept in the invariant), or
    `bad(enc, s, t)` is impossible for a reachable s (t is a successor of s, if used)."""

    name: str
    predicate: Expr | None = None
    bad: BadBuilder | None = None


@dataclass(frozen=True)
class PropertyLemma:
    """A goal predicate used as a lemma."""

    name: str
    expr: Expr

    def show(self, slots) -> str:
        return f"the property {self.name} itself"


@dataclass
class GoalResult:
    goal: Goal
    status: str  # "proved" | "violated" | "unknown"
    core: list = field(default_factory=list)  # lemmas the final query used
    witness: tuple | None = None  # a reachable violating state (slot row) when violated
    detail: str = ""


@dataclass
class Proof:
    enc: Encoder
    strengthener: Strengthener
    results: dict[str, GoalResult]
    seconds: float
    inductive: bool = True  # False: z3 gave up before the lemmas were inductive

    @property
    def lemmas(self) -> list:
        return self.strengthener.alive  # grows if a later obligation needs more lemmas

    @property
    def learned(self) -> int:
        return self.strengthener.learned

    def invariant(self, s: State) -> z3.BoolRef:
        """The proved invariant over a state (for pruning BMC and liveness obligations); only
        meaningful when `inductive`."""
        terms = self.enc.slot_terms(s)
        return z3.And(*(_formula(self.enc, lemma, s, terms) for lemma in self.lemmas))

    def show(self, lemmas) -> list[str]:
        return [lemma.show(self.enc.slots) for lemma in lemmas]


def solver(enc: Encoder, timeout_ms: int | None = None) -> z3.Solver:
    sol = z3.SolverFor("QF_BV") if enc.bv else z3.Solver()
    if timeout_ms:
        sol.set("timeout", timeout_ms)
    return sol


def _formula(enc: Encoder, lemma, s: State, terms: list) -> z3.BoolRef:
    if isinstance(lemma, PropertyLemma):
        return enc.holds(lemma.expr, s)
    return lemma.formula(terms, enc.bv)


def _row(m: z3.ModelRef, terms: list) -> tuple:
    out = []
    for term in terms:
        got = m.eval(term, model_completion=True)
        if z3.is_bool(got):
            out.append(int(z3.is_true(got)))
        elif z3.is_bv_value(got):
            out.append(got.as_signed_long())
        else:
            out.append(got.as_long())
    return tuple(out)


def _any(terms: list[z3.BoolRef]) -> z3.BoolRef:
    """z3.Or over many terms without z3py's per-argument coercion (a hot spot here)."""
    if not terms:
        return z3.BoolVal(False)
    ctx = terms[0].ctx
    args = (z3.Ast * len(terms))()
    for i, term in enumerate(terms):
        args[i] = term.as_ast()
    return z3.BoolRef(z3.Z3_mk_or(ctx.ref(), len(terms), args), ctx)


class Strengthener:
    """One solver holding the transition relation and every lemma behind an on/off flag."""

    def __init__(self, enc: Encoder, reach: Reach, timeout_ms: int | None = None):
        self.enc, self.reach = enc, reach
        self.s, self.t = enc.state("s"), enc.state("t")
        self.sv, self.tv = enc.slot_terms(self.s), enc.slot_terms(self.t)
        self.step = enc.step(self.s, self.t, "s", stutter=True)
        self.timeout_ms = timeout_ms
        self.sol = solver(enc, timeout_ms)
        self.sol.add(self.step.relation)
        self.alive: list = []
        self.flag: dict[int, z3.BoolRef] = {}
        self.before: dict[int, z3.BoolRef] = {}
        self.after: dict[int, z3.BoolRef] = {}
        self.broken: dict[int, z3.BoolRef] = {}
        self.learned = 0
        self.violated: dict[str, tuple] = {}

    def add(self, lemma) -> None:
        key = id(lemma)
        self.flag[key] = z3.Bool(f"lemma{len(self.flag)}")
        self.before[key] = _formula(self.enc, lemma, self.s, self.sv)
        self.after[key] = _formula(self.enc, lemma, self.t, self.tv)
        self.broken[key] = z3.Not(self.after[key])
        self.alive.append(lemma)
        self.sol.add(self.before[key])  # hard: z3 simplifies with it (rebuilt on a drop)

    def _rebuild(self) -> None:
        self.sol = solver(self.enc, self.timeout_ms)
        self.sol.add(self.step.relation, *(self.before[id(x)] for x in self.alive))

    def _check(self, extra: z3.BoolRef, core: bool = False
               ) -> tuple[z3.CheckSatResult, z3.ModelRef | None, list]:
        """Check L(s) & step & extra; with `core`, also which lemmas an unsat answer used
        (a separate solver with one on/off flag per lemma)."""
        sol = self.sol
        flags: list = []
        if core:
            sol = solver(self.enc, self.timeout_ms)
            sol.add(self.step.relation)
            for x in self.alive:
                sol.add(z3.Implies(self.flag[id(x)], self.before[id(x)]))
            flags = [self.flag[id(x)] for x in self.alive]
        sol.push()
        sol.add(extra)
        result = sol.check(*flags)
        model = sol.model() if result == z3.sat else None
        used: list = []
        if result == z3.unsat and core:
            names = {str(c) for c in sol.unsat_core()}
            used = [x for x in self.alive if str(self.flag[id(x)]) in names]
        sol.pop()
        if result == z3.unknown:
            raise ProofTimeout(f"z3: {sol.reason_unknown()}")
        return result, model, used

    def block(self, row: tuple) -> None:
        cube = self.reach.generalize(row)
        assert cube is not None
        self.learned += 1
        self.add(Cube(cube))

    def make_inductive(self) -> None:
        while True:
            negs = _any([self.broken[id(x)] for x in self.alive])
            result, m, _ = self._check(negs)
            if result == z3.unsat:
                return
            srow, trow = _row(m, self.sv), _row(m, self.tv)
            if srow in self.reach:
                self.reach.add(trow)  # a successor of a reachable state
                bad = [x for x in self.alive if not z3.is_true(
                    m.eval(self.after[id(x)], model_completion=True))]
                for x in bad:
                    if isinstance(x, PropertyLemma):
                        self.violated[x.name] = trow
                self.alive = [x for x in self.alive if x not in bad]
                self._rebuild()
            else:
                self.block(srow)


def prove(enc: Encoder, reach: Reach, goals: list[Goal], timeout_ms: int | None = None,
          seeds: list[Lemma] = ()) -> Proof:  # type: ignore[assignment]
    """Learn an inductive invariant and decide every goal against it (module docstring)."""
    started = time.perf_counter()
    st = Strengthener(enc, reach, timeout_ms)
    compiled = CompiledModel(enc.model)
    init_state = enc.model.initial()
    results: dict[str, GoalResult] = {}
    for g in goals:
        if g.predicate is not None and not enc.reads_bound(g.predicate):
            if not compiled.predicate(g.predicate)(init_state):
                results[g.name] = GoalResult(g, "violated", detail="fails in the initial state")
                continue
            st.add(PropertyLemma(g.name, g.predicate))
    for lemma in seeds:
        st.add(lemma)
    try:
        st.make_inductive()
    except ProofTimeout as exc:  # no invariant: every goal not yet refuted stays unknown
        for g in goals:
            results.setdefault(g.name, GoalResult(
                g, "unknown", detail=f"no inductive invariant found ({exc})"))
        return Proof(enc, st, results, time.perf_counter() - started, inductive=False)
    for g in goals:
        if g.name in results:
            continue
        if g.name in st.violated:
            results[g.name] = GoalResult(g, "violated", witness=st.violated[g.name],
                                         detail="a reachable state violates it")
            continue
        try:
            results[g.name] = _decide(st, g)
        except ProofTimeout as exc:
            results[g.name] = GoalResult(g, "unknown", detail=str(exc))
    return Proof(enc, st, results, time.perf_counter() - started)


def _decide(st: Strengthener, g: Goal) -> GoalResult:
    enc = st.enc
    kept = [x for x in st.alive if isinstance(x, PropertyLemma) and x.name == g.name]
    if g.bad is not None:
        bad = g.bad(enc, st.s, st.t)
    elif kept:  # already in the invariant: which lemmas keep it true across a step?
        bad = z3.Not(st.after[id(kept[0])])
    else:
        havoc = enc.havoc("goal") if enc.bound else {}
        bad = z3.And(enc.havoc_ok(havoc), z3.Not(enc.holds(g.predicate, st.s, havoc)))
    while True:
        result, m, _ = st._check(bad)
        if result == z3.unsat:
            _, _, core = st._check(bad, core=True)
            return GoalResult(g, "proved", core=core)
        srow = _row(m, st.sv)
        if srow in st.reach:
            return GoalResult(g, "violated", witness=srow,
                              detail="a reachable state violates it")
        st.block(srow)
        st.make_inductive()
