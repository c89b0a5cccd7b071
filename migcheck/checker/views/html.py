"""A self-contained HTML report: the last checks' verdicts and every counterexample as a
sequence diagram with a step-by-step state viewer.

Everything is inline (CSS, JS, SVG); the page fetches nothing.  Links to QEMU's source are
plain <a href> a reader may follow.  The diagram is drawn here in Python from the same
`lanes.chart` rows the terminal viewer uses.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from migcheck.checker.trace import Trace
from migcheck.checker.views import lanes as lane_view

ASSETS = Path(__file__).parent / "assets"
SOURCE_BROWSER = "https://elixir.bootlin.com/qemu/{tag}/A/ident/{function}"
SOURCE_FILE = "https://gitlab.com/qemu-project/qemu/-/blob/{tag}/{path}"
LANE_W, ROW_H, TOP, LEFT = 118, 26, 54, 150


def qemu_tag(model: str) -> str:
    """The QEMU release a model version describes (`qemu-7.2+x` -> v7.2.0), else master."""
    m = re.match(r"qemu-(\d+)\.(\d+)", model)
    return f"v{m.group(1)}.{m.group(2)}.0" if m else "master"


def qemu_links(model: str, qemu: str | None) -> dict[str, str] | None:
    """URLs of the QEMU function (source browser) and file a step cites, if it names one."""
    if not qemu or ":" not in qemu:
        return None
    path, function = qemu.split(":", 1)
    function = re.split(r"[^A-Za-z0-9_]", function.strip())[0]
    tag = qemu_tag(model)
    return {"function": function, "path": path,
            "function_url": SOURCE_BROWSER.format(tag=tag, function=function),
            "file_url": SOURCE_FILE.format(tag=tag, path=path)}


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def trace_data(trace: Trace) -> dict:
    """What the step viewer's script needs, as JSON-ready data."""
    rows = lane_view.chart(trace)
    steps = []
    for row in rows:
        state = trace.steps[row.index].state
        steps.append({
            "index": row.index, "lane": row.lane, "action": row.action, "qemu": row.cites,
            "links": qemu_links(trace.model, row.cites), "command": row.command,
            "reply": row.reply, "refused": row.refused,
            "state": {k: lane_view.show(v) for k, v in state.items()},
            "changes": [[k, lane_view.show(a), lane_view.show(b)] for k, a, b in row.changes],
            "events": [f"{side}: {status}" for side, status in row.events],
            "messages": [m.label() for m in row.messages],
            "blocked": row.blocked, "header": list(row.header), "loop": row.in_loop,
        })
    return {"model": trace.model, "property": trace.property, "kind": trace.kind,
            "summary": trace.summary, "loop_start": trace.loop_start,
            "lanes": lane_view.lanes(trace),
            "var_lanes": {k: lane_view.lane_of_var(v) for k, v in trace.lanes.items()},
            "steps": steps}


# ---------------------------------------------------------------- the sequence diagram


def _x(columns: list[str], lane: str | None) -> float:
    i = columns.index(lane) if lane in columns else 0
    return LEFT + LANE_W * i + LANE_W / 2


def _y(index: int) -> float:
    return TOP + ROW_H * index + ROW_H / 2


def sequence_svg(trace: Trace, uid: str) -> str:
    """Lanes as lifelines, one row per step, messages as arrows from sender to receiver."""
    rows = lane_view.chart(trace)
    columns = lane_view.lanes(trace)
    width = LEFT + LANE_W * len(columns) + 260  # room for the labels of the last lanes
    height = TOP + ROW_H * len(rows) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="msc" id="{uid}-svg" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="sequence diagram of {esc(trace.property)}">',
           f'<defs><marker id="{uid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
           'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>']
    if trace.loop_start is not None:
        y0 = TOP + ROW_H * (trace.loop_start + 1)
        out.append(f'<rect class="loop" x="4" y="{y0}" width="{width - 8}" '
                   f'height="{ROW_H * (len(rows) - trace.loop_start - 1)}"/>'
                   f'<text class="loop-label" x="{width - 12}" y="{y0 + 12}" '
                   'text-anchor="end">↻ repeated forever</text>')
    for lane in columns:
        x = _x(columns, lane)
        side, _, thread = lane.partition(":")
        out.append(f'<text class="lane-side" x="{x}" y="18" text-anchor="middle">{esc(side)}'
                   f'</text><text class="lane-name" x="{x}" y="34" text-anchor="middle">'
                   f'{esc(thread)}</text><line class="lifeline" x1="{x}" y1="{TOP - 8}" '
                   f'x2="{x}" y2="{height - 10}"/>')
    last_header = None
    for row in rows:
        y = _y(row.index)
        out.append(f'<g class="row" data-step="{row.index}" id="{uid}-row-{row.index}">'
                   f'<rect class="row-bg" x="0" y="{y - ROW_H / 2}" width="{width}" '
                   f'height="{ROW_H}"/><text class="step-no" x="6" y="{y + 4}">{row.index}'
                   '</text>')
        if row.header != last_header:
            out.append(f'<text class="header" x="30" y="{y + 4}">{esc(row.header[0])} / '
                       f'{esc(row.header[1])}</text>')
            last_header = row.header
        for lane, on in row.blocked.items():
            x = _x(columns, lane)
            out.append(f'<rect class="blocked" x="{x - 4}" y="{y - ROW_H / 2}" width="8" '
                       f'height="{ROW_H}"><title>{esc(lane)} waits on {esc(on)}</title></rect>')
        if row.lane is not None:
            x = _x(columns, row.lane)
            cls = "refused" if row.refused else "act"
            mark = (f'<text class="{cls}-mark" x="{x}" y="{y + 5}" text-anchor="middle">✗</text>'
                    if row.refused else f'<circle class="act-dot" cx="{x}" cy="{y}" r="5"/>')
            label = row.action or ""
            out.append(f'{mark}<text class="{cls}-label" x="{x + 9}" y="{y - 3}">'
                       f'{esc(label)}<title>{esc(row.cites or "")}</title></text>')
        out.append("</g>")
    out += _message_arrows(rows, columns, uid)
    out.append("</svg>")
    return "".join(out)


def _message_arrows(rows: list[lane_view.Row], columns: list[str], uid: str) -> list[str]:
    """Pair each send with its receive (FIFO order per channel) and draw one arrow."""
    pending: dict[str, list[tuple[int, str | None, str]]] = {}
    out = []
    for row in rows:
        for m in row.messages:
            queue = pending.setdefault(m.channel, [])
            if m.kind == "sent":
                queue.append((row.index, row.lane, m.what))
                continue
            if queue and queue[0][2] == m.what:
                sent_at, sender, _ = queue.pop(0)
            else:
                sent_at, sender = row.index, row.lane
            x1, y1 = _x(columns, sender), _y(sent_at)
            x2, y2 = _x(columns, row.lane), _y(row.index)
            if m.kind == "received":
                out.append(f'<line class="msg" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
                           f'marker-end="url(#{uid}-arrow)"/><text class="msg-label" '
                           f'x="{(x1 + x2) / 2}" y="{(y1 + y2) / 2 - 4}" text-anchor="middle">'
                           f'{esc(m.what)}</text>')
            else:
                out.append(f'<line class="msg lost" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>'
                           f'<text class="lost-mark" x="{x2}" y="{y2 + 5}" '
                           f'text-anchor="middle">✗</text><text class="msg-label" '
                           f'x="{(x1 + x2) / 2}" y="{(y1 + y2) / 2 - 4}" text-anchor="middle">'
                           f'{esc(m.what)} (lost)</text>')
    for channel, queue in pending.items():
        for sent_at, sender, what in queue:  # still in flight at the end of the trace
            x1, y = _x(columns, sender), _y(sent_at)
            x2 = _x(columns, "net")
            out.append(f'<line class="msg inflight" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" '
                       f'marker-end="url(#{uid}-arrow)"/><text class="msg-label" x="{x2}" '
                       f'y="{y - 4}" text-anchor="middle">{esc(what)} ({channel})</text>')
    return out


# ---------------------------------------------------------------- the page


def _summary(checks: list[dict], anchors: dict[tuple[str, str], str]) -> str:
    out = ['<table class="summary"><thead><tr><th>model</th><th>property</th><th>kind</th>'
           '<th>verdict</th><th>states</th><th>time</th><th>detail</th></tr></thead><tbody>']
    for check in checks:
        cov = check.get("coverage", {})
        for r in check.get("results", []):
            verdict = r.get("verdict", "?")
            ok = verdict in ("holds", "witnessed", "n/a")
            anchor = anchors.get((check.get("model", "?"), r.get("property", "?")))
            detail = esc(r.get("detail") or "")
            if anchor:
                detail += f' <a href="#{anchor}">counterexample</a>'
            out.append(f'<tr class="{"ok" if ok else "bad"}"><td>{esc(check.get("model"))}</td>'
                       f'<td>{esc(r.get("property"))}</td><td>{esc(r.get("kind"))}</td>'
                       f'<td class="verdict">{esc(verdict)}</td>'
                       f'<td class="num">{cov.get("states", 0):,}</td>'
                       f'<td class="num">{r.get("seconds", 0):.2f}s</td><td>{detail}</td></tr>')
    out.append("</tbody></table>")
    for check in checks:
        cov = check.get("coverage", {})
        out.append(f'<p class="coverage"><b>{esc(check.get("model"))}</b>: '
                   f'{esc(cov.get("statement", ""))}; bounds: '
                   f'{esc("; ".join(check.get("bounds", [])))}</p>')
    return "".join(out)


def _counterexample(trace: Trace, uid: str, source: str) -> str:
    data = json.dumps(trace_data(trace)).replace("</", "<\\/")
    length = trace.length
    loop = ("" if trace.loop_start is None else
            f"; steps {trace.loop_start + 1}-{length} repeat forever (↻)")
    return (f'<section class="cx" id="{uid}" data-uid="{uid}">'
            f'<h2>{esc(trace.property)} on {esc(trace.model)}</h2>'
            f'<p class="cx-summary">{esc(trace.summary)} ({esc(trace.kind)}, {length} steps'
            f'{esc(loop)}). Trace file: <code>{esc(source)}</code></p>'
            f'<div class="cx-body"><div class="diagram">{sequence_svg(trace, uid)}</div>'
            f'<div class="viewer"><div class="controls">'
            f'<button type="button" class="prev" aria-label="previous step">◀</button>'
            f'<input type="range" class="slider" min="0" max="{length}" value="0" '
            f'aria-label="step">'
            f'<button type="button" class="next" aria-label="next step">▶</button>'
            f'<span class="step-label"></span></div>'
            f'<div class="step-view" aria-live="polite"></div></div></div>'
            f'<script type="application/json" class="trace-data">{data}</script></section>')


def page(checks: list[dict], traces: list[tuple[Trace, str]], title: str = "migcheck report"
         ) -> str:
    """The whole report as one HTML document."""
    anchors = {}
    sections = []
    for n, (trace, source) in enumerate(traces):
        uid = f"cx{n}"
        anchors[(trace.model, trace.property)] = uid
        sections.append(_counterexample(trace, uid, source))
    ok = all(c.get("ok") for c in checks)
    css = (ASSETS / "report.css").read_text()
    js = (ASSETS / "report.js").read_text()
    verdict = "all properties hold" if ok else "some properties are violated"
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
            f"<title>{esc(title)}</title><style>{css}</style></head><body>"
            f"<h1>{esc(title)}</h1><p class=\"overall {'ok' if ok else 'bad'}\">{verdict}</p>"
            f"{_summary(checks, anchors)}{''.join(sections)}"
            f"<script>{js}</script></body></html>\n")
