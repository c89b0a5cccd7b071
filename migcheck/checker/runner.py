"""One check run: build the model, explore it, decide the properties, keep the traces.

This is the seam between the engines and the views: it returns a `CheckReport` (plain data)
that the terminal summary, the JSON / JUnit / SARIF writers and the HTML report all read.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from migcheck.checker.compile import CompiledModel
from migcheck.checker.explore import Progress, StateGraph, explore
from migcheck.checker.props import Context, Property, Result, Verdict, check_all
from migcheck.checker.spec import Model
from migcheck.checker.trace import save


@dataclass
class CheckReport:
    model: Model
    graph: StateGraph
    results: list[Result]
    seconds: float
    trace_files: dict[str, Path] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.verdict.ok for r in self.results)

    @property
    def violated(self) -> list[Result]:
        return [r for r in self.results if r.verdict in (Verdict.VIOLATED, Verdict.NOT_WITNESSED)]

    @property
    def coverage(self) -> str:
        g = self.graph
        if g.complete:
            return (f"exhaustive: all {len(g.states):,} reachable states within the bound"
                    f" (exact state storage, no hashing)")
        why = "interrupted" if g.interrupted else "stopped at the state limit"
        return f"INCOMPLETE ({why}): {g.expanded:,} states expanded; verdicts are unknown"


def trace_path(out_dir: Path, model: str, prop: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{model}--{prop}")
    return out_dir / f"{safe}.itf.json"


def run_check(
    model: Model,
    properties: list[Property],
    progress: Progress | None = None,
    trace_dir: Path | None = None,
    max_states: int | None = None,
) -> CheckReport:
    started = time.perf_counter()
    compiled = CompiledModel(model)
    graph = explore(compiled, progress=progress, max_states=max_states)
    results = check_all(Context(compiled, graph), properties)
    report = CheckReport(model, graph, results, time.perf_counter() - started)
    if trace_dir is not None:
        for r in results:
            if r.trace is not None and not r.verdict.ok:
                report.trace_files[r.property.name] = save(
                    r.trace, trace_path(trace_dir, model.name, r.property.name))
    return report
