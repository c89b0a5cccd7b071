"""The machine-readable verdicts of a check (`--json FILE`)."""

from __future__ import annotations

import json
from pathlib import Path

from migcheck.checker.runner import CheckReport


def to_dict(report: CheckReport) -> dict:
    g, model = report.graph, report.model
    return {
        "tool": "migcheck",
        "model": model.name,
        "params": dict(model.params),
        "bounds": list(model.bounds),
        "assumptions": [{"name": a.name, "statement": a.doc} for a in model.assumptions],
        "coverage": {
            "complete": g.complete,
            "method": "explicit-state BFS, exact state storage",
            "statement": report.coverage,
            "states": len(g.states),
            "transitions": g.transitions,
            "depth": g.max_depth,
            "seconds": round(g.seconds, 3),
        },
        "ok": report.ok,
        "results": [
            {
                "property": r.property.name,
                "kind": r.property.kind,
                "statement": r.property.statement,
                "verdict": r.verdict.value,
                "detail": r.detail,
                "seconds": round(r.seconds + g.seconds, 3),
                "trace": str(report.trace_files[r.property.name])
                if r.property.name in report.trace_files else None,
                "trace_length": r.trace.length if r.trace is not None else None,
            }
            for r in report.results
        ],
        "seconds": round(report.seconds, 3),
    }


def record_last(reports: list[CheckReport], path: Path) -> None:
    """Keep the latest check of each (model, params) in `path`, for `migcheck report`."""
    try:
        old = json.loads(path.read_text()).get("checks", [])
    except (OSError, ValueError, AttributeError):
        old = []
    fresh = [to_dict(r) for r in reports]
    keys = {(c["model"], json.dumps(c["params"], sort_keys=True)) for c in fresh}
    kept = [c for c in old if isinstance(c, dict) and
            (c.get("model"), json.dumps(c.get("params"), sort_keys=True)) not in keys]
    checks = kept + fresh
    doc = {"tool": "migcheck", "ok": all(c.get("ok") for c in checks), "checks": checks}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.replace(path)


def write(reports: list[CheckReport], path: Path) -> None:
    doc = {"tool": "migcheck", "ok": all(r.ok for r in reports),
           "checks": [to_dict(r) for r in reports]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
