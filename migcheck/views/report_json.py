"""The machine-readable verdicts of a check (`--json FILE`)."""

from __future__ import annotations

import json
from pathlib import Path

from migcheck.runner import CheckReport


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


def write(reports: list[CheckReport], path: Path) -> None:
    doc = {"tool": "migcheck", "ok": all(r.ok for r in reports),
           "checks": [to_dict(r) for r in reports]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
