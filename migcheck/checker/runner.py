"""One explorer run: explore the model, decide the properties, return a Report.

An assignment outside a variable's domain stops the run with `OutOfDomain`: the model is
malformed, and the trace to the offending step says where.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import Context, OnProperty, check_all
from migcheck.checker.explore import Graph, Progress, explore
from migcheck.checker.kinds import Property
from migcheck.checker.report import Coverage, ModelInfo, PropertyResult, Report
from migcheck.checker.spec import Model, ModelError
from migcheck.checker.statusgraph import project
from migcheck.checker.trace import Trace, save
from migcheck.checker.tracebuild import TraceBuilder

METHOD = "explicit-state BFS, exact state storage"


class OutOfDomain(ModelError):
    """An action assigned a value outside its variable's domain; `trace` leads to it."""

    def __init__(self, message: str, trace: Trace):
        super().__init__(message)
        self.trace = trace


def coverage(graph: Graph, undecided: int = 0, stopped: bool = False) -> Coverage:
    """What the run covered; `undecided` properties were left, or the run was `stopped`
    later, when an interrupt came after the exploration."""
    if graph.complete:
        statement = (f"exhaustive: all {graph.n:,} reachable states within the bound"
                     " (exact state storage, no hashing)")
        if undecided:
            statement += f"; INTERRUPTED before {undecided} properties were decided"
        elif stopped:
            statement += "; INTERRUPTED after the decisions"
    else:
        why = "interrupted" if graph.interrupted else "stopped at the state limit"
        statement = (f"INCOMPLETE ({why}): {graph.expanded:,} states expanded; verdicts are"
                     " unknown")
    return Coverage(graph.complete, METHOD, statement, graph.n, graph.transitions,
                    graph.max_depth, graph.seconds,
                    graph.interrupted or undecided > 0 or stopped)


def run_check(
    model: Model,
    properties: list[Property],
    progress: Progress | None = None,
    max_states: int | None = None,
    on_property: OnProperty | None = None,
) -> Report:
    """Explore, then decide each property; `progress` sees the graph as it grows (and once
    more when it is complete), `on_property` each decision as it starts."""
    return check_graph(model, properties, progress, max_states, on_property)[0]


def check_graph(
    model: Model,
    properties: list[Property],
    progress: Progress | None = None,
    max_states: int | None = None,
    on_property: OnProperty | None = None,
) -> tuple[Report, Graph]:
    """The Report, and the explored graph it was decided on."""
    started = time.perf_counter()
    compiled = CompiledModel(model)
    graph = explore(compiled, progress=progress, max_states=max_states)
    if progress is not None:
        progress(graph, graph.seconds)
    if graph.domain_error is not None:
        raise out_of_domain(compiled, graph)
    results = check_all(Context(compiled, graph), properties, on_property)
    method = "exhaustive within the bound" if graph.complete else "incomplete exploration"
    undecided = sum(r.interrupted for r in results)
    try:
        status, stopped = project(graph, model), False
    except KeyboardInterrupt:  # the summary and the files still come, marked interrupted
        status, stopped = None, True
    report = Report(
        engine="explore", model=ModelInfo.of(model),
        coverage=coverage(graph, undecided, stopped),
        results=[PropertyResult.of(r.property, r.verdict,
                                   "interrupted" if r.interrupted else method, r.detail,
                                   r.trace, r.seconds)
                 for r in results],
        seconds=time.perf_counter() - started, status_graph=status)
    return report, graph


def out_of_domain(compiled: CompiledModel, graph: Graph) -> OutOfDomain:
    err = graph.domain_error
    assert err is not None and err.state is not None
    action = compiled.actions[err.action]
    dom = compiled.model.var(err.var).domain
    path = [(a, graph.state(n)) for a, n in graph.path_to(err.state)]
    trace = TraceBuilder(compiled).build(
        "in-domain", "invariant", path,
        summary=f"the next step, {action.name!r}, would set {err.var} to {err.value!r}")
    return OutOfDomain(f"action {action.name!r} sets {err.var} to {err.value!r}, outside its"
                       f" domain {_show(dom)}, after {len(path) - 1} steps", trace)


def _show(domain: object) -> str:
    lo, hi = getattr(domain, "lo", None), getattr(domain, "hi", None)
    if lo is None:
        elem = getattr(domain, "elem", None)
        return _show(elem) if elem is not None else str(domain)
    return f"{lo}..{hi}"


def trace_path(out_dir: Path, model: str, prop: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{model}--{prop}")
    return out_dir / f"{safe}.itf.json"


def save_traces(report: Report, out_dir: Path, stem: str | None = None) -> Report:
    """Save the counterexample of every failed property; the results name their files."""
    results = []
    for r in report.results:
        if r.trace is not None and r.verdict.failed:
            path = save(r.trace, trace_path(out_dir, stem or report.model.name, r.name))
            r = replace(r, trace_file=str(path))
        results.append(r)
    return replace(report, results=results)
