"""Reports as JSON (`--json FILE`): the machine-readable form every engine writes.

The document is `{"tool", "schema_version", "ok", "checks": [report, ...]}`; its schema is
`assets/report.schema.json` (validated in the tests).  `to_dict`/`from_dict` round-trip a
Report, traces stored by file name; `record_last` keeps the latest report of each model and
parameters for `migcheck report`, counterexamples included (a trace file may since have been
overwritten by a run at other parameters).
"""

from __future__ import annotations

import json
from pathlib import Path

from migcheck.checker import statusgraph, trace
from migcheck.checker.files import write_text
from migcheck.checker.report import (
    SCHEMA_VERSION,
    ActionInfo,
    Coverage,
    ModelInfo,
    PropertyResult,
    Report,
    Verdict,
)

SCHEMA_FILE = Path(__file__).parent / "assets" / "report.schema.json"


def to_dict(report: Report, embed_traces: bool = False) -> dict:
    """The JSON form; with `embed_traces`, each failed property's counterexample is included
    (ITF, under "itf"), so the document does not depend on trace files that a later run may
    overwrite."""
    m, c = report.model, report.coverage
    doc = {
        "tool": "migcheck",
        "engine": report.engine,
        "model": m.name,
        "doc": m.doc,
        "params": dict(m.params),
        "bounds": list(m.bounds),
        "assumptions": [{"name": n, "statement": s} for n, s in m.assumptions],
        "layers": list(m.layers),
        "coverage": {
            "complete": c.complete,
            "interrupted": c.interrupted,
            "method": c.method,
            "statement": c.statement,
            "states": c.states,
            "transitions": c.transitions,
            "depth": c.depth,
            "seconds": round(c.seconds, 3),
        },
        "ok": report.ok,
        "exit_code": report.exit_code,
        "results": [
            {
                "property": r.name,
                "kind": r.kind,
                "statement": r.statement,
                "rests_on": r.rests_on,
                "verdict": r.verdict.value,
                "method": r.method,
                "detail": r.detail,
                "seconds": round(r.seconds, 3),
                "why": list(r.why),
                "trace": r.trace_file,
                "trace_length": r.trace.length if r.trace is not None else None,
                "site": list(r.site),
            }
            for r in report.results
        ],
        "notes": list(report.notes),
        "actions": {name: {"actor": a.actor, "source": list(a.source),
                           "changes": [[lay, what, list(where)]
                                       for lay, what, where in a.changes]}
                    for name, a in m.actions.items()},
        "seconds": round(report.seconds, 3),
        "links": dict(m.links),
        "status_graph": (statusgraph.to_json(report.status_graph)
                         if report.status_graph is not None else None),
    }
    if embed_traces:
        for r, out in zip(report.results, doc["results"], strict=True):
            if r.trace is not None and r.verdict.failed:
                out["itf"] = trace.to_json(r.trace)
    return doc


def from_dict(doc: dict) -> Report:
    """A Report from its JSON form (embedded counterexamples are loaded; otherwise
    `trace_file` names them).  Raises KeyError, TypeError or ValueError on a malformed
    document."""
    cov = doc["coverage"]
    actions = {name: ActionInfo(str(a["actor"]), _site(a["source"]),
                                tuple((str(lay), str(what), _site(where))
                                      for lay, what, where in a.get("changes", ())))
               for name, a in dict(doc.get("actions", {})).items()}
    model = ModelInfo(str(doc["model"]), str(doc.get("doc", "")), dict(doc.get("params", {})),
                      tuple(str(b) for b in doc.get("bounds", ())),
                      tuple((str(a["name"]), str(a["statement"]))
                            for a in doc.get("assumptions", ())),
                      tuple(str(x) for x in doc.get("layers", ())), actions,
                      {str(k): str(v) for k, v in dict(doc.get("links", {})).items()})
    coverage = Coverage(bool(cov["complete"]), str(cov.get("method", "")),
                        str(cov.get("statement", "")), cov.get("states"),
                        cov.get("transitions"), cov.get("depth"),
                        float(cov.get("seconds") or 0.0), bool(cov.get("interrupted", False)))
    results = [PropertyResult(str(r["property"]), str(r["kind"]), str(r.get("statement", "")),
                              str(r.get("rests_on", "")), Verdict(r["verdict"]),
                              str(r.get("method", "")), str(r.get("detail", "")),
                              trace.from_json(r["itf"]) if "itf" in r else None,
                              r.get("trace"), float(r.get("seconds") or 0.0),
                              tuple(str(w) for w in r.get("why", ())),
                              _site(r.get("site", ("", 0))))
               for r in doc["results"]]
    status = doc.get("status_graph")
    return Report(str(doc.get("engine", "explore")), model, coverage, results,
                  float(doc.get("seconds") or 0.0), tuple(str(n) for n in doc.get("notes", ())),
                  statusgraph.from_json(status) if status is not None else None)


def _site(value: object) -> tuple[str, int]:
    path, line = value  # type: ignore[misc]
    return (str(path), int(line))


def document(reports: list[Report]) -> dict:
    return {"tool": "migcheck", "schema_version": SCHEMA_VERSION,
            "ok": all(r.ok for r in reports), "checks": [to_dict(r) for r in reports]}


def write(reports: list[Report], path: Path) -> None:
    write_text(path, json.dumps(document(reports), indent=1) + "\n")


def record_last(reports: list[Report], path: Path) -> None:
    """Keep the latest report of each (model, params, engine) in `path`, for `migcheck report`;
    an incomplete report never replaces a complete one."""
    try:
        old = json.loads(path.read_text()).get("checks", [])
    except (OSError, ValueError, AttributeError):
        old = []

    def key(c: dict) -> tuple:
        return (c.get("model"), json.dumps(c.get("params"), sort_keys=True), c.get("engine"))

    fresh = {key(d): d for d in (to_dict(r, embed_traces=True) for r in reports)}
    kept = []
    for c in old:
        if not isinstance(c, dict):
            continue
        new = fresh.get(key(c))
        if new is not None and not new["coverage"]["complete"] \
                and c.get("coverage", {}).get("complete"):
            fresh.pop(key(c))  # keep the complete one
            kept.append(c)
        elif new is None:
            kept.append(c)
    checks = kept + list(fresh.values())
    doc = {"tool": "migcheck", "schema_version": SCHEMA_VERSION,
           "ok": all(c.get("ok") for c in checks), "checks": checks}
    write_text(path, json.dumps(doc, indent=1) + "\n")
