"""What a change does: two models explored side by side, and what differs.

A designer's question is rarely "does my proposal pass?" but "what does it change?": a
proposal may flip no verdict and still reach states the base never reaches.  `compare`
answers with the verdicts of both, the actions that fire in only one, the reachable
projections (by default the status variables and the threads' program points) present in only
one with a shortest path to each, and where the two shortest counterexamples of a property
first diverge.  Values are compared by name, so a proposal may add variables and members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from migcheck.checker.compile import CompiledModel
from migcheck.checker.explore import Graph
from migcheck.checker.expr import Symbol, variables
from migcheck.checker.report import PropertyResult, Report
from migcheck.checker.spec import Model
from migcheck.checker.trace import Trace
from migcheck.checker.tracebuild import TraceBuilder


@dataclass(frozen=True)
class Side:
    """One model of the comparison: its report and its explored graph."""

    model: Model
    report: Report
    graph: Graph


@dataclass(frozen=True)
class Only:
    """A projection reachable in one model only, and a shortest path to it there."""

    values: tuple[tuple[str, str], ...]  # (variable, value name)
    trace: Trace


@dataclass(frozen=True)
class Divergence:
    prop: str
    step: int  # the first step where the two counterexamples take different actions
    base: str | None
    other: str | None


@dataclass(frozen=True)
class Comparison:
    base: Side
    other: Side
    on: tuple[str, ...]
    actions_only: tuple[tuple[str, ...], tuple[str, ...]]  # (fire in base only, other only)
    projections_only: tuple[tuple[Only, ...], tuple[Only, ...]]  # the shallowest, up to limit
    projections_count: tuple[int, int]  # how many there are in all
    divergences: tuple[Divergence, ...]

    def verdicts(self) -> list[tuple[str, PropertyResult | None, PropertyResult | None]]:
        a = {r.name: r for r in self.base.report.results}
        b = {r.name: r for r in self.other.report.results}
        names = list(a) + [n for n in b if n not in a]
        return [(n, a.get(n), b.get(n)) for n in names]

    @property
    def same_verdicts(self) -> bool:
        return all(x is not None and y is not None and x.verdict is y.verdict
                   for _, x, y in self.verdicts())


def default_projection(model: Model) -> tuple[str, ...]:
    """The variables that emit events (the statuses), every thread's program point, and what
    the blocking points wait on (the semaphores)."""
    status = [v.name for v in model.variables if v.event]
    pcs = [a.pc for a in model.actors if a.pc is not None]
    waited = sorted({n for w in model.waits for n in variables(w.until)})
    return tuple(dict.fromkeys([*status, *pcs, *waited]))


def fired(graph: Graph, model: Model) -> set[str]:
    acts = np.unique(graph.arrays().act)
    return {model.actions[int(a)].name for a in acts}


def _named(model: Model, names: tuple[str, ...], codes: tuple) -> tuple[tuple[str, str], ...]:
    out = []
    for name, code in zip(names, codes, strict=True):
        value = model.var(name).domain.decode(code)
        out.append((name, value.name if isinstance(value, Symbol) else str(value)))
    return tuple(out)


def projections(side: Side, on: tuple[str, ...]) -> dict[tuple, int]:
    """Each reachable projection (by value names) and the shallowest state showing it."""
    cols = tuple(side.model.var_index[n] for n in on)
    code, distinct = side.graph.project(cols)
    _, first = np.unique(code, return_index=True)
    out = {}
    for k, index in enumerate(first.tolist()):
        out[_named(side.model, on, distinct[k])] = int(index)
    return out


def _only(side: Side, found: dict[tuple, int], missing: set, limit: int) -> tuple[Only, ...]:
    builder = TraceBuilder(CompiledModel(side.model))
    out = []
    for values in sorted(missing, key=lambda v: found[v])[:limit]:
        node = found[values]
        path = [(a, side.graph.state(n)) for a, n in side.graph.path_to(node)]
        label = ", ".join(f"{k}={v}" for k, v in values)
        trace = builder.build("reaches " + label, "witness", path,
                              summary=f"reaches {label}, which the other model never does")
        out.append(Only(values, trace))
    return tuple(out)


def divergence(prop: str, a: Trace, b: Trace) -> Divergence:
    steps = min(len(a.steps), len(b.steps))
    for i in range(1, steps):
        if a.steps[i].action != b.steps[i].action:
            return Divergence(prop, i, a.steps[i].action, b.steps[i].action)
    longer = a if len(a.steps) > len(b.steps) else b
    at = steps if steps < len(longer.steps) else steps - 1
    return Divergence(prop, at, a.steps[at].action if at < len(a.steps) else None,
                      b.steps[at].action if at < len(b.steps) else None)


def compare(base: Side, other: Side, on: tuple[str, ...] | None = None,
            limit: int = 20) -> Comparison:
    """Compare two explored models; `on` defaults to the variables both project on."""
    if on is None:
        wanted = default_projection(base.model) + default_projection(other.model)
        on = tuple(n for n in dict.fromkeys(wanted)
                   if n in base.model.var_index and n in other.model.var_index)
    fa, fb = fired(base.graph, base.model), fired(other.graph, other.model)
    pa, pb = projections(base, on), projections(other, on)
    only_a = _only(base, pa, set(pa) - set(pb), limit)
    only_b = _only(other, pb, set(pb) - set(pa), limit)
    traces_b = {r.name: r.trace for r in other.report.results
                if r.trace is not None and r.verdict.failed}
    divs = tuple(divergence(r.name, r.trace, traces_b[r.name])
                 for r in base.report.results
                 if r.trace is not None and r.verdict.failed and r.name in traces_b)
    return Comparison(base, other, on, (tuple(sorted(fa - fb)), tuple(sorted(fb - fa))),
                      (only_a, only_b), (len(set(pa) - set(pb)), len(set(pb) - set(pa))), divs)
