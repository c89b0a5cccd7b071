"""A self-contained HTML report: every check as a column of a model x property matrix, and
each counterexample as a sequence diagram (`views.sequence`) beside a step-by-step state
viewer (`assets/report.js`), with the "why stuck" paragraph (`views.whystuck`) and the state
graph (`views.stategraph`).

The page reads the JSON form of Reports (`report_json`) and the traces they carry.  Everything
is inline (CSS, JS, SVG); the page fetches nothing.  Links to the implementation's source are
plain <a href> built from the URL templates the model declares (`report.SOURCE_LINKS`).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

from migcheck.checker.statusgraph import from_json as status_graph_of
from migcheck.checker.trace import Trace
from migcheck.checker.views import (
    lanes as lane_view,
    report_json,
    sequence,
    stategraph,
    whystuck,
)

ASSETS = Path(__file__).parent / "assets"
OK_VERDICTS = ("holds", "proved", "witnessed", "n/a")


def assets_text(name: str) -> str:
    return (ASSETS / name).read_text()


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class Counterexample:
    trace: Trace
    source: str  # the trace file, or where the trace came from
    check: int | None  # index of the check it belongs to (None: shown with --trace)
    properties: tuple[str, ...] = ()  # every property this same path violates


# ---------------------------------------------------------------- step data for the script


def source_links(links: dict[str, str], cites: str | None) -> dict[str, str] | None:
    """URLs of the function and file a step cites ("file.c:function"), from the model's
    templates; None where the model gives none or the step cites nothing."""
    if not cites or ":" not in cites or not links:
        return None
    path, function = cites.split(":", 1)
    name = "".join(c for c in function.strip().split(" ")[0] if c.isalnum() or c == "_")
    out = {"function": name, "path": path}
    if "function" in links:
        out["function_url"] = links["function"].replace("{function}", name)
    if "file" in links:
        out["file_url"] = links["file"].replace("{path}", path)
    return out


def trace_data(trace: Trace, links: dict[str, str] | None = None) -> dict:
    """What the step viewer's script needs, as JSON-ready data."""
    steps = []
    for row in lane_view.chart(trace):
        state = trace.steps[row.index].state
        steps.append({
            "index": row.index, "lane": row.lane, "action": row.action, "cites": row.cites,
            "links": source_links(links or {}, row.cites), "command": row.command,
            "reply": row.reply, "refused": row.refused,
            "state": {k: lane_view.show(v) for k, v in state.items()},
            "changes": [[k, lane_view.show(a), lane_view.show(b)] for k, a, b in row.changes],
            "events": [f"{side}: {status}" for side, status in row.events],
            "messages": [m.label() for m in row.messages],
            "blocked": row.blocked, "header": list(row.header), "loop": row.in_loop,
        })
    return {"model": trace.model, "property": trace.property, "kind": trace.kind,
            "summary": trace.summary, "loop_start": trace.loop_start,
            "status_names": list(trace.events), "groups": var_groups(trace),
            "steps": steps}


def var_groups(trace: Trace) -> list[tuple[str, list[str]]]:
    """The variables by lane: a side's own variables first, then its threads' in lane order."""
    order = lane_view.lanes(trace)

    def rank(lane: str) -> tuple[int, int]:
        if lane in order:
            return (order.index(lane), 1)
        first = next((i for i, o in enumerate(order) if o.split(":")[0] == lane), len(order))
        return (first, 0)

    groups: dict[str, list[str]] = {}
    for name in trace.variables:
        groups.setdefault(lane_view.lane_of_var(trace.lanes.get(name, "")), []).append(name)
    return sorted(groups.items(), key=lambda kv: rank(kv[0]))


# ---------------------------------------------------------------- the matrix of checks


def describe(check: dict) -> str:
    """`NAME, failures <= 2, pages 2` (say): the model and the parameters of a check."""
    try:
        return report_json.from_dict({**check, "results": []}).model.describe()
    except (KeyError, TypeError, ValueError):
        return str(check.get("model", "?"))


def _params(check: dict) -> str:
    return describe(check).partition(", ")[2] or "no parameters"


def _column_head(check: dict) -> str:
    cov = check.get("coverage", {})
    engine = check.get("engine", "explore")
    states = cov.get("states")
    if cov.get("complete"):
        scope = f"{states:,} states, exhaustive" if states is not None else "complete"
    else:
        scope = "INTERRUPTED" if cov.get("interrupted") else "INCOMPLETE"
    return (f'<th class="check{"" if cov.get("complete") else " incomplete"}" scope="col">'
            f'<span class="model">{esc(check.get("model", "?"))}</span>'
            f'<span class="params">{esc(_params(check))}</span>'
            f'<span class="engine">{esc(engine)} · {esc(scope)}</span></th>')


def matrix(checks: list[dict], anchors: dict[tuple[int, str], str]) -> str:
    """Properties down, checks across; each cell a verdict (linked to its counterexample);
    each column ends with its bounds and assumptions."""
    names: list[str] = []
    for check in checks:
        names += [r.get("property", "?") for r in check.get("results", [])
                  if r.get("property", "?") not in names]
    out = ['<table class="matrix"><thead><tr><th scope="col">property</th>',
           *(_column_head(c) for c in checks), "</tr></thead><tbody>"]
    for name in names:
        out.append(f'<tr><th scope="row">{esc(name)}</th>')
        for ci, check in enumerate(checks):
            r = next((r for r in check.get("results", []) if r.get("property") == name), None)
            if r is None:
                out.append('<td class="none">—</td>')
                continue
            verdict = r.get("verdict", "?")
            ok = "ok" if verdict in OK_VERDICTS else ("unknown" if verdict == "unknown"
                                                      else "bad")
            detail = esc(r.get("detail") or "")
            anchor = anchors.get((ci, name))
            link = f' <a href="#{anchor}">trace</a>' if anchor else ""
            out.append(f'<td class="{ok}" title="{esc(r.get("statement", ""))}">'
                       f'<span class="verdict">{esc(verdict)}</span>{link}'
                       f'<span class="detail">{detail}</span></td>')
        out.append("</tr>")
    out.append('</tbody><tfoot><tr><th scope="row">bounds</th>')
    out += [f'<td><ul>{"".join(f"<li>{esc(b)}</li>" for b in c.get("bounds", []))}</ul></td>'
            for c in checks]
    out.append('</tr><tr><th scope="row">assumes</th>')
    for c in checks:
        items = "".join(f'<li><details><summary>{esc(a.get("name"))}</summary>'
                        f'{esc(a.get("statement"))}</details></li>'
                        for a in c.get("assumptions", []))
        out.append(f"<td><ul>{items or '<li>nothing</li>'}</ul></td>")
    out.append("</tr></tfoot></table>")
    return "".join(out)


def scope(check: dict) -> str:
    """Bounds and assumptions of the check a counterexample belongs to, in a line."""
    assumed = ", ".join(f'<abbr title="{esc(a.get("statement"))}">{esc(a.get("name"))}</abbr>'
                        for a in check.get("assumptions", []))
    bounds = "; ".join(esc(b) for b in check.get("bounds", []))
    return (f'<p class="scope"><b>Within</b> {bounds}. <b>Assuming</b> {assumed or "nothing"}.'
            f' <b>Coverage</b> {esc(check.get("coverage", {}).get("statement", ""))}.</p>')


# ---------------------------------------------------------------- a counterexample


def _why_stuck(trace: Trace) -> str:
    said = whystuck.sentences(trace)
    if not said:
        return ""
    return (f'<div class="why-stuck" role="note"><h3>Why stuck</h3><p>'
            f'{" ".join(esc(s) for s in said)}</p></div>')


def _state_graph(check: dict, trace: Trace) -> str:
    doc = check.get("status_graph")
    if not doc:
        return ""
    try:
        sg = status_graph_of(doc)
    except (KeyError, TypeError, ValueError):
        return ""
    if len(sg.keys) != 2:
        return ""
    g = stategraph.to_nx(sg, trace.model)
    stategraph.overlay(g, trace)
    states = sum(n.states for n in sg.nodes)
    return (f'<details class="state-graph"><summary>State graph: {states:,} states over '
            f'{esc(" × ".join(sg.keys))} ({len(sg.nodes)} combinations, {len(sg.edges)} '
            f'moves); this path in red</summary><div class="graph-box">'
            f'{stategraph.grid_svg(g)}</div></details>')


def counterexample(cx: Counterexample, uid: str, checks: list[dict]) -> str:
    trace = cx.trace
    check = checks[cx.check] if cx.check is not None else {}
    links = check.get("links") or {}
    data = json.dumps(trace_data(trace, links)).replace("</", "<\\/")
    loop = ("" if trace.loop_start is None else
            f"; steps {trace.loop_start + 1}-{trace.length} repeat forever (↻)")
    props = cx.properties or (trace.property,)
    where = describe(check) if check else trace.model
    return (f'<section class="cx" id="{uid}" data-uid="{uid}" tabindex="-1">'
            f'<h2>{esc(", ".join(props))} <span class="on">on {esc(where)}</span></h2>'
            f'<p class="cx-summary">{esc(trace.summary)} ({esc(trace.kind)}, {trace.length}'
            f' steps{esc(loop)}). Trace file: <code>{esc(cx.source)}</code></p>'
            f'{scope(check) if check else ""}{_why_stuck(trace)}'
            f'<div class="cx-body">{sequence.diagram(trace, uid)}'
            f'<div class="viewer" tabindex="0" aria-label="step viewer: arrow keys step">'
            f'<div class="controls">'
            f'<button type="button" class="prev" aria-label="previous step">◀</button>'
            f'<input type="range" class="slider" min="0" max="{trace.length}" value="0" '
            f'aria-label="step">'
            f'<button type="button" class="next" aria-label="next step">▶</button>'
            f'<span class="step-label"></span></div>'
            f'<div class="step-view" aria-live="polite"></div></div></div>'
            f'{_state_graph(check, trace) if check else ""}'
            f'<script type="application/json" class="trace-data">{data}</script></section>')


def dedupe(cxs: list[Counterexample]) -> list[Counterexample]:
    """One counterexample per distinct path of a check, naming every property it violates."""
    out: dict[tuple, Counterexample] = {}
    for cx in cxs:
        t = cx.trace
        key = (cx.check, t.model, json.dumps(t.params, sort_keys=True), t.loop_start,
               tuple((s.action, s.actor) for s in t.steps))
        if key in out:
            seen = out[key]
            out[key] = Counterexample(seen.trace, seen.source, seen.check,
                                      (*seen.properties, t.property))
        else:
            out[key] = Counterexample(t, cx.source, cx.check, (t.property,))
    return list(out.values())


# ---------------------------------------------------------------- the page


def page(checks: list[dict], cxs: list[Counterexample], title: str = "migcheck report",
         notes: list[str] | None = None) -> str:
    """The whole report as one HTML document."""
    shown = dedupe(cxs)
    anchors: dict[tuple[int, str], str] = {}
    sections = []
    for n, cx in enumerate(shown):
        uid = f"cx{n}"
        if cx.check is not None:
            for prop in cx.properties:
                anchors[(cx.check, prop)] = uid
        sections.append(counterexample(cx, uid, checks))
    ok = all(c.get("ok") for c in checks)
    verdict = "all properties hold" if ok else "some properties are violated"
    note = "".join(f'<p class="note">{esc(n)}</p>' for n in notes or ())
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
            f"<title>{esc(title)}</title><style>{assets_text('report.css')}</style></head>"
            f"<body><h1>{esc(title)}</h1><p class=\"overall {'ok' if ok else 'bad'}\">"
            f"{verdict}</p>{note}{matrix(checks, anchors)}{''.join(sections)}"
            f"<script>{assets_text('report.js')}</script></body></html>\n")

