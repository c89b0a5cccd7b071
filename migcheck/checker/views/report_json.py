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
from migcheck.checker.files import locked, write_text
from migcheck.checker.inputs import (
    InputError,
    ShapeError,
    expect,
    items,
    join,
    load_json,
    member,
    string_map,
    strings,
)
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
            "signal": c.signal,
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


def from_dict(doc: object, where: str = "") -> Report:
    """A Report from its JSON form (embedded counterexamples are loaded; otherwise
    `trace_file` names them).  Raises ShapeError, naming the JSON path, on a malformed
    document."""
    text, number = (str,), (int, float)
    cov = member(doc, "coverage", dict, where)
    cwhere = join(where, "coverage")
    actions = {}
    for name, a in dict(member(doc, "actions", dict, where, {})).items():  # type: ignore[arg-type]
        awhere = join(join(where, "actions"), name)
        changes = items(member(a, "changes", list, awhere, []), join(awhere, "changes"),
                        _change)
        actions[name] = ActionInfo(str(member(a, "actor", text, awhere)),
                                   _site(member(a, "source", list, awhere),
                                         join(awhere, "source")), tuple(changes))
    params = member(doc, "params", dict, where, {})
    for k, v in params.items():  # type: ignore[union-attr]
        expect(v, (bool, int, str), join(join(where, "params"), k))
    model = ModelInfo(
        str(member(doc, "model", text, where)), str(member(doc, "doc", text, where, "")),
        dict(params),  # type: ignore[arg-type]
        strings(member(doc, "bounds", list, where, []), join(where, "bounds")),
        tuple(items(member(doc, "assumptions", list, where, []), join(where, "assumptions"),
                    lambda a, w: (str(member(a, "name", text, w)),
                                  str(member(a, "statement", text, w))))),
        strings(member(doc, "layers", list, where, []), join(where, "layers")), actions,
        string_map(member(doc, "links", dict, where, {}), join(where, "links")))
    coverage = Coverage(
        bool(member(cov, "complete", bool, cwhere)), str(member(cov, "method", text, cwhere, "")),
        str(member(cov, "statement", text, cwhere, "")), _count(cov, "states", cwhere),
        _count(cov, "transitions", cwhere), _count(cov, "depth", cwhere),
        float(member(cov, "seconds", number, cwhere, 0.0)),  # type: ignore[arg-type]
        bool(member(cov, "interrupted", bool, cwhere, False)),
        _signal(member(cov, "signal", int, cwhere, 0), join(cwhere, "signal")))
    results = items(member(doc, "results", list, where), join(where, "results"), _result)
    status = member(doc, "status_graph", dict, where, None)
    return Report(str(member(doc, "engine", text, where, "explore")), model, coverage, results,
                  float(member(doc, "seconds", number, where, 0.0)),  # type: ignore[arg-type]
                  strings(member(doc, "notes", list, where, []), join(where, "notes")),
                  None if status is None else _status_graph(status, join(where, "status_graph")))


def _result(r: object, where: str) -> PropertyResult:
    text = (str,)
    verdict = str(member(r, "verdict", text, where))
    try:
        decided = Verdict(verdict)
    except ValueError:
        raise ShapeError(join(where, "verdict"), f"unknown verdict {verdict[:40]!r}") from None
    seconds = member(r, "seconds", (int, float), where, 0.0)
    if seconds < 0:  # type: ignore[operator]
        raise ShapeError(join(where, "seconds"), "negative")
    itf = member(r, "itf", dict, where, None)
    try:
        cx = None if itf is None else trace.from_json(itf, join(where, "itf"))
    except trace.TraceFileError as exc:
        raise ShapeError("", str(exc)) from None
    return PropertyResult(
        str(member(r, "property", text, where)), str(member(r, "kind", text, where)),
        str(member(r, "statement", text, where, "")), str(member(r, "rests_on", text, where, "")),
        decided, str(member(r, "method", text, where, "")),
        str(member(r, "detail", text, where, "")), cx,
        member(r, "trace", text, where, None),  # type: ignore[arg-type]
        float(seconds),  # type: ignore[arg-type]
        strings(member(r, "why", list, where, []), join(where, "why")),
        _site(member(r, "site", list, where, ["", 0]), join(where, "site")))


def _status_graph(doc: object, where: str) -> statusgraph.StatusGraph:
    """The status graph, each edge between two of its nodes."""
    try:
        g = statusgraph.from_json(doc)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ShapeError(where, f"malformed ({type(exc).__name__}: {str(exc)[:60]})") from None
    if len(g.labels) != len(g.keys) or any(len(n.values) != len(g.keys) for n in g.nodes):
        raise ShapeError(where, "a node or the labels do not match the keys")
    for i, e in enumerate(g.edges):
        if not (0 <= e.src < len(g.nodes) and 0 <= e.dst < len(g.nodes)):
            raise ShapeError(f"{where}.edges[{i}]", "not between two of its nodes")
    counts = [n.states for n in g.nodes] + [n.depth for n in g.nodes] + \
        [e.transitions for e in g.edges] + [c for e in g.edges for _, c in e.actions]
    if any(c < 0 for c in counts):
        raise ShapeError(where, "a negative count")
    return g


def _signal(value: object, where: str) -> int:
    if not 0 <= value < 65:  # type: ignore[operator]
        raise ShapeError(where, f"{value} is not a signal number")
    return value  # type: ignore[return-value]


def _count(obj: object, key: str, where: str) -> int | None:
    value = member(obj, key, int, where, None)
    if value is not None and value < 0:  # type: ignore[operator]
        raise ShapeError(join(where, key), "negative")
    return value  # type: ignore[return-value]


def _site(value: object, where: str) -> tuple[str, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ShapeError(where, "expected [file, line]")
    return (str(expect(value[0], str, where)), int(expect(value[1], int, where)))  # type: ignore[arg-type]


def _change(value: object, where: str) -> tuple[str, str, tuple[str, int]]:
    if not isinstance(value, list) or len(value) != 3:
        raise ShapeError(where, "expected [layer, what, [file, line]]")
    return (str(expect(value[0], str, where)), str(expect(value[1], str, where)),
            _site(value[2], where))


def document(reports: list[Report]) -> dict:
    return {"tool": "migcheck", "schema_version": SCHEMA_VERSION,
            "ok": all(r.ok for r in reports), "checks": [to_dict(r) for r in reports]}


def write(reports: list[Report], path: Path) -> None:
    write_text(path, json.dumps(document(reports), indent=1) + "\n")


def checks_of(path: Path) -> list[dict]:
    """The report documents of a --json file (or of reports/last-check.json), each checked to
    be a report; InputError, naming the file and the JSON path, if it is not one."""
    doc = load_json(path)
    try:
        expect(doc, dict, "")
        checks = items(member(doc, "checks", list, ""), "checks",
                       lambda c, w: (from_dict(c, w), c)[1])
    except ShapeError as exc:
        raise InputError(f"{path}: not a migcheck report: {exc}") from None
    return checks  # type: ignore[return-value]


def read(path: Path) -> list[Report]:
    return [from_dict(c) for c in checks_of(path)]


def finished(report: dict) -> bool:
    """A report whose run covered its whole bound and was not interrupted."""
    cov = report.get("coverage")
    return isinstance(cov, dict) and cov.get("complete") is True \
        and not cov.get("interrupted")


def record_last(reports: list[Report], path: Path) -> None:
    """Keep the latest report of each (model, params, engine) in `path`, for `migcheck report`,
    counterexamples included; an unfinished report (incomplete or interrupted) never replaces
    a finished one.  The read-modify-write holds a lock, so concurrent runs in one folder
    keep both results."""
    with locked(path):
        _merge_last(reports, path)


def _merge_last(reports: list[Report], path: Path) -> None:
    try:
        old = checks_of(path)
    except InputError:
        old = []  # absent or unreadable: start afresh (it is only a record of past runs)

    def key(c: dict) -> tuple:
        return (c.get("model"), json.dumps(c.get("params"), sort_keys=True), c.get("engine"))

    fresh = {key(d): d for d in (to_dict(r, embed_traces=True) for r in reports)}
    kept = []
    for c in old:
        new = fresh.get(key(c))
        if new is not None and not finished(new) and finished(c):
            fresh.pop(key(c))  # keep the finished one
            kept.append(c)
        elif new is None:
            kept.append(c)
    checks = kept + list(fresh.values())
    doc = {"tool": "migcheck", "schema_version": SCHEMA_VERSION,
           "ok": all(c.get("ok") for c in checks), "checks": checks}
    write_text(path, json.dumps(doc, indent=1) + "\n")
