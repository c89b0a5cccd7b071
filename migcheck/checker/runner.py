"""One explorer run: explore the model, decide the properties, return a Report.

An assignment outside a variable's domain stops the run with `OutOfDomain`: the model is
malformed, and the trace to the offending step says where.
"""

from __future__ import annotations

import re
import resource
import time
from dataclasses import replace
from pathlib import Path

from migcheck.checker.compile import CompiledModel
from migcheck.checker.decide import (
    WATCH,
    Context,
    OnProperty,
    Result,
    check_all,
    evaluated,
    settled,
    watched,
)
from migcheck.checker.explore import Graph, Progress, explore
from migcheck.checker.kinds import Property
from migcheck.checker.native.build import NativeUnavailable
from migcheck.checker.native.explorer import NativeGraph, explore_native
from migcheck.checker.report import Coverage, ModelInfo, PropertyResult, Report
from migcheck.checker.spec import Model, ModelError
from migcheck.checker.statusgraph import project
from migcheck.checker.trace import Trace, save
from migcheck.checker.tracebuild import TraceBuilder

METHOD = "explicit-state BFS, exact state storage"
NATIVE_METHOD = "explicit-state BFS over packed states (generated C), exact state storage"
EXPLORERS = ("native", "python")


class OutOfDomain(ModelError):
    """An action assigned a value outside its variable's domain; `trace` leads to it."""

    def __init__(self, message: str, trace: Trace):
        super().__init__(message)
        self.trace = trace


def coverage(graph: Graph, undecided: int = 0, stopped: bool = False) -> Coverage:
    """What the run covered; `undecided` properties were left, or the run was `stopped`
    later, when an interrupt came after the exploration."""
    method = NATIVE_METHOD if isinstance(graph, NativeGraph) else METHOD
    if graph.complete:
        statement = (f"exhaustive: all {graph.n:,} reachable states within the bound"
                     " (exact state storage, no hashing)")
        if undecided:
            statement += f"; INTERRUPTED before {undecided} properties were decided"
        elif stopped:
            statement += "; INTERRUPTED after the decisions"
    elif not graph.interrupted and graph.watched and all(
            v is not None for v in graph.watched.values()):
        statement = (f"stopped early: every property checked was decided after"
                     f" {graph.expanded:,} states (the counterexamples are shortest ones)")
    else:
        why = "interrupted" if graph.interrupted else "stopped at the state limit"
        statement = (f"INCOMPLETE ({why}): {graph.expanded:,} states expanded; verdicts are"
                     " unknown")
    return Coverage(graph.complete, method, statement, graph.n, graph.transitions,
                    graph.max_depth, graph.seconds,
                    graph.interrupted or undecided > 0 or stopped)


def explore_for(
    compiled: CompiledModel,
    properties: list[Property],
    explorer: str = "native",
    workers: int = 1,
    progress: Progress | None = None,
    max_states: int | None = None,
) -> tuple[Graph, list[str]]:
    """Explore with the chosen explorer (the Python one where no C compiler is found), and
    the lines worth printing about how.  The native explorer watches the invariants and
    witnesses, and stops as soon as they decide every property asked for."""
    if explorer not in EXPLORERS:
        raise ValueError(f"unknown explorer {explorer!r}")
    if explorer == "native":
        early = bool(properties) and all(type(p) in WATCH for p in properties)
        try:
            graph = explore_native(compiled, workers=workers, watch=watched(properties),
                                   mark=evaluated(properties, compiled.model),
                                   stop_when_watched=early, progress=progress,
                                   max_states=max_states)
        except NativeUnavailable as exc:
            note = f"native explorer unavailable ({exc}); used the Python explorer"
            return explore(compiled, progress=progress, max_states=max_states), [note]
        return graph, [native_note(graph)]
    return explore(compiled, progress=progress, max_states=max_states), []


def native_note(graph: NativeGraph) -> str:
    built = (f"C built in {graph.compile_seconds:.1f}s" if graph.compile_seconds
             else "C from the cache")
    per_state = graph.bytes_stored() / max(graph.n, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    workers = f"{graph.workers} workers" if graph.workers > 1 else "1 worker"
    return (f"native explorer ({built}, {workers}): {per_state:.0f} bytes per state stored"
            f" (state, table, parent, edges); peak memory of the run {peak:,.0f} MB")


def run_check(
    model: Model,
    properties: list[Property],
    progress: Progress | None = None,
    max_states: int | None = None,
    on_property: OnProperty | None = None,
    explorer: str = "native",
    workers: int = 1,
) -> Report:
    """Explore, then decide each property; `progress` sees the graph as it grows (and once
    more when it is complete), `on_property` each decision as it starts."""
    return check_graph(model, properties, progress, max_states, on_property, explorer,
                       workers)[0]


def check_graph(
    model: Model,
    properties: list[Property],
    progress: Progress | None = None,
    max_states: int | None = None,
    on_property: OnProperty | None = None,
    explorer: str = "native",
    workers: int = 1,
) -> tuple[Report, Graph]:
    """The Report, and the explored graph it was decided on."""
    started = time.perf_counter()
    compiled = CompiledModel(model)
    graph, notes = explore_for(compiled, properties, explorer, workers, progress, max_states)
    if progress is not None:
        progress(graph, graph.seconds)
    if graph.domain_error is not None:
        raise out_of_domain(compiled, graph)
    results = check_all(Context(compiled, graph), properties, on_property)
    if isinstance(graph, NativeGraph):  # peak memory after the decisions, too
        notes = [native_note(graph)]
    undecided = sum(r.interrupted for r in results)

    def method(r: Result) -> str:
        if r.interrupted:
            return "interrupted"
        if graph.complete:
            return "exhaustive within the bound"
        return ("found while exploring" if settled(r.property, graph)
                else "incomplete exploration")

    try:
        status, stopped = project(graph, model), False
    except KeyboardInterrupt:  # the summary and the files still come, marked interrupted
        status, stopped = None, True
    report = Report(
        engine="explore", model=ModelInfo.of(model),
        coverage=coverage(graph, undecided, stopped),
        results=[PropertyResult.of(r.property, r.verdict, method(r), r.detail, r.trace,
                                   r.seconds) for r in results],
        seconds=time.perf_counter() - started, notes=tuple(notes), status_graph=status)
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
