"""SARIF 2.1.0 results (`--sarif FILE`): what GitHub code scanning reads.

Each property is a rule.  Each violated property is a result located at the model line that
wrote the action completing the counterexample (the last step, or the step that enters the
repeated part of a lasso), with the whole trace as a SARIF code flow whose locations are the
model lines of every step.  Paths are relative to the repository root.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from migcheck.checker.files import write_text
from migcheck.checker.report import ModelInfo, PropertyResult, Report
from migcheck.checker.trace import Trace

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
ROOT = Path(__file__).resolve().parents[3]  # the repository (editable install)


def repo_relative(path: str) -> str:
    """A model file as a forward-slash path from the repository root (as given otherwise)."""
    p = Path(path).resolve()
    try:
        return p.relative_to(ROOT).as_posix()
    except ValueError:
        return Path(os.path.relpath(p, ROOT)).as_posix() if p.is_absolute() else path


def location(path: str, line: int, message: str | None = None) -> dict:
    loc: dict = {"physicalLocation": {
        "artifactLocation": {"uri": repo_relative(path), "uriBaseId": "SRCROOT"},
        "region": {"startLine": max(int(line), 1)}}}
    if message:
        loc["message"] = {"text": message}
    return loc


def completing_step(trace: Trace) -> int:
    """The step whose action completes the counterexample."""
    return trace.length if trace.loop_start is None else max(trace.loop_start, 1)


def action_source(model: ModelInfo, name: str | None) -> tuple[str, int] | None:
    info = model.actions.get(name) if name is not None else None
    return info.source if info is not None and info.source[0] else None


def code_flow(model: ModelInfo, trace: Trace) -> dict:
    steps = []
    for i, step in enumerate(trace.steps):
        src = action_source(model, step.action)
        if i == 0 or src is None:
            continue
        text = f"{i}. {step.actor}: {step.action} ({step.cites})"
        if step.refused:
            text += f" refused: {step.reply}"
        if trace.loop_start is not None and i > trace.loop_start:
            text += " [repeated forever]"
        steps.append({"location": location(*src, message=text), "executionOrder": i})
    return {"message": {"text": trace.summary or trace.property},
            "threadFlows": [{"locations": steps}]}


def result(report: Report, r: PropertyResult) -> dict:
    model = report.model
    trace_file = r.trace_file
    text = f"{r.name} {r.verdict.value} on {model.name}: {r.detail}"
    if r.trace is not None:
        text += f". {r.trace.summary}"
    if trace_file:
        text += f". Counterexample: {trace_file} (view with `migcheck trace {trace_file}`)"
    out: dict = {"ruleId": r.name, "level": "error", "message": {"text": text}}
    src = None
    if r.trace is not None:
        k = completing_step(r.trace)
        src = action_source(model, r.trace.steps[k].action)
        if src is not None:
            step = r.trace.steps[k]
            out["locations"] = [location(*src, message=f"step {k}: {step.actor}: {step.action}"
                                         f" ({step.cites})")]
        out["codeFlows"] = [code_flow(model, r.trace)]
    if src is None:
        out["locations"] = [location(*r.site)]
    out["properties"] = {"model": model.name, "verdict": r.verdict.value,
                         "trace": str(trace_file) if trace_file else None,
                         "traceLength": r.trace.length if r.trace is not None else None}
    return out


def rule(r: PropertyResult) -> dict:
    return {"id": r.name, "name": r.name.replace("-", " ").title().replace(" ", ""),
            "shortDescription": {"text": r.statement.split(". ")[0]},
            "fullDescription": {"text": r.statement},
            "help": {"text": f"{r.statement}\nRests on: {r.rests_on}"},
            "properties": {"kind": r.kind}}


def to_dict(reports: list[Report]) -> dict:
    runs = []
    for report in reports:
        results = [result(report, r) for r in report.results if r.verdict.failed]
        cov = report.coverage
        invocation: dict = {"executionSuccessful": cov.complete,
                            "properties": {"coverage": cov.statement,
                                           "states": cov.states,
                                           "transitions": cov.transitions,
                                           "bounds": list(report.model.bounds)}}
        if not cov.complete:
            invocation["toolExecutionNotifications"] = [
                {"level": "error", "message": {"text": cov.statement}}]
        runs.append({
            "tool": {"driver": {"name": "migcheck", "version": _version(),
                                "rules": [rule(r) for r in report.results]}},
            "automationDetails": {"id": f"migcheck/{report.model.name}/"},
            "invocations": [invocation],
            "results": results,
            "properties": {"model": report.model.name, "params": dict(report.model.params)},
        })
    return {"$schema": SCHEMA, "version": VERSION, "runs": runs}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("migcheck")
    except PackageNotFoundError:
        return "0"


def write(reports: list[Report], path: Path) -> None:
    write_text(path, json.dumps(to_dict(reports), indent=1) + "\n")
