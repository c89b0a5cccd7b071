"""SARIF 2.1.0 results (`--sarif FILE`): what GitHub code scanning reads.

Each property is a rule (with a `helpUri` where the application gives one).  Each violated
property is a result located at the change that causes it: the step that completes the
counterexample (the last step, or the one entering the part that repeats for ever), at the
latest edit a layer made to that step's action (a version's change, say), with the action as
the base protocol writes it and every other layer edit met along the path as related
locations; an action no layer changed is located where it is written.  The whole trace is a
code flow whose locations are the model lines of every step.

Paths are relative to the repository that holds the model file (`uriBaseId`, resolved by the
run's `originalUriBaseIds`): `SRCROOT` is the repository the run is in (so a proposal file in
a project's own repository shows up in its code scanning), another repository gets a base of
its own, and an installed package's files are relative to the folder it is installed in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from migcheck.checker.files import write_text
from migcheck.checker.report import ModelInfo, PropertyResult, Report
from migcheck.checker.trace import Trace

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
RUN_BASE = "SRCROOT"
MAX_RELATED = 20

HelpUri = Callable[[PropertyResult], str | None]


def repository_of(path: Path) -> Path | None:
    """The repository (a folder with .git) holding `path`, if any."""
    for folder in path.parents:
        if (folder / ".git").exists():
            return folder
    return None


def _install_root(path: Path) -> Path:
    """Outside a repository: the folder the file's top-level package is installed in."""
    folder = path.parent
    while (folder / "__init__.py").exists() and folder.parent != folder:
        folder = folder.parent
    return folder


class Locator:
    """Turns model file paths into SARIF artifact locations relative to named bases."""

    def __init__(self, cwd: Path | None = None) -> None:
        self.cwd = (cwd or Path.cwd()).resolve()
        self.run_root = repository_of(self.cwd / "x")
        self.bases: dict[str, Path] = {}

    def _base(self, root: Path) -> str:
        if root == self.run_root:
            name = RUN_BASE
        else:
            name = re.sub(r"[^A-Z0-9]+", "_", root.name.upper()).strip("_") or "ROOT"
            while name in self.bases and self.bases[name] != root or name == RUN_BASE:
                name += "_"
        self.bases[name] = root
        return name

    def artifact(self, path: str) -> dict:
        p = (self.cwd / path).resolve()
        root = repository_of(p) or _install_root(p)
        return {"uri": p.relative_to(root).as_posix(), "uriBaseId": self._base(root)}

    def original_uri_base_ids(self) -> dict:
        return {name: {"uri": root.as_uri() + "/"} for name, root in self.bases.items()}

    def location(self, path: str, line: int, message: str | None = None) -> dict:
        loc: dict = {"physicalLocation": {"artifactLocation": self.artifact(path),
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


def _step_text(trace: Trace, i: int) -> str:
    step = trace.steps[i]
    return f"step {i}: {step.actor}: {step.action} ({step.cites})"


def code_flow(loc: Locator, model: ModelInfo, trace: Trace) -> dict:
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
        steps.append({"location": loc.location(*src, message=text), "executionOrder": i})
    return {"message": {"text": trace.summary or trace.property},
            "threadFlows": [{"locations": steps}]}


def cause(loc: Locator, model: ModelInfo, trace: Trace) -> tuple[dict | None, list[dict]]:
    """The primary location (the latest change to the completing step's action, else the
    action itself) and the related ones (that action as first written, the layers' other
    changes met along the path)."""
    k = completing_step(trace)
    name = trace.steps[k].action
    info = model.actions.get(name) if name is not None else None
    if info is None or not info.source[0]:
        return None, []
    related: list[dict] = []
    if info.changes:
        layer, what, where = info.changes[-1]
        primary = loc.location(*where, message=f"{_step_text(trace, k)}, as changed by"
                               f" {layer}: {what}")
        related.append(loc.location(*info.source, message=f"{name}, as first written"))
    else:
        primary = loc.location(*info.source, message=_step_text(trace, k))
    seen = {tuple(info.source), *(tuple(where) for _, _, where in info.changes[-1:])}
    for i, step in enumerate(trace.steps):
        other = model.actions.get(step.action) if step.action is not None else None
        for layer, what, where in other.changes if other is not None else ():
            if tuple(where) not in seen and where[0]:
                seen.add(tuple(where))
                related.append(loc.location(*where, message=f"step {i} ({step.action}) as"
                                            f" changed by {layer}: {what}"))
    related = related[:MAX_RELATED]
    for n, r in enumerate(related, 1):
        r["id"] = n
    return primary, related


def result(loc: Locator, report: Report, r: PropertyResult) -> dict:
    model = report.model
    trace_file = r.trace_file
    text = f"{r.name} {r.verdict.value} on {model.describe()}: {r.detail}"
    if r.trace is not None:
        text += f". {r.trace.summary}"
    if trace_file:
        text += f". Counterexample: {trace_file} (view with `migcheck trace {trace_file}`)"
    out: dict = {"ruleId": r.name, "level": "error", "message": {"text": text}}
    primary = None
    if r.trace is not None:
        primary, related = cause(loc, model, r.trace)
        if primary is not None:
            out["locations"] = [primary]
        if related:
            out["relatedLocations"] = related
        out["codeFlows"] = [code_flow(loc, model, r.trace)]
    if primary is None:
        out["locations"] = [loc.location(*r.site)]
    out["properties"] = {"model": model.name, "verdict": r.verdict.value,
                         "trace": str(trace_file) if trace_file else None,
                         "traceLength": r.trace.length if r.trace is not None else None}
    return out


def rule(r: PropertyResult, help_uri: HelpUri | None) -> dict:
    out = {"id": r.name, "name": r.name.replace("-", " ").title().replace(" ", ""),
           "shortDescription": {"text": r.statement.split(". ")[0]},
           "fullDescription": {"text": r.statement},
           "help": {"text": f"{r.statement}\nRests on: {r.rests_on}"},
           "properties": {"kind": r.kind}}
    uri = help_uri(r) if help_uri is not None else None
    if uri:
        out["helpUri"] = uri
    return out


def to_dict(reports: list[Report], help_uri: HelpUri | None = None,
            cwd: Path | None = None) -> dict:
    """The SARIF log; `help_uri` (the application's) gives each rule its help page."""
    runs = []
    for report in reports:
        loc = Locator(cwd)
        results = [result(loc, report, r) for r in report.results if r.verdict.failed]
        cov = report.coverage
        invocation: dict = {"executionSuccessful": cov.complete,
                            "properties": {"coverage": cov.statement,
                                           "states": cov.states,
                                           "transitions": cov.transitions,
                                           "bounds": list(report.model.bounds)}}
        if not cov.complete:
            invocation["toolExecutionNotifications"] = [
                {"level": "error", "message": {"text": cov.statement}}]
        run: dict = {
            "tool": {"driver": {"name": "migcheck", "version": _version(),
                                "rules": [rule(r, help_uri) for r in report.results]}},
            "automationDetails": {"id": f"migcheck/{report.model.name}/"},
            "invocations": [invocation],
            "results": results,
            "properties": {"model": report.model.name, "params": dict(report.model.params)},
        }
        if loc.bases:
            run["originalUriBaseIds"] = loc.original_uri_base_ids()
        runs.append(run)
    return {"$schema": SCHEMA, "version": VERSION, "runs": runs}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("migcheck")
    except PackageNotFoundError:
        return "0"


def write(reports: list[Report], path: Path, help_uri: HelpUri | None = None) -> None:
    write_text(path, json.dumps(to_dict(reports, help_uri), indent=1) + "\n")
