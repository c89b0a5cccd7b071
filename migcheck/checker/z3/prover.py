"""One `prove` run: every property through the z3 engine, as plain data for the views.

Unbounded: the model's bound variables (role "bound", the failures counter) are abstracted
(see encode.py), so "proved" covers every bound.  Counterexamples come from BMC on the model
at the given bound, so they are real runs, in the explorer's trace format.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import z3

from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import INTERRUPTED, STUCK, OnProperty
from migcheck.checker.explore import Progress, StateGraph, explore
from migcheck.checker.expr import Var, all_of, lift
from migcheck.checker.kinds import (
    Invariant,
    LeavesEventually,
    NoDeadlock,
    Property,
    Sometimes,
    StepInvariant,
)
from migcheck.checker.ranges import unchecked
from migcheck.checker.report import Coverage, ModelInfo, PropertyResult, Report, Verdict
from migcheck.checker.runner import OutOfDomain, out_of_domain
from migcheck.checker.spec import Model, TupleDomain, scalar
from migcheck.checker.trace import Trace
from migcheck.checker.tracebuild import TraceBuilder
from migcheck.checker.z3 import bmc, induction, lemmas, liveness, ranking
from migcheck.checker.z3.encode import Encoder, State
from migcheck.checker.z3.reach import Reach

PROVED, VIOLATED = "proved", "violated"  # the induction goals' statuses
METHOD = "z3: inductive invariant, ranking function, bounded model checking"


def _result(prop: Property, verdict: Verdict, method: str = "", detail: str = "",
            trace: Trace | None = None, why: list[str] | tuple[str, ...] = (),
            seconds: float = 0.0) -> PropertyResult:
    return PropertyResult.of(prop, verdict, method, detail, trace, seconds, tuple(why))


def _stuck(cond):
    def bad(enc: Encoder, s, t=None) -> z3.BoolRef:
        h = enc.havoc("stuck") if enc.bound else {}
        return z3.And(enc.havoc_ok(h), enc.holds(cond, s, h), z3.Not(enc.fair_moves(s, h)))
    return bad


def _deadlock(model: Model):
    def bad(enc: Encoder, s, t=None) -> z3.BoolRef:
        h = enc.havoc("dead") if enc.bound else {}
        return z3.And(enc.havoc_ok(h), z3.Not(enc.holds(model.valid_end, s, h)),
                      z3.Not(enc.fair_moves(s, h)))
    return bad


def _bad_step(pred):
    def bad(enc: Encoder, s, t) -> z3.BoolRef:
        return z3.And(z3.Not(enc.same(s, t)), z3.Not(enc.holds(pred, s, after=t)))
    return bad


def goal_of(prop: Property, model: Model) -> induction.Goal | None:
    if isinstance(prop, Invariant):
        return induction.Goal(prop.name, predicate=prop.predicate)
    if isinstance(prop, StepInvariant):
        return induction.Goal(prop.name, bad=_bad_step(prop.predicate))
    if isinstance(prop, NoDeadlock):
        return induction.Goal(prop.name, bad=_deadlock(model))
    if isinstance(prop, LeavesEventually):
        return induction.Goal(prop.name, bad=_stuck(prop.cond))
    return None


def bmc_bad(prop: Property, model: Model):
    """The bad condition on the last state (or step) of a BMC path, and the trace kind."""
    if isinstance(prop, Invariant):
        return (lambda enc, ss: z3.Not(enc.holds(prop.predicate, ss[-1]))), "invariant"
    if isinstance(prop, StepInvariant):
        step = _bad_step(prop.predicate)
        return (lambda enc, ss: step(enc, ss[-2], ss[-1]) if len(ss) > 1
                else z3.BoolVal(False)), "transition"
    if isinstance(prop, NoDeadlock):
        return (lambda enc, ss: _deadlock(model)(enc, ss[-1])), "deadlock"
    if isinstance(prop, LeavesEventually):
        return (lambda enc, ss: _stuck(prop.cond)(enc, ss[-1])), "stuck"
    if isinstance(prop, Sometimes):
        return (lambda enc, ss: enc.holds(prop.predicate, ss[-1])), "witness"
    raise TypeError(prop)


SUMMARY = {
    "stuck": STUCK,
    "deadlock": "no thread can move, and this is not a valid end state",
    "witness": "a witness",
}


def make_trace(compiled: CompiledModel, prop: Property, kind: str, path: bmc.Path) -> Trace:
    """A BMC path in the explorer's trace form (refused commands loop at a stuck state)."""
    builder = TraceBuilder(compiled)
    loop = builder.refusals(path[-1][1]) if kind in ("stuck", "deadlock") else None
    summary = SUMMARY.get(kind, f"{prop.name} fails in the last state" if kind == "invariant"
                          else f"{prop.name} fails on the last step")
    return builder.build(prop.name, kind, list(path), loop, summary, engine="z3")


def run_prove(model: Model, properties: list[Property], depth: int = 40,
              timeout_s: float = 300.0, unbounded: bool = True,
              liveness_by: str = "ranking", progress: Progress | None = None,
              on_phase: Callable[[str], None] | None = None,
              on_property: OnProperty | None = None) -> Report:
    """Every property through z3.  `liveness_by` is "ranking" (falling back to the path
    bound) or "path-bound" (only that; benchmarks/prove.py compares the two).  `progress`
    sees the guiding exploration, `on_phase` the induction, `on_property` each property.
    On an interrupt (KeyboardInterrupt) the properties not yet decided are unknown and the
    report is marked interrupted."""
    started = time.perf_counter()
    compiled = CompiledModel(model)
    results: list[PropertyResult] = []
    notes: tuple[str, ...] = ()
    try:
        graph = explore(compiled, progress=progress)  # a guide: suggests lemmas and rankings
        if graph.interrupted:
            raise KeyboardInterrupt
        if progress is not None:
            progress(graph, graph.seconds)
        if graph.domain_error is not None:  # the explorer already met a concrete violation
            raise out_of_domain(compiled, graph)
        if on_phase is not None:
            on_phase("proving the invariant by induction")
        enc = Encoder(model, abstract=unbounded)
        rows = lemmas.slot_rows(enc, graph.states)
        reach = Reach(rows)
        domains = domain_goals(model)
        goals = [g for p in properties if (g := goal_of(p, model)) is not None] + \
            [g for g, _ in domains]
        proof = induction.prove(enc, reach, goals, timeout_ms=int(timeout_s * 1000),
                                seeds=lemmas.candidates(enc, rows))
        conc = Encoder(model, abstract=False)
        notes = (f"invariant: {len(proof.lemmas)} lemmas ({proof.learned} learned from"
                 f" counterexamples to induction) in {proof.seconds:.1f}s",
                 *check_domains(proof, domains, conc, compiled, depth, timeout_s))
        for i, prop in enumerate(properties, 1):
            if on_property is not None:
                on_property(i, len(properties), prop.name)
            results.append(_prove_one(prop, proof, conc, enc, compiled, graph, model, depth,
                                      timeout_s, unbounded, liveness_by))
        interrupted = False
    except KeyboardInterrupt:
        interrupted = True
        results += [_result(p, Verdict.UNKNOWN, "z3", INTERRUPTED, None, [], 0.0)
                    for p in properties[len(results):]]
    scope = ("every number of channel failures (the bound counter is abstracted)" if unbounded
             else f"the bound {_bound(model)}")
    statement = (f"proofs cover {scope}; counterexamples and witnesses come from BMC at"
                 f" {_bound(model)}, depth <= {depth}")
    if interrupted:
        undecided = sum(r.detail == INTERRUPTED for r in results)
        statement += f"; INTERRUPTED before {undecided} properties were decided"
    coverage = Coverage(True, METHOD, statement, seconds=time.perf_counter() - started,
                        interrupted=interrupted)
    return Report("z3", ModelInfo.of(model), coverage, results,
                  time.perf_counter() - started, notes)


def _prove_one(prop: Property, proof: induction.Proof, conc: Encoder, enc: Encoder,
               compiled: CompiledModel, graph: StateGraph, model: Model, depth: int,
               timeout_s: float, unbounded: bool, liveness_by: str) -> PropertyResult:
    t0 = time.perf_counter()
    goal = proof.results.get(prop.name)
    if goal is None and not isinstance(prop, Sometimes):
        return _result(prop, Verdict.NOT_APPLICABLE, "z3",
                       f"{prop.kind}: a branching-time property; decided by"
                       " `migcheck check` only")
    if goal is not None and goal.status == PROVED and isinstance(prop, LeavesEventually):
        if liveness_by == "path-bound":
            return _path_bound(enc, graph, prop, t0, "not tried")
        return _liveness(proof, enc, graph, prop, t0)
    if isinstance(prop, Sometimes):
        return _witness(conc, compiled, graph, model, prop, t0, depth, timeout_s)
    if goal is not None and goal.status == PROVED:
        return _result(prop, Verdict.PROVED, _method(unbounded, "inductive invariant"),
                       f"{len(goal.core)} lemmas used", None,
                       proof.show(goal.core), time.perf_counter() - t0)
    bad, kind = bmc_bad(prop, model)
    found = bmc.search(conc, bad, depth, _invariant(proof), timeout_s)
    if found.path is not None:
        status = Verdict.WITNESSED if kind == "witness" else Verdict.VIOLATED
        trace = make_trace(compiled, prop, kind, found.path)
        return _result(prop, status, f"BMC at {_bound(model)}",
                       f"{kind} at depth {found.depth}", trace, [],
                       time.perf_counter() - t0)
    why = ("no path within " + ("the timeout" if found.exhausted else f"depth {depth}"))
    if goal is not None and goal.status == VIOLATED:
        why = "a reachable state violates it, but " + why
    elif goal is not None and goal.detail and goal.status != PROVED:
        why = f"{goal.detail}; {why}"
    return _result(prop, Verdict.UNKNOWN, "BMC", why, None, [], time.perf_counter() - t0)


def _invariant(proof: induction.Proof) -> Callable[[State], z3.BoolRef] | None:
    """The proof's invariant to prune BMC with, if z3 made it inductive (else none)."""
    return proof.invariant if proof.inductive else None


def domain_goals(model: Model) -> list[tuple[induction.Goal, Invariant]]:
    """One goal per variable that some assignment might drive out of its domain (those the
    explorer checks at run time): the variable stays in its domain in every reachable state."""
    risky = sorted({var for a in model.actions for var, _ in unchecked(model, a)})
    out = []
    for var in risky:
        dom = model.var(var).domain
        lo, hi = scalar(dom).lo, scalar(dom).hi  # type: ignore[union-attr]
        parts = ([Var(var)[i] for i in range(dom.size)] if isinstance(dom, TupleDomain)
                 else [Var(var)])
        pred = all_of(*((lift(lo) <= x) & (x <= hi) for x in parts))
        prop = Invariant(f"in-domain({var})", f"{var} stays within {lo}..{hi}",
                         "the model's own domain declaration", predicate=pred)
        out.append((induction.Goal(prop.name, predicate=pred), prop))
    return out


def check_domains(proof: induction.Proof, domains: list[tuple[induction.Goal, Invariant]],
                  conc: Encoder, compiled: CompiledModel, depth: int,
                  timeout_s: float) -> tuple[str, ...]:
    """The encoding-time domain check: a proof for each, or a model error with a trace."""
    notes = []
    for goal, prop in domains:
        result = proof.results.get(goal.name)
        if result is not None and result.status == PROVED:
            continue
        bad, kind = bmc_bad(prop, compiled.model)
        found = bmc.search(conc, bad, depth, _invariant(proof), timeout_s)
        if found.path is not None:
            trace = make_trace(compiled, prop, kind, found.path)
            raise OutOfDomain(f"{prop.statement} is false: a run of {found.depth} steps"
                              " leaves the domain", trace)
        notes.append(f"warning: z3 could not show that {prop.statement}")
    return tuple(notes)


def _witness(conc: Encoder, compiled: CompiledModel, graph: StateGraph, model: Model,
             prop: Sometimes, t0: float, depth: int, timeout_s: float) -> PropertyResult:
    """A witness: the explorer's shortest path, confirmed step by step as a run of the z3
    encoding (BMC from scratch when the explorer found none)."""
    pred = compiled.predicate(prop.predicate)
    hit = next((i for i, s in enumerate(graph.states) if pred(s)), None)
    if hit is not None:
        path = [(a, graph.states[n]) for a, n in graph.path_to(hit)]
        if _is_run(conc, path, prop):
            trace = make_trace(compiled, prop, "witness", path)
            return _result(prop, Verdict.WITNESSED, "explorer path, checked by z3",
                           f"witness at depth {len(path) - 1}", trace, [],
                           time.perf_counter() - t0)
    bad, kind = bmc_bad(prop, model)
    found = bmc.search(conc, bad, depth, None, timeout_s)
    if found.path is None:
        return _result(prop, Verdict.UNKNOWN, "BMC", f"no witness within depth {depth}", None, [],
                       time.perf_counter() - t0)
    trace = make_trace(compiled, prop, kind, found.path)
    return _result(prop, Verdict.WITNESSED, f"BMC at {_bound(model)}",
                   f"witness at depth {found.depth}", trace, [], time.perf_counter() - t0)


def _is_run(enc: Encoder, path: bmc.Path, prop: Sometimes) -> bool:
    """z3 agrees that the concrete path starts initially, follows the transition relation
    and ends in a state satisfying the witness predicate."""
    sol = z3.SolverFor("QF_BV") if enc.bv else z3.Solver()
    states = [enc.state(f"w{i}") for i in range(len(path))]
    sol.add(enc.init(states[0]), enc.holds(prop.predicate, states[-1]))
    for i, (_, concrete_state) in enumerate(path):
        row = lemmas.slot_row(enc, concrete_state)
        sol.add(*(lemmas._is(term, value, enc.bv)
                  for term, value in zip(enc.slot_terms(states[i]), row, strict=True)))
        if i:
            sol.add(enc.step(states[i - 1], states[i], f"w{i}").relation)
    return sol.check() == z3.sat


def _liveness(proof: induction.Proof, enc: Encoder, graph: StateGraph,
              prop: LeavesEventually, t0: float) -> PropertyResult:
    """The termination half of a liveness proof (the progress half was proved as a goal):
    a lexicographic ranking function checked by z3, else a z3 bound on the paths that stay
    inside the condition."""
    st = proof.strengthener
    inside = z3.And(enc.holds(prop.cond, st.s), enc.holds(prop.cond, st.t),
                    z3.Not(enc.same(st.s, st.t)))
    try:
        found = ranking.prove(st, inside, _samples_inside(enc, graph, prop))
    except (ranking.NoRanking, induction.ProofTimeout) as exc:
        return _path_bound(enc, graph, prop, t0, str(exc))
    why = ["in every reachable state inside the condition some thread can move, and",
           "every state-changing step inside lowers ("
           + ", ".join(f"r{k}" for k in range(1, len(found.components) + 1))
           + ") lexicographically, from any state of the invariant:",
           *("  " + line for line in found.show(enc.slots))]
    return _result(prop, Verdict.PROVED, _method(enc.abstract, "ranking function + progress"),
                   f"{len(found.components)}-component lexicographic ranking"
                   f" ({found.rounds} z3 round(s))", None, why, time.perf_counter() - t0)


def _samples_inside(enc: Encoder, graph: StateGraph, prop: LeavesEventually) -> set:
    """The explorer's state-changing steps inside the condition, as slot rows."""
    _, src, dst = liveness.edges_inside(graph, prop.cond)
    ends = set(src.tolist()) | set(dst.tolist())
    rows = {n: lemmas.slot_row(enc, graph.states[n]) for n in ends}
    return {(rows[s], rows[d]) for s, d in zip(src.tolist(), dst.tolist(), strict=True)
            if rows[s] != rows[d]}


def _path_bound(enc: Encoder, graph: StateGraph, prop: LeavesEventually, t0: float,
                no_ranking: str) -> PropertyResult:
    try:
        start = liveness.longest_inside(graph, prop.cond)
        # a small invariant made for this goal alone keeps the unrolled query light
        rows = lemmas.slot_rows(enc, graph.states)
        own = induction.prove(enc, Reach(rows), [goal_of(prop, graph.compiled.model)],
                              seeds=lemmas.candidates(enc, rows))
        if not own.inductive:
            raise induction.ProofTimeout("z3 gave up before the invariant was inductive")
        bound = liveness.path_bound(enc, own.invariant, prop.cond, start)
    except (liveness.NoPathBound, induction.ProofTimeout) as exc:
        return _result(prop, Verdict.UNKNOWN, "ranking, path bound", f"{no_ranking}; {exc}",
                       None, [], time.perf_counter() - t0)
    why = ["in every reachable state inside the condition some thread can move, and",
           f"no path of {bound.length} state-changing steps stays inside the condition from"
           " any state of the invariant",
           f"(the explorer's longest such path has {bound.explored} steps;"
           f" no ranking: {no_ranking})"]
    return _result(prop, Verdict.PROVED, _method(enc.abstract, "path bound + progress"),
                   f"paths inside are shorter than {bound.length} steps", None, why,
                   time.perf_counter() - t0)


def _method(unbounded: bool, how: str) -> str:
    return f"unbounded, {how}" if unbounded else f"bounded K, {how}"


def _bound(model: Model) -> str:
    return ", ".join(f"{k}={v}" for k, v in model.params.items()) or "the model's bound"
